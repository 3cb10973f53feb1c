import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from './paths';

/**
 * The Supabase CLI as users run it (the `supabase` npm package, pinned in package.json), started
 * through its own launcher with the Node running us, so no global install is needed.
 */
function cliEntry(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('supabase/package.json');
  const manifest = z.object({ bin: z.object({ supabase: z.string() }) }).parse(JSON.parse(readFileSync(packageJson, 'utf8')));
  return join(dirname(packageJson), manifest.bin.supabase);
}

export interface CliResult {
  stdout: string;
  stderr: string;
}

export class SupabaseCliError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`supabase ${args[0] ?? ''} ${args[1] ?? ''} failed (exit ${exitCode ?? 'signal'}):\n${cliMessage(stderr)}`);
  }
}

/** The CLI's own error text, without its prompt echo and the generic "--debug" advice. */
function cliMessage(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => !/^Try rerunning the command with --debug/.test(line));
  return lines.join('\n').trim();
}

/**
 * A database URL the CLI can use against the embedded PostgreSQL: it speaks no TLS, and the CLI
 * would otherwise try TLS first.
 */
export function cliDbUrl(connectionString: string): string {
  const url = new URL(connectionString);
  url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/**
 * Runs `supabase <args>` non-interactively (stdin closed, no update check, no telemetry) from
 * the project root and resolves with its output; a non-zero exit rejects with the CLI's message.
 */
export function runSupabaseCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SUPABASE_NO_UPDATE_NOTIFIER: '1',
        SUPABASE_TELEMETRY_DISABLED: '1',
        DO_NOT_TRACK: '1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n(stopped after ${timeoutMs} ms)`;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run the Supabase CLI: ${error.message}`, { cause: error }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new SupabaseCliError(args, code, stderr));
    });
  });
}
