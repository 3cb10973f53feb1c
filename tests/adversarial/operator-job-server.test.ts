import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheIndex } from '../../core/store/cache-index';
import { MemoryStorage } from '../../core/store/memory-storage';
import { Queue } from '../../core/store/queue';
import { CacheStationViews } from '../../core/store/views';
import type { PullPage } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import { insertAsset, insertCase, insertGig } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { arrangeAttackers, callRpc, dataDigest, type Attackers, type Caller } from './rpc-attackers';

// Outside tester, issue 18, on a real PostgreSQL behind the local stack's REST API: bulk stock,
// accountability and the one count definition attacked by a second company, a removed member,
// racing stations, replays, and tricky plans the builders were not told about.
let stack: TestStack;
let who: Attackers;

interface Result {
  op_id: string;
  status: string;
  code?: string;
  message?: string;
  row?: Record<string, unknown>;
}

let n = 0;
async function bulkItem(orgId: string, inWarehouse: number, spec: { category?: string; consumable?: boolean } = {}): Promise<string> {
  n += 1;
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, consumable, in_warehouse)
     values ($1, $2, $3, $4, 'pcs', $5, $6) returning id`,
    [
      orgId,
      spec.category ?? `Probe cable ${n}`,
      `Probe bulk ${n}`,
      `PROBE-${n}-${randomUUID().slice(0, 4).toUpperCase()}`,
      spec.consumable ?? false,
      inWarehouse,
    ],
  );
  return rows[0]?.id ?? '';
}

async function stock(item: string): Promise<{ inWarehouse: number; out: Record<string, number>; moved: number }> {
  const { rows } = await stack.db.query<{ in_warehouse: number; out: Record<string, number> | null; moved: number }>(
    `select b.in_warehouse,
            (select jsonb_object_agg(s.gig_id, s.quantity) from public.bulk_stock s where s.bulk_item_id = b.id) as out,
            (select count(*)::int from public.bulk_movements m where m.bulk_item_id = b.id) as moved
       from public.bulk_items b where b.id = $1`,
    [item],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no such bulk item');
  return { inWarehouse: row.in_warehouse, out: row.out ?? {}, moved: row.moved };
}

const bulkOp = (action: 'check_out' | 'check_in', payload: Record<string, unknown>, id = randomUUID()): Record<string, unknown> => ({
  id,
  table: 'bulk_items',
  action,
  payload,
  created_at: new Date().toISOString(),
});

async function push(caller: Caller, ops: Record<string, unknown>[], device = 'probe-station'): Promise<Result[]> {
  const answer = await callRpc(stack, caller, 'push_changes', { device_id: device, ops });
  if (answer.status !== 200) throw new Error(`push_changes ${answer.status}: ${answer.text.slice(0, 300)}`);
  return (answer.json as { results: Result[] }).results;
}

beforeAll(async () => {
  stack = await startTestStack();
  who = await arrangeAttackers(stack, 'opjob');
});
afterAll(async () => {
  await stack?.stop();
});

describe('bulk stock under attack', () => {
  it('another company’s admin can neither move nor read our bulk stock (push, pull, REST tables)', async () => {
    const item = await bulkItem(who.a.org.id, 30);
    const station = who.member(who.a, 'station');
    expect((await push(station, [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 4 })]))[0]).toMatchObject({
      status: 'applied',
    });
    const before = await dataDigest(stack);
    const rival = who.member(who.b, 'admin');
    const [out] = await push(rival, [bulkOp('check_out', { id: item, gig_id: who.b.child, quantity: 1 })]);
    const [back] = await push(rival, [bulkOp('check_in', { id: item, gig_id: who.a.child, quantity: 4 })]);
    // To our own gig, with their staff as operator: still not found.
    const [forged] = await push(rival, [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 1, staff_id: who.b.staff })]);
    for (const result of [out, back, forged]) expect(result).toMatchObject({ status: 'rejected', code: 'not_found' });
    expect(await dataDigest(stack)).toEqual(before);
    expect(await stock(item)).toEqual({ inWarehouse: 26, out: { [who.a.child]: 4 }, moved: 1 });

    const pulled = await callRpc(stack, rival, 'pull_changes', { cursor: null, limit: 1000 });
    expect(pulled.status).toBe(200);
    expect(pulled.text).not.toContain(item);
    for (const table of ['bulk_items', 'bulk_stock', 'bulk_movements']) {
      const response = await fetch(`${stack.url}/rest/v1/${table}?select=*`, {
        headers: { apikey: stack.anonKey, Authorization: `Bearer ${rival.token ?? ''}` },
      });
      expect(await response.text(), table).not.toContain(item);
    }
  });

  it('a removed member (JWT still valid) moves no units, and anon and an outsider none either', async () => {
    const item = await bulkItem(who.a.org.id, 10);
    const before = await stock(item);
    for (const caller of [who.removed, who.outsider]) {
      const [result] = await push(caller, [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 2 })]);
      expect(result?.status, caller.label).toBe('rejected');
    }
    const anon = await callRpc(stack, who.anon, 'push_changes', {
      device_id: 'anon',
      ops: [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 2 })],
    });
    expect(anon.status).toBeGreaterThanOrEqual(400);
    expect(await stock(item)).toEqual(before);
  });

  it('a forged operator (another company’s staff) on a bulk op is refused; a crew member’s op without one names their own profile if any', async () => {
    const item = await bulkItem(who.a.org.id, 10);
    const [forged] = await push(who.member(who.a, 'crew'), [
      bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 1, staff_id: who.b.staff }),
    ]);
    expect(forged).toMatchObject({ status: 'rejected', code: 'staff_not_found' });
    for (const bad of [42, ['x'], { id: who.a.staff }, '', 'not-a-uuid']) {
      const [result] = await push(who.member(who.a, 'crew'), [
        bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 1, staff_id: bad }),
      ]);
      expect(result?.status, JSON.stringify(bad)).toBe('rejected');
    }
    expect(await stock(item)).toMatchObject({ inWarehouse: 10, moved: 0 });
  });

  it('twelve racing stations over two gigs: never negative, never more out than owned, every unit accounted for', async () => {
    const owned = 25;
    const item = await bulkItem(who.a.org.id, owned);
    const gigs = [who.a.child, who.a.root];
    const callers = [who.member(who.a, 'station'), who.member(who.a, 'crew'), who.member(who.a, 'manager')];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        push(
          callers[i % callers.length] as Caller,
          [
            bulkOp('check_out', { id: item, gig_id: gigs[i % 2], quantity: 3 }),
            bulkOp('check_in', { id: item, gig_id: gigs[(i + 1) % 2], quantity: 2 }),
            bulkOp('check_out', { id: item, gig_id: gigs[i % 2], quantity: 2 }),
          ],
          `racer-${i}`,
        ),
      ),
    );
    const after = await stock(item);
    const out = Object.values(after.out).reduce((a, b) => a + b, 0);
    expect(after.inWarehouse).toBeGreaterThanOrEqual(0);
    expect(after.inWarehouse + out).toBe(owned);
    for (const q of Object.values(after.out)) expect(q).toBeGreaterThan(0);
    const applied = answers.flat().filter((r) => r.status === 'applied').length;
    expect(after.moved).toBe(applied);
    // Every refusal is a conflict that says why (or an op held behind it in its batch), never an error.
    for (const r of answers.flat())
      expect(['applied', 'conflict', 'retry:held'], JSON.stringify(r)).toContain(r.status === 'retry' ? `retry:${r.code}` : r.status);
    // History agrees with what is out, gig by gig.
    const { rows } = await stack.db.query<{ gig_id: string; net: number }>(
      `select gig_id, sum(case when kind = 'check_out' then quantity else -quantity end)::int as net
         from public.bulk_movements where bulk_item_id = $1 group by gig_id`,
      [item],
    );
    for (const row of rows) expect(after.out[row.gig_id] ?? 0, row.gig_id).toBe(row.net);
  });

  it('a replayed bulk op id with a different quantity answers as the first time and moves nothing more', async () => {
    const item = await bulkItem(who.a.org.id, 40);
    const station = who.member(who.a, 'station');
    const opId = randomUUID();
    const [first] = await push(station, [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 10 }, opId)]);
    expect(first).toMatchObject({ status: 'applied' });
    const [again] = await push(station, [bulkOp('check_out', { id: item, gig_id: who.a.child, quantity: 1 }, opId)]);
    const [backwards] = await push(station, [bulkOp('check_in', { id: item, gig_id: who.a.child, quantity: 10 }, opId)]);
    for (const result of [again, backwards]) expect(result).toMatchObject({ op_id: opId, status: 'applied' });
    expect(await stock(item)).toEqual({ inWarehouse: 30, out: { [who.a.child]: 10 }, moved: 1 });
  });

  it('a consumable: units out, unused ones back, never more back than went out to that gig, none back from another gig', async () => {
    const tape = await bulkItem(who.a.org.id, 12, { consumable: true });
    const station = who.member(who.a, 'station');
    await push(station, [bulkOp('check_out', { id: tape, gig_id: who.a.child, quantity: 5 })]);
    expect((await push(station, [bulkOp('check_in', { id: tape, gig_id: who.a.child, quantity: 2 })]))[0]).toMatchObject({
      status: 'applied',
    });
    expect((await push(station, [bulkOp('check_in', { id: tape, gig_id: who.a.root, quantity: 1 })]))[0]).toMatchObject({
      status: 'conflict',
      code: 'more_than_out',
    });
    expect((await push(station, [bulkOp('check_in', { id: tape, gig_id: who.a.child, quantity: 4 })]))[0]).toMatchObject({
      status: 'conflict',
      code: 'more_than_out',
    });
    expect(await stock(tape)).toEqual({ inWarehouse: 9, out: { [who.a.child]: 3 }, moved: 2 });
  });
});

describe('accountability edges', () => {
  const checkIn = (asset: string, payload: Record<string, unknown>, createdAt?: string): Record<string, unknown> => ({
    id: randomUUID(),
    table: 'assets',
    action: 'check_in',
    payload: { id: asset, ...payload },
    ...(createdAt === undefined ? {} : { created_at: createdAt }),
  });
  async function outAsset(serial: string, caseId: string | null = null): Promise<string> {
    const id = await insertAsset(stack.db, who.a.org.id, serial, { caseId });
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [id, who.a.child]);
    return id;
  }
  const assetState = async (id: string): Promise<string> =>
    (await stack.db.query<{ status: string }>('select status from public.assets where id = $1', [id])).rows[0]?.status ?? 'gone';

  it('a note of exactly 500 characters (multi-byte) is kept; 501 is refused on an item and on an item of a case', async () => {
    const station = who.member(who.a, 'station');
    const ok = await outAsset(`NOTE-OK-${n++}`);
    const note = 'ü'.repeat(500);
    expect((await push(station, [checkIn(ok, { condition: 'damaged', note })]))[0]).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ note: string }>(
      "select note from public.asset_movements where asset_id = $1 and kind = 'check_in'",
      [ok],
    );
    expect(rows[0]?.note).toBe(note);
    const long = await outAsset(`NOTE-LONG-${n++}`);
    expect((await push(station, [checkIn(long, { condition: 'damaged', note: 'x'.repeat(501) })]))[0]).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
    });
    expect(await assetState(long)).toBe('checked_out');
    const box = await insertCase(stack.db, who.a.org.id, `NOTE-CASE-${n++}`);
    const inBox = await outAsset(`NOTE-IN-${n++}`, box);
    const [boxed] = await push(station, [
      {
        id: randomUUID(),
        table: 'cases',
        action: 'check_in',
        payload: { id: box, items: [{ asset_id: inBox, condition: 'damaged', note: 'y'.repeat(501) }] },
      },
    ]);
    expect(boxed).toMatchObject({ status: 'rejected', code: 'invalid_field' });
    expect(await assetState(inBox)).toBe('checked_out');
  });

  it('a case check-in naming an item not in the case (another case’s, another company’s, the case itself, a nested item twice) is refused and moves nothing', async () => {
    const station = who.member(who.a, 'station');
    const box = await insertCase(stack.db, who.a.org.id, `ITEMS-CASE-${n++}`);
    const inner = await insertCase(stack.db, who.a.org.id, `ITEMS-INNER-${n++}`, box);
    const one = await outAsset(`ITEMS-1-${n++}`, box);
    const nested = await outAsset(`ITEMS-2-${n++}`, inner);
    const elsewhere = await outAsset(`ITEMS-3-${n++}`);
    const caseIn = (items: unknown): Record<string, unknown> => ({
      id: randomUUID(),
      table: 'cases',
      action: 'check_in',
      payload: { id: box, condition: 'ok', items },
    });
    for (const items of [
      [{ asset_id: elsewhere, condition: 'damaged' }],
      [{ asset_id: who.b.inBox, condition: 'damaged' }],
      [{ asset_id: box, condition: 'damaged' }],
      [
        { asset_id: nested, condition: 'damaged' },
        { asset_id: nested, condition: 'ok' },
      ],
      [{ asset_id: one, condition: 'broken' }],
      [{ asset_id: one }],
      { [one]: 'damaged' },
    ]) {
      const [result] = await push(station, [caseIn(items)]);
      expect(result, JSON.stringify(items)).toMatchObject({ status: 'rejected', code: 'invalid_field' });
      expect(result?.message ?? '').not.toContain('SECRET-B');
    }
    for (const id of [one, nested, elsewhere]) expect(await assetState(id)).toBe('checked_out');
    // An item of a nested case is an item of the case: it comes back with its own condition.
    const [result] = await push(station, [caseIn([{ asset_id: nested, condition: 'damaged', note: 'connector bent' }])]);
    expect(result).toMatchObject({ status: 'applied' });
    expect(await assetState(nested)).toBe('quarantined');
    expect(await assetState(one)).toBe('available');
  });

  it('a scan time far ahead is recorded as now; a scan time that is not a timestamp is refused and moves nothing', async () => {
    const station = who.member(who.a, 'station');
    const ahead = await outAsset(`TIME-AHEAD-${n++}`);
    const before = Date.now();
    expect((await push(station, [checkIn(ahead, {}, '2999-01-01T00:00:00Z')]))[0]).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ occurred_at: Date }>(
      "select occurred_at from public.asset_movements where asset_id = $1 and kind = 'check_in'",
      [ahead],
    );
    expect(rows[0]?.occurred_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(rows[0]?.occurred_at.getTime()).toBeGreaterThanOrEqual(before - 60_000);
    for (const bad of ['yesterday-ish', '2027-13-45T00:00:00Z', '']) {
      const asset = await outAsset(`TIME-BAD-${n++}`);
      const [result] = await push(station, [checkIn(asset, {}, bad)]);
      expect(result, bad).toMatchObject({ status: 'rejected', code: 'invalid_field' });
      expect(await assetState(asset)).toBe('checked_out');
    }
  });
});

describe('one count definition on tricky data: the server’s roll-up and the station’s pick list agree', () => {
  it('an item both named and in a planned case, a nested case, a deleted item, the same bulk category twice, units over a line, an unplanned item of a bulk category', async () => {
    const org = who.a.org.id;
    const gig = await insertGig(stack.db, org, { name: 'Counting Day', status: 'confirmed' });
    const other = await insertGig(stack.db, org, { name: 'Other Day', status: 'confirmed' });
    const box = await insertCase(stack.db, org, `CNT-BOX-${n++}`);
    const inner = await insertCase(stack.db, org, `CNT-INNER-${n++}`, box);
    const named = await insertAsset(stack.db, org, `CNT-NAMED-${n++}`, { caseId: box });
    const deep = await insertAsset(stack.db, org, `CNT-DEEP-${n++}`, { caseId: inner });
    const gone = await insertAsset(stack.db, org, `CNT-GONE-${n++}`, { caseId: box });
    const loose = await insertAsset(stack.db, org, `CNT-LOOSE-${n++}`, { category: 'Count XLR' });
    const wanderer = await insertAsset(stack.db, org, `CNT-WANDER-${n++}`);
    const xlr = await bulkItem(org, 50, { category: 'Count XLR' });
    const kit = async (columns: string, values: unknown[]): Promise<void> => {
      const marks = values.map((_, i) => `$${i + 3}`).join(', ');
      await stack.db.query(`insert into public.kit_assignments (org_id, gig_id, ${columns}) values ($1, $2, ${marks})`, [
        org,
        gig,
        ...values,
      ]);
    };
    await kit('case_id', [box]);
    await kit('asset_id', [named]); // also in the planned case: planned once
    await kit('asset_id', [named]); // a second line for the same item: still once
    await kit('asset_id', [wanderer]); // planned here, out elsewhere: missing
    await kit('category, quantity', ['Count XLR', 4]);
    await kit('category, quantity', ['Count XLR', 3]); // the same category twice: 7
    // Out: the named item and the deep one (in the case), the deleted one, a loose XLR item, 9 bulk units (7 fill, 1+2 extra).
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = any ($1::uuid[])", [
      [named, deep, gone, loose],
      gig,
    ]);
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [wanderer, other]);
    await stack.db.query('update public.assets set deleted_at = now() where id = $1', [gone]);
    const station = who.member(who.a, 'station');
    expect((await push(station, [bulkOp('check_out', { id: xlr, gig_id: gig, quantity: 9 })]))[0]).toMatchObject({ status: 'applied' });

    // planned: named, deep, wanderer (3 distinct live items) + 7 units = 10
    // scanned: named, deep (2) + min(7, loose 1 + bulk 9) = 9; extra: 10 - 7 = 3; missing: 1 (the wanderer)
    const expected = { planned: 10, scanned: 9, missing: 1, extra: 3 };
    const { rows } = await stack.db.query<{ planned: string; scanned: string; missing: string; extra: string }>(
      'select planned, scanned, missing, extra from app.gig_asset_counts(array[$1]::uuid[])',
      [gig],
    );
    const server = rows[0];
    expect(
      server && {
        planned: Number(server.planned),
        scanned: Number(server.scanned),
        missing: Number(server.missing),
        extra: Number(server.extra),
      },
    ).toEqual(expected);

    // The station's pick list over what it pulled (the real pull, the real cache views).
    const queue = new Queue(new MemoryStorage(), { newId: randomUUID, clock: () => Date.now(), devicePrefix: 'probe-' });
    let cursor: string | null = null;
    for (;;) {
      const page = await callRpc(stack, station, 'pull_changes', { cursor, limit: 1000 });
      expect(page.status).toBe(200);
      const body = page.json as PullPage;
      await queue.applyPull(body, rebase);
      cursor = body.cursor;
      if (!body.has_more) break;
    }
    const list = await new CacheStationViews(new CacheIndex(queue), queue).pickList(gig);
    expect(list.totals).toEqual(expected);
    const hierarchy = await callRpc(stack, station, 'get_gig_hierarchy', { root_gig_id: gig });
    expect(hierarchy.json).toMatchObject({ counts: { assets_planned: 10, scanned: 9, missing: 1, extra: 3, assets_checked_out: 12 } });
  });
});
