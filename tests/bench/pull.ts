import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { seededRandom } from '../../core/random';
import { SyncEngine } from '../../core/sync/engine';
import type { SyncScope } from '../../core/sync/scope';
import { SNAPSHOT_TABLES } from '../../core/sync/snapshot';
import { supabaseTransport } from '../../core/sync/supabase-transport';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { liveCount } from '../helpers/domain';
import { seededStack, type SeededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

const pullAnswer = z.object({
  changes: z.record(z.string(), z.array(z.unknown())),
  tombstones: z.array(z.unknown()),
  cursor: z.string().nullable(),
  has_more: z.boolean(),
});

/** Live rows of the organization per synced table, as the server counts them. */
async function serverCounts(env: SeededStack): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of SNAPSHOT_TABLES) {
    counts[name] = await liveCount(env.db, env.orgId, name);
  }
  return counts;
}

/**
 * A new station's first sync, end to end: the sync engine over supabase-js and HTTP into a
 * SQLite file on disk (pull_snapshot pages, then the log from the pages' cursor, then the check
 * against sync_verify's counts and checksums), until the copy is verified and holds every row the
 * server counts. Timed to the first page applied and to the end.
 */
async function initialSync(
  env: SeededStack,
): Promise<{ rows: number; s: number; firstPageMs: number; pages: number[]; localCheckMs: number; serverCheckMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-initial-'));
  const store = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
  try {
    const transport = supabaseTransport(env.manager, { timeoutMs: 60_000 });
    const pages: number[] = [];
    let serverCheckMs = 0;
    let localCheckMs = 0;
    const timed = {
      ...transport,
      snapshot: async (...args: Parameters<typeof transport.snapshot>) => {
        const started = performance.now();
        const page = await transport.snapshot(...args);
        pages.push(performance.now() - started);
        return page;
      },
      verify: async (cursor: string) => {
        const started = performance.now();
        const answer = await transport.verify(cursor);
        serverCheckMs += performance.now() - started;
        return answer;
      },
    };
    // The station's side of the check: its whole copy read and summed, 5,000 rows per transaction.
    const localChecksums = store.localChecksums.bind(store);
    store.localChecksums = async () => {
      const started = performance.now();
      const sums = await localChecksums();
      localCheckMs += performance.now() - started;
      return sums;
    };
    let firstApplied = 0;
    store.onCacheChange(() => {
      firstApplied ||= performance.now();
    });
    const engine = new SyncEngine({ store, transport: timed, clock: systemClock, random: seededRandom(20), newId: randomUUID });
    const started = performance.now();
    await engine.pull();
    const s = (performance.now() - started) / 1000;
    const { copy, lastError } = await engine.status();
    if ((await store.cursor()) === null) throw new Error(`the first sync stopped: ${lastError ?? 'no error recorded'}`);
    // The engine checks the copy against the server's counts and checksums before its pull ends.
    if (copy.verifiedAt === null || copy.mismatched.length > 0)
      throw new Error(`the first sync ended unverified: ${JSON.stringify(copy.mismatched)} ${lastError ?? ''}`);
    const expected = await serverCounts(env);
    let rows = 0;
    for (const name of SNAPSHOT_TABLES) {
      const held = await store.countCached(name);
      if (held !== expected[name]) throw new Error(`the new station holds ${held} ${name}, the server ${expected[name]}`);
      rows += held;
    }
    return { rows, s, firstPageMs: firstApplied - started, pages, localCheckMs, serverCheckMs };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A touring laptop's first sync: the scope of the seed's largest tour (the root gig with the most
 * gigs under it), into SQLite on disk, until the copy is verified against the tour.
 */
async function touringSync(env: SeededStack): Promise<{ rows: number; s: number; gigs: number }> {
  const { rows: tours } = await env.db.query<{ id: string; gigs: number }>(
    `select r.id, count(*)::int as gigs
       from public.gigs r join public.gigs g on g.org_id = r.org_id and g.path operator(extensions.<@) r.path
      where r.org_id = $1 and r.parent_gig_id is null and r.deleted_at is null and g.deleted_at is null
      group by r.id order by count(*) desc, r.id limit 1`,
    [env.orgId],
  );
  const tour = tours[0];
  if (tour === undefined) throw new Error('the seed has no tour');
  const dir = mkdtempSync(join(tmpdir(), 'bench-touring-'));
  const store = new SqliteQueueStore({ path: join(dir, 'laptop.sqlite'), newId: randomUUID });
  try {
    const scope: SyncScope = { kind: 'gigs', roots: [tour.id] };
    await store.settings.syncScope.set(scope);
    const engine = new SyncEngine({
      store,
      transport: supabaseTransport(env.manager, { timeoutMs: 60_000 }),
      clock: systemClock,
      random: seededRandom(21),
      newId: randomUUID,
      scope: () => Promise.resolve(scope),
    });
    const started = performance.now();
    await engine.pull();
    const s = (performance.now() - started) / 1000;
    const { copy, lastError } = await engine.status();
    if (copy.verifiedAt === null || copy.mismatched.length > 0)
      throw new Error(`the touring laptop's first sync ended unverified: ${JSON.stringify(copy.mismatched)} ${lastError ?? ''}`);
    let rows = 0;
    for (const name of SNAPSHOT_TABLES) rows += await store.countCached(name);
    return { rows, s, gigs: tour.gigs };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A new station's first sync end to end (initialSync), a touring laptop's (touringSync), then pull_changes through supabase-js
 * over HTTP at a seeded scale: the same organization replayed from the change log (pages of
 * 1,000: what a device without pull_snapshot does, and the figure before it), then 200
 * incremental pulls, each after 5 assets changed, from the cursor the previous pull returned —
 * what every station and phone does all day.
 */
export async function pullBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  try {
    const pull = async (
      cursor: string | null,
      limit: number,
    ): Promise<{ ms: number; rows: number; cursor: string | null; more: boolean }> => {
      const started = performance.now();
      const { data, error } = await env.manager.rpc('pull_changes', { cursor, limit });
      const ms = performance.now() - started;
      if (error !== null) throw new Error(`pull_changes failed: ${error.message}`);
      const answer = pullAnswer.parse(data);
      const rows = Object.values(answer.changes).reduce((sum, list) => sum + list.length, 0) + answer.tombstones.length;
      return { ms, rows, cursor: answer.cursor, more: answer.has_more };
    };

    log('first sync of a new station into SQLite…');
    const initial = await initialSync(env);
    log('first sync of a touring laptop (one tour) into SQLite…');
    const touring = await touringSync(env);

    log('full pull of the organization from the change log…');
    const pages: number[] = [];
    const pageRows: number[] = [];
    let cursor: string | null = null;
    let rows = 0;
    const fullStarted = performance.now();
    for (;;) {
      const page = await pull(cursor, 1000);
      pages.push(page.ms);
      pageRows.push(page.rows);
      rows += page.rows;
      cursor = page.cursor;
      if (!page.more) break;
    }
    const fullS = (performance.now() - fullStarted) / 1000;

    const { rows: assets } = await env.db.query<{ id: string }>('select id from public.assets where org_id = $1 order by id limit 1000', [
      env.orgId,
    ]);
    log('measuring 200 incremental pulls (5 changed assets each)…');
    const incremental: number[] = [];
    for (let round_ = 0; round_ < 200; round_ += 1) {
      const changed = assets.slice((round_ * 5) % assets.length, ((round_ * 5) % assets.length) + 5).map((a) => a.id);
      await env.db.query("update public.assets set notes = 'pull bench ' || $2 where id = any($1)", [changed, round_]);
      const page = await pull(cursor, 500);
      if (page.rows < changed.length) throw new Error(`incremental pull returned ${page.rows} rows for ${changed.length} changes`);
      incremental.push(page.ms);
      cursor = page.cursor;
    }

    const initialRowsPerS = Math.round(initial.rows / initial.s);
    const result = {
      bench: 'pull',
      scale,
      // A new station's first sync, end to end into SQLite and checked against the server's counts.
      initial_rows: initial.rows,
      initial_s: round(initial.s, 2),
      rows_per_s: initialRowsPerS,
      // How long until the first page is in the store (what its user waits for before anything shows).
      first_page_ms: round(initial.firstPageMs, 1),
      // A touring laptop's first sync of one tour (the seed's largest), verified.
      touring_scope_s: round(touring.s, 2),
      touring_rows: touring.rows,
      touring_gigs: touring.gigs,
      snapshot_page_p95_ms: round(percentile(initial.pages, 95), 1),
      // Of initial_s, the check: the station summing its copy, and sync_verify answering.
      check_local_ms: round(initial.localCheckMs, 0),
      check_server_ms: round(initial.serverCheckMs, 0),
      // The same organization replayed from the change log, server answers only.
      full_rows: rows,
      full_s: round(fullS, 2),
      full_rows_per_s: Math.round(rows / fullS),
      full_first_page_ms: round(pages[0] ?? Number.NaN, 1),
      page_p95_ms: round(percentile(pages, 95), 1),
      incremental_p50_ms: round(percentile(incremental, 50), 1),
      incremental_p95_ms: round(percentile(incremental, 95), 1),
      incremental_p99_ms: round(percentile(incremental, 99), 1),
    };
    process.stdout.write(
      `${table(
        ['pull', 'calls', 'rows', 'p50 ms', 'p95 ms', 'p99 ms'],
        [
          [
            'first sync (snapshot pages)',
            initial.pages.length,
            initial.rows,
            percentile(initial.pages, 50),
            percentile(initial.pages, 95),
            percentile(initial.pages, 99),
          ],
          ['log replay: first page', 1, pageRows[0] ?? 0, result.full_first_page_ms, result.full_first_page_ms, result.full_first_page_ms],
          ['log replay (pages of 1,000)', pages.length, rows, percentile(pages, 50), percentile(pages, 95), percentile(pages, 99)],
          [
            'incremental (5 changes)',
            incremental.length,
            incremental.length * 5,
            percentile(incremental, 50),
            percentile(incremental, 95),
            percentile(incremental, 99),
          ],
        ],
      )}\nfirst sync of a new station: ${initial.rows} rows in SQLite in ${result.initial_s} s (${initialRowsPerS} rows/s), ` +
        `first page applied after ${result.first_page_ms} ms; the check: ${result.check_local_ms} ms here, ${result.check_server_ms} ms on the server\n` +
        `touring laptop, one tour (${touring.gigs} gigs): ${touring.rows} rows in SQLite, verified, in ${result.touring_scope_s} s\nlog replay: ${rows} rows in ${result.full_s} s (${result.full_rows_per_s} rows/s)\n`,
    );
    return result;
  } finally {
    await env.db.end();
    await env.stack.stop();
  }
}
