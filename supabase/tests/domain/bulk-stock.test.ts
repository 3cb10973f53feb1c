import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertGig, type MemberRole, type Org } from '../../../tests/helpers/domain';
import { startFaultingProxy } from '../../../tests/helpers/faulting-proxy';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { pullToCurrent } from '../../../tests/helpers/pull';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// Bulk stock (issue 18, "Quantities"): bulk_items.check_out / check_in through push_changes as
// real members. Quantities are judged under a lock on the item: more than the warehouse holds (or
// more than is out to the gig) is a conflict that states what is there, and changes nothing.
let stack: TestStack;
let org: Org;
let rival: Org;
let gig: string;

interface Result {
  op_id: string;
  status: string;
  code?: string;
  message?: string;
  row?: Record<string, unknown>;
  available?: number;
  changed_fields?: string[];
}

interface BulkState {
  inWarehouse: number;
  outTo: Record<string, number>;
  movements: number;
}

let barcodeN = 0;
async function insertBulk(orgId: string, spec: { category?: string; inWarehouse?: number; consumable?: boolean } = {}): Promise<string> {
  barcodeN += 1;
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, consumable, in_warehouse)
     values ($1, $2, $3, $4, 'pcs', $5, $6) returning id`,
    [
      orgId,
      spec.category ?? `Cable ${barcodeN}`,
      `Bulk ${barcodeN}`,
      `BLK-${barcodeN}-${randomUUID().slice(0, 4).toUpperCase()}`,
      spec.consumable ?? false,
      spec.inWarehouse ?? 20,
    ],
  );
  return rows[0]?.id ?? '';
}

async function state(item: string): Promise<BulkState> {
  const { rows } = await stack.db.query<{ row: { in_warehouse: number; out_to: Record<string, number> }; movements: number }>(
    `select app.bulk_item_json(b) as row, (select count(*)::int from public.bulk_movements m where m.bulk_item_id = b.id) as movements
       from public.bulk_items b where b.id = $1`,
    [item],
  );
  const found = rows[0];
  if (found === undefined) throw new Error(`no bulk item ${item}`);
  return { inWarehouse: found.row.in_warehouse, outTo: found.row.out_to, movements: found.movements };
}

const op = (action: 'check_out' | 'check_in', payload: Record<string, unknown>, id: string = randomUUID()): Record<string, unknown> => ({
  id,
  table: 'bulk_items',
  action,
  payload,
  created_at: new Date().toISOString(),
});

async function push(
  ops: Record<string, unknown>[],
  who: MemberRole = 'station',
  member: Org = org,
  device = 'bulk-station',
): Promise<Result[]> {
  const { data, error } = await member.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'bulk');
  rival = await createOrg(stack, 'bulk-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Main Stage Day 2', status: 'confirmed' });
});
afterAll(async () => {
  await stack?.stop();
});

describe('bulk check-out and check-in by quantity', () => {
  it('takes N out of the warehouse to the gig and brings M back, one movement each, the row showing where they are', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 40 });
    const [out] = await push([op('check_out', { id: item, gig_id: gig, quantity: 12 })]);
    expect(out, JSON.stringify(out)).toMatchObject({ status: 'applied' });
    expect(out?.row).toMatchObject({ id: item, in_warehouse: 28, out_to: { [gig]: 12 }, version: 2 });
    const [back] = await push([op('check_in', { id: item, gig_id: gig, quantity: 5 })]);
    expect(back?.row).toMatchObject({ in_warehouse: 33, out_to: { [gig]: 7 } });
    const [rest] = await push([op('check_in', { id: item, gig_id: gig, quantity: 7 })]);
    expect(rest?.row).toMatchObject({ in_warehouse: 40, out_to: {} });
    expect(await state(item)).toEqual({ inWarehouse: 40, outTo: {}, movements: 3 });
    const { rows } = await stack.db.query<{ kind: string; quantity: number; device_id: string }>(
      'select kind, quantity, device_id from public.bulk_movements where bulk_item_id = $1 order by id',
      [item],
    );
    expect(rows).toEqual([
      { kind: 'check_out', quantity: 12, device_id: 'bulk-station' },
      { kind: 'check_in', quantity: 5, device_id: 'bulk-station' },
      { kind: 'check_in', quantity: 7, device_id: 'bulk-station' },
    ]);
  });

  it('attack: more than the warehouse holds is a conflict that states the available quantity, and changes nothing', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 8 });
    const [result] = await push([op('check_out', { id: item, gig_id: gig, quantity: 9 })]);
    expect(result).toMatchObject({ status: 'conflict', code: 'insufficient_stock', available: 8, changed_fields: ['in_warehouse'] });
    expect(result?.message).toMatch(/only 8 pcs of Bulk \d+ in the warehouse, 9 asked/);
    expect(await state(item)).toEqual({ inWarehouse: 8, outTo: {}, movements: 0 });
  });

  it('attack: returning more than is out to the gig is a conflict that states what is out, and changes nothing', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    await push([op('check_out', { id: item, gig_id: gig, quantity: 3 })]);
    const [result] = await push([op('check_in', { id: item, gig_id: gig, quantity: 4 })]);
    expect(result).toMatchObject({ status: 'conflict', code: 'more_than_out', available: 3 });
    expect(result?.message).toBe(`only 3 pcs of ${String(result?.row?.['name'])} are out to Main Stage Day 2, 4 returned`);
    const other = await insertGig(stack.db, org.id, { name: 'Club night', status: 'confirmed' });
    const [elsewhere] = await push([op('check_in', { id: item, gig_id: other, quantity: 1 })]);
    expect(elsewhere).toMatchObject({ status: 'conflict', code: 'more_than_out', available: 0 });
    expect(await state(item)).toEqual({ inWarehouse: 7, outTo: { [gig]: 3 }, movements: 1 });
  });

  it('attack: two stations racing for the last units: one gets them, the other a conflict', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    const [a, b] = await Promise.all([
      push([op('check_out', { id: item, gig_id: gig, quantity: 7 })], 'station', org, 'dock-a'),
      push([op('check_out', { id: item, gig_id: gig, quantity: 7 })], 'crew', org, 'phone-b'),
    ]);
    expect([a?.[0]?.status, b?.[0]?.status].sort()).toEqual(['applied', 'conflict']);
    expect(await state(item)).toEqual({ inWarehouse: 3, outTo: { [gig]: 7 }, movements: 1 });
  });

  it('consumables go out without being expected back; unused units come back as a return, bounded by what went out', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 50, consumable: true, category: 'Gaffer tape' });
    const [out] = await push([op('check_out', { id: item, gig_id: gig, quantity: 10 })], 'crew');
    expect(out?.row).toMatchObject({ consumable: true, in_warehouse: 40, out_to: { [gig]: 10 } });
    const [back] = await push([op('check_in', { id: item, gig_id: gig, quantity: 4 })], 'crew');
    expect(back).toMatchObject({ status: 'applied' });
    const [over] = await push([op('check_in', { id: item, gig_id: gig, quantity: 7 })], 'crew');
    expect(over).toMatchObject({ status: 'conflict', code: 'more_than_out', available: 6 });
    expect(await state(item)).toEqual({ inWarehouse: 44, outTo: { [gig]: 6 }, movements: 2 });
  });

  it.each([
    ['zero', 0],
    ['negative', -3],
    ['a fraction', 1.5],
    ['a string', '10'],
    ['over 100000', 100001],
    ['missing', undefined],
  ])('attack: a quantity that is %s is refused with invalid_quantity and changes nothing', async (_what, quantity) => {
    const item = await insertBulk(org.id, { inWarehouse: 200000 });
    const [result] = await push([op('check_out', { id: item, gig_id: gig, quantity })]);
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_quantity' });
    expect(result?.message).toMatch(/^payload\.quantity must be a whole number from 1 to 100000, got /);
    expect(await state(item)).toEqual({ inWarehouse: 200000, outTo: {}, movements: 0 });
  });

  it('a closed gig takes nothing out (gig_closed) but can still take returns', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    const closing = await insertGig(stack.db, org.id, { name: 'Closing night', status: 'in_progress' });
    await push([op('check_out', { id: item, gig_id: closing, quantity: 4 })]);
    await stack.db.query("update public.gigs set status = 'completed' where id = $1", [closing]);
    const [refused] = await push([op('check_out', { id: item, gig_id: closing, quantity: 1 })]);
    expect(refused).toMatchObject({ status: 'rejected', code: 'gig_closed', message: 'gig Closing night is completed' });
    const [back] = await push([op('check_in', { id: item, gig_id: closing, quantity: 4 })]);
    expect(back).toMatchObject({ status: 'applied' });
    expect(await state(item)).toEqual({ inWarehouse: 10, outTo: {}, movements: 2 });
  });
});

describe('isolation, roles and replays', () => {
  it('attack: another company’s bulk item is not found (as if absent), and nothing changes', async () => {
    const theirs = await insertBulk(rival.id, { inWarehouse: 30 });
    const [result] = await push([op('check_out', { id: theirs, gig_id: gig, quantity: 1 })]);
    expect(result).toMatchObject({ status: 'rejected', code: 'not_found', message: `bulk item ${theirs} not found` });
    const [absent] = await push([op('check_out', { id: randomUUID(), gig_id: gig, quantity: 1 })]);
    expect(absent).toMatchObject({ status: 'rejected', code: 'not_found' });
    expect(await state(theirs)).toEqual({ inWarehouse: 30, outTo: {}, movements: 0 });
  });

  it('attack: my bulk item cannot go out to another company’s gig', async () => {
    const mine = await insertBulk(org.id, { inWarehouse: 30 });
    const theirGig = await insertGig(stack.db, rival.id, { name: 'Rival gig', status: 'confirmed' });
    const [result] = await push([op('check_out', { id: mine, gig_id: theirGig, quantity: 1 })]);
    expect(result).toMatchObject({ status: 'rejected', code: 'not_found', message: `gig ${theirGig} not found` });
    expect(await state(mine)).toEqual({ inWarehouse: 30, outTo: {}, movements: 0 });
  });

  it('another company’s bulk items are never pulled; mine are, with what is out where', async () => {
    const mine = await insertBulk(org.id, { inWarehouse: 9 });
    const theirs = await insertBulk(rival.id, { inWarehouse: 9 });
    await push([op('check_out', { id: mine, gig_id: gig, quantity: 2 })]);
    const pulled = (await pullToCurrent(org.members.crew, null)).changes['bulk_items'] ?? [];
    const ids = pulled.map((row) => row['id']);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    expect(pulled.filter((row) => row['id'] === mine).at(-1)).toMatchObject({ in_warehouse: 7, out_to: { [gig]: 2 } });
  });

  it('a replayed op answers as the first time and applies once', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    const once = op('check_out', { id: item, gig_id: gig, quantity: 4 });
    const [first] = await push([once]);
    const [again] = await push([once]);
    expect(again).toEqual(first);
    expect(await state(item)).toEqual({ inWarehouse: 6, outTo: { [gig]: 4 }, movements: 1 });
  });

  it('attack: the network drops the answer after the commit; the retry applies nothing twice', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    // rate 1 and a draw of 0.6 pick drop_after_commit (the third of four fault kinds) every time.
    const proxy = await startFaultingProxy({
      upstream: stack.url,
      random: () => 0.6,
      rate: 1,
      holdMs: 0,
      match: (_m, path) => path.includes('push_changes'),
    });
    try {
      const client = nodeSupabaseClient(proxy.url, stack.anonKey);
      const signedIn = await client.auth.signInWithPassword({ email: org.members.station.email, password: org.members.station.password });
      expect(signedIn.error).toBeNull();
      const once = op('check_out', { id: item, gig_id: gig, quantity: 6 });
      proxy.faulting = true;
      const lost = await client.rpc('push_changes', { device_id: 'flaky-dock', ops: [once] }).then(
        (answer) => answer.error,
        (error: unknown) => error,
      );
      expect(lost).not.toBeNull();
      expect(proxy.counts.drop_after_commit).toBe(1);
      expect(await state(item)).toEqual({ inWarehouse: 4, outTo: { [gig]: 6 }, movements: 1 });
      proxy.faulting = false;
      const retried = await client.rpc('push_changes', { device_id: 'flaky-dock', ops: [once] });
      expect(retried.error).toBeNull();
      expect((retried.data as { results: Result[] }).results[0]).toMatchObject({ status: 'applied', row: { in_warehouse: 4 } });
      expect(await state(item)).toEqual({ inWarehouse: 4, outTo: { [gig]: 6 }, movements: 1 });
    } finally {
      await proxy.stop();
    }
  });

  it('attack: a member without a role for it (none) cannot move stock; a station and crew can', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 5 });
    const outsider = nodeSupabaseClient(stack.url, stack.anonKey);
    const email = `outsider.${randomUUID().slice(0, 6)}@example.com`;
    await stack.createUser(email, 'pw-outsider-secret');
    await outsider.auth.signInWithPassword({ email, password: 'pw-outsider-secret' });
    const { data } = await outsider.rpc('push_changes', {
      device_id: 'outsider',
      ops: [op('check_out', { id: item, gig_id: gig, quantity: 1 })],
    });
    expect((data as { results: Result[] }).results[0]).toMatchObject({ status: 'rejected', code: 'not_a_member' });
    const [byCrew] = await push([op('check_out', { id: item, gig_id: gig, quantity: 1 })], 'crew');
    expect(byCrew).toMatchObject({ status: 'applied' });
    expect(await state(item)).toMatchObject({ inWarehouse: 4, movements: 1 });
  });
});

describe('a batch mixing bulk and asset scans', () => {
  it('applies each in order: assets on the set-based path, bulk op by op, a duplicate op id refused', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 10 });
    const { rows } = await stack.db.query<{ id: string }>(
      `insert into public.assets (org_id, serial_number, name, category) values ($1, $2, 'Speaker', 'Audio'), ($1, $3, 'Speaker', 'Audio') returning id`,
      [org.id, `MIX-${randomUUID().slice(0, 6)}`, `MIX-${randomUUID().slice(0, 6)}`],
    );
    const [a, b] = rows.map((r) => r.id);
    const twice = randomUUID();
    const results = await push([
      { id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: a, gig_id: gig }, base_version: 1 },
      op('check_out', { id: item, gig_id: gig, quantity: 4 }, twice),
      { id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: b, gig_id: gig }, base_version: 1 },
      { id: twice, table: 'assets', action: 'check_in', payload: { id: a, condition: 'ok' } },
    ]);
    expect(results.map((r) => [r.status, r.code ?? null])).toEqual([
      ['applied', null],
      ['applied', null],
      ['applied', null],
      ['rejected', 'duplicate_op'],
    ]);
    expect(await state(item)).toEqual({ inWarehouse: 6, outTo: { [gig]: 4 }, movements: 1 });
    const out = await stack.db.query('select count(*)::int as n from public.assets where id = any($1) and current_gig_id = $2', [
      [a, b],
      gig,
    ]);
    expect(out.rows[0]).toEqual({ n: 2 });
  });
});

describe('roll-ups count units', () => {
  it('a bulk line is filled by the units out to the gig; units beyond it are extra; returns count units', async () => {
    const item = await insertBulk(org.id, { inWarehouse: 100, category: 'Cable ramp' });
    const show = await insertGig(stack.db, org.id, { name: 'Ramp show', status: 'confirmed' });
    await stack.db.query("insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, 'Cable ramp', 10)", [
      org.id,
      show,
    ]);
    const counts = async (): Promise<Record<string, number>> => {
      const { data, error } = await org.members.crew.client.rpc('get_gig_hierarchy', { root_gig_id: show });
      expect(error).toBeNull();
      return (data as { counts: Record<string, number> }).counts;
    };
    expect(await counts()).toMatchObject({ assets_planned: 10, scanned: 0, missing: 10, extra: 0, assets_checked_out: 0 });
    await push([op('check_out', { id: item, gig_id: show, quantity: 6 })]);
    expect(await counts()).toMatchObject({ assets_planned: 10, scanned: 6, missing: 4, extra: 0, assets_checked_out: 6 });
    await push([op('check_out', { id: item, gig_id: show, quantity: 7 })]);
    expect(await counts()).toMatchObject({ assets_planned: 10, scanned: 10, missing: 0, extra: 3, assets_checked_out: 13 });
    await push([op('check_in', { id: item, gig_id: show, quantity: 13 })]);
    expect(await counts()).toMatchObject({ scanned: 0, missing: 10, assets_checked_out: 0, assets_returned: 13 });
  });
});
