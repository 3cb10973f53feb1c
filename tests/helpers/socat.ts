import { spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * A real serial link for tests: socat joins two pseudo-terminals, `device` (what the station
 * opens) and `scanner` (where the test writes what a scanner would send).
 */
export class PtyPair {
  private child: ChildProcess | null = null;

  constructor(
    readonly device: string,
    readonly scanner: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn('socat', [`pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.scanner}`], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.device) && existsSync(this.scanner))) {
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair (is socat installed?)');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Writes what a scanner sends, at once (its own open and close: the link survives a replug). */
  async write(data: string | Uint8Array, timeoutMs?: number): Promise<void> {
    const writer = await PtyWriter.open(this.scanner);
    try {
      await writer.write(data, timeoutMs);
    } finally {
      await writer.close();
    }
  }

  /** Pulls the cable: socat goes away and both ends close. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/**
 * The scanner's end of a pty, opened non-blocking. A plain write to a pty whose buffer is full
 * blocks: writeFileSync blocks the event loop, and an async write blocks a libuv pool thread, which
 * can stall the test worker past every timeout (a CI run once hung for 90 minutes). Here a full
 * buffer is EAGAIN, retried every few ms, and a pty that takes nothing for `timeoutMs` fails the
 * test with a clear error. Strings are sent as Latin-1: one byte per character, as a scanner would.
 */
export class PtyWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<PtyWriter> {
    return new PtyWriter(await open(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY), path);
  }

  async write(data: string | Uint8Array, timeoutMs = 20_000): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    let stalledSince: number | null = null;
    for (let offset = 0; offset < bytes.length;) {
      try {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
        stalledSince = null;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        stalledSince ??= Date.now();
        if (Date.now() - stalledSince > timeoutMs)
          throw new Error(`the pty ${this.path} took no byte for ${timeoutMs} ms (is socat relaying?)`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
