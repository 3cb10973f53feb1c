import { describe, expect, it } from 'vitest';
import { localTime } from '../views/time';
import { conflictView, type ConflictContext } from './conflict-choices';
import type { Conflict, QueuedOp, Row } from './model';
import type { CachedLookup } from './quarantine-words';
import { MEMBER_ROLES, gigStatusChoices, opAllowed, roleIn } from './roles';

const MIC = '00000000-0000-4000-8000-0000000000a1';
const DAY2 = '00000000-0000-4000-8000-0000000000f1';
const DAY1 = '00000000-0000-4000-8000-0000000000f2';
const DONE = '00000000-0000-4000-8000-0000000000f3';
const CASE = '00000000-0000-4000-8000-0000000000c1';
const ORG = '00000000-0000-4000-8000-00000000000e';
const MIKA = '00000000-0000-4000-8000-0000000000b1';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}/i;
const now = Date.UTC(2027, 5, 12, 15, 0);

const rows = new Map<string, Row>([
  [`assets:${MIC}`, { id: MIC, name: 'Shure SM58', serial_number: 'MIC-1042', status: 'checked_out', current_gig_id: DAY1, version: 3 }],
  [`gigs:${DAY1}`, { id: DAY1, name: 'Main Stage Day 1', code: 'GIG-D1', status: 'confirmed', version: 2 }],
  [`gigs:${DAY2}`, { id: DAY2, name: 'Main Stage Day 2', code: 'GIG-D2', status: 'confirmed', version: 4 }],
  [`gigs:${DONE}`, { id: DONE, name: 'Warm-up show', code: 'GIG-W', status: 'completed', version: 9 }],
  [`cases:${CASE}`, { id: CASE, name: 'Mic case', barcode: 'CASE-7', version: 2 }],
  [`staff_profiles:${MIKA}`, { id: MIKA, display_name: 'Mika Moreau', badge_code: 'BADGE-MIKA' }],
]);
const lookup: CachedLookup = (table, id) => Promise.resolve(rows.get(`${table}:${id}`) ?? null);
const context = (role: ConflictContext['role'] = 'station'): ConflictContext => ({ lookup, role, now, timeZone: 'UTC' });

const op = (table: QueuedOp['table'], action: string, payload: Record<string, unknown>): QueuedOp => ({
  id: '00000000-0000-4000-8000-000000000001',
  seq: 1,
  timestamp: now - 60_000,
  table,
  action,
  payload,
  baseVersion: 1,
  status: 'syncing',
  retryCount: 0,
  nextAttemptAt: 0,
  lastError: null,
});
const asset = (server: Record<string, unknown>): Row => ({
  id: MIC,
  name: 'Shure SM58',
  serial_number: 'MIC-1042',
  org_id: ORG,
  version: 5,
  updated_at: '2027-06-12T14:32:00Z',
  ...server,
});
const checkOut = (gig: string, serverRow: Row | null): Conflict => ({
  id: '00000000-0000-4000-8000-0000000000cc',
  op: op('assets', 'check_out', { id: MIC, gig_id: gig }),
  serverRow,
  changedFields: ['status', 'current_gig_id'],
  message: 'changed on the server',
  detectedAt: now,
});

describe('a check-out conflict in the operator’s words', () => {
  it('names the asset and the gigs, says where it is in words and when the server changed it, and refuses Keep Local when it is out elsewhere', async () => {
    const view = await conflictView(checkOut(DAY1, asset({ status: 'checked_out', current_gig_id: DAY2 })), context());
    expect(view.title).toBe('Shure SM58 · MIC-1042');
    expect(view.what).toBe('Check-out of Shure SM58 · MIC-1042 to Main Stage Day 1');
    expect(view.serverChange).toBe('Changed on the server at 14:32\u00a0today.');
    expect(view.fields).toEqual([
      { key: 'where', label: 'Where it is', local: 'out to: Main Stage Day 1', server: 'out to: Main Stage Day 2', differs: true },
    ]);
    expect(view.choices.keep_local).toEqual({
      allowed: false,
      text: "Keep local: not offered — sending the check-out again would be refused because MIC-1042 is now out to Main Stage Day 2. Check it in first, or use the server's.",
    });
    expect(view.choices.use_server).toEqual({
      allowed: true,
      text: "Use server: drop this station's check-out scan; MIC-1042 stays out to Main Stage Day 2.",
    });
    expect(JSON.stringify(view)).not.toMatch(UUID);
    expect(JSON.stringify(view)).not.toMatch(/current_gig_id|checked_out|assets\./);
  });

  it('offers Keep Local when the asset is back in the warehouse, and says what it will do', async () => {
    const view = await conflictView(checkOut(DAY1, asset({ status: 'available', current_gig_id: null })), context());
    expect(view.fields[0]).toMatchObject({ server: 'in the warehouse', differs: true });
    expect(view.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: send the check-out again — MIC-1042 goes out to Main Stage Day 1.',
    });
  });

  it('marks a field that is the same on both sides as not differing, and Keep Local as a harmless no-op', async () => {
    const view = await conflictView(checkOut(DAY2, asset({ status: 'checked_out', current_gig_id: DAY2 })), context());
    expect(view.fields[0]?.differs).toBe(false);
    expect(view.choices.keep_local.allowed).toBe(true);
    expect(view.choices.keep_local.text).toContain('already out to Main Stage Day 2');
  });

  it('refuses Keep Local for an asset in maintenance, a closed gig, or a row deleted on the server', async () => {
    expect((await conflictView(checkOut(DAY1, asset({ status: 'in_maintenance' })), context())).choices.keep_local).toMatchObject({
      allowed: false,
      text: expect.stringContaining('MIC-1042 is in maintenance') as unknown,
    });
    expect((await conflictView(checkOut(DONE, asset({ status: 'available' })), context())).choices.keep_local).toMatchObject({
      allowed: false,
      text: expect.stringContaining('Warm-up show is completed') as unknown,
    });
    const deleted = await conflictView(checkOut(DAY1, null), context());
    expect(deleted.serverChange).toBe('Deleted on the server.');
    expect(deleted.choices.keep_local.allowed).toBe(false);
    expect(deleted.choices.use_server.allowed).toBe(true);
  });

  it('names who moved it and when, from the server’s history, never a bare device id', async () => {
    const lastMovement = (): Promise<{ at: number; staffName: string | null; device: string | null }> =>
      Promise.resolve({ at: Date.UTC(2027, 5, 11, 9, 5), staffName: 'Mika Moreau', device: null });
    const view = await conflictView(checkOut(DAY1, asset({ status: 'checked_out', current_gig_id: DAY2 })), { ...context(), lastMovement });
    expect(view.serverChange).toBe('Changed on the server at 09:05,\u00a011\u00a0Jun by Mika Moreau.');
  });

  it('names the device as devices really send it (station-<uuid>, pwa-<uuid>) in words, never its id', async () => {
    const from = (device: string | null) => (): Promise<{ at: number; staffName: string | null; device: string | null }> =>
      Promise.resolve({ at: Date.UTC(2027, 5, 11, 9, 5), staffName: 'Mika Moreau', device });
    const conflict = checkOut(DAY1, asset({ status: 'checked_out', current_gig_id: DAY2 }));
    const said = async (device: string | null): Promise<string> =>
      (await conflictView(conflict, { ...context(), lastMovement: from(device) })).serverChange;
    expect(await said('a crew phone')).toBe('Changed on the server at 09:05,\u00a011\u00a0Jun by Mika Moreau (a crew phone).');
    expect(await said(null)).toBe('Changed on the server at 09:05,\u00a011\u00a0Jun by Mika Moreau.');
  });
});

describe('a gig status conflict, by role', () => {
  const conflict = (to: string, server: Record<string, unknown>): Conflict => ({
    id: '00000000-0000-4000-8000-0000000000cd',
    op: op('gigs', 'set_status', { id: DAY2, to }),
    serverRow: {
      id: DAY2,
      name: 'Main Stage Day 2',
      code: 'GIG-D2',
      org_id: ORG,
      version: 6,
      updated_at: '2027-06-10T08:00:00Z',
      ...server,
    },
    changedFields: ['status'],
    message: 'changed on the server',
    detectedAt: now,
  });

  it('names who changed the gig on the server, from the staff this station holds; nobody it does not know', async () => {
    const byMika = await conflictView(conflict('in_progress', { status: 'cancelled', updated_by: MIKA }), context('manager'));
    expect(byMika.serverChange).toBe('Changed on the server at 08:00,\u00a010\u00a0Jun by Mika Moreau.');
    // Someone not in this station's copy, a forged non-id, or no timestamp: the time alone, never an id.
    for (const server of [
      { updated_by: '00000000-0000-4000-8000-0000000000b9' },
      { updated_by: 42 },
      { updated_by: MIKA, updated_at: 'not a time' },
    ]) {
      const view = await conflictView(conflict('in_progress', { status: 'cancelled', ...server }), context('manager'));
      expect(view.serverChange).toMatch(/^Changed on the server( at [^.]+)?\.$/);
      expect(view.serverChange).not.toMatch(UUID);
    }
  });

  it('refuses Keep Local to a station (the server answers forbidden) and offers it to a manager', async () => {
    const station = await conflictView(conflict('in_progress', { status: 'confirmed' }), context('station'));
    expect(station.title).toBe('Main Stage Day 2 · GIG-D2');
    expect(station.fields).toEqual([{ key: 'status', label: 'Status', local: 'in progress', server: 'confirmed', differs: true }]);
    expect(station.serverChange).toBe('Changed on the server at 08:00,\u00a010\u00a0Jun.');
    expect(station.choices.keep_local).toMatchObject({
      allowed: false,
      text: expect.stringContaining('signed in as a station') as unknown,
    });
    const manager = await conflictView(conflict('in_progress', { status: 'confirmed' }), context('manager'));
    expect(manager.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: set Main Stage Day 2 · GIG-D2 to in progress again (it is confirmed on the server).',
    });
  });

  it('refuses a transition the server refuses from where the gig is now', async () => {
    const view = await conflictView(conflict('in_progress', { status: 'completed' }), context('manager'));
    expect(view.choices.keep_local).toEqual({
      allowed: false,
      text: 'Keep local: not offered — the server refuses a gig going from completed to in progress.',
    });
  });
});

describe('a case check-out conflict', () => {
  it('names the case and says the server judges its contents', async () => {
    const view = await conflictView(
      {
        op: op('cases', 'check_out', { id: CASE, gig_id: DAY2 }),
        serverRow: { id: CASE, name: 'Mic case', barcode: 'CASE-7', version: 3, updated_at: '2027-06-12T10:00:00Z' },
        changedFields: ['contents'],
      },
      context(),
    );
    expect(view.title).toBe('case Mic case · CASE-7');
    expect(view.choices.keep_local.allowed).toBe(true);
    expect(JSON.stringify(view)).not.toMatch(UUID);
  });
});

describe('a bulk quantity conflict (insufficient_stock / more_than_out)', () => {
  const XLR = '00000000-0000-4000-8000-0000000000b1';
  const bulkRow = (inWarehouse: number, outTo: Record<string, number>, extra: Record<string, unknown> = {}): Row => ({
    id: XLR,
    org_id: ORG,
    category: 'XLR cable 10m',
    name: 'XLR cable 10m',
    barcode: 'BULK-XLR10',
    unit: 'pcs',
    consumable: false,
    in_warehouse: inWarehouse,
    out_to: outTo,
    version: 7,
    updated_at: '2027-06-12T14:32:00Z',
    ...extra,
  });
  const cached = new Map<string, Row>([...rows, [`bulk_items:${XLR}`, bulkRow(40, { [DAY2]: 2 })]]);
  const bulkContext = (role: ConflictContext['role'] = 'station'): ConflictContext => ({
    lookup: (table, key) => Promise.resolve(cached.get(`${table}:${key}`) ?? null),
    role,
    now,
    timeZone: 'UTC',
  });
  const bulk = (action: 'check_out' | 'check_in', quantity: unknown, serverRow: Row | null, gig = DAY2): Conflict => ({
    id: '00000000-0000-4000-8000-0000000000ce',
    op: { ...op('bulk_items', action, { id: XLR, gig_id: gig, quantity }), baseVersion: null },
    serverRow,
    changedFields: [action === 'check_out' ? 'in_warehouse' : 'out_to'],
    message: 'not enough',
    detectedAt: now,
  });

  it('a check-out of 10 with 3 in the warehouse: counts in words, Keep Local refused with its reason, Use Server says what it drops', async () => {
    const view = await conflictView(bulk('check_out', 10, bulkRow(3, { [DAY2]: 2, [DAY1]: 35 })), bulkContext());
    expect(view.title).toBe('XLR cable 10m · BULK-XLR10');
    expect(view.what).toBe('Check-out of 10 × XLR cable 10m · BULK-XLR10 to Main Stage Day 2');
    expect(view.fields).toEqual([
      { key: 'in_warehouse', label: 'In the warehouse', local: '10 pcs to take out', server: '3 pcs', differs: true },
      { key: 'out_to', label: 'Out to Main Stage Day 2', local: '2 pcs', server: '2 pcs', differs: false },
      { key: 'out_elsewhere', label: 'Out to other gigs', local: 'none', server: 'Main Stage Day 1: 35 pcs', differs: true },
    ]);
    expect(view.choices).toEqual({
      keep_local: {
        allowed: false,
        text: "Keep local: not offered — the server has only 3 pcs of XLR cable 10m in the warehouse, so sending the check-out of 10 pcs again would be refused. Use the server's, then scan how many really go out (at most 3).",
      },
      use_server: {
        allowed: true,
        text: "Use server: drop this station's quantity check-out scan; 10 pcs of XLR cable 10m do not go out to Main Stage Day 2, and the warehouse keeps 3 pcs.",
      },
    });
    expect(JSON.stringify(view)).not.toMatch(UUID);
  });

  it('a check-out that now fits is offered, saying what it will do', async () => {
    const view = await conflictView(bulk('check_out', 10, bulkRow(12, {})), bulkContext());
    expect(view.fields[0]).toMatchObject({ server: '12 pcs', differs: false });
    expect(view.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: send the check-out again — 10 pcs of XLR cable 10m go out to Main Stage Day 2 (the server has 12 pcs in the warehouse).',
    });
  });

  it('a check-in of 5 with 2 out to the gig: refused; with 6 out: offered; with none out: refused, saying none', async () => {
    const short = await conflictView(bulk('check_in', 5, bulkRow(38, { [DAY2]: 2 })), bulkContext());
    expect(short.fields).toEqual([
      { key: 'out_to', label: 'Out to Main Stage Day 2', local: '5 pcs coming back', server: '2 pcs', differs: true },
      { key: 'in_warehouse', label: 'In the warehouse', local: '40 pcs', server: '38 pcs', differs: true },
    ]);
    expect(short.choices).toEqual({
      keep_local: {
        allowed: false,
        text: "Keep local: not offered — the server counts only 2 pcs of XLR cable 10m out to Main Stage Day 2, so sending the check-in of 5 pcs again would be refused. Use the server's, then check in what came back (at most 2).",
      },
      use_server: {
        allowed: true,
        text: "Use server: drop this station's quantity check-in scan; 5 pcs of XLR cable 10m are not counted back, and the server keeps 2 pcs out to Main Stage Day 2.",
      },
    });
    expect(JSON.stringify(short)).not.toMatch(UUID);
    const enough = await conflictView(bulk('check_in', 5, bulkRow(34, { [DAY2]: 6 })), bulkContext());
    expect(enough.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: send the check-in again — 5 pcs of XLR cable 10m come back from Main Stage Day 2 (the server counts 6 pcs out to it).',
    });
    const none = await conflictView(bulk('check_in', 5, bulkRow(40, {})), bulkContext());
    expect(none.fields[0]).toMatchObject({ server: 'none', differs: true });
    expect(none.choices.keep_local.text).toContain('the server counts none of XLR cable 10m out to Main Stage Day 2');
  });

  it('refuses Keep Local to a closed gig, a deleted item and an unreadable quantity', async () => {
    const closed = await conflictView(bulk('check_out', 1, bulkRow(40, {}), DONE), bulkContext());
    expect(closed.choices.keep_local).toEqual({
      allowed: false,
      text: 'Keep local: not offered — Warm-up show is completed, the server takes no more check-outs for it.',
    });
    const deleted = await conflictView(bulk('check_out', 1, null), bulkContext());
    expect(deleted.title).toBe('XLR cable 10m · BULK-XLR10');
    expect(deleted.choices.keep_local).toEqual({
      allowed: false,
      text: 'Keep local: not offered — XLR cable 10m is no longer on the server.',
    });
    expect(deleted.fields[0]).toMatchObject({ server: 'no longer on the server', differs: true });
    expect((await conflictView(bulk('check_out', '10', bulkRow(40, {})), bulkContext())).choices.keep_local.allowed).toBe(false);
  });

  it('names a gig the station does not hold without its id', async () => {
    const elsewhere = '00000000-0000-4000-8000-0000000000f9';
    const view = await conflictView(bulk('check_out', 10, bulkRow(3, { [elsewhere]: 37 })), bulkContext());
    expect(view.fields[2]).toMatchObject({ server: 'a gig not on this station: 37 pcs' });
    expect(JSON.stringify(view)).not.toMatch(UUID);
  });
});

describe('roles', () => {
  it('a station and crew move kit; only managers and admins change a gig’s status', () => {
    expect(MEMBER_ROLES.filter((role) => opAllowed(role, 'gigs', 'set_status'))).toEqual(['admin', 'manager']);
    expect(MEMBER_ROLES.every((role) => opAllowed(role, 'assets', 'check_out'))).toBe(true);
    expect(gigStatusChoices('confirmed', 'station')).toEqual({
      statuses: [],
      note: "Signed in as a station: a gig's status is changed by a manager or an admin.",
    });
    expect(gigStatusChoices('confirmed', 'manager')).toEqual({ statuses: ['draft', 'in_progress', 'cancelled'], note: null });
    expect(gigStatusChoices('confirmed', null).statuses).toEqual([]);
  });

  it('the last known role belongs to whoever was signed in, in the row’s organization', () => {
    const known = { email: 'station@northlight.test', roles: [{ orgId: ORG, role: 'station' as const }], readAt: now };
    expect(roleIn(known, 'Station@Northlight.test', ORG)).toBe('station');
    expect(roleIn(known, 'other@northlight.test', ORG)).toBeNull();
    expect(roleIn(known, 'station@northlight.test', DAY1)).toBeNull();
    expect(roleIn(known, 'station@northlight.test', undefined)).toBe('station');
    expect(roleIn(null, 'station@northlight.test', ORG)).toBeNull();
  });
});

describe('local time', () => {
  it('says today, or the day, and the year only when it is another', () => {
    expect(localTime(Date.UTC(2027, 5, 12, 9, 5), now, 'UTC')).toBe('09:05\u00a0today');
    expect(localTime(Date.UTC(2026, 11, 30, 22, 0), now, 'UTC')).toBe('22:00,\u00a030\u00a0Dec\u00a02026');
    expect(localTime(Date.UTC(2027, 5, 12, 23, 30), now, 'Europe/Paris')).toBe('01:30,\u00a013\u00a0Jun');
  });
});
