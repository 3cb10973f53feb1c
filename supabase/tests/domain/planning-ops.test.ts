import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type MemberRole, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { pullToCurrent } from '../../../tests/helpers/pull';

// Planning by queued ops (issue 19): a gig's pick list (kit_assignments) and crew (gig_staff)
// created, changed and removed through push_changes as real members; gig times version-checked;
// every op replayed (no double effect), refused for crew and stations and for another company,
// bad input refused in words with nothing changed.
let stack: TestStack;
let org: Org;
let rival: Org;
let gig: string;

interface Result {
  op_id: string | null;
  status: 'applied' | 'conflict' | 'rejected' | 'retry';
  code?: string;
  message?: string;
  row?: Record<string, unknown> | null;
  changed_fields?: string[];
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'planning');
  rival = await createOrg(stack, 'planning-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Main Stage Friday', status: 'confirmed' });
});
afterAll(async () => {
  await stack?.stop();
});

type Op = { id: string; table: string; action: string; payload: Record<string, unknown>; base_version?: number };
const op = (table: string, action: string, payload: Record<string, unknown>, baseVersion?: number): Op => ({
  id: randomUUID(),
  table,
  action,
  payload,
  ...(baseVersion === undefined ? {} : { base_version: baseVersion }),
});

async function push(who: MemberRole, ops: Op[], device = 'planner-1', from: Org = org): Promise<Result[]> {
  const { data, error } = await from.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}
async function pushOne(who: MemberRole, o: Op, device = 'planner-1', from: Org = org): Promise<Result> {
  const [result] = await push(who, [o], device, from);
  if (result === undefined) throw new Error('no result');
  return result;
}

async function lines(gigId: string): Promise<Record<string, unknown>[]> {
  const { rows } = await stack.db.query<Record<string, unknown>>(
    'select id, asset_id, case_id, category, quantity, notes, version from public.kit_assignments where gig_id = $1 order by created_at, id',
    [gigId],
  );
  return rows;
}
async function crewOf(gigId: string): Promise<{ staff_id: string; role: string }[]> {
  const { rows } = await stack.db.query<{ staff_id: string; role: string }>(
    'select staff_id, role from public.gig_staff where gig_id = $1 order by role',
    [gigId],
  );
  return rows;
}
async function staff(orgId: string, name: string): Promise<string> {
  const id = randomUUID();
  await stack.db.query('insert into public.staff_profiles (id, org_id, display_name, badge_code) values ($1, $2, $3, $4)', [
    id,
    orgId,
    name,
    `B-${id.slice(0, 8).toUpperCase()}`,
  ]);
  return id;
}
async function gigRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await stack.db.query('select name, venue, notes, starts_at, ends_at, version from public.gigs where id = $1', [id]);
  return rows[0] as Record<string, unknown>;
}

describe('pick list lines (kit_assignments)', () => {
  it('adds an item, a case and a quantity line; a replayed op changes nothing and answers the same', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Plan A', status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, 'PLAN-A1', { name: 'Shure SM58' });
    const kase = await insertCase(stack.db, org.id, 'CASE-PLAN-A');
    const addAsset = op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, asset_id: asset });
    const addCase = op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, case_id: kase });
    const addCables = op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, category: ' XLR cable ', quantity: 24 });
    const first = await push('manager', [addAsset, addCase, addCables]);
    expect(first.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(first[0]?.row).toMatchObject({ gig_id: target, asset_id: asset, version: 1 });
    expect(first[2]?.row).toMatchObject({ category: 'XLR cable', quantity: 24 });
    const again = await push('manager', [addAsset, addCase, addCables]);
    expect(again).toEqual(first);
    expect(await lines(target)).toHaveLength(3);
  });

  it('changes a quantity and notes (last write wins), removes a line, and a second removal is a noop', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Plan B', status: 'draft' });
    const line = randomUUID();
    await pushOne('admin', op('kit_assignments', 'create', { id: line, gig_id: target, category: 'Cable ramp', quantity: 4 }));
    // Two devices edit offline; the server takes each field's last write.
    expect((await pushOne('manager', op('kit_assignments', 'update', { id: line, fields: { quantity: 6 } }), 'laptop')).status).toBe(
      'applied',
    );
    const notes = await pushOne(
      'admin',
      op('kit_assignments', 'update', { id: line, fields: { notes: 'ramps for the FOH run' } }),
      'phone',
    );
    expect(notes.row).toMatchObject({ quantity: 6, notes: 'ramps for the FOH run', version: 3 });
    const remove = op('kit_assignments', 'delete', { id: line });
    expect(await pushOne('manager', remove)).toMatchObject({ status: 'applied', row: null });
    expect(await lines(target)).toEqual([]);
    expect(await pushOne('manager', remove)).toMatchObject({ status: 'applied', row: null });
    expect(await pushOne('admin', op('kit_assignments', 'delete', { id: line }), 'phone')).toMatchObject({
      status: 'applied',
      code: 'noop',
    });
  });

  it('two planners adding the same item at the same moment make one line, the other is told', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Race night', status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, 'PLAN-RACE', { name: 'Mixing desk' });
    const box = await insertCase(stack.db, org.id, 'CASE-RACE');
    for (let round = 0; round < 5; round += 1) {
      await stack.db.query('delete from public.kit_assignments where gig_id = $1', [target]);
      const answers = await Promise.all([
        pushOne('manager', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, asset_id: asset }), 'laptop'),
        pushOne('admin', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, asset_id: asset }), 'phone'),
        pushOne('manager', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, case_id: box }), 'laptop-2'),
        pushOne('admin', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, case_id: box }), 'phone-2'),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual(['applied', 'applied', 'rejected', 'rejected']);
      expect(answers.filter((a) => a.status === 'rejected').map((a) => a.code)).toEqual(['already_planned', 'already_planned']);
      expect(await lines(target)).toHaveLength(2);
    }
  });

  it('refuses a second line for the same item, in words', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Side Stage Saturday', status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, 'PLAN-DUP', { name: 'DI box' });
    await pushOne('manager', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, asset_id: asset }));
    const twice = await pushOne('manager', op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, asset_id: asset }));
    expect(twice).toMatchObject({
      status: 'rejected',
      code: 'already_planned',
      message: 'DI box · PLAN-DUP is already on the pick list of "Side Stage Saturday"',
    });
    expect(await lines(target)).toHaveLength(1);
  });

  it.each([
    ['no kind', { category: null }, 'invalid_field', 'a pick list line is exactly one of'],
    ['two kinds', { asset_id: 'A', category: 'XLR cable', quantity: 2 }, 'invalid_field', 'a pick list line is exactly one of'],
    ['a zero quantity', { category: 'XLR cable', quantity: 0 }, 'invalid_field', 'payload.quantity must be a whole number'],
    ['a fractional quantity', { category: 'XLR cable', quantity: 1.5 }, 'invalid_field', 'payload.quantity must be a whole number'],
    ['a quantity as text', { category: 'XLR cable', quantity: '3' }, 'invalid_field', 'payload.quantity must be a whole number'],
    ['a blank category', { category: '   ', quantity: 3 }, 'invalid_field', 'payload.category must be a category name'],
    ['an item of another company', { asset_id: 'RIVAL' }, 'not_found', 'the item was not found'],
    ['notes that are not text', { category: 'Clamp', quantity: 3, notes: 7 }, 'invalid_field', 'payload.notes must be text'],
  ])('refuses %s and stores nothing', async (_name, fields, code, words) => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const rivalAsset = await insertAsset(stack.db, rival.id, `RIV-${randomUUID().slice(0, 6)}`);
    const asset = await insertAsset(stack.db, org.id, `OWN-${randomUUID().slice(0, 6)}`);
    const payload: Record<string, unknown> = { id: randomUUID(), gig_id: target, ...fields };
    if (payload['asset_id'] === 'A') payload['asset_id'] = asset;
    if (payload['asset_id'] === 'RIVAL') payload['asset_id'] = rivalAsset;
    const result = await pushOne('manager', op('kit_assignments', 'create', payload));
    expect(result).toMatchObject({ status: 'rejected', code });
    expect(result.message).toContain(words);
    expect(await lines(target)).toEqual([]);
  });

  it('refuses a quantity on an item line and fields that do not exist', async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const line = randomUUID();
    await pushOne(
      'manager',
      op('kit_assignments', 'create', { id: line, gig_id: target, asset_id: await insertAsset(stack.db, org.id, 'PLAN-Q') }),
    );
    expect(await pushOne('manager', op('kit_assignments', 'update', { id: line, fields: { quantity: 3 } }))).toMatchObject({
      code: 'invalid_field',
      message: 'only a quantity line (a category) has a quantity to change',
    });
    expect(await pushOne('manager', op('kit_assignments', 'update', { id: line, fields: { gig_id: gig } }))).toMatchObject({
      code: 'invalid_field',
      message: "a pick list line's gig_id cannot change; allowed: quantity, notes",
    });
    expect(await lines(target)).toMatchObject([{ version: 1, quantity: null }]);
  });

  it('refuses crew and stations, and a completed gig', async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    for (const who of ['crew', 'station'] as const) {
      const result = await pushOne(
        who,
        op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, category: 'Clamp', quantity: 2 }),
      );
      expect(result).toMatchObject({ status: 'rejected', code: 'forbidden', message: "your role cannot change a gig's pick list" });
    }
    const done = await insertGig(stack.db, org.id, { name: 'Last Week', status: 'completed' });
    expect(
      await pushOne('admin', op('kit_assignments', 'create', { id: randomUUID(), gig_id: done, category: 'Clamp', quantity: 2 })),
    ).toMatchObject({
      code: 'gig_closed',
      message: 'the gig "Last Week" is completed; its pick list no longer changes',
    });
    expect([...(await lines(target)), ...(await lines(done))]).toEqual([]);
  });

  it("another company's admin cannot add to, change or remove this company's lines, nor learn they exist", async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const line = randomUUID();
    await pushOne('manager', op('kit_assignments', 'create', { id: line, gig_id: target, category: 'Clamp', quantity: 2 }));
    const add = await pushOne(
      'admin',
      op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, category: 'Clamp', quantity: 9 }),
      'x',
      rival,
    );
    const nowhere = await pushOne(
      'admin',
      op('kit_assignments', 'create', { id: randomUUID(), gig_id: randomUUID(), category: 'Clamp', quantity: 9 }),
      'x',
      rival,
    );
    expect(add).toMatchObject({ status: 'rejected', code: 'not_found', message: 'the gig was not found' });
    expect(nowhere).toMatchObject({ status: add.status, code: add.code, message: add.message });
    const change = await pushOne('admin', op('kit_assignments', 'update', { id: line, fields: { quantity: 1 } }), 'x', rival);
    expect(change).toMatchObject({ status: 'rejected', code: 'not_found' });
    const remove = await pushOne('admin', op('kit_assignments', 'delete', { id: line }), 'x', rival);
    // The same answer as for a line that does not exist: no row, nothing changed.
    expect(remove).toMatchObject({ status: 'applied', code: 'noop', row: null });
    expect(await lines(target)).toMatchObject([{ id: line, quantity: 2, version: 1 }]);
  });

  it('a removed member can push nothing', async () => {
    const gone = await createOrg(stack, 'planning-gone');
    const target = await insertGig(stack.db, gone.id, { status: 'confirmed' });
    await stack.db.query('delete from public.memberships where user_id = $1', [gone.members.manager.userId]);
    const result = await pushOne(
      'manager',
      op('kit_assignments', 'create', { id: randomUUID(), gig_id: target, category: 'Clamp', quantity: 2 }),
      'x',
      gone,
    );
    expect(result).toMatchObject({ status: 'rejected', code: 'not_a_member' });
    expect(await lines(target)).toEqual([]);
  });

  it('pull_changes brings new lines and a tombstone for a removed one', async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const { cursor } = await pullToCurrent(org.members.crew, null);
    const kept = randomUUID();
    const removed = randomUUID();
    await push('manager', [
      op('kit_assignments', 'create', { id: kept, gig_id: target, category: 'Clamp', quantity: 2 }),
      op('kit_assignments', 'create', { id: removed, gig_id: target, category: 'Safety bond', quantity: 2 }),
    ]);
    await pushOne('manager', op('kit_assignments', 'delete', { id: removed }));
    const page = await pullToCurrent(org.members.crew, cursor);
    expect(page.changes['kit_assignments']?.map((r) => r.id)).toEqual([kept]);
    expect(page.tombstones).toContainEqual(expect.objectContaining({ table: 'kit_assignments', id: removed }));
  });
});

describe('crew (gig_staff)', () => {
  it('assigns, changes the role, refuses a second assignment in words, and removes', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Festival Day 1', status: 'confirmed' });
    const mika = await staff(org.id, 'Mika Moreau');
    const assign = op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: mika, role: ' Stage manager ' });
    expect(await pushOne('manager', assign)).toMatchObject({ status: 'applied', row: { staff_id: mika, role: 'Stage manager' } });
    expect(await pushOne('manager', assign)).toMatchObject({ status: 'applied' });
    expect(await crewOf(target)).toEqual([{ staff_id: mika, role: 'Stage manager' }]);
    const twice = await pushOne('admin', op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: mika, role: 'Rigger' }));
    expect(twice).toMatchObject({
      status: 'rejected',
      code: 'already_assigned',
      message: 'Mika Moreau is already on the crew of "Festival Day 1"',
    });
    const id = String(assign.payload['id']);
    expect(await pushOne('admin', op('gig_staff', 'update', { id, fields: { role: 'Production manager' } }))).toMatchObject({
      status: 'applied',
      row: { role: 'Production manager', version: 2 },
    });
    expect(await pushOne('manager', op('gig_staff', 'delete', { id }))).toMatchObject({ status: 'applied', row: null });
    expect(await crewOf(target)).toEqual([]);
  });

  it.each([
    ['crew', 'crew', 'forbidden'],
    ['a station', 'station', 'forbidden'],
  ] as const)('refuses %s', async (_name, who, code) => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const result = await pushOne(
      who,
      op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: await staff(org.id, 'Sam'), role: 'Rigger' }),
    );
    expect(result).toMatchObject({ status: 'rejected', code, message: "your role cannot change a gig's crew" });
    expect(await crewOf(target)).toEqual([]);
  });

  it("refuses someone of another company's staff, a blank role, and another company's admin", async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const outsider = await staff(rival.id, 'Rival Person');
    expect(
      await pushOne('manager', op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: outsider, role: 'Rigger' })),
    ).toMatchObject({
      code: 'not_found',
      message: "that person is not on this organization's staff",
    });
    const ours = await staff(org.id, 'Ada');
    expect(
      await pushOne('manager', op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: ours, role: '  ' })),
    ).toMatchObject({
      code: 'invalid_field',
    });
    expect(
      await pushOne(
        'admin',
        op('gig_staff', 'create', { id: randomUUID(), gig_id: target, staff_id: outsider, role: 'Rigger' }),
        'x',
        rival,
      ),
    ).toMatchObject({ code: 'not_found', message: 'the gig was not found' });
    expect(await crewOf(target)).toEqual([]);
  });
});

describe('gig edits', () => {
  it('moves a set time by version: applied, replayed, a noop when unchanged, a conflict when the gig moved on', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Headliner', status: 'confirmed' });
    const times = { starts_at: '2027-07-03T21:00:00Z', ends_at: '2027-07-03T22:30:00Z' };
    const move = op('gigs', 'set_times', { id: target, ...times }, 1);
    expect(await pushOne('manager', move)).toMatchObject({ status: 'applied', row: { version: 2 } });
    expect(await pushOne('manager', move)).toMatchObject({ status: 'applied', row: { version: 2 } });
    expect(await pushOne('manager', op('gigs', 'set_times', { id: target, ...times }, 1), 'other')).toMatchObject({
      status: 'applied',
      code: 'noop',
    });
    // Another device decided on version 2; the gig was renamed meanwhile (version 3).
    await pushOne('admin', op('gigs', 'update', { id: target, fields: { name: 'Headliner (late)' } }), 'phone');
    const late = await pushOne(
      'manager',
      op('gigs', 'set_times', { id: target, starts_at: '2027-07-03T22:00:00Z', ends_at: null }, 2),
      'laptop',
    );
    expect(late).toMatchObject({ status: 'conflict', changed_fields: ['starts_at', 'ends_at'] });
    expect(await gigRow(target)).toMatchObject({ name: 'Headliner (late)', starts_at: new Date(times.starts_at), version: 3 });
  });

  it('a set time moved from the app is announced to the crew in the venue’s time', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Closing set', status: 'confirmed' });
    await stack.db.query("update public.gigs set time_zone = 'Europe/Lisbon' where id = $1", [target]);
    const version = Number((await gigRow(target))['version']);
    const moved = op('gigs', 'set_times', { id: target, starts_at: '2027-07-03T21:00:00Z', ends_at: '2027-07-03T22:30:00Z' }, version);
    expect((await pushOne('manager', moved)).status).toBe('applied');
    const { rows } = await stack.db.query<{ kind: string; title: string; body: string }>(
      'select kind, title, body from app.notification_outbox where gig_id = $1 order by id',
      [target],
    );
    expect(rows).toEqual([{ kind: 'schedule', title: 'Closing set', body: 'Now Sat 03 Jul 22:00 Lisbon time – 23:30' }]);
  });

  it('refuses an end before the start, a missing end, times through update, and a set time from crew', async () => {
    const target = await insertGig(stack.db, org.id, { status: 'confirmed' });
    expect(
      await pushOne(
        'manager',
        op('gigs', 'set_times', { id: target, starts_at: '2027-07-03T22:00:00Z', ends_at: '2027-07-03T21:00:00Z' }, 1),
      ),
    ).toMatchObject({ code: 'invalid_field', message: 'the end is before the start' });
    expect(await pushOne('manager', op('gigs', 'set_times', { id: target, starts_at: '2027-07-03T22:00:00Z' }, 1))).toMatchObject({
      code: 'missing_field',
    });
    expect(await pushOne('manager', op('gigs', 'update', { id: target, fields: { starts_at: '2027-07-03T22:00:00Z' } }))).toMatchObject({
      code: 'invalid_field',
      message: 'gigs.update cannot change starts_at; allowed: name, venue, notes, time_zone (start and end change with set_times)',
    });
    expect(await pushOne('crew', op('gigs', 'set_times', { id: target, starts_at: null, ends_at: null }, 1))).toMatchObject({
      code: 'forbidden',
    });
    expect(await gigRow(target)).toMatchObject({ starts_at: null, version: 1 });
  });

  it('names and notes are last-write-wins per field between two devices', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Load-in', status: 'draft' });
    await pushOne('manager', op('gigs', 'update', { id: target, fields: { name: 'Load-in (dock B)' } }), 'laptop');
    await pushOne('admin', op('gigs', 'update', { id: target, fields: { notes: 'forklift booked', venue: 'Dock B' } }), 'phone');
    await pushOne('admin', op('gigs', 'update', { id: target, fields: { name: 'Load-in, dock B' } }), 'phone');
    expect(await gigRow(target)).toMatchObject({ name: 'Load-in, dock B', notes: 'forklift booked', venue: 'Dock B', version: 4 });
  });

  it('creates a gig under a parent, moves it (a cycle refused), deletes the subtree; each replayed, each refused for crew and another company', async () => {
    const festival = await insertGig(stack.db, org.id, { name: 'Summer Festival', status: 'confirmed' });
    const day = randomUUID();
    const create = op('gigs', 'create', { id: day, parent_gig_id: festival, name: 'Day 1', time_zone: 'Europe/Lisbon' });
    expect(await pushOne('manager', create)).toMatchObject({
      status: 'applied',
      row: { parent_gig_id: festival, time_zone: 'Europe/Lisbon' },
    });
    expect(await pushOne('manager', create)).toMatchObject({ status: 'applied' });
    const set = randomUUID();
    await pushOne('manager', op('gigs', 'create', { id: set, parent_gig_id: day, name: 'Opening set' }));
    expect(await pushOne('manager', op('gigs', 'move', { id: day, parent_gig_id: set }, 1))).toMatchObject({ code: 'cycle' });
    expect(await pushOne('crew', op('gigs', 'create', { id: randomUUID(), parent_gig_id: festival, name: 'X' }))).toMatchObject({
      code: 'forbidden',
    });
    expect(await pushOne('admin', op('gigs', 'delete', { id: day }), 'x', rival)).toMatchObject({ code: 'not_found' });
    const remove = op('gigs', 'delete', { id: day });
    expect(await pushOne('admin', remove)).toMatchObject({ status: 'applied' });
    expect(await pushOne('admin', remove)).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ id: string; deleted: boolean }>(
      'select id, deleted_at is not null as deleted from public.gigs where id = any($1) order by name',
      [[festival, day, set]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.deleted]))).toEqual({ [festival]: false, [day]: true, [set]: true });
  });
});

describe('overbooking: an item held by another gig at the same time', () => {
  async function dated(name: string, startsAt: string, endsAt: string, parent: string | null = null): Promise<string> {
    const id = await insertGig(stack.db, org.id, { name, status: 'confirmed', parent });
    await stack.db.query('update public.gigs set starts_at = $2, ends_at = $3 where id = $1', [id, startsAt, endsAt]);
    return id;
  }
  const add = (gigId: string, what: Record<string, unknown>, extra: Record<string, unknown> = {}): Op =>
    op('kit_assignments', 'create', { id: randomUUID(), gig_id: gigId, ...what, ...extra });

  it('answers conflict `overbooked` naming the gig, plans it when confirmed (recorded), and leaves gigs apart in time alone', async () => {
    const mic = await insertAsset(stack.db, org.id, 'OVB-MIC', { name: 'Shure SM58' });
    const friday = await dated('Friday show', '2027-08-06T18:00:00Z', '2027-08-06T23:00:00Z');
    const saturday = await dated('Saturday show', '2027-08-07T18:00:00Z', '2027-08-07T23:00:00Z');
    const october = await dated('October show', '2027-10-01T18:00:00Z', '2027-10-01T23:00:00Z');
    const undated = await insertGig(stack.db, org.id, { name: 'Someday', status: 'draft' });
    expect((await pushOne('manager', add(friday, { asset_id: mic }))).status).toBe('applied');
    // With 24 h buffers either side, Saturday's window overlaps Friday's.
    const clash = await pushOne('manager', add(saturday, { asset_id: mic }));
    expect(clash).toMatchObject({
      status: 'conflict',
      code: 'overbooked',
      row: null,
      message: `Shure SM58 · OVB-MIC is also planned on "Friday show" (${await codeOf(friday)}) at the same time; confirm to plan it anyway`,
    });
    expect((clash as unknown as { gigs: unknown[] }).gigs).toEqual([
      { gig_id: friday, name: 'Friday show', code: await codeOf(friday), reason: 'planned', items: ['Shure SM58 · OVB-MIC'] },
    ]);
    expect(await lines(saturday)).toEqual([]);
    const confirmed = await pushOne('manager', add(saturday, { asset_id: mic }, { confirm_overbooking: true }));
    expect(confirmed).toMatchObject({ status: 'applied' });
    expect(confirmed.row?.['overbooking_confirmed_at']).not.toBeNull();
    expect((await pushOne('manager', add(october, { asset_id: mic }))).status).toBe('applied');
    expect((await pushOne('manager', add(undated, { asset_id: mic }))).status).toBe('applied');
    expect((await pushOne('manager', add(october, { category: 'Clamp', quantity: 2 }, { confirm_overbooking: 'yes' }))).code).toBe(
      'invalid_field',
    );
  });

  it('two planners putting one item on two overlapping gigs at the same moment: one is planned, the other told', async () => {
    const mic = await insertAsset(stack.db, org.id, 'OVB-RACE', { name: 'Shure SM7B' });
    for (let round = 0; round < 5; round += 1) {
      const a = await dated(`Race A${round}`, '2027-11-06T18:00:00Z', '2027-11-06T23:00:00Z');
      const b = await dated(`Race B${round}`, '2027-11-06T19:00:00Z', '2027-11-06T22:00:00Z');
      const answers = await Promise.all([
        pushOne('manager', add(a, { asset_id: mic }), 'laptop'),
        pushOne('admin', add(b, { asset_id: mic }), 'phone'),
      ]);
      expect(answers.map((r) => `${r.status}${r.code === undefined ? '' : `:${r.code}`}`).sort()).toEqual([
        'applied',
        'conflict:overbooked',
      ]);
      await stack.db.query('delete from public.kit_assignments where asset_id = $1', [mic]);
    }
  });

  it('counts an item inside a planned case, and an item out to a gig not back in time; its own festival does not clash', async () => {
    const box = await insertCase(stack.db, org.id, 'OVB-CASE');
    const inside = await insertAsset(stack.db, org.id, 'OVB-IN', { name: 'Wireless mic', caseId: box });
    const loose = await insertAsset(stack.db, org.id, 'OVB-OUT', { name: 'Hazer' });
    const festival = await dated('Harbour Festival', '2027-09-10T10:00:00Z', '2027-09-12T23:00:00Z');
    const set = await dated('Closing set', '2027-09-12T21:00:00Z', '2027-09-12T22:30:00Z', festival);
    const rival = await dated('Corporate dinner', '2027-09-11T18:00:00Z', '2027-09-11T23:00:00Z');
    expect((await pushOne('manager', add(festival, { case_id: box }))).status).toBe('applied');
    // The set is part of the festival: the festival's plan does not hold the case against it.
    expect((await pushOne('manager', add(set, { asset_id: inside }))).status).toBe('applied');
    expect(await pushOne('manager', add(rival, { asset_id: inside }))).toMatchObject({
      code: 'overbooked',
      message: expect.stringMatching(/^Wireless mic · OVB-IN is also planned on "Closing set" .*; planned on "Harbour Festival" /),
    });
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [loose, festival]);
    expect(await pushOne('manager', add(rival, { asset_id: loose }))).toMatchObject({
      code: 'overbooked',
      message: `Hazer · OVB-OUT is also out to "Harbour Festival" (${await codeOf(festival)}), not back in time; confirm to plan it anyway`,
    });
  });
});

async function codeOf(gigId: string): Promise<string> {
  const { rows } = await stack.db.query<{ code: string }>('select code from public.gigs where id = $1', [gigId]);
  return rows[0]?.code ?? '';
}
