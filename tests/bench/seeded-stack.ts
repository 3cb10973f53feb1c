import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { DEMO_PASSWORD, ORGS, seedDatabase, type SeedSummary } from '../../scripts/seed/seed';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../helpers/supabase-client';

interface BackendHandle {
  url: string;
  anonKey: string;
  dbUrl: string;
  stop(): Promise<void>;
}

/**
 * `npm run backend -- --fresh` in its own process, so the gateway does not share an event loop
 * (or a core's worth of JavaScript) with the benchmark's client.
 */
function startBackend(): Promise<BackendHandle> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'supabase/local/cli.ts'), '--fresh', '--port', '0', '--no-demo'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) resolve();
      else {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }
    });
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error('backend has no stdout'));
      return;
    }
    createInterface({ input: child.stdout }).once('line', (line) => {
      const ready = JSON.parse(line) as { url: string; anonKey: string; dbUrl: string };
      resolve({ ...ready, stop });
    });
    child.once('exit', (code) => reject(new Error(`the backend exited with ${code} before it was ready`)));
  });
}

export interface SeededStack {
  stack: BackendHandle;
  seed: SeedSummary;
  manager: NodeSupabaseClient;
  managerId: string;
  db: pg.Pool;
  orgId: string;
  /** A connection switched to the API's role with the manager's claims, for EXPLAIN ANALYZE timings. */
  asManager: () => Promise<pg.Client>;
}

/** A fresh local stack seeded at `scale`, with a signed-in manager, for benchmarks. */
export async function seededStack(scale: number, log: (line: string) => void): Promise<SeededStack> {
  log(`starting a fresh local stack…`);
  const stack = await startBackend();
  try {
    const seed = await seedDatabase(stack.dbUrl, {
      gigs: 5000 * scale,
      assets: 20000 * scale,
      staff: 500 * scale,
      seed: 42,
      progress: log,
    });
    log(`seeded in ${seed.seconds.toFixed(1)} s`);
    const manager = nodeSupabaseClient(stack.url, stack.anonKey);
    const { data, error } = await manager.auth.signInWithPassword({ email: 'manager@northlight.test', password: DEMO_PASSWORD });
    if (error !== null) throw error;
    const db = new pg.Pool({ connectionString: stack.dbUrl, max: 2 });
    const managerId = data.user.id;
    const asManager = async (): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: stack.dbUrl });
      await client.connect();
      await client.query(
        "select set_config('role', 'authenticated', false), set_config('request.jwt.claims', $1, false), set_config('request.jwt.claim.sub', $2, false)",
        [JSON.stringify({ role: 'authenticated', sub: managerId }), managerId],
      );
      return client;
    };
    return { stack, seed, manager, managerId, db, orgId: ORGS.northlight.id, asManager };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
