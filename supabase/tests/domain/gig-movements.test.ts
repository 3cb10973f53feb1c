import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// get_gig_movements: what went out to a gig (and every gig under it) and came back, oldest first,
// with who scanned it, the device, the scan time, condition and note — the export's rows; and
// nothing at all for a caller outside the gig's organization.
let stack: TestStack;
let org: Org;
let rival: Org;
let stage: string;
let set: string;
let elsewhere: string;
let mika: string;

interface ExportRow {
  occurred_at: string;
  kind: string;
  item_kind: string;
  item_name: string;
  item_code: string;
  quantity: number;
  unit: string | null;
  gig_name: string;
  staff_name: string | null;
  device_id: string | null;
  condition: string | null;
  note: string | null;
}

async function push(ops: Record<string, unknown>[], device: string): Promise<void> {
  const { data, error } = await org.members.station.client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(error.message);
  const statuses = (data as { results: { status: string }[] }).results.map((r) => r.status);
  expect(statuses, JSON.stringify(data)).toEqual(statuses.map(() => 'applied'));
}

const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString();

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'export');
  rival = await createOrg(stack, 'export-rival');
  stage = await insertGig(stack.db, org.id, { name: 'Main Stage', status: 'confirmed' });
  set = await insertGig(stack.db, org.id, { name: 'Headliner set', status: 'confirmed', parent: stage });
  elsewhere = await insertGig(stack.db, org.id, { name: 'Club night', status: 'confirmed' });
  mika = (
    await stack.db.query<{ id: string }>(
      "insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Mika Moreau', 'B-MIKA-EXP') returning id",
      [org.id],
    )
  ).rows[0]?.id as string;
  const desk = await insertAsset(stack.db, org.id, 'EXP-DESK-1');
  const amp = await insertAsset(stack.db, org.id, 'EXP-AMP-1');
  const other = await insertAsset(stack.db, org.id, 'EXP-OTHER-1');
  const cable = (
    await stack.db.query<{ id: string }>(
      "insert into public.bulk_items (org_id, category, name, barcode, unit, in_warehouse) values ($1, 'XLR', 'XLR cable 10 m', 'BULK-EXP-XLR', 'pcs', 40) returning id",
      [org.id],
    )
  ).rows[0]?.id as string;
  const op = (table: string, action: string, payload: Record<string, unknown>, minutesAgo: number, base?: number) => ({
    id: randomUUID(),
    table,
    action,
    payload: { ...payload, staff_id: mika },
    created_at: at(minutesAgo),
    ...(base === undefined ? {} : { base_version: base }),
  });
  await push(
    [
      op('assets', 'check_out', { id: desk, gig_id: stage }, 50, 1),
      op('assets', 'check_out', { id: amp, gig_id: set }, 40, 1),
      op('bulk_items', 'check_out', { id: cable, gig_id: set, quantity: 12 }, 30),
      op('assets', 'check_out', { id: other, gig_id: elsewhere }, 25, 1),
    ],
    'dock-1',
  );
  await push(
    [
      op('assets', 'check_in', { id: amp, condition: 'damaged', note: 'fan, rattles; "loud"' }, 20),
      op('bulk_items', 'check_in', { id: cable, gig_id: set, quantity: 10 }, 10),
    ],
    'dock-2',
  );
});
afterAll(async () => {
  await stack?.stop();
});

describe('get_gig_movements', () => {
  it('lists the gig’s and its sets’ movements oldest first, with who, device, scan time, quantity, condition and note', async () => {
    const { data, error } = await org.members.manager.client.rpc('get_gig_movements', { p_gig_id: stage });
    expect(error).toBeNull();
    const rows = data as ExportRow[];
    expect(rows.map((r) => [r.kind, r.item_code, r.quantity, r.gig_name, r.device_id])).toEqual([
      ['check_out', 'EXP-DESK-1', 1, 'Main Stage', 'dock-1'],
      ['check_out', 'EXP-AMP-1', 1, 'Headliner set', 'dock-1'],
      ['check_out', 'BULK-EXP-XLR', 12, 'Headliner set', 'dock-1'],
      ['check_in', 'EXP-AMP-1', 1, 'Headliner set', 'dock-2'],
      ['check_in', 'BULK-EXP-XLR', 10, 'Headliner set', 'dock-2'],
    ]);
    expect(rows.every((r) => r.staff_name === 'Mika Moreau')).toBe(true);
    // The scan time, not the sync time.
    expect(Math.abs(Date.parse(rows[0]?.occurred_at ?? '') - Date.parse(at(50)))).toBeLessThan(60_000);
    expect(rows[3]).toMatchObject({ condition: 'damaged', note: 'fan, rattles; "loud"', item_kind: 'asset' });
    expect(rows[2]).toMatchObject({ item_kind: 'bulk', unit: 'pcs', item_name: 'XLR cable 10 m' });
  });

  it('a set’s export holds only that set; crew may read it', async () => {
    const { data, error } = await org.members.crew.client.rpc('get_gig_movements', { p_gig_id: set });
    expect(error).toBeNull();
    expect((data as ExportRow[]).map((r) => r.item_code)).toEqual(['EXP-AMP-1', 'BULK-EXP-XLR', 'EXP-AMP-1', 'BULK-EXP-XLR']);
  });

  it('another company’s admin, a forged id and anonymous callers get no rows at all', async () => {
    const foreign = await rival.members.admin.client.rpc('get_gig_movements', { p_gig_id: stage });
    expect(foreign.data).toBeNull();
    expect(foreign.error).toMatchObject({ code: 'PT404' });
    const forged = await org.members.admin.client.rpc('get_gig_movements', { p_gig_id: randomUUID() });
    expect(forged.error).toMatchObject({ code: 'PT404' });
    const anonymous = await stack.db.query<{ ok: boolean }>(
      "select has_function_privilege('anon', 'public.get_gig_movements(uuid, integer)', 'execute') as ok",
    );
    expect(anonymous.rows[0]?.ok).toBe(false);
  });

  it('refuses a limit out of range with its reason', async () => {
    const { error } = await org.members.manager.client.rpc('get_gig_movements', { p_gig_id: stage, p_limit: 0 });
    expect(error).toMatchObject({ code: '22023', message: 'p_limit must be between 1 and 100000, got 0' });
  });
});
