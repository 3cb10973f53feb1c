import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type MemberRole, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { pullToCurrent } from '../../../tests/helpers/pull';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// Warehouses, locations and stock-takes (issue 21) through push_changes as real members, the way
// a station or a phone sends them after a day offline: locations set up by managers, put-aways
// as `relocate` movements, audits scanned by several devices at once and closed into a report
// whose adjustments are movements with the auditor — under RLS, against a second company.
let stack: TestStack;
let org: Org;
let rival: Org;
let gig: string;

interface Result {
  op_id: string;
  status: string;
  code?: string;
  message?: string;
  row?: Record<string, unknown> | null;
}

interface Line {
  kind: string;
  what: string;
  id: string | null;
  code: string;
  belongs: string | null;
  seen_at: string | null;
  gig: string | null;
  in_case: string | null;
  expected: number | null;
  counted: number | null;
}

interface Report {
  status: string;
  place: string;
  scans: number;
  totals: Record<string, number>;
  lines: Line[];
}

type Op = Record<string, unknown>;
const op = (table: string, action: string, payload: Record<string, unknown>, extra: Op = {}): Op => ({
  id: randomUUID(),
  table,
  action,
  payload,
  created_at: new Date().toISOString(),
  ...extra,
});

async function push(ops: Op[], who: MemberRole = 'station', member: Org = org, device = 'dock-1'): Promise<Result[]> {
  const { data, error } = await member.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}

async function one(o: Op, who: MemberRole = 'station', member: Org = org, device = 'dock-1'): Promise<Result> {
  const [result] = await push([o], who, member, device);
  if (result === undefined) throw new Error('push_changes answered nothing');
  return result;
}

let codeN = 0;
const code = (prefix: string): string => `${prefix}-${(codeN += 1)}-${randomUUID().slice(0, 4).toUpperCase()}`;

async function place(kind: string, parent: string | null, name: string, member: Org = org): Promise<string> {
  const id = randomUUID();
  const result = await one(
    op('locations', 'create', {
      id,
      kind,
      code: code('LOC'),
      name,
      ...(parent === null ? { org_id: member.id } : { parent_location_id: parent }),
    }),
    'manager',
    member,
  );
  expect(result, JSON.stringify(result)).toMatchObject({ status: 'applied' });
  return id;
}

async function located(asset: string): Promise<{ location_id: string | null; home_location_id: string | null }> {
  const { rows } = await stack.db.query<{ location_id: string | null; home_location_id: string | null }>(
    'select location_id, home_location_id from public.assets where id = $1',
    [asset],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no asset ${asset}`);
  return row;
}

async function relocations(
  asset: string,
): Promise<{ from_location_id: string | null; location_id: string; audit_id: string | null; actor_user_id: string }[]> {
  const { rows } = await stack.db.query<{
    from_location_id: string | null;
    location_id: string;
    audit_id: string | null;
    actor_user_id: string;
  }>(
    "select from_location_id, location_id, audit_id, actor_user_id from public.asset_movements where asset_id = $1 and kind = 'relocate' order by id",
    [asset],
  );
  return rows;
}

async function report(auditId: string, who: MemberRole = 'manager', member: Org = org): Promise<Report> {
  const { data, error } = await member.members[who].client.rpc('audit_report', { audit_id: auditId });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return data as Report;
}

const kinds = (r: Report, what: string): Record<string, string> =>
  Object.fromEntries(r.lines.filter((l) => l.what === what).map((l) => [l.code, l.kind]));

let warehouse: string;
let shelfA: string;
let shelfB: string;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'where');
  rival = await createOrg(stack, 'where-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Harbour Festival', status: 'confirmed' });
  warehouse = await place('warehouse', null, 'North Warehouse');
  const zone = await place('zone', warehouse, 'Zone A');
  shelfA = await place('shelf', zone, 'Shelf A1');
  shelfB = await place('shelf', zone, 'Shelf A2');
});
afterAll(async () => {
  await stack?.stop();
});

describe('locations', () => {
  it('a place knows its warehouse, whatever the client sends; a bin holds no places; kind and place do not change', async () => {
    const bin = await place('bin', shelfA, 'Bin A1-3');
    const { rows } = await stack.db.query<{ warehouse_id: string }>('select warehouse_id from public.locations where id = $1', [bin]);
    expect(rows[0]?.warehouse_id).toBe(warehouse);
    const inBin = await one(
      op('locations', 'create', { id: randomUUID(), kind: 'shelf', code: code('LOC'), name: 'Nope', parent_location_id: bin }),
      'manager',
    );
    expect(inBin).toMatchObject({ status: 'rejected' });
    expect(inBin.message).toMatch(/a bin holds items, not other places/);
  });

  it('attack: crew and stations cannot set up places; a code already on an asset is refused, in words', async () => {
    for (const who of ['crew', 'station'] as const) {
      const refused = await one(
        op('locations', 'create', { id: randomUUID(), kind: 'shelf', code: code('LOC'), name: 'X', parent_location_id: shelfA }),
        who,
      );
      expect(refused).toMatchObject({
        status: 'rejected',
        code: 'forbidden',
        message: 'only admins and managers set up warehouses and locations',
      });
    }
    await insertAsset(stack.db, org.id, 'SER-CLASH', { barcode: 'CLASH-1' });
    const clash = await one(
      op('locations', 'create', { id: randomUUID(), kind: 'shelf', code: 'clash-1', name: 'X', parent_location_id: shelfA }),
      'manager',
    );
    expect(clash).toMatchObject({ status: 'rejected' });
    expect(clash.message).toMatch(/code 'clash-1' is already on an item or a badge/);
  });

  it("attack: a second company's admin cannot see, use or remove our places (the same answer as a place that does not exist)", async () => {
    const theirs = await insertAsset(stack.db, rival.id, code('RIV'));
    const putInOurs = await one(op('assets', 'put_away', { id: theirs, location_id: shelfA }), 'admin', rival);
    expect(putInOurs).toMatchObject({ status: 'rejected', code: 'not_found' });
    const under = await one(
      op('locations', 'create', { id: randomUUID(), kind: 'bin', code: code('LOC'), name: 'X', parent_location_id: shelfA }),
      'admin',
      rival,
    );
    expect(under).toMatchObject({ status: 'rejected', code: 'not_found' });
    const remove = await one(op('locations', 'delete', { id: shelfA }), 'admin', rival);
    expect(remove).toMatchObject({ status: 'rejected', code: 'not_found', message: 'the location was not found' });
    const audit = await one(op('audits', 'start', { id: randomUUID(), location_id: warehouse }), 'admin', rival);
    expect(audit).toMatchObject({ status: 'rejected', code: 'not_found' });
    const { rows } = await stack.db.query('select 1 from public.locations where id = $1 and deleted_at is null', [shelfA]);
    expect(rows).toHaveLength(1);
  });

  it('a place that holds something cannot be removed; an empty one can, and its code is free again', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf Z9');
    const asset = await insertAsset(stack.db, org.id, code('SER'));
    expect(await one(op('assets', 'put_away', { id: asset, location_id: shelf, home: true }))).toMatchObject({ status: 'applied' });
    const refused = await one(op('locations', 'delete', { id: shelf }), 'manager');
    expect(refused).toMatchObject({ status: 'rejected', code: 'not_empty' });
    expect(refused.message).toMatch(/^Shelf Z9 \(LOC-\d+-\w+\) still holds or is home to 1 things or places: move them first$/);
    expect(await one(op('assets', 'put_away', { id: asset, location_id: shelfB, home: true }))).toMatchObject({ status: 'applied' });
    expect(await one(op('locations', 'delete', { id: shelf }), 'manager')).toMatchObject({ status: 'applied' });
  });
});

describe('put-away, check-out and check-in', () => {
  it('putting away is a relocate movement; check-out takes it off the shelf and check-in brings it home; a replay moves nothing twice', async () => {
    const asset = await insertAsset(stack.db, org.id, code('SER'));
    const put = op('assets', 'put_away', { id: asset, location_id: shelfA, home: true });
    expect(await one(put)).toMatchObject({ status: 'applied', row: { location_id: shelfA, home_location_id: shelfA } });
    expect(await one(put)).toMatchObject({ status: 'applied' });
    const moved = await one(op('assets', 'put_away', { id: asset, location_id: shelfB }));
    expect(moved.row).toMatchObject({ location_id: shelfB, home_location_id: shelfA });
    expect(await relocations(asset)).toEqual([
      { from_location_id: null, location_id: shelfA, audit_id: null, actor_user_id: org.members.station.userId },
      { from_location_id: shelfA, location_id: shelfB, audit_id: null, actor_user_id: org.members.station.userId },
    ]);
    const out = await one(op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: moved.row?.['version'] }));
    expect(out, JSON.stringify(out)).toMatchObject({ status: 'applied', row: { status: 'checked_out', location_id: null } });
    const onShelf = await one(op('assets', 'put_away', { id: asset, location_id: shelfB }));
    expect(onShelf).toMatchObject({ status: 'rejected', code: 'checked_out' });
    const back = await one(op('assets', 'check_in', { id: asset, gig_id: gig }));
    expect(back, JSON.stringify(back)).toMatchObject({ status: 'applied', row: { status: 'available' } });
    expect(await located(asset)).toEqual({ location_id: shelfA, home_location_id: shelfA });
  });

  it('a case put away takes everything in it, nested cases too, one movement per asset', async () => {
    const outer = await insertCase(stack.db, org.id, code('CASE'));
    const inner = await insertCase(stack.db, org.id, code('CASE'), outer);
    const a1 = await insertAsset(stack.db, org.id, code('SER'), { caseId: outer });
    const a2 = await insertAsset(stack.db, org.id, code('SER'), { caseId: inner });
    expect(await one(op('cases', 'put_away', { id: outer, location_id: shelfB }))).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ id: string; location_id: string }>(
      'select id, location_id from public.cases where id = any($1)',
      [[outer, inner]],
    );
    expect(rows.map((r) => r.location_id)).toEqual([shelfB, shelfB]);
    expect((await located(a1)).location_id).toBe(shelfB);
    expect((await located(a2)).location_id).toBe(shelfB);
    expect(await relocations(a2)).toHaveLength(1);
  });

  it("attack: a forged location id, a bad home flag and another company's item are refused and change nothing", async () => {
    const asset = await insertAsset(stack.db, org.id, code('SER'));
    expect(await one(op('assets', 'put_away', { id: asset, location_id: randomUUID() }))).toMatchObject({
      status: 'rejected',
      code: 'not_found',
    });
    expect(await one(op('assets', 'put_away', { id: asset, location_id: shelfA, home: 'yes' }))).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
      message: 'payload.home must be true or false',
    });
    const theirs = await insertAsset(stack.db, rival.id, code('RIV'));
    expect(await one(op('assets', 'put_away', { id: theirs, location_id: shelfA }), 'manager')).toMatchObject({
      status: 'rejected',
      code: 'not_found',
    });
    expect(await located(asset)).toEqual({ location_id: null, home_location_id: null });
    expect(await relocations(asset)).toEqual([]);
  });
});

describe('audits', () => {
  it('two devices audit a shelf at once: found, wrong place, out to a gig, unknown, missing, each thing once; bulk counts are not added twice', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf C1');
    const other = await place('shelf', warehouse, 'Shelf C2');
    const here = await insertAsset(stack.db, org.id, code('SER'), { barcode: code('BC') });
    const gone = await insertAsset(stack.db, org.id, code('SER'), { barcode: code('BC') });
    const stray = await insertAsset(stack.db, org.id, code('SER'), { barcode: code('BC') });
    const touring = await insertAsset(stack.db, org.id, code('SER'), { barcode: code('BC') });
    const box = await insertCase(stack.db, org.id, code('CASE'));
    const inBox = await insertAsset(stack.db, org.id, code('SER'), { caseId: box });
    for (const [id, where] of [
      [here, shelf],
      [gone, shelf],
      [stray, other],
      [touring, shelf],
    ] as const)
      expect(await one(op('assets', 'put_away', { id, location_id: where, home: true }))).toMatchObject({ status: 'applied' });
    expect(await one(op('cases', 'put_away', { id: box, location_id: shelf }))).toMatchObject({ status: 'applied' });
    const { rows: v } = await stack.db.query<{ version: number }>('select version from public.assets where id = $1', [touring]);
    expect(await one(op('assets', 'check_out', { id: touring, gig_id: gig }, { base_version: v[0]?.version }))).toMatchObject({
      status: 'applied',
    });
    const { rows: bulkRows } = await stack.db.query<{ id: string; barcode: string }>(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse, location_id, home_location_id)
       values ($1, 'XLR 10 m', 'XLR cable 10 m', $2, 40, $3, $3) returning id, barcode`,
      [org.id, code('BLK'), shelf],
    );
    const bulk = bulkRows[0];
    if (bulk === undefined) throw new Error('no bulk item');
    const barcodeOf = async (id: string): Promise<string> =>
      (await stack.db.query<{ c: string }>('select coalesce(barcode, serial_number) as c from public.assets where id = $1', [id])).rows[0]
        ?.c ?? '';
    const { rows: boxRows } = await stack.db.query<{ barcode: string }>('select barcode from public.cases where id = $1', [box]);

    const audit = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelf }), 'crew', org, 'phone-1')).toMatchObject({
      status: 'applied',
    });
    const scan = (c: string, extra: Record<string, unknown> = {}): Op => op('audits', 'scan', { id: audit, code: c, ...extra });
    // The station and a crew phone, each with what it scanned offline, in whichever order they reach the server.
    const station = await push(
      [
        scan((await barcodeOf(here)).toLowerCase()),
        scan(await barcodeOf(stray)),
        scan(boxRows[0]?.barcode ?? ''),
        scan(bulk.barcode, { quantity: 37 }),
      ],
      'station',
      org,
      'dock-1',
    );
    expect(station.map((r) => r.code)).toEqual(['found', 'wrong_place', 'found', 'found']);
    const phone = await push(
      [scan(await barcodeOf(here)), scan(await barcodeOf(touring)), scan('PREPRINT-0042'), scan(bulk.barcode, { quantity: 37 })],
      'crew',
      org,
      'phone-1',
    );
    expect(phone.map((r) => r.code)).toEqual(['found', 'out_to_gig', 'unknown', 'found']);

    const [hereCode = '', strayCode = '', touringCode = '', goneCode = '', inBoxCode = ''] = await Promise.all(
      [here, stray, touring, gone, inBox].map(barcodeOf),
    );
    const open = await report(audit);
    expect(open.status).toBe('open');
    expect(open.scans).toBe(8);
    expect(kinds(open, 'asset')).toEqual({
      [hereCode]: 'found',
      [strayCode]: 'wrong_place',
      [touringCode]: 'out_to_gig',
      [goneCode]: 'missing',
      [inBoxCode]: 'found',
    });
    const bulkLine = open.lines.find((l) => l.what === 'bulk');
    expect(bulkLine).toMatchObject({ kind: 'missing', expected: 40, counted: 37 });
    expect(open.lines.find((l) => l.what === 'code')).toMatchObject({ kind: 'unknown', code: 'PREPRINT-0042' });
    expect(open.lines.find((l) => l.code === inBoxCode)?.in_case).toMatch(/^Case CASE-/);
    expect(open.lines.find((l) => l.code === strayCode)).toMatchObject({
      belongs: expect.stringMatching(/^Shelf C2 /),
      seen_at: expect.stringMatching(/^Shelf C1 /),
    });
    expect(open.lines.find((l) => l.code === touringCode)?.gig).toBe('Harbour Festival');
  });

  it('closing with adjustments moves what was in the wrong place, a movement each with the audit and the auditor; the report is frozen', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf D1');
    const other = await place('shelf', warehouse, 'Shelf D2');
    const stray = await insertAsset(stack.db, org.id, code('SER'));
    expect(await one(op('assets', 'put_away', { id: stray, location_id: other, home: true }))).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ serial_number: string }>('select serial_number from public.assets where id = $1', [stray]);
    const audit = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelf }))).toMatchObject({ status: 'applied' });
    expect(await one(op('audits', 'scan', { id: audit, code: rows[0]?.serial_number }))).toMatchObject({
      status: 'applied',
      code: 'wrong_place',
    });
    const close = op('audits', 'close', { id: audit, adjust: true });
    expect(await one(close)).toMatchObject({ status: 'applied', row: { status: 'closed', adjusted: true } });
    expect(await one(close)).toMatchObject({ status: 'applied' });
    expect(await located(stray)).toEqual({ location_id: shelf, home_location_id: other });
    expect(await relocations(stray)).toEqual([
      { from_location_id: null, location_id: other, audit_id: null, actor_user_id: org.members.station.userId },
      { from_location_id: other, location_id: shelf, audit_id: audit, actor_user_id: org.members.station.userId },
    ]);
    const frozen = await report(audit);
    expect(frozen.status).toBe('closed');
    expect(frozen.totals).toEqual({ wrong_place: 1 });
    // Things move on after the close; the closed report stays what the audit found.
    expect(await one(op('assets', 'put_away', { id: stray, location_id: other }))).toMatchObject({ status: 'applied' });
    expect(await report(audit)).toEqual(frozen);
    const late = await one(op('audits', 'scan', { id: audit, code: rows[0]?.serial_number }), 'crew', org, 'phone-9');
    expect(late).toMatchObject({ status: 'rejected', code: 'audit_closed' });
    expect(late.message).toMatch(
      /^the audit of Shelf D1 \(LOC-[\w-]+\) was closed at \d{4}-\d\d-\d\d \d\d:\d\d UTC; this scan was not counted$/,
    );
  });

  it('crew may audit but not adjust unless their company allows it', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf E1');
    const audit = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelf }), 'crew')).toMatchObject({ status: 'applied' });
    const refused = await one(op('audits', 'close', { id: audit, adjust: true }), 'crew');
    expect(refused).toMatchObject({ status: 'rejected', code: 'forbidden' });
    expect(refused.message).toMatch(/^crew may audit but not move what the audit found/);
    await stack.db.query('update public.organizations set crew_adjusts_audits = true where id = $1', [org.id]);
    try {
      expect(await one(op('audits', 'close', { id: audit, adjust: true }), 'crew')).toMatchObject({
        status: 'applied',
        row: { adjusted: true },
      });
    } finally {
      await stack.db.query('update public.organizations set crew_adjusts_audits = false where id = $1', [org.id]);
    }
  });

  it('leaves out of the report an unknown label claimed and scanned again in the same audit (listed once, as found)', async () => {
    const audit = randomUUID();
    const label = code('PRE');
    expect(await one(op('audits', 'start', { id: audit, location_id: shelfA }))).toMatchObject({ status: 'applied' });
    expect(await one(op('audits', 'scan', { id: audit, code: label, location_id: shelfA }))).toMatchObject({ code: 'unknown' });
    const claimed = randomUUID();
    expect(
      await one(
        op('assets', 'claim', { id: claimed, org_id: org.id, code: label, name: 'DI box', category: 'Audio', location_id: shelfA }),
      ),
    ).toMatchObject({ status: 'applied' });
    expect(await one(op('audits', 'scan', { id: audit, code: label.toLowerCase(), location_id: shelfA }))).toMatchObject({ code: 'found' });
    // Another label scanned unknown and never claimed stays unknown.
    const stray = code('PRE');
    await one(op('audits', 'scan', { id: audit, code: stray, location_id: shelfA }));
    const lines = (await report(audit)).lines.filter((l) => l.code === label || l.code === stray);
    expect(lines.map((l) => [l.code, l.kind, l.id]).sort()).toEqual(
      [
        [label, 'found', claimed],
        [stray, 'unknown', null],
      ].sort(),
    );
  });

  it('lists the open stock-takes of the caller’s company for a second device to join — not closed ones, not to another company', async () => {
    const audit = randomUUID();
    const closed = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelfA, category: 'Audio' }), 'crew')).toMatchObject({
      status: 'applied',
    });
    await one(op('audits', 'scan', { id: audit, code: 'ANY-OPEN-1' }), 'crew');
    expect(await one(op('audits', 'start', { id: closed, location_id: shelfB }))).toMatchObject({ status: 'applied' });
    expect(await one(op('audits', 'close', { id: closed }))).toMatchObject({ status: 'applied' });
    const { data, error } = await org.members.station.client.rpc('open_audits');
    expect(error).toBeNull();
    const open = data as { id: string; place: string; category: string | null; started_by: string | null; scans: number }[];
    const { rows } = await stack.db.query<{ words: string; starter: string }>(
      `select l.name || ' (' || l.code || ')' as words,
              (select display_name from public.staff_profiles where user_id = $2 and org_id = $3) as starter
         from public.locations l where l.id = $1`,
      [shelfA, org.members.crew.userId, org.id],
    );
    expect(open.find((a) => a.id === audit)).toMatchObject({
      place: rows[0]?.words,
      category: 'Audio',
      started_by: rows[0]?.starter,
      scans: 1,
    });
    expect(open.map((a) => a.id)).not.toContain(closed);
    const { data: theirs } = await rival.members.admin.client.rpc('open_audits');
    expect((theirs as { id: string }[]).map((a) => a.id)).not.toContain(audit);
    const { error: anon } = await nodeSupabaseClient(stack.url, stack.anonKey).rpc('open_audits');
    expect(anon).not.toBeNull();
  });

  it("attack: another company's admin cannot read, scan into or close our audit; bad scans are refused and counted nowhere", async () => {
    const audit = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelfA }))).toMatchObject({ status: 'applied' });
    const { error } = await rival.members.admin.client.rpc('audit_report', { audit_id: audit });
    expect(error?.message).toBe('the audit was not found');
    expect(await one(op('audits', 'scan', { id: audit, code: 'ANY-1' }), 'admin', rival)).toMatchObject({
      status: 'rejected',
      code: 'not_found',
    });
    expect(await one(op('audits', 'close', { id: audit }), 'admin', rival)).toMatchObject({ status: 'rejected', code: 'not_found' });
    const { rows: loc } = await stack.db.query<{ code: string }>('select code from public.locations where id = $1', [shelfB]);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ code: 'x'.repeat(65) }, /payload\.code must be the scanned code/],
      [{ code: 'BAD CODE' }, /payload\.code must be the scanned code/],
      [{ code: 42 }, /payload\.code must be the scanned code/],
      [{ code: loc[0]?.code }, /is a location's code: it says where you scan, it is not counted/],
      [{ code: 'OK-1', location_id: warehouse }, /payload\.location_id is not inside Shelf A1/],
      [{ code: 'OK-1', quantity: 3 }, /payload\.quantity is for bulk items/],
    ];
    for (const [payload, message] of bad) {
      const result = await one(op('audits', 'scan', { id: audit, ...payload }));
      expect(result, JSON.stringify(payload)).toMatchObject({ status: 'rejected', code: 'invalid_field' });
      expect(result.message).toMatch(message);
    }
    expect((await report(audit)).scans).toBe(0);
  });
});

describe('claiming a pre-printed label', () => {
  it('an unknown code becomes a new asset on the shelf it was scanned on; a second claim of it is refused', async () => {
    const id = randomUUID();
    const claim = op('assets', 'claim', {
      id,
      org_id: org.id,
      code: 'PRE-000123',
      name: 'Shure SM58',
      category: 'Audio',
      location_id: shelfA,
    });
    expect(await one(claim)).toMatchObject({
      status: 'applied',
      row: { barcode: 'PRE-000123', serial_number: 'PRE-000123', location_id: shelfA },
    });
    const again = await one(
      op('assets', 'claim', { id: randomUUID(), org_id: org.id, code: 'pre-000123', name: 'Another', category: 'Audio' }),
    );
    expect(again).toMatchObject({ status: 'rejected', code: 'already_claimed' });
    expect(
      await one(op('assets', 'claim', { id: randomUUID(), org_id: org.id, code: 'PRE-9', name: 'X', category: 'Audio' }), 'crew'),
    ).toMatchObject({
      status: 'rejected',
      code: 'forbidden',
    });
    expect(await one(op('assets', 'claim', { id: randomUUID(), org_id: org.id, name: 'X', category: 'Audio' }))).toMatchObject({
      status: 'rejected',
      code: 'missing_field',
      message: 'payload.code is required (a string)',
    });
  });
});

describe('places reach the devices', () => {
  it("a station's pull, a touring laptop's scope and the crew's own scope hold every place of the company and none of another's; sync_verify counts them", async () => {
    const theirs = await place('warehouse', null, 'Rival depot', rival);
    const removed = await place('bin', shelfB, 'Bin to remove');
    expect(await one(op('locations', 'delete', { id: removed }), 'manager')).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ id: string }>('select id from public.locations where org_id = $1 and deleted_at is null', [
      org.id,
    ]);
    const live = rows.map((r) => r.id).sort();
    const tour = await insertGig(stack.db, org.id, { name: 'Spring tour', status: 'confirmed' });
    for (const [who, scope] of [
      ['station', null],
      ['manager', { kind: 'gigs', roots: [tour] }],
      ['crew', { kind: 'mine' }],
    ] as const) {
      const pulled = await pullToCurrent(org.members[who], null, scope);
      const held = new Map((pulled.changes['locations'] ?? []).map((row) => [row.id, row]));
      for (const t of pulled.tombstones) if (t.table === 'locations') held.delete(t.id);
      expect([...held.keys()].sort(), `${who} ${JSON.stringify(scope)}`).toEqual(live);
      expect(held.has(theirs)).toBe(false);
      expect(held.get(shelfA)).toMatchObject({ kind: 'shelf', name: 'Shelf A1', warehouse_id: warehouse });
      const { data, error } = await org.members[who].client.rpc('sync_verify', { cursor: pulled.cursor, scope });
      expect(error).toBeNull();
      expect((data as { tables: Record<string, { count: number }> }).tables['locations']?.count).toBe(live.length);
    }
    const { data } = await org.members.manager.client.rpc('pull_snapshot', { tbl: 'locations', after: null, limit: 1000 });
    expect(((data as { rows: { id: string }[] }).rows.map((r) => r.id) ?? []).sort()).toEqual(live);
  });
});

describe('bad input is refused in words and changes nothing', () => {
  it('a location with a bad or taken code, a blank name; an audit with a blank category; a count past 10 million', async () => {
    const { rows: before } = await stack.db.query<{ n: number }>('select count(*)::int as n from public.locations where org_id = $1', [
      org.id,
    ]);
    const { rows: taken } = await stack.db.query<{ code: string }>('select code from public.locations where id = $1', [shelfA]);
    const make = (payload: Record<string, unknown>): Op =>
      op('locations', 'create', { id: randomUUID(), kind: 'shelf', parent_location_id: warehouse, ...payload });
    const refusals: [Op, RegExp][] = [
      [make({ code: 'BAD CODE', name: 'X' }), /a location's code is 1 to 64 letters, digits and \. _ \/ -/],
      [make({ code: `A${'1'.repeat(64)}`, name: 'X' }), /a location's code is 1 to 64 letters/],
      [make({ code: 'FINE-1', name: '   ' }), /a location's name is 1 to 200 characters/],
      [
        make({ code: 'FINE-2', name: 'Shelf \u202Egnp.exe' }),
        /a location's name is one line of text, without control or text-direction characters/,
      ],
      [make({ code: 'FINE-3', name: 'Shelf\nA1' }), /one line of text/],
      [make({ code: (taken[0]?.code ?? '').toLowerCase(), name: 'Twin' }), /^code '[\w-]+' is already on Shelf A1 \(LOC-[\w-]+\)$/],
      [op('locations', 'update', { id: shelfB, fields: { code: taken[0]?.code } }), /is already on Shelf A1/],
      [
        op('locations', 'update', { id: shelfB, fields: { warehouse_id: randomUUID() } }),
        /a location's 'warehouse_id' cannot be changed; name and code can/,
      ],
    ];
    for (const [attempt, words] of refusals) {
      const result = await one(attempt, 'manager');
      expect(result, JSON.stringify(attempt)).toMatchObject({ status: 'rejected', code: 'invalid_field' });
      expect(result.message).toMatch(words);
    }
    const { rows: after } = await stack.db.query<{ n: number }>('select count(*)::int as n from public.locations where org_id = $1', [
      org.id,
    ]);
    expect(after[0]?.n).toBe(before[0]?.n);

    const blank = await one(op('audits', 'start', { id: randomUUID(), location_id: shelfA, category: '  ' }));
    expect(blank).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
      message: "payload.category must be a category's name (1 to 80 characters)",
    });
    const audit = randomUUID();
    expect(await one(op('audits', 'start', { id: audit, location_id: shelfA }))).toMatchObject({ status: 'applied' });
    const { rows: bulk } = await stack.db.query<{ barcode: string }>(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse, location_id) values ($1, 'Sandbags', 'Sandbag', $2, 10, $3) returning barcode`,
      [org.id, code('SAND'), shelfA],
    );
    const huge = await one(op('audits', 'scan', { id: audit, code: bulk[0]?.barcode, quantity: 99_999_999 }));
    expect(huge).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
      message: 'a bulk item is counted: payload.quantity must be a whole number from 0 to 10,000,000',
    });
    expect((await report(audit)).scans).toBe(0);
  });
});

describe('from an outside review', () => {
  it('an adjustment moves only what is still where the audit found it belonged: a put-away since stands', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf F1');
    const home = await place('shelf', warehouse, 'Shelf F2');
    const since = await place('shelf', warehouse, 'Shelf F3');
    const stray = await insertAsset(stack.db, org.id, code('SER'));
    expect(await one(op('assets', 'put_away', { id: stray, location_id: home, home: true }))).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ serial_number: string }>('select serial_number from public.assets where id = $1', [stray]);
    const audit = randomUUID();
    await push([
      op('audits', 'start', { id: audit, location_id: shelf }),
      op('audits', 'scan', { id: audit, code: rows[0]?.serial_number }),
    ]);
    // Someone puts it away properly before the manager closes the audit.
    expect(await one(op('assets', 'put_away', { id: stray, location_id: since }), 'crew')).toMatchObject({ status: 'applied' });
    expect(await one(op('audits', 'close', { id: audit, adjust: true }), 'manager')).toMatchObject({ status: 'applied' });
    expect((await located(stray)).location_id).toBe(since);
    expect((await relocations(stray)).filter((m) => m.audit_id === audit)).toEqual([]);
    expect((await report(audit)).totals).toEqual({ wrong_place: 1 });
  });

  it('a case scanned inside a scanned case counts its own contents; nothing is counted twice, and it is not missing', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf G1');
    const outer = await insertCase(stack.db, org.id, code('CASE'));
    const inner = await insertCase(stack.db, org.id, code('CASE'), outer);
    const mic = await insertAsset(stack.db, org.id, code('SER'), { caseId: inner });
    expect(await one(op('cases', 'put_away', { id: outer, location_id: shelf }))).toMatchObject({ status: 'applied' });
    const { rows } = await stack.db.query<{ id: string; barcode: string }>('select id, barcode from public.cases where id = any($1)', [
      [outer, inner],
    ]);
    const audit = randomUUID();
    await push([
      op('audits', 'start', { id: audit, location_id: shelf }),
      ...rows.map((r) => op('audits', 'scan', { id: audit, code: r.barcode })),
    ]);
    const lines = (await report(audit)).lines;
    expect(lines.filter((l) => l.id === mic)).toHaveLength(1);
    expect(lines.filter((l) => l.what === 'case').map((l) => l.kind)).toEqual(['found', 'found']);
    // Only the outer case scanned: the inner one is counted with it, not missing.
    const second = randomUUID();
    await push([
      op('audits', 'start', { id: second, location_id: shelf }),
      op('audits', 'scan', { id: second, code: rows.find((r) => r.id === outer)?.barcode }),
    ]);
    expect((await report(second)).lines.filter((l) => l.kind === 'missing')).toEqual([]);
  });

  it('a case out to a gig with its contents is not missing from its shelf, and a scan of it says it is out', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf H1');
    const box = await insertCase(stack.db, org.id, code('CASE'));
    const inside = await insertAsset(stack.db, org.id, code('SER'), { caseId: box });
    expect(await one(op('cases', 'put_away', { id: box, location_id: shelf }))).toMatchObject({ status: 'applied' });
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [inside, gig]);
    const audit = randomUUID();
    await push([op('audits', 'start', { id: audit, location_id: shelf })]);
    expect((await report(audit)).lines.filter((l) => l.kind === 'missing')).toEqual([]);
    const { rows } = await stack.db.query<{ barcode: string }>('select barcode from public.cases where id = $1', [box]);
    expect(await one(op('audits', 'scan', { id: audit, code: rows[0]?.barcode }))).toMatchObject({ status: 'applied', code: 'out_to_gig' });
  });

  it('bulk stock that is all out is not expected on its shelf (no "missing, 0 expected" line)', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf K1');
    await stack.db.query(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse, location_id) values ($1, 'Ramps', 'Cable ramp', $2, 0, $3)`,
      [org.id, code('RAMP'), shelf],
    );
    const audit = randomUUID();
    await push([op('audits', 'start', { id: audit, location_id: shelf })]);
    expect((await report(audit)).lines).toEqual([]);
  });

  it('crew put things away but do not change where they live; a place under an open stock-take is not removed', async () => {
    const shelf = await place('shelf', warehouse, 'Shelf J1');
    const asset = await insertAsset(stack.db, org.id, code('SER'));
    const homed = await one(op('assets', 'put_away', { id: asset, location_id: shelf, home: true }), 'crew');
    expect(homed).toMatchObject({ status: 'rejected', code: 'forbidden' });
    expect(homed.message).toMatch(/^crew put things away but do not change where they live/);
    expect(await located(asset)).toEqual({ location_id: null, home_location_id: null });
    const bin = await place('bin', shelf, 'Bin J1-1');
    await push([op('audits', 'start', { id: randomUUID(), location_id: shelf })]);
    const removed = await one(op('locations', 'delete', { id: bin }), 'manager');
    expect(removed).toMatchObject({ status: 'rejected', code: 'audit_open' });
    expect(removed.message).toMatch(/^a stock-take that counts Bin J1-1 \(LOC-[\w-]+\) is still open: close it first$/);
  });

  it('a claim with a bad code, a control character in its name or a code on a bulk item or a badge is refused in words', async () => {
    const { rows: bulk } = await stack.db.query<{ barcode: string }>(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse) values ($1, 'Gaffer', 'Gaffer tape', $2, 10) returning barcode`,
      [org.id, code('GAF')],
    );
    await stack.db.query("insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Kim', 'B-CLAIM-1')", [org.id]);
    const claim = (payload: Record<string, unknown>): Op =>
      op('assets', 'claim', { id: randomUUID(), org_id: org.id, name: 'Shure SM58', category: 'Audio', ...payload });
    const cases: [Op, string, RegExp][] = [
      [claim({ code: '' }), 'invalid_field', /a label's code and a serial number are 1 to 64 letters/],
      [claim({ code: 'OK-CLAIM-1', serial_number: 'has space' }), 'invalid_field', /a label's code and a serial number/],
      [claim({ code: 'OK-CLAIM-2', name: 'SM58\u001b[31m' }), 'invalid_field', /^payload\.name: control characters/],
      [claim({ code: bulk[0]?.barcode }), 'already_claimed', /is already on something; scan it to see what/],
      [claim({ code: 'b-claim-1' }), 'already_claimed', /is already on something/],
    ];
    for (const [attempt, codeWord, words] of cases) {
      const result = await one(attempt);
      expect(result, JSON.stringify(attempt)).toMatchObject({ status: 'rejected', code: codeWord });
      expect(result.message).toMatch(words);
    }
  });

  it('the same scan sent again under another device id (a reinstalled app) is counted once, with no raw error', async () => {
    const audit = randomUUID();
    await push([op('audits', 'start', { id: audit, location_id: shelfA })]);
    const scan = op('audits', 'scan', { id: audit, code: 'PRE-REPLAY-1' });
    expect(await one(scan, 'station', org, 'dock-1')).toMatchObject({ status: 'applied', code: 'unknown' });
    expect(await one(scan, 'station', org, 'dock-1-reinstalled')).toMatchObject({ status: 'applied', code: 'noop' });
    expect((await report(audit)).scans).toBe(1);
  });
});
