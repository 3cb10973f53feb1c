import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import type { PullPage, PushResult } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import { TransportError, type SyncTransport, type WireOp } from '../../core/sync/transport';
import { createOrg, insertGig, waitFor, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { drainUntilSettled, openStation, type Station } from '../helpers/station';

// The engine and the SQLite store against the real local stack: faults, poison, conflicts.
let stack: TestStack;
let org: Org;
let gig: string;
const dir = mkdtempSync(join(tmpdir(), 'sync-backend-'));

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'tour');
  gig = await insertGig(stack.db, org.id, { name: 'Arena show', status: 'confirmed' });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function assets(count: number, prefix: string): Promise<string[]> {
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.assets (org_id, serial_number, name, category)
     select $1, $2 || '-' || g, 'Cable drum ' || g, 'Power' from generate_series(1, $3) g returning id`,
    [org.id, prefix, count],
  );
  return rows.map((r) => r.id);
}

function station(name: string, who: keyof Org['members'] = 'station', wrap?: (t: SyncTransport) => SyncTransport): Promise<Station> {
  const member = org.members[who];
  return openStation({
    url: stack.url,
    anonKey: stack.anonKey,
    email: member.email,
    password: member.password,
    dbPath: join(dir, `${name}.sqlite`),
    batchSize: 10,
    ...(wrap === undefined ? {} : { wrap }),
  });
}

/** Each queued op must have left exactly one movement (check-out or check-in) on the server. */
async function movementsPerOp(opIds: string[]): Promise<Map<string, number>> {
  const { rows } = await stack.db.query<{ client_op_id: string; n: number }>(
    "select client_op_id, count(*)::int as n from public.asset_movements where client_op_id = any($1) and kind in ('check_out', 'check_in') group by 1",
    [opIds],
  );
  return new Map(rows.map((r) => [r.client_op_id, r.n]));
}

/** Fails 30% of calls: 5xx or timeouts before the server sees them, dropped connections after it committed. */
function faulty(random: () => number, log: string[]): (inner: SyncTransport) => SyncTransport {
  return (inner) => ({
    async push(device: string, ops: WireOp[]): Promise<PushResult[]> {
      const roll = random();
      if (roll < 0.1) {
        log.push('503 before');
        throw new TransportError('server', '503 Service Unavailable', 503);
      }
      if (roll < 0.2) {
        log.push('timeout before');
        throw new TransportError('timeout', 'push_changes took longer than 10000 ms');
      }
      const results = await inner.push(device, ops);
      if (roll < 0.3) {
        log.push('dropped after commit');
        throw new TransportError('network', 'socket hang up');
      }
      return results;
    },
    async pull(cursor: string | null, limit: number): Promise<PullPage> {
      if (random() < 0.3) throw new TransportError('server', '502 Bad Gateway', 502);
      return inner.pull(cursor, limit);
    },
    refreshSession: () => inner.refreshSession(),
  });
}

describe('sync against the local stack', () => {
  it('applies every op exactly once while 30% of calls fail, some after the server committed', async () => {
    const ids = await assets(150, 'FAULT');
    const log: string[] = [];
    const s = await station('faulty', 'station', faulty(seededRandom(30), log));
    const opIds: string[] = [];
    for (const id of ids) {
      opIds.push((await s.engine.enqueue({ table: 'assets', action: 'check_out', payload: { id, gig_id: gig }, base_version: 1 })).id);
      opIds.push((await s.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id, condition: 'ok' } })).id);
    }
    await drainUntilSettled(s);
    expect(log.filter((l) => l === 'dropped after commit').length).toBeGreaterThan(0);
    expect(log.filter((l) => l !== 'dropped after commit').length).toBeGreaterThan(0);
    const counts = await movementsPerOp(opIds);
    expect(counts.size).toBe(opIds.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await s.store.stats()).toMatchObject({ depth: 0, conflicts: 0, quarantined: 0 });
    s.store.close();
  });

  it('quarantines one poison op in 1,000 with the server’s reason, holds its entity, and applies the rest', async () => {
    const ids = await assets(1000, 'POISON');
    const s = await station('poison');
    const opIds: string[] = [];
    const poisonAsset = ids[500] ?? '';
    for (const [index, id] of ids.entries()) {
      const gigId = index === 500 ? randomUUID() : gig;
      opIds.push((await s.engine.enqueue({ table: 'assets', action: 'check_out', payload: { id, gig_id: gigId }, base_version: 1 })).id);
    }
    const heldOp = await s.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: poisonAsset } });
    await drainUntilSettled(s);

    const counts = await movementsPerOp(opIds);
    expect(counts.size).toBe(999);
    const quarantined = await s.store.quarantined();
    expect(quarantined.map((q) => [q.op.id, q.code])).toEqual([[opIds[500], 'not_found']]);
    expect(quarantined[0]?.message).toMatch(/^gig [0-9a-f-]+ not found$/);
    expect((await s.store.listQueue(5)).map((op) => op.id)).toEqual([heldOp.id]);
    expect(await s.store.stats()).toMatchObject({ depth: 1, held: 1, quarantined: 1 });

    // Pulls are not held up by the poisoned entity.
    await s.engine.pull();
    expect(await s.store.getCached('assets', ids[0] ?? '')).toMatchObject({ status: 'checked_out', current_gig_id: gig });
    expect(await s.store.getCached('gigs', gig)).toMatchObject({ name: 'Arena show' });
    s.store.close();
  });

  it('answers replay_expired for an op older than the pruning watermark, and applies the operator’s retry once, as of now', async () => {
    const [asset = ''] = await assets(1, 'EXPIRED');
    const s = await station('expired');
    const day = 86_400_000;
    // Scanned 40 days ago on a station that has been off since; the server forgets ops after 30 days.
    const old = await s.store.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: asset, gig_id: gig }, base_version: 1 },
      { id: randomUUID(), now: Date.now() - 40 * day },
    );
    await stack.db.query('select app.prune_sync_ops($1::timestamptz)', [new Date(Date.now() - 30 * day).toISOString()]);
    await drainUntilSettled(s);
    const [entry] = await s.store.quarantined();
    expect(entry).toMatchObject({ id: old.id, code: 'replay_expired' });
    expect((await movementsPerOp([old.id])).size).toBe(0);

    // Retried, again and again (a drain after each): one movement, under a new op id, dated now.
    const retriedAt = Date.now();
    await s.engine.retryQuarantined(old.id);
    await drainUntilSettled(s);
    await s.store.recoverInFlight();
    await drainUntilSettled(s);
    expect(await s.store.stats()).toMatchObject({ depth: 0, quarantined: 0 });
    const { rows } = await stack.db.query<{ client_op_id: string; occurred_at: Date }>(
      "select client_op_id::text, occurred_at from public.asset_movements where asset_id = $1 and kind = 'check_out'",
      [asset],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.client_op_id).not.toBe(old.id);
    expect(rows[0]?.occurred_at.getTime()).toBeGreaterThanOrEqual(retriedAt - 1000);
    expect(await s.store.getCached('assets', asset)).toMatchObject({ status: 'checked_out', current_gig_id: gig });
    s.store.close();
  });

  /**
   * Pulls until a row committed by the test is in the station's copy. A pull is commit-safe: it
   * stops below the oldest transaction still open anywhere (the local stack's own background work
   * too), so a row committed a moment ago may come with the next pull, not this one.
   */
  async function pullUntilCached(s: Station, gigId: string): Promise<void> {
    await waitFor(
      async () => {
        await s.engine.pull();
        return (await s.store.getCached('gigs', gigId)) !== null;
      },
      30_000,
      `gig ${gigId} pulled`,
    );
  }

  it("pulls from the start when the server refuses a cursor past its change log (a restore of an older backup), once, and ends with the server's rows and no error", async () => {
    const [asset = ''] = await assets(1, 'RESTORED');
    const renamed = await insertGig(stack.db, org.id, { name: 'Main Stage Friday' });
    const s = await station('restored');
    await pullUntilCached(s, renamed);
    expect(await s.store.getCached('gigs', renamed)).toMatchObject({ name: 'Main Stage Friday' });
    // The station kept a position the server never reached: its log is behind what the station saw.
    const { rows: now } = await stack.db.query<{ txid: string }>('select pg_current_xact_id()::text as txid');
    const ahead = `${BigInt(now[0]?.txid ?? '0') + 1_000_000n}:0`;
    await s.store.applyPull({ changes: {}, tombstones: [], cursor: ahead, has_more: false }, rebase);
    // Meanwhile the server changes: a rename and a deletion the station has not seen.
    await stack.db.query("update public.gigs set name = 'Main Stage Saturday', version = version + 1 where id = $1", [renamed]);
    await stack.db.query('update public.assets set deleted_at = now(), version = version + 1 where id = $1', [asset]);
    const queued = await s.engine.enqueue({
      table: 'gigs',
      action: 'update',
      payload: { id: renamed, fields: { notes: 'doors 19:00' } },
      base_version: null,
    });
    const calls: (string | null)[] = [];
    const spied = s.transport.pull.bind(s.transport);
    s.transport.pull = (cursor, limit) => {
      calls.push(cursor);
      return spied(cursor, limit);
    };

    await s.engine.pull();
    expect(calls.slice(0, 2)).toEqual([ahead, null]);
    expect((await s.engine.status()).lastError).toBeNull();
    expect(await s.store.cursor()).not.toBe(ahead);
    expect(await s.store.getCached('gigs', renamed)).toMatchObject({ name: 'Main Stage Saturday', notes: 'doors 19:00' });
    expect(await s.store.getCached('assets', asset)).toBeNull();
    expect((await s.store.listQueue(5)).map((op) => op.id)).toEqual([queued.id]);
    s.store.close();
  });

  it('gives one of two offline stations the status change and the other a conflict, resolved either way', async () => {
    const contested = await insertGig(stack.db, org.id, { name: 'Contested load-in' });
    const a = await station('conflict-a', 'manager');
    const b = await station('conflict-b', 'admin');
    await pullUntilCached(a, contested);
    await pullUntilCached(b, contested);
    const base = (await a.store.getCached('gigs', contested))?.['version'] as number;
    expect(base).toBe(1);

    await a.engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: contested, to: 'confirmed' }, base_version: base });
    await b.engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: contested, to: 'cancelled' }, base_version: base });
    expect(await b.store.getCached('gigs', contested)).toMatchObject({ status: 'cancelled' });
    await drainUntilSettled(a);
    await drainUntilSettled(b);

    const [conflict] = await b.store.conflicts();
    expect(conflict).toMatchObject({ changedFields: ['status'], serverRow: { status: 'confirmed', version: 2 } });
    expect(await b.store.getCached('gigs', contested)).toMatchObject({ status: 'confirmed', version: 2 });

    // Keep local: re-issued against the server's version, it applies.
    await b.engine.resolveConflict(conflict?.id ?? '', 'keep_local');
    await drainUntilSettled(b);
    const server = await stack.db.query<{ status: string; version: number }>('select status, version from public.gigs where id = $1', [
      contested,
    ]);
    expect(server.rows[0]).toEqual({ status: 'cancelled', version: 3 });
    expect(await b.store.stats()).toMatchObject({ depth: 0, conflicts: 0 });

    // Use server: the local change is dropped and the station shows the server's row.
    const second = await insertGig(stack.db, org.id, { name: 'Contested get-out' });
    await a.engine.pull();
    await b.engine.pull();
    await a.engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: second, to: 'confirmed' }, base_version: 1 });
    await b.engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: second, to: 'cancelled' }, base_version: 1 });
    await drainUntilSettled(a);
    await drainUntilSettled(b);
    const [again] = await b.store.conflicts();
    expect(again?.op.payload).toMatchObject({ id: second, to: 'cancelled' });
    await b.engine.resolveConflicts([again?.id ?? ''], 'use_server');
    expect(await b.store.conflicts()).toEqual([]);
    expect(await b.store.stats()).toMatchObject({ depth: 0 });
    expect(await b.store.getCached('gigs', second)).toMatchObject({ status: 'confirmed', version: 2 });
    const after = await stack.db.query<{ status: string }>('select status from public.gigs where id = $1', [second]);
    expect(after.rows[0]?.status).toBe('confirmed');
    a.store.close();
    b.store.close();
  });
});
