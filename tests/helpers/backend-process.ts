import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { PROJECT_ROOT } from '../../supabase/local/paths';

export interface BackendProcess {
  child: ChildProcess;
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl: string;
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * `npm run backend -- --no-demo [args]` in its own process (a fresh database on a free port by
 * default), so the gateway does not share an event loop with the caller, and can be killed.
 */
export function startBackend(args: string[] = ['--fresh', '--port', '0']): Promise<BackendProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'supabase/local/cli.ts'), '--no-demo', ...args],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error('backend has no stdout'));
      return;
    }
    createInterface({ input: child.stdout }).once('line', (line) => {
      const ready = JSON.parse(line) as { url: string; anonKey: string; serviceRoleKey: string; dbUrl: string };
      const pool = new pg.Pool({ connectionString: ready.dbUrl, max: 2 });
      resolve({
        ...ready,
        child,
        sql: async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await pool.query<T>(text, params)).rows,
        stop: async () => {
          await pool.end();
          await new Promise<void>((done) => {
            if (child.exitCode !== null) done();
            else {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }
          });
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the backend exited with ${code} before it was ready`)));
  });
}
