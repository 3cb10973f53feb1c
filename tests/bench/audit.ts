import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StockTakes } from '../../core/audit/stock-take';
import { seededRandom, pick } from '../../core/random';
import { CacheIndex } from '../../core/store/cache-index';
import { SyncEngine } from '../../core/sync/engine';
import { supabaseTransport } from '../../core/sync/supabase-transport';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { DEMO_PASSWORD, ORGS } from '../../scripts/seed/seed';
import { cuttable } from '../helpers/station';
import { nodeSupabaseClient } from '../helpers/supabase-client';
import { seededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

/**
 * A stock-take of the seed's main warehouse on a station with no network (issue 21): the station
 * syncs, the Wi-Fi goes, and an operator walks the shelves — a shelf label, then what is on it —
 * for 2,000 item scans, with now and then an item from another shelf, one out to a gig, a label
 * the system does not know. Each scan is judged from the station's copy and queued in SQLite on
 * disk (scan → feedback); then the audit is closed with adjustments, the network comes back and
 * the queue is sent (close and sync); then the server's report is read (report).
 */
export async function auditBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const scans = 2000;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  const store = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
  const index = new CacheIndex(store);
  try {
    const client = nodeSupabaseClient(env.stack.url, env.stack.anonKey);
    const { error } = await client.auth.signInWithPassword({ email: 'station@northlight.test', password: DEMO_PASSWORD });
    if (error !== null) throw new Error(`the station could not sign in: ${error.message}`);
    const offline = { on: false };
    const transport = cuttable(offline)(supabaseTransport(client, { timeoutMs: 60_000 }));
    const engine = new SyncEngine({ store, transport, clock: systemClock, random: seededRandom(31), newId: randomUUID, batchSize: 200 });
    log('the station syncs the organization…');
    const syncStarted = performance.now();
    await engine.syncNow();
    const firstSyncS = (performance.now() - syncStarted) / 1000;
    await index.warm();

    const [locations, assets] = await Promise.all([index.table('locations'), index.table('assets')]);
    const warehouse = locations.first('code', 'WH1');
    if (warehouse === null) throw new Error('the seed has no main warehouse (WH1)');
    const shelves = [...locations.byId.values()].filter((l) => l.kind === 'shelf' && l.warehouseId === warehouse.id);
    const onShelf = new Map<string, string[]>();
    for (const asset of assets.byId.values()) {
      if (asset.locationId === null || asset.caseId !== null) continue;
      onShelf.set(asset.locationId, [...(onShelf.get(asset.locationId) ?? []), asset.serialNumber]);
    }
    const out = [...assets.byId.values()].filter((a) => a.status === 'checked_out').map((a) => a.serialNumber);
    const everywhere = [...onShelf.values()].flat();
    const random = seededRandom(2026);

    // The walk: shelf by shelf, what is on it, with strays, touring items and unknown labels mixed in.
    const walk: string[] = [];
    let items = 0;
    for (let s = 0; items < scans; s = (s + 1) % shelves.length) {
      const shelf = shelves[s];
      if (shelf === undefined) break;
      walk.push(shelf.code);
      for (const serial of onShelf.get(shelf.id) ?? []) {
        if (items >= scans) break;
        const r = random();
        walk.push(
          r < 0.02 ? pick(random, everywhere) : r < 0.03 ? pick(random, out) : r < 0.04 ? `PRE-${String(items).padStart(6, '0')}` : serial,
        );
        items += 1;
      }
    }

    log(`offline: ${items} item scans and ${walk.length - items} shelf labels into an audit of ${warehouse.name}…`);
    offline.on = true;
    // The station's own stock-take service (what the Stock-take screen and the scanners use): each
    // scan judged, queued and tallied, the tally kept in SQLite too.
    let clock = Date.now();
    const takes = new StockTakes({
      index,
      enqueue: (op) => engine.enqueue(op),
      saved: store.settings.stockTake,
      newId: randomUUID,
      now: () => clock,
      member: () => Promise.resolve({ orgId: ORGS.northlight.id, role: 'station' }),
      duplicateWindowMs: 1500,
      wholeCopy: () => Promise.resolve(true),
    });
    const { auditId: audit } = await takes.start({ placeId: warehouse.id });
    const feedback: number[] = [];
    const kinds: Record<string, number> = {};
    for (const code of walk) {
      // Scans two seconds apart (an operator's pace): none is a scanner's double read.
      clock += 2000;
      const started = performance.now();
      const answer = await takes.scan({ deviceId: 'bench-scanner', code, receivedAt: clock });
      feedback.push(performance.now() - started);
      const kind = answer.message.startsWith('Counting') ? 'place' : (answer.message.split(':')[0] ?? '');
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    await takes.close(true);
    const queued = (await store.stats()).depth;

    log(`the network is back: sending ${queued} queued ops…`);
    offline.on = false;
    const sendStarted = performance.now();
    for (;;) {
      await engine.drain();
      const stats = await store.stats();
      if (stats.depth === 0) break;
      if (stats.depth === stats.held) throw new Error(`the queue holds ${stats.depth} ops it cannot send: ${JSON.stringify(stats)}`);
      if (performance.now() - sendStarted > 600_000) throw new Error('the queue was not sent within 10 minutes');
    }
    const closeAndSyncS = (performance.now() - sendStarted) / 1000;

    const reportStarted = performance.now();
    const { data, error: reportError } = await client.rpc('audit_report', { audit_id: audit });
    const reportMs = performance.now() - reportStarted;
    if (reportError !== null) throw new Error(`audit_report failed: ${reportError.message}`);
    const report = data as { status: string; scans: number; totals: Record<string, number>; lines: unknown[] };
    if (report.status !== 'closed' || report.scans !== items) {
      throw new Error(`the server holds ${report.scans} scans of a ${report.status} audit, ${items} were sent`);
    }
    const { rows: moved } = await env.db.query<{ n: number }>(
      "select count(*)::int as n from public.asset_movements where audit_id = $1 and kind = 'relocate'",
      [audit],
    );

    const result = {
      bench: 'audit',
      scale,
      scans: items,
      shelf_labels: walk.length - items,
      feedback_p50_ms: round(percentile(feedback, 50), 2),
      feedback_p95_ms: round(percentile(feedback, 95), 2),
      feedback_p99_ms: round(percentile(feedback, 99), 2),
      feedback_max_ms: round(Math.max(...feedback), 2),
      queued_ops: queued,
      close_and_sync_s: round(closeAndSyncS, 2),
      report_ms: round(reportMs, 1),
      report_lines: report.lines.length,
      report_totals: report.totals,
      relocated: moved[0]?.n ?? 0,
      first_sync_s: round(firstSyncS, 2),
    };
    process.stdout.write(
      `${table(
        ['step', 'count', 'p50 ms', 'p95 ms', 'p99 ms'],
        [
          [
            'scan → feedback (judged + queued, offline)',
            walk.length,
            percentile(feedback, 50),
            percentile(feedback, 95),
            percentile(feedback, 99),
          ],
        ],
      )}\nlocal judgments: ${JSON.stringify(kinds)}\n` +
        `close and sync: ${queued} ops sent and applied in ${result.close_and_sync_s} s; ${result.relocated} items moved by the adjustments\n` +
        `report: ${report.lines.length} lines in ${result.report_ms} ms, ${JSON.stringify(report.totals)}\n`,
    );
    return result;
  } finally {
    index.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await env.db.end();
    await env.stack.stop();
  }
}
