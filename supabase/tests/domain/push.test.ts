import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// push_changes through supabase-js as real members: results, idempotency, conflicts, order, bad input.
let stack: TestStack;
let org: Org;
let other: Org;
let gig: string;
let gig2: string;

interface Result {
  op_id: string | null;
  status: 'applied' | 'conflict' | 'rejected' | 'retry';
  table: string | null;
  entity_id: string | null;
  code?: string;
  message?: string;
  row?: Record<string, unknown>;
  changed_fields?: string[];
  base_version?: number;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'push');
  other = await createOrg(stack, 'rival');
  gig = await insertGig(stack.db, org.id, { name: 'Main Stage Friday', status: 'confirmed' });
  gig2 = await insertGig(stack.db, org.id, { name: 'Side Stage Friday', status: 'confirmed' });
});
afterAll(async () => {
  await stack?.stop();
});

type Op = Record<string, unknown>;
const op = (table: string, action: string, payload: Record<string, unknown>, extra: Op = {}): Op => ({
  id: randomUUID(),
  table,
  action,
  payload,
  ...extra,
});

async function push(who: keyof Org['members'], ops: unknown, device = 'station-1'): Promise<Result[]> {
  const { data, error } = await org.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}

async function versionOf(table: 'assets' | 'gigs' | 'cases', id: string): Promise<number> {
  const { rows } = await stack.db.query<{ version: number }>(`select version from public.${table} where id = $1`, [id]);
  return rows[0]?.version ?? -1;
}

async function movementsOf(asset: string): Promise<{ kind: string; gig_id: string | null; condition: string | null }[]> {
  const { rows } = await stack.db.query<{ kind: string; gig_id: string | null; condition: string | null }>(
    'select kind, gig_id, condition from public.asset_movements where asset_id = $1 order by id',
    [asset],
  );
  return rows;
}

describe('check-out and check-in', () => {
  it('checks an asset out, records the movement with device and op id, and answers with the row', async () => {
    const asset = await insertAsset(stack.db, org.id, 'OUT-1');
    // Scanned a week ago: inside the server's 30-day replay window whenever the test runs.
    const scannedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 7 * 86_400_000);
    const checkOut = op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1, created_at: scannedAt.toISOString() });
    const [result] = await push('station', [checkOut]);
    expect(result).toMatchObject({ op_id: checkOut.id, status: 'applied', table: 'assets', entity_id: asset });
    expect(result?.row).toMatchObject({ status: 'checked_out', current_gig_id: gig, version: 2 });
    const { rows } = await stack.db.query(
      'select kind, gig_id, device_id, client_op_id, occurred_at from public.asset_movements where asset_id = $1',
      [asset],
    );
    expect(rows).toEqual([{ kind: 'check_out', gig_id: gig, device_id: 'station-1', client_op_id: checkOut.id, occurred_at: scannedAt }]);
  });

  it('returns the original results for a replayed batch and changes nothing', async () => {
    const a = await insertAsset(stack.db, org.id, 'REPLAY-1');
    const b = await insertAsset(stack.db, org.id, 'REPLAY-2');
    const batch = [
      op('assets', 'check_out', { id: a, gig_id: gig }, { base_version: 1 }),
      op('assets', 'check_out', { id: b, gig_id: gig }, { base_version: 7 }),
      op('assets', 'check_in', { id: a, condition: 'ok' }),
    ];
    const first = await push('station', batch);
    expect(first.map((r) => r.status)).toEqual(['applied', 'conflict', 'applied']);
    const versions = [await versionOf('assets', a), await versionOf('assets', b)];
    const movements = [...(await movementsOf(a)), ...(await movementsOf(b))];
    const second = await push('station', batch);
    expect(second).toEqual(first);
    expect([await versionOf('assets', a), await versionOf('assets', b)]).toEqual(versions);
    expect([...(await movementsOf(a)), ...(await movementsOf(b))]).toEqual(movements);
  });

  it('applies ops in order per entity within a batch', async () => {
    const asset = await insertAsset(stack.db, org.id, 'ORDER-1');
    const results = await push('crew', [
      op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1 }),
      op('assets', 'check_in', { id: asset, condition: 'ok' }),
      op('assets', 'check_out', { id: asset, gig_id: gig2 }, { base_version: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect((await movementsOf(asset)).map((m) => [m.kind, m.gig_id])).toEqual([
      ['check_out', gig],
      ['check_in', gig],
      ['check_out', gig2],
    ]);
  });

  it('holds later ops on an entity behind one that did not apply, without blocking others', async () => {
    const stuck = await insertAsset(stack.db, org.id, 'HELD-1');
    const free = await insertAsset(stack.db, org.id, 'HELD-2');
    const results = await push('station', [
      op('assets', 'check_out', { id: stuck, gig_id: gig }, { base_version: 99 }),
      op('assets', 'check_in', { id: stuck }),
      op('assets', 'check_out', { id: free, gig_id: gig }, { base_version: 1 }),
    ]);
    expect(results.map((r) => [r.status, r.code ?? null])).toEqual([
      ['conflict', 'version_mismatch'],
      ['retry', 'held'],
      ['applied', null],
    ]);
  });

  it('refuses an asset out to another gig, quarantined, lost or retired, with the reason', async () => {
    const elsewhere = await insertAsset(stack.db, org.id, 'BUSY-1');
    await push('station', [op('assets', 'check_out', { id: elsewhere, gig_id: gig2 }, { base_version: 1 })]);
    const cases: [string, string, string][] = [
      [elsewhere, 'checked_out_elsewhere', 'BUSY-1 is checked out to Side Stage Friday'],
      [await insertAsset(stack.db, org.id, 'Q-1', { status: 'quarantined' }), 'asset_quarantined', 'Q-1 is quarantined'],
      [await insertAsset(stack.db, org.id, 'L-1', { status: 'lost' }), 'asset_lost', 'L-1 is marked lost'],
      [await insertAsset(stack.db, org.id, 'R-1', { status: 'retired' }), 'asset_retired', 'R-1 is retired'],
    ];
    for (const [asset, code, message] of cases) {
      const [result] = await push('station', [
        op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: await versionOf('assets', asset) }),
      ]);
      expect(result).toMatchObject({ status: 'rejected', code, message });
    }
    expect((await movementsOf(elsewhere)).length).toBe(1);
  });

  it('quarantines an asset checked in damaged and counts it as returned', async () => {
    const asset = await insertAsset(stack.db, org.id, 'DMG-1');
    await push('station', [op('assets', 'check_out', { id: asset, gig_id: gig2 }, { base_version: 1 })]);
    const before = await stack.db.query<{ returned_total: number }>('select returned_total from public.gig_counters where gig_id = $1', [
      gig2,
    ]);
    const [result] = await push('station', [op('assets', 'check_in', { id: asset, condition: 'damaged' })]);
    expect(result?.row).toMatchObject({ status: 'quarantined', current_gig_id: null });
    expect((await movementsOf(asset)).map((m) => [m.kind, m.condition])).toEqual([
      ['check_out', null],
      ['check_in', 'damaged'],
      ['quarantine', 'damaged'],
    ]);
    const after = await stack.db.query<{ returned_total: number }>('select returned_total from public.gig_counters where gig_id = $1', [
      gig2,
    ]);
    expect(after.rows[0]?.returned_total).toBe((before.rows[0]?.returned_total ?? 0) + 1);
  });

  it('checks a case out with its nested contents, or nothing at all', async () => {
    const outer = await insertCase(stack.db, org.id, 'RACK-1');
    const inner = await insertCase(stack.db, org.id, 'RACK-1-DRAWER', outer);
    const contents = [
      await insertAsset(stack.db, org.id, 'RACK-1-A', { caseId: outer }),
      await insertAsset(stack.db, org.id, 'RACK-1-B', { caseId: inner }),
    ];
    const [result] = await push('crew', [op('cases', 'check_out', { id: outer, gig_id: gig }, { base_version: 1 })]);
    expect(result).toMatchObject({ status: 'applied', assets_moved: 2 });
    for (const asset of contents) expect((await movementsOf(asset)).map((m) => m.kind)).toEqual(['check_out']);

    const blocked = await insertCase(stack.db, org.id, 'RACK-2');
    const fine = await insertAsset(stack.db, org.id, 'RACK-2-A', { caseId: blocked });
    await insertAsset(stack.db, org.id, 'RACK-2-B', { caseId: blocked, status: 'quarantined' });
    const [refused] = await push('crew', [op('cases', 'check_out', { id: blocked, gig_id: gig }, { base_version: 1 })]);
    expect(refused).toMatchObject({
      status: 'rejected',
      code: 'case_contents_unavailable',
      message: 'case RACK-2 cannot go out: RACK-2-B is quarantined',
    });
    expect(await movementsOf(fine)).toEqual([]);

    const [back] = await push('crew', [op('cases', 'check_in', { id: outer, condition: 'ok' })]);
    expect(back).toMatchObject({ status: 'applied', assets_moved: 2 });
  });
});

describe('conflicts and last-write-wins', () => {
  it('lets one of two stations win a status change from the same base version; the other gets a conflict', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Contested' });
    const base = await versionOf('gigs', target);
    const [first] = await push('manager', [op('gigs', 'set_status', { id: target, to: 'confirmed' }, { base_version: base })], 'laptop-a');
    const [second] = await push('admin', [op('gigs', 'set_status', { id: target, to: 'cancelled' }, { base_version: base })], 'laptop-b');
    expect(first?.status).toBe('applied');
    expect(second).toMatchObject({ status: 'conflict', code: 'version_mismatch', base_version: base, changed_fields: ['status'] });
    expect(second?.row).toMatchObject({ id: target, status: 'confirmed', version: base + 1 });
  });

  it('treats a conflicting intent the server already satisfies as applied', async () => {
    const target = await insertGig(stack.db, org.id);
    await stack.db.query("update public.gigs set status = 'confirmed' where id = $1", [target]);
    const [result] = await push('manager', [op('gigs', 'set_status', { id: target, to: 'confirmed' }, { base_version: 1 })]);
    expect(result).toMatchObject({ status: 'applied', code: 'noop' });
  });

  it('lets the last write to reach the server win for simple fields, whatever the base version', async () => {
    const target = await insertGig(stack.db, org.id);
    await push('manager', [op('gigs', 'update', { id: target, fields: { notes: 'from laptop A' } }, { base_version: 1 })], 'laptop-a');
    const [late] = await push(
      'admin',
      [op('gigs', 'update', { id: target, fields: { notes: 'from laptop B', venue: 'Hall 2' } }, { base_version: 1 })],
      'laptop-b',
    );
    expect(late?.status).toBe('applied');
    expect(late?.row).toMatchObject({ notes: 'from laptop B', venue: 'Hall 2' });
  });

  it('refuses an impossible transition and a cycle', async () => {
    const target = await insertGig(stack.db, org.id);
    const [transition] = await push('manager', [op('gigs', 'set_status', { id: target, to: 'completed' }, { base_version: 1 })]);
    expect(transition).toMatchObject({
      status: 'rejected',
      code: 'invalid_transition',
      message: 'gig status cannot change from draft to completed',
    });
    const child = await insertGig(stack.db, org.id, { parent: target });
    const [cycle] = await push('manager', [op('gigs', 'move', { id: target, parent_gig_id: child }, { base_version: 1 })]);
    expect(cycle).toMatchObject({ status: 'rejected', code: 'cycle' });
    const { rows } = await stack.db.query('select parent_gig_id from public.gigs where id = $1', [target]);
    expect(rows[0]?.parent_gig_id).toBeNull();
  });
});

describe('roles and organizations', () => {
  it('lets crew and stations move stock but not plan gigs', async () => {
    const target = await insertGig(stack.db, org.id);
    for (const who of ['crew', 'station'] as const) {
      const [result] = await push(who, [op('gigs', 'set_status', { id: target, to: 'confirmed' }, { base_version: 1 })]);
      expect(result).toMatchObject({ status: 'rejected', code: 'forbidden' });
    }
  });

  it('answers not_found for another organization’s rows and forbidden for a forged organization id', async () => {
    const theirAsset = await insertAsset(stack.db, other.id, 'THEIRS-1');
    const [foreign] = await push('admin', [op('assets', 'check_out', { id: theirAsset, gig_id: gig }, { base_version: 1 })]);
    expect(foreign).toMatchObject({ status: 'rejected', code: 'not_found' });
    const [forged] = await push('admin', [op('gigs', 'create', { id: randomUUID(), org_id: other.id, name: 'Sneaky' })]);
    expect(forged).toMatchObject({ status: 'rejected', code: 'forbidden' });
    const { rows } = await stack.db.query("select count(*)::int as n from public.gigs where name = 'Sneaky'");
    expect(rows[0]?.n).toBe(0);
  });

  it('creates gigs under a parent in the caller’s organization and stores SQL-looking text as text', async () => {
    const id = randomUUID();
    const name = "Robert'); drop table public.gigs; --";
    const [result] = await push('manager', [op('gigs', 'create', { id, parent_gig_id: gig, name })]);
    expect(result?.row).toMatchObject({ id, name, org_id: org.id, parent_gig_id: gig });
  });

  it('refuses anon callers', async () => {
    const { error, status } = await nodeSupabaseClient(stack.url, stack.anonKey).rpc('push_changes', { device_id: 'x', ops: [] });
    expect(status).toBe(401);
    expect(error?.code).toBe('42501');
  });
});

describe('bad input', () => {
  it.each([
    ['a non-object op', 'not an op', 'invalid_op', 'each op must be a JSON object'],
    ['an op without id', { table: 'assets', action: 'check_in', payload: {} }, 'invalid_op', 'op.id must be a UUID'],
    [
      'an unknown table',
      { id: randomUUID(), table: 'memberships', action: 'update', payload: {} },
      'unknown_table',
      "unknown table 'memberships'; ops may target gigs, assets, cases, bulk_items, kit_assignments, gig_staff, locations or audits",
    ],
    [
      'an unknown action',
      { id: randomUUID(), table: 'assets', action: 'teleport', payload: { id: randomUUID() } },
      'unknown_action',
      "unknown action 'teleport' for assets",
    ],
    ['a missing payload', { id: randomUUID(), table: 'assets', action: 'check_in' }, 'invalid_op', 'op.payload must be a JSON object'],
    [
      'a missing entity id',
      { id: randomUUID(), table: 'assets', action: 'check_in', payload: {} },
      'missing_field',
      'payload.id is required (a UUID)',
    ],
    [
      'an entity that does not exist',
      { id: randomUUID(), table: 'assets', action: 'check_in', payload: { id: '00000000-0000-4000-8000-000000000000' } },
      'not_found',
      'asset 00000000-0000-4000-8000-000000000000 not found',
    ],
    [
      'an ill-typed base_version',
      { id: randomUUID(), table: 'assets', action: 'check_in', payload: { id: randomUUID() }, base_version: 'two' },
      'invalid_field',
      'op.base_version must be a positive integer',
    ],
  ])('rejects %s with a specific code', async (_label, bad, code, message) => {
    const [result] = await push('admin', [bad]);
    expect(result?.status).toBe('rejected');
    expect(result?.code).toBe(code);
    if (message !== null) expect(result?.message).toBe(message);
  });

  it('names the field for field-level errors on real rows', async () => {
    const asset = await insertAsset(stack.db, org.id, 'FIELD-1');
    const target = await insertGig(stack.db, org.id);
    const results = await push(
      'admin',
      [
        op('assets', 'check_in', { id: asset, condition: 'soggy' }),
        op('assets', 'check_out', { id: asset, gig_id: gig }),
        op('gigs', 'update', { id: target, fields: { status: 'completed' } }),
        op('gigs', 'update', { id: target, fields: { starts_at: 'yesterday-ish' } }),
        op('gigs', 'update', { id: target, fields: { name: '' } }),
      ],
      'bad-fields',
    );
    expect(results.map((r) => [r.code, r.message])).toEqual([
      ['invalid_field', 'payload.condition must be ok, damaged or missing_parts'],
      ['held', 'an earlier op on this entity did not apply'],
      ['invalid_field', 'gigs.update cannot change status; allowed: name, venue, notes, time_zone (start and end change with set_times)'],
      ['held', 'an earlier op on this entity did not apply'],
      ['held', 'an earlier op on this entity did not apply'],
    ]);
    const alone = await push(
      'admin',
      [op('gigs', 'set_times', { id: target, starts_at: 'yesterday-ish', ends_at: null }, { base_version: 1 })],
      'bad-fields-2',
    );
    expect(alone[0]).toMatchObject({ status: 'rejected', code: 'invalid_field' });
    expect(alone[0]?.message).toMatch(/invalid input syntax for type timestamp with time zone/);
    const empty = await push('admin', [op('gigs', 'update', { id: target, fields: { name: '  ' } })], 'bad-fields-3');
    expect(empty[0]).toMatchObject({ status: 'rejected', code: 'constraint_violation' });
    expect(await versionOf('gigs', target)).toBe(1);
  });

  it('refuses a duplicate op id in one batch', async () => {
    const asset = await insertAsset(stack.db, org.id, 'DUP-1');
    const once = op('assets', 'check_in', { id: asset });
    const results = await push('admin', [once, once]);
    expect(results.map((r) => r.code ?? r.status)).toEqual(['noop', 'duplicate_op']);
  });

  it('refuses a whole batch over 500 ops, a non-array and a bad device id, writing nothing', async () => {
    const asset = await insertAsset(stack.db, org.id, 'BATCH-1');
    const tooMany = Array.from({ length: 501 }, () => op('assets', 'check_in', { id: asset, condition: 'damaged' }));
    const client = org.members.admin.client;
    const big = await client.rpc('push_changes', { device_id: 'd1', ops: tooMany });
    expect(big.status).toBe(413);
    expect(big.error?.message).toBe('a batch holds at most 500 ops, got 501');
    const notArray = await client.rpc('push_changes', { device_id: 'd1', ops: { id: 1 } });
    expect(notArray.status).toBe(400);
    expect(notArray.error?.message).toBe('ops must be a JSON array of operations');
    const badDevice = await client.rpc('push_changes', { device_id: "x'; drop table app.sync_ops; --", ops: [] });
    expect(badDevice.status).toBe(400);
    expect(badDevice.error?.message).toMatch(/device_id must be 1 to 100/);
    expect(await movementsOf(asset)).toEqual([]);
  });
});
