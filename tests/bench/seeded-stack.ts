import pg from 'pg';
import { DEMO_PASSWORD, ORGS, seedDatabase, type SeedSummary } from '../../scripts/seed/seed';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../helpers/supabase-client';
import { startBackend, type BackendProcess } from '../helpers/backend-process';

export interface SeededStack {
  stack: BackendProcess;
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
