import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { openStation } from '../helpers/station';
import { nodeSupabaseClient } from '../helpers/supabase-client';
import { startBackend } from '../helpers/backend-process';
import { percentile, round, table } from './stats';

/**
 * The station queue: single durable enqueues (WAL, synchronous=FULL, on disk), 10,000 queued ops
 * drained to a fresh local stack, and a full pull into an empty station.
 */
export async function queueBench(): Promise<Record<string, unknown>> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  try {
    // 1. Enqueue.
    const store = new SqliteQueueStore({ path: join(dir, 'enqueue.sqlite'), newId: randomUUID });
    const latencies: number[] = [];
    const count = 3000;
    const started = performance.now();
    for (let i = 0; i < count; i += 1) {
      const op = { table: 'assets' as const, action: 'check_in', payload: { id: randomUUID(), condition: 'ok' } };
      const t0 = performance.now();
      await store.enqueue(op, { id: randomUUID(), now: Date.now() });
      latencies.push(performance.now() - t0);
    }
    const enqueueSeconds = (performance.now() - started) / 1000;
    store.close();

    // 2. Drain 10,000 ops to a fresh backend.
    log('starting a fresh local stack…');
    const backend = await startBackend();
    try {
      const admin = nodeSupabaseClient(backend.url, backend.serviceRoleKey);
      const email = 'bench-station@queue.test';
      const created = await admin.auth.admin.createUser({ email, password: 'bench-password', email_confirm: true });
      if (created.error !== null) throw created.error;
      const org = randomUUID();
      await backend.sql("insert into public.organizations (id, name, slug) values ($1, 'Bench', 'bench')", [org]);
      await backend.sql("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'station')", [org, created.data.user.id]);
      const gig = (
        await backend.sql<{ id: string }>(
          "insert into public.gigs (org_id, name, status) values ($1, 'Bench gig', 'confirmed') returning id",
          [org],
        )
      )[0]?.id;
      const assets = (
        await backend.sql<{ id: string }>(
          "insert into public.assets (org_id, serial_number, name, category) select $1, 'Q-' || g, 'Bench item ' || g, 'Audio' from generate_series(1, 10000) g returning id",
          [org],
        )
      ).map((r) => r.id);
      await backend.sql('vacuum analyze');

      const station = await openStation({
        url: backend.url,
        anonKey: backend.anonKey,
        email,
        password: 'bench-password',
        dbPath: join(dir, 'drain.sqlite'),
        batchSize: 500,
      });
      await station.store.enqueueMany(
        assets.map((id) => ({
          op: { table: 'assets' as const, action: 'check_out', payload: { id, gig_id: gig }, base_version: 1 },
          id: randomUUID(),
          now: Date.now(),
        })),
      );
      log('draining 10,000 ops…');
      const drainStart = performance.now();
      await station.engine.drain();
      const drainSeconds = (performance.now() - drainStart) / 1000;
      const left = (await station.store.stats()).depth;
      if (left !== 0) throw new Error(`${left} ops were still queued after the drain`);
      station.store.close();

      // 3. Pull everything into an empty station.
      const fresh = await openStation({
        url: backend.url,
        anonKey: backend.anonKey,
        email,
        password: 'bench-password',
        dbPath: join(dir, 'pull.sqlite'),
      });
      log('pulling into an empty station…');
      const pullStart = performance.now();
      await fresh.engine.pull();
      const pullSeconds = (performance.now() - pullStart) / 1000;
      const pulled = (await fresh.store.countCached('assets')) + (await fresh.store.countCached('gigs'));
      fresh.store.close();

      const result = {
        bench: 'queue',
        enqueue_ops: count,
        enqueue_p50_ms: round(percentile(latencies, 50), 3),
        enqueue_p99_ms: round(percentile(latencies, 99), 3),
        enqueue_per_s: Math.round(count / enqueueSeconds),
        drain_ops: assets.length,
        drain_ops_per_s: Math.round(assets.length / drainSeconds),
        pull_rows: pulled,
        pull_rows_per_s: Math.round(pulled / pullSeconds),
      };
      process.stdout.write(
        `\nstation queue (SQLite WAL, synchronous=FULL, on disk)\n\n${table(
          ['figure', 'value'],
          [
            ['enqueue p50 ms', result.enqueue_p50_ms],
            ['enqueue p99 ms', result.enqueue_p99_ms],
            ['enqueues / s', result.enqueue_per_s],
            ['drain: ops', result.drain_ops],
            ['drain: ops / s', result.drain_ops_per_s],
            ['pull: rows', result.pull_rows],
            ['pull: rows / s', result.pull_rows_per_s],
          ],
        )}\n\n`,
      );
      return result;
    } finally {
      await backend.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
