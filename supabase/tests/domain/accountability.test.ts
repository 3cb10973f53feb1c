import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type MemberRole, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// Accountability (issue 18): every movement records the operator (a staff profile of the same
// organization: the badge scanned, or the signed-in member's own profile), the device, and the
// scan time; a case comes back with conditions per item, and a condition's note is kept and shown
// in history.
let stack: TestStack;
let org: Org;
let rival: Org;
let gig: string;
let mika: string;
let rivalStaff: string;
let crewProfile: string;

interface Result {
  status: string;
  code?: string;
  message?: string;
}
interface Movement {
  kind: string;
  staff_id: string | null;
  device_id: string | null;
  occurred_at: string;
  condition: string | null;
  note: string | null;
}

async function push(ops: Record<string, unknown>[], who: MemberRole = 'station', device = 'dock-1'): Promise<Result[]> {
  const { data, error } = await org.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}

async function movements(asset: string): Promise<Movement[]> {
  const { rows } = await stack.db.query<Movement & { occurred_at: Date }>(
    'select kind, staff_id, device_id, occurred_at, condition, note from public.asset_movements where asset_id = $1 order by id',
    [asset],
  );
  return rows.map((r) => ({ ...r, occurred_at: r.occurred_at.toISOString() }));
}

async function staff(orgId: string, name: string, badge: string, userId: string | null = null): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>(
    'insert into public.staff_profiles (org_id, display_name, badge_code, user_id) values ($1, $2, $3, $4) returning id',
    [orgId, name, badge, userId],
  );
  return rows[0]?.id ?? '';
}

const checkOut = (asset: string, extra: Record<string, unknown> = {}, createdAt = new Date()): Record<string, unknown> => ({
  id: randomUUID(),
  table: 'assets',
  action: 'check_out',
  payload: { id: asset, gig_id: gig, ...extra },
  base_version: 1,
  created_at: createdAt.toISOString(),
});

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'acct');
  rival = await createOrg(stack, 'acct-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Main Stage Day 2', status: 'confirmed' });
  mika = await staff(org.id, 'Mika Moreau', 'B-MIKA-001');
  rivalStaff = await staff(rival.id, 'Rival Person', 'B-RIVAL-001');
  crewProfile = await staff(org.id, 'Crew Member', 'B-CREW-001', org.members.crew.userId);
});
afterAll(async () => {
  await stack?.stop();
});

describe('who, where from and when', () => {
  it('a check-out records the badge-scanned operator, the device and the scan time (fast path and per-op path)', async () => {
    const scannedAt = new Date(Date.now() - 3600_000);
    const fast = await insertAsset(stack.db, org.id, `ACC-F-${randomUUID().slice(0, 6)}`);
    const slow = await insertAsset(stack.db, org.id, `ACC-S-${randomUUID().slice(0, 6)}`);
    // Two assets in one batch take the set-based fast path; the same entity twice goes op by op.
    const results = await push([checkOut(fast, { staff_id: mika }, scannedAt), checkOut(slow, { staff_id: mika }, scannedAt)]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const perOp = await push([
      {
        id: randomUUID(),
        table: 'assets',
        action: 'check_in',
        payload: { id: slow, condition: 'ok', staff_id: mika },
        created_at: scannedAt.toISOString(),
      },
      checkOut(slow, { staff_id: mika }, scannedAt),
    ]);
    expect(perOp.map((r) => r.status)).toEqual(['applied', 'conflict']);
    for (const asset of [fast, slow]) {
      const [first] = await movements(asset);
      expect(first).toMatchObject({ kind: 'check_out', staff_id: mika, device_id: 'dock-1', occurred_at: scannedAt.toISOString() });
    }
    expect((await movements(slow))[1]).toMatchObject({ kind: 'check_in', staff_id: mika, occurred_at: scannedAt.toISOString() });
  });

  it('attack: another company’s staff id, a made-up one or a malformed one is refused, and nothing moves', async () => {
    for (const [staffId, code] of [
      [rivalStaff, 'staff_not_found'],
      [randomUUID(), 'staff_not_found'],
      ['mika', 'invalid_field'],
    ] as const) {
      const asset = await insertAsset(stack.db, org.id, `ACC-X-${randomUUID().slice(0, 6)}`);
      // Alone (per-op path) and beside another asset (the fast path's batch).
      const other = await insertAsset(stack.db, org.id, `ACC-Y-${randomUUID().slice(0, 6)}`);
      const results = await push([checkOut(asset, { staff_id: staffId }), checkOut(other, { staff_id: mika })]);
      expect(results[0]).toMatchObject({ status: 'rejected', code });
      expect(results[1]).toMatchObject({ status: 'applied' });
      expect(await movements(asset)).toEqual([]);
      const { rows } = await stack.db.query('select status from public.assets where id = $1', [asset]);
      expect(rows[0]).toEqual({ status: 'available' });
    }
    const box = await insertCase(stack.db, org.id, `ACC-C-${randomUUID().slice(0, 6).toUpperCase()}`);
    const inside = await insertAsset(stack.db, org.id, `ACC-CI-${randomUUID().slice(0, 6)}`, { caseId: box });
    const [boxResult] = await push([
      { id: randomUUID(), table: 'cases', action: 'check_out', payload: { id: box, gig_id: gig, staff_id: rivalStaff }, base_version: 1 },
    ]);
    expect(boxResult).toMatchObject({
      status: 'rejected',
      code: 'staff_not_found',
      message: `operator ${rivalStaff} is not a staff member of this organization`,
    });
    expect(await movements(inside)).toEqual([]);
  });

  it('without a badge, the signed-in member’s own staff profile is the operator (a crew member’s phone)', async () => {
    const asset = await insertAsset(stack.db, org.id, `ACC-P-${randomUUID().slice(0, 6)}`);
    expect(await push([checkOut(asset)], 'crew', 'phone-crew')).toMatchObject([{ status: 'applied' }]);
    expect((await movements(asset))[0]).toMatchObject({ staff_id: crewProfile, device_id: 'phone-crew' });
  });

  it('a scan time ahead of the server’s clock is recorded as now, not in the future', async () => {
    const asset = await insertAsset(stack.db, org.id, `ACC-T-${randomUUID().slice(0, 6)}`);
    const before = Date.now();
    await push([checkOut(asset, { staff_id: mika }, new Date(Date.now() + 3 * 86_400_000))]);
    const at = Date.parse((await movements(asset))[0]?.occurred_at ?? '');
    expect(at).toBeGreaterThanOrEqual(before - 5000);
    expect(at).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it('bulk movements record the operator too, and refuse a foreign one', async () => {
    const { rows } = await stack.db.query<{ id: string }>(
      "insert into public.bulk_items (org_id, category, name, barcode, in_warehouse) values ($1, 'XLR cable 10m', 'XLR cable 10m', 'BULK-XLR10', 50) returning id",
      [org.id],
    );
    const item = rows[0]?.id ?? '';
    const op = (staffId: string): Record<string, unknown> => ({
      id: randomUUID(),
      table: 'bulk_items',
      action: 'check_out',
      payload: { id: item, gig_id: gig, quantity: 10, staff_id: staffId },
    });
    expect(await push([op(rivalStaff)])).toMatchObject([{ status: 'rejected', code: 'staff_not_found' }]);
    expect(await push([op(mika)])).toMatchObject([{ status: 'applied' }]);
    const moved = await stack.db.query('select staff_id, device_id, quantity from public.bulk_movements where bulk_item_id = $1', [item]);
    expect(moved.rows).toEqual([{ staff_id: mika, device_id: 'dock-1', quantity: 10 }]);
  });
});

describe('conditions per item in a case, with a note', () => {
  it('one damaged item (with a note) goes to quarantine, the rest come back OK, one movement each; history shows who, device and note', async () => {
    const box = await insertCase(stack.db, org.id, `ACC-K-${randomUUID().slice(0, 6).toUpperCase()}`);
    const items: string[] = [];
    for (let i = 0; i < 6; i += 1)
      items.push(await insertAsset(stack.db, org.id, `ACC-K${i}-${randomUUID().slice(0, 6)}`, { caseId: box }));
    expect(
      await push([
        { id: randomUUID(), table: 'cases', action: 'check_out', payload: { id: box, gig_id: gig, staff_id: mika }, base_version: 1 },
      ]),
    ).toMatchObject([{ status: 'applied' }]);
    const broken = items[2] ?? '';
    const [result] = await push(
      [
        {
          id: randomUUID(),
          table: 'cases',
          action: 'check_in',
          payload: {
            id: box,
            condition: 'ok',
            staff_id: mika,
            items: [{ asset_id: broken, condition: 'damaged', note: 'cracked XLR socket' }],
          },
        },
      ],
      'station',
      'returns-bench',
    );
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ id: string; status: string }>('select id, status from public.assets where case_id = $1', [box]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual(
      Object.fromEntries(items.map((id) => [id, id === broken ? 'quarantined' : 'available'])),
    );
    for (const id of items) {
      const checkIns = (await movements(id)).filter((m) => m.kind === 'check_in');
      expect(checkIns).toEqual([
        expect.objectContaining({
          staff_id: mika,
          device_id: 'returns-bench',
          condition: id === broken ? 'damaged' : 'ok',
          note: id === broken ? 'cracked XLR socket' : null,
        }),
      ]);
    }
    const { data, error } = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: broken });
    expect(error).toBeNull();
    expect((data as Record<string, unknown>[])[1]).toMatchObject({
      kind: 'check_in',
      condition: 'damaged',
      note: 'cracked XLR socket',
      staff_name: 'Mika Moreau',
      staff_id: mika,
      device_id: 'returns-bench',
      gig_name: 'Main Stage Day 2',
    });
  });

  it.each([
    [
      'an item that is not in the case',
      (_box: string, _in: string, outside: string) => [{ asset_id: outside, condition: 'damaged' }],
      /^payload\.items\[0\]: item .* is not in case /,
    ],
    [
      'an unknown condition',
      (_box: string, inside: string) => [{ asset_id: inside, condition: 'wet' }],
      /^payload\.items\[0\]\.condition must be ok, damaged or missing_parts$/,
    ],
    [
      'a note over 500 characters',
      (_box: string, inside: string) => [{ asset_id: inside, condition: 'damaged', note: 'x'.repeat(501) }],
      /^payload\.items\[0\]\.note must be text of at most 500 characters$/,
    ],
    [
      'the same item twice',
      (_box: string, inside: string) => [
        { asset_id: inside, condition: 'damaged' },
        { asset_id: inside, condition: 'ok' },
      ],
      /more than once$/,
    ],
    ['not a list', () => ({ asset_id: 'x' }), /^payload\.items must be a list/],
  ])('attack: per-item conditions naming %s are refused, and nothing comes back', async (_what, items, message) => {
    const box = await insertCase(stack.db, org.id, `ACC-B-${randomUUID().slice(0, 6).toUpperCase()}`);
    const inside = await insertAsset(stack.db, org.id, `ACC-BI-${randomUUID().slice(0, 6)}`, { caseId: box });
    const outside = await insertAsset(stack.db, org.id, `ACC-BO-${randomUUID().slice(0, 6)}`);
    await push([{ id: randomUUID(), table: 'cases', action: 'check_out', payload: { id: box, gig_id: gig }, base_version: 1 }]);
    const [result] = await push([
      { id: randomUUID(), table: 'cases', action: 'check_in', payload: { id: box, items: items(box, inside, outside) } },
    ]);
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_field' });
    expect(result?.message).toMatch(message);
    const { rows } = await stack.db.query('select status from public.assets where id = $1', [inside]);
    expect(rows[0]).toEqual({ status: 'checked_out' });
  });

  it('a single item’s check-in keeps its note; a note over 500 characters is refused', async () => {
    const asset = await insertAsset(stack.db, org.id, `ACC-N-${randomUUID().slice(0, 6)}`);
    await push([checkOut(asset, { staff_id: mika })]);
    const tooLong = await push([
      { id: randomUUID(), table: 'assets', action: 'check_in', payload: { id: asset, condition: 'missing_parts', note: 'y'.repeat(501) } },
    ]);
    expect(tooLong).toMatchObject([
      { status: 'rejected', code: 'invalid_field', message: 'payload.note must be text of at most 500 characters' },
    ]);
    await push([
      {
        id: randomUUID(),
        table: 'assets',
        action: 'check_in',
        payload: { id: asset, condition: 'missing_parts', note: 'lens cap missing', staff_id: mika },
      },
    ]);
    expect((await movements(asset)).at(-1)).toMatchObject({
      kind: 'check_in',
      condition: 'missing_parts',
      note: 'lens cap missing',
      staff_id: mika,
    });
  });
});
