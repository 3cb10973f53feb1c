import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { randomInt, seededRandom } from '../../core/random';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { startBackend, type BackendProcess } from '../helpers/backend-process';
import { nodeSupabaseClient } from '../helpers/supabase-client';

// Exactly once, whatever happens to the station process or the backend: SIGKILL at random
// moments, restarts on the same SQLite file, the backend killed and restarted mid-drain.
const dir = mkdtempSync(join(tmpdir(), 'crash-'));
// The persistent backend keeps its database in here; PostgreSQL (as the postgres user) must reach it.
chmodSync(dir, 0o755);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Backend = BackendProcess;

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** An organization, a station login, a gig and `assets` assets; the plan checks each out and in. */
async function arrange(backend: Backend, assets: number): Promise<{ env: Record<string, string>; opIds: string[] }> {
  const admin = nodeSupabaseClient(backend.url, backend.serviceRoleKey);
  const email = `station-${randomUUID().slice(0, 8)}@crash.test`;
  const { data, error } = await admin.auth.admin.createUser({ email, password: 'crash-test-password', email_confirm: true });
  if (error !== null) throw error;
  const db = new pg.Client({ connectionString: backend.dbUrl });
  await db.connect();
  const org = randomUUID();
  await db.query("insert into public.organizations (id, name, slug) values ($1, 'Crash Co', $2)", [org, `crash-${org.slice(0, 8)}`]);
  await db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'station')", [org, data.user.id]);
  const gig = (
    await db.query<{ id: string }>("insert into public.gigs (org_id, name, status) values ($1, 'Crash gig', 'confirmed') returning id", [
      org,
    ])
  ).rows[0]?.id;
  const ids = (
    await db.query<{ id: string }>(
      "insert into public.assets (org_id, serial_number, name, category) select $1, 'CRASH-' || g, 'Case ' || g, 'Audio' from generate_series(1, $2) g returning id",
      [org, assets],
    )
  ).rows.map((r) => r.id);
  await db.end();
  const plan = ids.flatMap((id) => [
    { id: randomUUID(), table: 'assets', action: 'check_out', payload: { id, gig_id: gig }, base_version: 1 },
    { id: randomUUID(), table: 'assets', action: 'check_in', payload: { id, condition: 'ok' } },
  ]);
  const planPath = join(dir, `plan-${org}.json`);
  writeFileSync(planPath, JSON.stringify(plan));
  return {
    opIds: plan.map((op) => op.id),
    env: {
      SUPABASE_URL: backend.url,
      SUPABASE_ANON_KEY: backend.anonKey,
      STATION_EMAIL: email,
      STATION_PASSWORD: 'crash-test-password',
      STATION_DB: join(dir, `station-${org}.sqlite`),
      PLAN: planPath,
    },
  };
}

function startWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; done: Promise<boolean> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'tests/sync/drain-worker.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve) => lines.on('line', (line) => line === 'ready' && resolve()));
  const done = new Promise<boolean>((resolve) => {
    lines.on('line', (line) => line === 'done' && resolve(true));
    child.once('exit', () => resolve(false));
  });
  return { child, ready: Promise.race([ready, done.then(() => undefined)]), done };
}

async function verifyExactlyOnce(backend: Backend, opIds: string[], stationDb: string): Promise<void> {
  const db = new pg.Client({ connectionString: backend.dbUrl });
  await db.connect();
  const { rows } = await db.query<{ client_op_id: string; n: number }>(
    'select client_op_id, count(*)::int as n from public.asset_movements where client_op_id = any($1) group by 1',
    [opIds],
  );
  await db.end();
  expect(rows.length).toBe(opIds.length);
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  const local = new Database(stationDb, { readonly: true });
  expect(local.prepare('select count(*) as n from pending_sync').get()).toEqual({ n: 0 });
  local.close();
}

describe('crash safety', () => {
  it('drains 2,000 ops exactly once through 20+ SIGKILLs of the station process', async () => {
    const backend = await startBackend();
    children.push(backend.child);
    const { env, opIds } = await arrange(backend, 1000);
    expect(opIds).toHaveLength(2000);
    const random = seededRandom(20);
    let kills = 0;
    for (;;) {
      const worker = startWorker(env);
      await worker.ready;
      if (kills >= 20) {
        expect(await worker.done).toBe(true);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, randomInt(random, 0, 60)));
      if (worker.child.exitCode !== null) throw new Error('the queue drained before 20 kills; slow the worker down');
      worker.child.kill('SIGKILL');
      await exited(worker.child);
      kills += 1;
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    await verifyExactlyOnce(backend, opIds, env['STATION_DB'] ?? '');
    await backend.stop();
  }, 240_000);

  it('drains exactly once when the backend is killed and restarted mid-drain', async () => {
    const dataDir = join(dir, 'backend-data');
    // The kernel picks the ports at the first start; the restart asks for the same ones.
    let backend = await startBackend(['--data-dir', dataDir, '--port', '0']);
    children.push(backend.child);
    const args = ['--data-dir', dataDir, '--port', new URL(backend.url).port, '--db-port', new URL(backend.dbUrl).port];
    const { env, opIds } = await arrange(backend, 400);
    const worker = startWorker(env);
    await worker.ready;
    // Kill the backend once the drain has visibly started (some ops sent, some still queued),
    // however long that takes on a busy machine.
    const queued = (): number => {
      const probe = new Database(env['STATION_DB'] ?? '', { readonly: true });
      try {
        return (probe.prepare('select count(*) as n from pending_sync').get() as { n: number }).n;
      } finally {
        probe.close();
      }
    };
    await vi.waitFor(() => expect(queued()).toBeLessThan(800), { timeout: 120_000, interval: 10 });
    const left = queued();
    expect(left).toBeGreaterThan(0);
    backend.child.kill('SIGKILL');
    await exited(backend.child);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    backend = await startBackend(args);
    children.push(backend.child);
    expect(await worker.done).toBe(true);
    await verifyExactlyOnce(backend, opIds, env['STATION_DB'] ?? '');
    await backend.stop();
  }, 240_000);
});
