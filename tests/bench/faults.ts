import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../../core/random';
import { SyncEngine } from '../../core/sync/engine';
import { supabaseTransport } from '../../core/sync/supabase-transport';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { startBackend, type BackendProcess } from '../helpers/backend-process';
import { startFaultingProxy, type FaultingProxy } from '../helpers/faulting-proxy';
import { nodeSupabaseClient } from '../helpers/supabase-client';
import { round, table } from './stats';

const OPS = 2000;
const FAULT_RATE = 0.3;
const PASSWORD = 'bench-password';

interface RunResult {
  batch: number;
  faults: boolean;
  /** The machine's 1-minute load average when the run started (the figures depend on it). */
  load: number;
  drainS: number;
  requests: number;
  faulted: number;
  byKind: string;
  lost: number;
  duplicated: number;
  conflicts: number;
  quarantined: number;
}

function parseOptions(args: string[]): { timeoutMs: number; seed: number } {
  const { values } = parseArgs({ args, options: { 'timeout-ms': { type: 'string' }, seed: { type: 'string' } }, strict: false });
  const timeoutMs = Number(values['timeout-ms'] ?? '2000');
  const seed = Number(values.seed ?? '15');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 200 || timeoutMs > 60_000)
    throw new Error(`--timeout-ms must be 200..60000, got "${String(values['timeout-ms'])}"`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number, got "${String(values.seed)}"`);
  return { timeoutMs, seed };
}

/**
 * Recovery under a flaky network: 2,000 queued check-outs drained by a station engine (its own
 * defaults: timers, backoff, two batches in flight) through a proxy that faults 30 % of requests
 * (503s, resets, answers dropped after the server committed, answers held past the client
 * timeout; seeded), at the default batch size and at batch 20, each against the same run without
 * faults. Lost and duplicated are counted in the database: each op must be exactly one movement.
 */
export async function faultsBench(args: string[]): Promise<Record<string, unknown>> {
  const { timeoutMs, seed } = parseOptions(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-faults-'));
  log('starting a fresh local stack…');
  const backend = await startBackend();
  const proxy = await startFaultingProxy({ upstream: backend.url, random: seededRandom(seed), rate: FAULT_RATE, holdMs: timeoutMs + 1000 });
  try {
    const admin = nodeSupabaseClient(backend.url, backend.serviceRoleKey);
    const email = 'bench-station@faults.test';
    const created = await admin.auth.admin.createUser({ email, password: PASSWORD, email_confirm: true });
    if (created.error !== null) throw created.error;
    const org = randomUUID();
    await backend.sql("insert into public.organizations (id, name, slug) values ($1, 'Bench', 'bench-faults')", [org]);
    await backend.sql("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'station')", [org, created.data.user.id]);
    const gig =
      (
        await backend.sql<{ id: string }>(
          "insert into public.gigs (org_id, name, status) values ($1, 'Faults gig', 'confirmed') returning id",
          [org],
        )
      )[0]?.id ?? '';

    const runs: RunResult[] = [];
    let n = 0;
    for (const batch of [200, 20]) {
      for (const faults of [false, true]) {
        n += 1;
        log(`batch ${batch}, ${faults ? `${FAULT_RATE * 100} % of requests faulted` : 'no faults'}: draining ${OPS} ops…`);
        runs.push(await drainRun({ backend, proxy, dir, org, gig, email, batch, faults, timeoutMs, run: n }));
        const last = runs[runs.length - 1];
        if (last !== undefined)
          log(
            `  ${round(last.drainS, 1)} s, ${last.faulted}/${last.requests} requests faulted, lost ${last.lost}, duplicated ${last.duplicated}`,
          );
      }
    }

    const rows = [200, 20].map((batch) => {
      const clean = runs.find((r) => r.batch === batch && !r.faults);
      const faulted = runs.find((r) => r.batch === batch && r.faults);
      if (clean === undefined || faulted === undefined) throw new Error(`missing runs for batch ${batch}`);
      return { batch, clean, faulted, slowdown: faulted.drainS / clean.drainS };
    });
    process.stdout.write(
      `\nsync recovery: ${OPS} queued ops through a faulting proxy (${FAULT_RATE * 100} % of requests; client timeout ${timeoutMs} ms)\n\n${table(
        [
          'batch',
          'drain s (no faults)',
          'drain s (faults)',
          'slowdown',
          'load (1 min)',
          'requests',
          'faulted',
          'faults by kind',
          'lost',
          'duplicated',
          'conflicts',
          'quarantined',
        ],
        rows.map((r) => [
          r.batch === 200 ? '200 (default)' : String(r.batch),
          round(r.clean.drainS, 1),
          round(r.faulted.drainS, 1),
          round(r.slowdown, 2),
          `${round(r.clean.load, 1)} / ${round(r.faulted.load, 1)}`,
          r.faulted.requests,
          r.faulted.faulted,
          r.faulted.byKind,
          r.faulted.lost + r.clean.lost,
          r.faulted.duplicated + r.clean.duplicated,
          r.faulted.conflicts + r.clean.conflicts,
          r.faulted.quarantined + r.clean.quarantined,
        ]),
      )}\n\n`,
    );
    // The headline figures are the worse of the two batch sizes; every run's lost and duplicated count.
    const worst = rows.reduce((a, b) => (b.slowdown > a.slowdown ? b : a));
    return {
      bench: 'faults',
      ops: OPS,
      faulted_requests: rows.reduce((sum, r) => sum + r.faulted.faulted, 0),
      lost: runs.reduce((sum, r) => sum + r.lost, 0),
      duplicated: runs.reduce((sum, r) => sum + r.duplicated, 0),
      drain_s: round(worst.faulted.drainS, 2),
      drain_s_no_faults: round(worst.clean.drainS, 2),
      slowdown: round(worst.slowdown, 2),
      batch: worst.batch,
      client_timeout_ms: timeoutMs,
      runs: rows.map((r) => ({
        batch: r.batch,
        drain_s: round(r.faulted.drainS, 2),
        drain_s_no_faults: round(r.clean.drainS, 2),
        slowdown: round(r.slowdown, 2),
        faulted_requests: r.faulted.faulted,
        requests: r.faulted.requests,
        load_1m: [round(r.clean.load, 2), round(r.faulted.load, 2)],
      })),
    };
  } finally {
    await proxy.stop();
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function drainRun(options: {
  backend: BackendProcess;
  proxy: FaultingProxy;
  dir: string;
  org: string;
  gig: string;
  email: string;
  batch: number;
  faults: boolean;
  timeoutMs: number;
  run: number;
}): Promise<RunResult> {
  const { backend, proxy } = options;
  const assets = (
    await backend.sql<{ id: string }>(
      "insert into public.assets (org_id, serial_number, name, category) select $1, 'F' || $2 || '-' || g, 'Faults item ' || g, 'Audio' from generate_series(1, $3) g returning id",
      [options.org, options.run, OPS],
    )
  ).map((r) => r.id);
  await backend.sql('analyze');

  proxy.faulting = false;
  const client = nodeSupabaseClient(proxy.url, backend.anonKey);
  const signedIn = await client.auth.signInWithPassword({ email: options.email, password: PASSWORD });
  if (signedIn.error !== null) throw signedIn.error;
  const store = new SqliteQueueStore({ path: join(options.dir, `run-${options.run}.sqlite`), newId: randomUUID });
  const opIds: string[] = [];
  await store.enqueueMany(
    assets.map((id) => {
      const opId = randomUUID();
      opIds.push(opId);
      return {
        op: { table: 'assets' as const, action: 'check_out', payload: { id, gig_id: options.gig }, base_version: 1 },
        id: opId,
        now: Date.now(),
      };
    }),
  );
  // The station's engine as it ships (timers, backoff, two batches in flight), at this batch size.
  const engine = new SyncEngine({
    store,
    transport: supabaseTransport(client, { timeoutMs: options.timeoutMs }),
    // The engine's learnt timeout never waits longer than the transport's own.
    timing: { maxMs: options.timeoutMs },
    clock: systemClock,
    random: seededRandom(options.run),
    newId: randomUUID,
    batchSize: options.batch,
  });
  proxy.resetCounts();
  proxy.faulting = options.faults;
  const started = performance.now();
  await engine.start();
  const load = loadavg()[0] ?? 0;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const stats = await store.stats();
    if (stats.depth === 0) break;
    if (Date.now() > deadline) throw new Error(`${stats.depth} ops still queued after 30 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const drainS = (performance.now() - started) / 1000;
  engine.stop();
  proxy.faulting = false;
  const counts = { ...proxy.counts };
  const stats = await store.stats();
  store.close();

  const movements = await backend.sql<{ client_op_id: string; n: number }>(
    'select client_op_id::text, count(*)::int as n from public.asset_movements where client_op_id = any($1::uuid[]) group by 1',
    [opIds],
  );
  const moved = new Map(movements.map((m) => [m.client_op_id, m.n]));
  return {
    batch: options.batch,
    faults: options.faults,
    load,
    drainS,
    requests: counts.requests,
    faulted: counts.faulted,
    byKind: `${counts.server_error} 503 / ${counts.reset} reset / ${counts.drop_after_commit} dropped / ${counts.hold} held`,
    lost: opIds.filter((id) => (moved.get(id) ?? 0) === 0).length,
    duplicated: [...moved.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
    conflicts: stats.conflicts,
    quarantined: stats.quarantined,
  };
}
