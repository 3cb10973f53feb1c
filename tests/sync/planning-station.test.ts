import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EditResult, GigPlan } from '../../core/planning/plan-api';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { stationHarness, type StationHarness } from '../helpers/station-harness';

// Planning from a station (issue 19), through the same dispatcher the station's IPC and WebSocket
// hosts use, on a real SQLite file against the real local stack: each edit is checked against the
// station's copy (refused in words, nothing queued), queued, shown at once as waiting, and after
// a sync the server holds exactly it.
let stack: TestStack;
let org: Org;
const dir = mkdtempSync(join(tmpdir(), 'planning-station-'));
const stations: StationHarness[] = [];

let festival: string;
let day: string;
let mic: string;
let drums: string;
let mika: string;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'planning-station');
  festival = await insertGig(stack.db, org.id, { name: 'Summer Festival', status: 'confirmed' });
  day = await insertGig(stack.db, org.id, { name: 'Day 1', status: 'confirmed', parent: festival });
  await stack.db.query(
    "update public.gigs set starts_at = '2027-07-03T10:00:00Z', ends_at = '2027-07-03T23:00:00Z', time_zone = 'Europe/Lisbon' where id = $1",
    [day],
  );
  mic = await insertAsset(stack.db, org.id, 'MIC-7001', { name: 'Shure SM58' });
  drums = await insertCase(stack.db, org.id, 'CASE-DRUMS');
  await insertAsset(stack.db, org.id, 'DRM-1', { caseId: drums, name: 'Snare' });
  await insertAsset(stack.db, org.id, 'DRM-2', { caseId: drums, name: 'Kick' });
  const { rows } = await stack.db.query<{ id: string }>(
    "insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Mika Moreau', 'B-MIKA') returning id",
    [org.id],
  );
  mika = rows[0]?.id ?? '';
});
afterAll(async () => {
  for (const s of stations) await s.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function signedIn(who: keyof Org['members']): Promise<StationHarness> {
  const h = stationHarness({ dir, backend: { url: stack.url, anonKey: stack.anonKey } });
  stations.push(h);
  const member = org.members[who];
  await call(h, 'signIn', { email: member.email, password: member.password });
  await h.engine.syncNow();
  return h;
}

async function call<T>(h: StationHarness, method: string, ...args: unknown[]): Promise<T> {
  const result = (await h.dispatch({ method, args, trustedSender: true })) as {
    ok: boolean;
    value?: T;
    error?: { code: string; message: string };
  };
  if (!result.ok) throw Object.assign(new Error(result.error?.message ?? 'failed'), { code: result.error?.code });
  return result.value as T;
}
async function refusal(h: StationHarness, method: string, ...args: unknown[]): Promise<{ code: string; message: string }> {
  const result = (await h.dispatch({ method, args, trustedSender: true })) as { ok: boolean; error?: { code: string; message: string } };
  if (result.ok) throw new Error(`${method} was accepted`);
  return result.error ?? { code: '?', message: '?' };
}
const plan = (h: StationHarness, gigId: string): Promise<GigPlan> => call(h, 'getGigPlan', { gigId });
const depth = async (h: StationHarness): Promise<number> => (await h.store.stats()).depth;

describe('a manager plans from the station', () => {
  it('adds a set, an item, a case and cables, assigns crew: shown at once as waiting, then on the server', async () => {
    const h = await signedIn('manager');
    const created = await call<EditResult>(h, 'editGig', {
      kind: 'create',
      parentGigId: day,
      name: 'Headliner',
      startsAt: '2027-07-03T21:00:00Z',
      endsAt: '2027-07-03T22:30:00Z',
    });
    const set = String(created.queued[0]?.payload['id']);
    expect(created.queued[0]?.payload).toMatchObject({ parent_gig_id: day, time_zone: 'Europe/Lisbon' });
    await call(h, 'editPlan', { kind: 'add_asset', gigId: set, assetId: mic });
    await call(h, 'editPlan', { kind: 'add_case', gigId: set, caseId: drums });
    await call(h, 'editPlan', { kind: 'add_quantity', gigId: set, category: 'XLR cable', quantity: 24 });
    await call(h, 'editPlan', { kind: 'assign', gigId: set, staffId: mika, role: 'Stage manager' });
    const before = await plan(h, set);
    expect(before.gig).toMatchObject({ name: 'Headliner', path: ['Summer Festival', 'Day 1'], waiting: true });
    expect(before.lines.map((l) => [l.kind, l.title, l.code, l.quantity, l.waiting])).toEqual([
      ['case', 'Case Case CASE-DRUMS', 'CASE-DRUMS', 2, true],
      ['asset', 'Shure SM58', 'MIC-7001', null, true],
      ['bulk', 'XLR cable', null, 24, true],
    ]);
    expect(before.crew).toEqual([expect.objectContaining({ name: 'Mika Moreau', role: 'Stage manager', waiting: true })]);
    expect(before.staff.map((s) => s.name)).not.toContain('Mika Moreau');
    expect(before.canPlan).toBe(true);

    await h.engine.syncNow();
    expect(await depth(h)).toBe(0);
    const after = await plan(h, set);
    expect(after.lines.every((l) => !l.waiting) && after.crew.every((c) => !c.waiting) && !after.gig.waiting).toBe(true);
    const { rows } = await stack.db.query<{ what: string }>(
      `select coalesce(a.serial_number, c.barcode, k.category || ' x' || k.quantity) as what
         from public.kit_assignments k left join public.assets a on a.id = k.asset_id left join public.cases c on c.id = k.case_id
        where k.gig_id = $1 order by 1`,
      [set],
    );
    expect(rows.map((r) => r.what)).toEqual(['CASE-DRUMS', 'MIC-7001', 'XLR cable x24']);
    const { rows: crew } = await stack.db.query('select staff_id, role from public.gig_staff where gig_id = $1', [set]);
    expect(crew).toEqual([{ staff_id: mika, role: 'Stage manager' }]);
  });

  it('refuses at once, in words, what the server would refuse, and queues nothing', async () => {
    const h = await signedIn('manager');
    const target = await insertGig(stack.db, org.id, { name: 'Warm-up', status: 'confirmed' });
    const done = await insertGig(stack.db, org.id, { name: 'Last Week', status: 'completed' });
    await h.engine.syncNow();
    await call(h, 'editPlan', { kind: 'add_asset', gigId: target, assetId: mic });
    const queued = await depth(h);
    expect(await refusal(h, 'editPlan', { kind: 'add_asset', gigId: target, assetId: mic })).toEqual({
      code: 'conflict',
      message: 'Shure SM58 · MIC-7001 is already on the pick list of Warm-up',
    });
    expect(await refusal(h, 'editPlan', { kind: 'add_quantity', gigId: done, category: 'Clamp', quantity: 2 })).toEqual({
      code: 'conflict',
      message: 'Last Week is completed; its plan no longer changes',
    });
    expect((await refusal(h, 'editPlan', { kind: 'add_quantity', gigId: target, category: 'Clamp', quantity: 0 })).code).toBe(
      'invalid_arguments',
    );
    expect((await refusal(h, 'editPlan', { kind: 'add_quantity', gigId: target, category: 'Clamp', quantity: 2.5 })).message).toContain(
      'whole number',
    );
    expect(
      await refusal(h, 'editGig', { kind: 'times', gigId: target, startsAt: '2027-07-03T22:00:00Z', endsAt: '2027-07-03T21:00:00Z' }),
    ).toEqual({
      code: 'invalid_arguments',
      message: 'the end is before the start',
    });
    expect(await refusal(h, 'editGig', { kind: 'move', gigId: festival, parentGigId: day })).toEqual({
      code: 'conflict',
      message: 'Summer Festival cannot move under Day 1: Day 1 is part of it',
    });
    expect((await refusal(h, 'editPlan', { kind: 'add_asset', gigId: randomUUID(), assetId: mic })).code).toBe('not_found');
    expect(await depth(h)).toBe(queued);
  });

  it('a station and a crew member see the plan but are not offered changes, and cannot make them', async () => {
    for (const who of ['station', 'crew'] as const) {
      const h = await signedIn(who);
      const seen = await plan(h, day);
      expect(seen.canPlan).toBe(false);
      expect(seen.note).toBe(
        `Signed in as ${who === 'crew' ? 'a crew member' : 'a station'}: a gig's pick list is changed by a manager or an admin.`,
      );
      expect(await refusal(h, 'editPlan', { kind: 'add_quantity', gigId: day, category: 'Clamp', quantity: 2 })).toMatchObject({
        code: 'forbidden',
      });
      expect(await refusal(h, 'editGig', { kind: 'times', gigId: day, startsAt: null, endsAt: null })).toMatchObject({ code: 'forbidden' });
      expect(await depth(h)).toBe(0);
    }
  });

  it('moves a set time by version; a rename on another device first makes it a conflict shown in the venue’s time', async () => {
    const laptop = await signedIn('manager');
    const phone = await signedIn('admin');
    const set = await insertGig(stack.db, org.id, { name: 'Sunset set', status: 'confirmed', parent: day });
    await stack.db.query("update public.gigs set time_zone = 'Europe/Lisbon' where id = $1", [set]);
    await Promise.all([laptop.engine.syncNow(), phone.engine.syncNow()]);
    await call(phone, 'editGig', { kind: 'update', gigId: set, fields: { name: 'Sunset set (moved)' } });
    await call(laptop, 'editGig', { kind: 'times', gigId: set, startsAt: '2027-07-03T19:00:00Z', endsAt: '2027-07-03T20:00:00Z' });
    await phone.engine.syncNow();
    await laptop.engine.syncNow();
    const conflicts = await call<
      { view: { title: string; fields: { label: string; local: string; server: string; differs: boolean }[] } }[]
    >(laptop, 'listConflicts');
    expect(conflicts).toHaveLength(1);
    // Times in the venue's zone (Lisbon, summer time), with no-break spaces as every shown time.
    expect(conflicts[0]?.view.fields.map((f) => [f.label, f.local.replace(/\s/g, ' '), f.server, f.differs])).toEqual([
      ['Starts', '3 Jul 2027, 20:00 WEST', 'not set', true],
      ['Ends', '3 Jul 2027, 21:00 WEST', 'not set', true],
    ]);
    await call(laptop, 'resolveConflicts', { ids: [(conflicts[0] as unknown as { id: string }).id], choice: 'keep_local' });
    await laptop.engine.syncNow();
    const { rows } = await stack.db.query<{ name: string; starts_at: Date }>('select name, starts_at from public.gigs where id = $1', [
      set,
    ]);
    expect(rows[0]).toEqual({ name: 'Sunset set (moved)', starts_at: new Date('2027-07-03T19:00:00Z') });
  });

  it('a plan scan adds the scanned item to the pick list instead of checking it out, until the screen lets go', async () => {
    const h = await signedIn('manager');
    const target = await insertGig(stack.db, org.id, { name: 'Scan-planned', status: 'confirmed' });
    await h.engine.syncNow();
    expect(await call(h, 'setPlanScan', { gigId: target, seconds: 30 })).toEqual({ gigId: target });
    const first = await call<{ kind: string; message: string }>(h, 'submitScan', { code: 'mic-7001', deviceId: 'wedge' });
    expect(first).toMatchObject({ kind: 'ok', message: 'added Shure SM58 · MIC-7001 to the pick list' });
    const again = await call<{ kind: string; message: string }>(h, 'submitScan', { code: 'CASE-DRUMS', deviceId: 'wedge' });
    expect(again).toMatchObject({ kind: 'ok', message: 'added case Case CASE-DRUMS to the pick list' });
    const twice = await call<{ kind: string; message: string }>(h, 'submitScan', { code: 'MIC-7001', deviceId: 'wedge' });
    expect(twice).toMatchObject({ kind: 'error', message: 'Shure SM58 · MIC-7001 is already on the pick list of Scan-planned' });
    expect((await plan(h, target)).lines.map((l) => l.code)).toEqual(['CASE-DRUMS', 'MIC-7001']);
    // Nothing moved: the mic is still in the warehouse on this station and on the server.
    expect(await call(h, 'setPlanScan', { gigId: null, seconds: 0 })).toEqual({ gigId: null });
    await h.engine.syncNow();
    const { rows } = await stack.db.query<{ status: string }>("select status from public.assets where serial_number = 'MIC-7001'");
    expect(rows[0]?.status).toBe('available');
    expect((await refusal(h, 'setPlanScan', { gigId: target, seconds: 31 })).code).toBe('invalid_arguments');
  });

  it('an item another gig holds at the same time: refused at once in words, planned on purpose when confirmed; one the station did not know of comes back as a conflict', async () => {
    const h = await signedIn('manager');
    const rival = await insertGig(stack.db, org.id, { name: 'Rival show', status: 'confirmed' });
    await stack.db.query("update public.gigs set starts_at = '2027-07-03T19:00:00Z', ends_at = '2027-07-03T23:00:00Z' where id = $1", [
      rival,
    ]);
    const known = await insertAsset(stack.db, org.id, 'MIC-7002', { name: 'Shure SM58' });
    const unknown = await insertAsset(stack.db, org.id, 'MIC-7003', { name: 'Shure Beta 58' });
    await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, rival, known]);
    await h.engine.syncNow();
    const { rows } = await stack.db.query<{ code: string }>('select code from public.gigs where id = $1', [rival]);
    const code = rows[0]?.code ?? '';

    expect(await refusal(h, 'editPlan', { kind: 'add_asset', gigId: day, assetId: known })).toEqual({
      code: 'overbooked',
      message: `Shure SM58 · MIC-7002 is also planned on Rival show · ${code} at the same time; confirm to plan it anyway`,
    });
    const confirmed = await call<EditResult>(h, 'editPlan', { kind: 'add_asset', gigId: day, assetId: known, confirmOverbooking: true });
    expect(confirmed.warnings).toEqual([
      `overbooked on purpose: Shure SM58 · MIC-7002 is also planned on Rival show · ${code} at the same time`,
    ]);
    expect((await plan(h, day)).lines.find((l) => l.code === 'MIC-7002')).toMatchObject({ overbookedOnPurpose: true, waiting: true });

    // Another device planned MIC-7003 on the rival show; this station has not heard of it yet.
    await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, rival, unknown]);
    await call(h, 'editPlan', { kind: 'add_asset', gigId: day, assetId: unknown });
    await h.engine.syncNow();
    const conflicts = await call<
      {
        id: string;
        view: { title: string; fields: { label: string; server: string }[]; choices: { keep_local: { allowed: boolean; text: string } } };
      }[]
    >(h, 'listConflicts');
    expect(conflicts.map((c) => c.view.title)).toEqual(['Shure Beta 58 · MIC-7003 for Day 1']);
    expect(conflicts[0]?.view.fields[0]).toMatchObject({
      label: 'Also held',
      server: `Shure Beta 58 · MIC-7003 is also planned on "Rival show" (${code}) at the same time`,
    });
    expect(conflicts[0]?.view.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: plan Shure Beta 58 · MIC-7003 for Day 1 anyway — recorded as a deliberate overbooking, with your name.',
    });
    await call(h, 'resolveConflicts', { ids: [conflicts[0]?.id], choice: 'keep_local' });
    await h.engine.syncNow();
    const { rows: planned } = await stack.db.query<{ serial: string; confirmed: boolean }>(
      `select a.serial_number as serial, k.overbooking_confirmed_at is not null as confirmed
         from public.kit_assignments k join public.assets a on a.id = k.asset_id where k.gig_id = $1 and a.serial_number like 'MIC-700%' order by 1`,
      [day],
    );
    expect(planned).toEqual([
      { serial: 'MIC-7002', confirmed: true },
      { serial: 'MIC-7003', confirmed: true },
    ]);
    // Lines by name: Shure Beta 58 before Shure SM58.
    expect((await plan(h, day)).lines.filter((l) => l.overbookedOnPurpose).map((l) => [l.code, l.waiting])).toEqual([
      ['MIC-7003', false],
      ['MIC-7002', false],
    ]);
  });

  it('lists what is out past its gig’s end and return buffer, by gig, most overdue first, in words', async () => {
    // The harness's clock stands at 2026-11-25 09:00 UTC.
    const early = await insertGig(stack.db, org.id, { name: 'Autumn tour', status: 'in_progress' });
    const later = await insertGig(stack.db, org.id, { name: 'Gala dinner', status: 'confirmed' });
    const current = await insertGig(stack.db, org.id, { name: 'Still on', status: 'in_progress' });
    const times = "update public.gigs set starts_at = $2, ends_at = $3, time_zone = 'Europe/Lisbon' where id = $1";
    await stack.db.query(times, [early, '2026-11-10T10:00:00Z', '2026-11-18T23:00:00Z']);
    await stack.db.query(times, [later, '2026-11-22T18:00:00Z', '2026-11-22T23:00:00Z']);
    await stack.db.query(times, [current, '2026-11-24T10:00:00Z', '2026-11-26T23:00:00Z']);
    const out = "update public.assets set status = 'checked_out', current_gig_id = $2 where serial_number = $1";
    await insertAsset(stack.db, org.id, 'LATE-1', { name: 'Moving head' });
    await insertAsset(stack.db, org.id, 'LATE-2', { name: 'Hazer' });
    await insertAsset(stack.db, org.id, 'LATE-3', { name: 'Truss clamp' });
    await stack.db.query(out, ['LATE-1', early]);
    await stack.db.query(out, ['LATE-2', later]);
    await stack.db.query(out, ['LATE-3', current]);
    const h = await signedIn('manager');
    const overdue = await call<{ gig: string; dueBack: string; items: string[] }[]>(h, 'listOverdueReturns');
    const late = overdue.filter((o) => o.items.some((i) => i.includes('LATE-')));
    expect(late.map((o) => [o.gig.replace(/ · GIG-\w+$/, ''), o.dueBack.replace(/\s/g, ' '), o.items])).toEqual([
      ['Autumn tour', '19 Nov 2026, 23:00 WET', ['Moving head · LATE-1']],
      ['Gala dinner', '23 Nov 2026, 23:00 WET', ['Hazer · LATE-2']],
    ]);
  });
});
