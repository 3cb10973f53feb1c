import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type LogLevel = 'info' | 'warn' | 'error';

export interface RotatingLogOptions {
  dir: string;
  /** File name stem: <name>.log, <name>.log.1 … */
  name?: string;
  maxBytes?: number;
  /** Rotated files kept besides the current one. */
  keep?: number;
  now?: () => Date;
}

/** Field names whose values never reach a log file. */
const SECRET_FIELD = /pass(word)?|secret|token|authorization|key|service[-_]?role|private|session|cookie|credential|jwt/i;
/** JWTs and bearer tokens inside messages. */
const SECRET_TEXT = [/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, /Bearer\s+[A-Za-z0-9._-]+/gi];

function redactText(text: string): string {
  return SECRET_TEXT.reduce((out, pattern) => out.replace(pattern, '[redacted]'), text);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = SECRET_FIELD.test(key) ? '[redacted]' : redact(inner, depth + 1);
  return out;
}

/**
 * The main process's structured log: one JSON object per line in the user data folder, written
 * synchronously (the last lines before a crash are on disk), rotated by size, secrets redacted.
 */
export class RotatingLog {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => Date;
  private size: number;

  constructor(options: RotatingLogOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.file = join(options.dir, `${options.name ?? 'station'}.log`);
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.keep = options.keep ?? 5;
    this.now = options.now ?? (() => new Date());
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  write(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    const line = `${JSON.stringify({ ts: this.now().toISOString(), level, msg: redactText(message), ...(redact(fields) as Record<string, unknown>) })}\n`;
    if (this.size > 0 && this.size + Buffer.byteLength(line) > this.maxBytes) this.rotate();
    appendFileSync(this.file, line);
    this.size += Buffer.byteLength(line);
  }

  /** Every file, oldest first. */
  files(): string[] {
    const rotated = Array.from({ length: this.keep }, (_, i) => `${this.file}.${this.keep - i}`).filter((f) => existsSync(f));
    return existsSync(this.file) ? [...rotated, this.file] : rotated;
  }

  /** The last `count` lines across the rotated files. */
  tail(count: number): string[] {
    const lines: string[] = [];
    for (const file of this.files())
      lines.push(
        ...readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
    return lines.slice(-count);
  }

  private rotate(): void {
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i -= 1)
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    renameSync(this.file, `${this.file}.1`);
    this.size = 0;
  }
}
