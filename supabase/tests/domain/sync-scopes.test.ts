import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceSnapshot, SNAPSHOT_START, SNAPSHOT_TABLES, type SnapshotProgress } from '../../../core/sync/snapshot';
import { snapshotPageSchema } from '../../../core/sync/model';
import { createOrg, insertAsset, insertCase, insertGig, type Member, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';
import { isCurrent, pullToCurrent } from '../../../tests/helpers/pull';

// Sync scopes (migration 20261207000200): a touring laptop holds its tour (the subtrees, their
// ancestors, the plan, crew, cases, assets and the crew's profiles), a phone its member's gigs;
// the server decides, inside the caller's organizations.
let stack: TestStack;
let org: Org;
let rival: Org;
type Scope = Record<string, unknown> | null;

const ids = {
  season: '',
  tour: '',
  night1: '',
  night2: '',
  otherTour: '',
  otherNight: '',
  planned: '',
  out: '',
  inCase: '',
  inNested: '',
  otherPlanned: '',
  loose: '',
  box: '',
  nested: '',
  tech: '',
  otherTech: '',
  crewProfile: '',
  rivalTour: '',
};
const plans: Record<string, string> = {};
const crews: Record<string, string> = {};

async function one<T>(sql: string, params: unknown[]): Promise<T> {
  const { rows } = await stack.db.query<{ v: T }>(sql, params);
  return rows[0]?.v as T;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'scopes');
  rival = await createOrg(stack, 'scopes-rival');
  ids.season = await insertGig(stack.db, org.id, { name: '2027 season' });
  ids.tour = await insertGig(stack.db, org.id, { parent: ids.season, name: 'Autumn tour', status: 'confirmed' });
  ids.night1 = await insertGig(stack.db, org.id, { parent: ids.tour, name: 'Hamburg' });
  ids.night2 = await insertGig(stack.db, org.id, { parent: ids.tour, name: 'Berlin' });
  ids.otherTour = await insertGig(stack.db, org.id, { parent: ids.season, name: 'Spring tour' });
  ids.otherNight = await insertGig(stack.db, org.id, { parent: ids.otherTour, name: 'Vienna' });
  ids.rivalTour = await insertGig(stack.db, rival.id, { name: 'Rival tour' });

  ids.box = await insertCase(stack.db, org.id, 'RACK-1');
  ids.nested = await insertCase(stack.db, org.id, 'RACK-1-DRAWER', ids.box);
  ids.planned = await insertAsset(stack.db, org.id, 'SPK-1');
  ids.out = await insertAsset(stack.db, org.id, 'SPK-2');
  ids.inCase = await insertAsset(stack.db, org.id, 'AMP-1', { caseId: ids.box });
  ids.inNested = await insertAsset(stack.db, org.id, 'CBL-1', { caseId: ids.nested });
  ids.otherPlanned = await insertAsset(stack.db, org.id, 'SPK-3');
  ids.loose = await insertAsset(stack.db, org.id, 'SPK-4');
  await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [ids.out, ids.night2]);
  const plan = async (gig: string, column: 'asset_id' | 'case_id', item: string): Promise<string> =>
    one<string>(`insert into public.kit_assignments (org_id, gig_id, ${column}) values ($1, $2, $3) returning id as v`, [
      org.id,
      gig,
      item,
    ]);
  plans.planned = await plan(ids.night1, 'asset_id', ids.planned);
  plans.box = await plan(ids.night2, 'case_id', ids.box);
  plans.other = await plan(ids.otherNight, 'asset_id', ids.otherPlanned);

  const profile = async (name: string, badge: string, user: string | null): Promise<string> =>
    one<string>('insert into public.staff_profiles (org_id, display_name, badge_code, user_id) values ($1, $2, $3, $4) returning id as v', [
      org.id,
      name,
      badge,
      user,
    ]);
  ids.tech = await profile('Ana Tech', 'BADGE-ANA', null);
  ids.otherTech = await profile('Ben Tech', 'BADGE-BEN', null);
  ids.crewProfile = await profile('Cleo Crew', 'BADGE-CLEO', org.members.crew.userId);
  const staff = async (gig: string, person: string): Promise<string> =>
    one<string>("insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, 'Audio') returning id as v", [
      org.id,
      gig,
      person,
    ]);
  crews.tech = await staff(ids.night1, ids.tech);
  crews.other = await staff(ids.otherNight, ids.otherTech);
  crews.crew = await staff(ids.otherNight, ids.crewProfile);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

/** Every row of every table a device of `scope` gets from pull_snapshot (pages of `limit`), by table. */
async function snapshot(who: Member, scope: Scope, limit = 5000): Promise<{ rows: Record<string, string[]>; cursor: string }> {
  const rows: Record<string, string[]> = Object.fromEntries(SNAPSHOT_TABLES.map((t) => [t, []]));
  let place: SnapshotProgress = SNAPSHOT_START;
  for (;;) {
    const { data, error } = await who.client.rpc('pull_snapshot', { tbl: place.table, after: place.after, limit, scope });
    if (error !== null) throw new Error(`${error.code}: ${error.message}`);
    const got = snapshotPageSchema.parse(data);
    rows[got.table]?.push(...got.rows.map((r) => r.id));
    const step = advanceSnapshot(place, got);
    if (step.done) {
      for (const table of SNAPSHOT_TABLES) rows[table]?.sort();
      return { rows, cursor: step.cursor };
    }
    place = step.progress;
  }
}

const sorted = (...values: string[]): string[] => [...values].sort();

describe('what a scope holds', () => {
  it('a tour: its gigs and their ancestors, its plan, crew, cases (nested too), assets planned, out or packed, its crew’s profiles — nothing of another tour', async () => {
    const { rows } = await snapshot(org.members.manager, { kind: 'gigs', roots: [ids.tour] });
    expect(rows['gigs']).toEqual(sorted(ids.season, ids.tour, ids.night1, ids.night2));
    expect(rows['kit_assignments']).toEqual(sorted(plans.planned ?? '', plans.box ?? ''));
    expect(rows['gig_staff']).toEqual(sorted(crews.tech ?? ''));
    expect(rows['cases']).toEqual(sorted(ids.box, ids.nested));
    expect(rows['assets']).toEqual(sorted(ids.planned, ids.out, ids.inCase, ids.inNested));
    expect(rows['staff_profiles']).toEqual(sorted(ids.tech));
    // The whole organization is a superset, and pages of one row page the same scope.
    const whole = await snapshot(org.members.manager, null);
    expect(whole.rows['assets']).toEqual(sorted(ids.planned, ids.out, ids.inCase, ids.inNested, ids.otherPlanned, ids.loose));
    expect((await snapshot(org.members.manager, { kind: 'gigs', roots: [ids.tour] }, 1)).rows).toEqual(rows);
    expect((await snapshot(org.members.manager, { kind: 'org' })).rows).toEqual(whole.rows);
  });

  it('my gigs: the gigs the signed-in member is on, with their ancestors, and the member’s own profile', async () => {
    const { rows } = await snapshot(org.members.crew, { kind: 'mine' });
    expect(rows['gigs']).toEqual(sorted(ids.season, ids.otherTour, ids.otherNight));
    expect(rows['assets']).toEqual([ids.otherPlanned]);
    expect(rows['gig_staff']).toEqual(sorted(crews.other ?? '', crews.crew ?? ''));
    expect(rows['staff_profiles']).toEqual(sorted(ids.otherTech, ids.crewProfile));
    // A member on no gig holds nothing of the plan (their scope is empty, not the whole company).
    const idle = await snapshot(org.members.station, { kind: 'mine' });
    expect(idle.rows['gigs']).toEqual([]);
    expect(idle.rows['assets']).toEqual([]);
  });

  it('never widens what the member may read: another company’s tour, a deleted gig and an unknown one hold nothing', async () => {
    const deleted = await insertGig(stack.db, org.id, { name: 'Cancelled tour' });
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [deleted]);
    for (const [who, root] of [
      [rival.members.admin, ids.tour],
      [org.members.admin, ids.rivalTour],
      [org.members.admin, deleted],
      [org.members.admin, '00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const { rows } = await snapshot(who, { kind: 'gigs', roots: [root] });
      for (const table of ['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff'])
        expect(rows[table], `${table} for ${root}`).toEqual([]);
    }
    // A tour deleted while a laptop keeps it with another: the other is still kept, pulls go on.
    const both = await snapshot(org.members.admin, { kind: 'gigs', roots: [deleted, ids.tour] });
    expect(both.rows['gigs']).toEqual(sorted(ids.season, ids.tour, ids.night1, ids.night2));
    const pulled = await org.members.admin.client.rpc('pull_changes', {
      cursor: both.cursor,
      limit: 10,
      scope: { kind: 'gigs', roots: [deleted, ids.tour] },
    });
    expect(pulled.error).toBeNull();
    // The rival's admin, asking for a scope of its own tour, sees its own rows only.
    const mine = await snapshot(rival.members.admin, { kind: 'gigs', roots: [ids.rivalTour] });
    expect(mine.rows['gigs']).toEqual([ids.rivalTour]);
    expect(mine.rows['assets']).toEqual([]);
  });

  it.each([
    ['a string', 'everything', /a scope is an object/],
    ['an unknown kind', { kind: 'venue' }, /scope kind 'venue' is not one of org, gigs, mine/],
    ['no roots', { kind: 'gigs' }, /names 1 to 50 root gigs/],
    ['empty roots', { kind: 'gigs', roots: [] }, /names 1 to 50 root gigs/],
    ['51 roots', { kind: 'gigs', roots: Array.from({ length: 51 }, () => '00000000-0000-4000-8000-000000000000') }, /names 1 to 50/],
    ['a root that is not a UUID', { kind: 'gigs', roots: ["x' or 1=1 --"] }, /roots are gig ids/],
    ['a root that is a number', { kind: 'gigs', roots: [42] }, /roots are gig ids/],
  ])('refuses %s as a scope with 22023 in words, on every function', async (_what, scope, message) => {
    const calls = [
      org.members.manager.client.rpc('pull_snapshot', { tbl: 'gigs', after: null, limit: 10, scope }),
      org.members.manager.client.rpc('pull_changes', { cursor: null, limit: 10, scope }),
      org.members.manager.client.rpc('sync_verify', { cursor: '0:0', scope }),
    ];
    for (const { error } of await Promise.all(calls)) {
      expect(error?.code).toBe('22023');
      expect(error?.message).toMatch(message);
    }
  });

  it('refuses anonymous callers and a removed member whatever the scope', async () => {
    const leaving = await createOrg(stack, 'scopes-leaving');
    const gig = await insertGig(stack.db, leaving.id);
    await stack.db.query('delete from public.memberships where user_id = $1', [leaving.members.crew.userId]);
    const { data, error } = await leaving.members.crew.client.rpc('pull_snapshot', {
      tbl: 'gigs',
      after: null,
      limit: 10,
      scope: { kind: 'gigs', roots: [gig] },
    });
    expect(error).toBeNull();
    expect((data as { rows: unknown[] }).rows).toEqual([]);
    const anonymous = await nodeSupabaseClient(stack.url, stack.anonKey).rpc('pull_snapshot', {
      tbl: 'gigs',
      after: null,
      limit: 10,
      scope: { kind: 'gigs', roots: [gig] },
    });
    expect(anonymous.error?.code).toBe('42501');
  });
});

describe('pulling and checking a scope', () => {
  it('pull_changes answers the changes of the scope’s rows only, with the whole log’s cursor', async () => {
    const scope = { kind: 'gigs', roots: [ids.tour] };
    const { cursor } = await snapshot(org.members.manager, scope);
    await stack.db.query("update public.gigs set notes = 'load-in 14:00' where id = any ($1)", [[ids.night1, ids.otherNight]]);
    await stack.db.query("update public.assets set notes = 'dented' where id = any ($1)", [[ids.planned, ids.loose]]);
    const page = await pullToCurrent(org.members.manager, cursor, scope);
    expect(page.changes['gigs']?.map((r) => r.id)).toEqual([ids.night1]);
    expect(page.changes['assets']?.map((r) => r.id)).toEqual([ids.planned]);
    // The whole organization's pull from the same cursor ends at the same cursor.
    const whole = await pullToCurrent(org.members.manager, cursor, null);
    expect(whole.cursor).toBe(page.cursor);
    expect(whole.changes['gigs']).toHaveLength(2);
    // A row that leaves by being deleted (a gig soft-deleted, a plan line removed) still sends its
    // tombstone, though it is no longer in the scope; a row outside the scope is not fetched.
    const hidden = await insertGig(stack.db, org.id, { parent: ids.tour, name: 'Cancelled night' });
    const { rows: line } = await stack.db.query<{ id: string }>(
      'insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3) returning id',
      [org.id, hidden, ids.loose],
    );
    const mid = (await pullToCurrent(org.members.manager, page.cursor, scope)).cursor;
    await stack.db.query('delete from public.kit_assignments where id = $1', [line[0]?.id]);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [hidden]);
    const gone = await pullToCurrent(org.members.manager, mid, scope);
    const tombstones = gone.tombstones.map((t) => `${t.table}:${t.id}`);
    expect(tombstones.sort()).toEqual([`gigs:${hidden}`, `kit_assignments:${line[0]?.id ?? ''}`].sort());
  });

  it('sync_verify counts the scope, and a commit outside the scope does not make its copy move on', async () => {
    const scope = { kind: 'gigs', roots: [ids.tour] };
    let cursor = (await pullToCurrent(org.members.manager, null, scope)).cursor;
    const check = async (): Promise<{ moved: boolean; tables?: Record<string, { count: number }> }> => {
      const { data, error } = await org.members.manager.client.rpc('sync_verify', { cursor, scope });
      if (error !== null) throw new Error(error.message);
      return data as { moved: boolean; tables?: Record<string, { count: number }> };
    };
    const first = await check();
    expect(first.moved).toBe(false);
    const { rows } = await snapshot(org.members.manager, scope);
    for (const table of SNAPSHOT_TABLES) expect(first.tables?.[table]?.count).toBe(rows[table]?.length);

    // Another tour's night changes: the touring laptop's copy is still current.
    await stack.db.query("update public.gigs set venue = 'Stadthalle' where id = $1", [ids.otherNight]);
    expect((await check()).moved).toBe(false);
    // Its own night changes: it has moved on, until it pulls.
    await stack.db.query("update public.gigs set venue = 'Docks' where id = $1", [ids.night1]);
    expect((await check()).moved).toBe(true);
    cursor = (await pullToCurrent(org.members.manager, cursor, scope)).cursor;
    expect((await check()).moved).toBe(false);
    // An asset planned for the tour enters the scope with no change of its own: the counts say so.
    await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [
      org.id,
      ids.night1,
      ids.loose,
    ]);
    const page = await pullToCurrent(org.members.manager, cursor, scope);
    expect(page.changes['assets']).toBeUndefined();
    cursor = page.cursor;
    const entered = await check();
    expect(entered.tables?.['assets']?.count).toBe(first.tables?.['assets']?.count === undefined ? -1 : first.tables['assets'].count + 1);
  });

  it('a row that leaves the scope through its own change comes as a tombstone, and a removed plan line makes the copy move on', async () => {
    const scope = { kind: 'gigs', roots: [ids.tour] };
    const leipzig = await insertGig(stack.db, org.id, { parent: ids.tour, name: 'Leipzig' });
    const { cursor, rows } = await snapshot(org.members.manager, scope);
    expect(rows['gigs']).toContain(leipzig);
    // The night moves to the spring tour; an item that was only out to the tour comes back.
    await stack.db.query('update public.gigs set parent_gig_id = $2 where id = $1', [leipzig, ids.otherTour]);
    await stack.db.query("update public.assets set status = 'available', current_gig_id = null where id = $1", [ids.out]);
    const page = await pullToCurrent(org.members.manager, cursor, scope);
    expect(page.tombstones.map((t) => `${t.table}:${t.id}`).sort()).toEqual([`assets:${ids.out}`, `gigs:${leipzig}`].sort());
    expect(page.changes['gigs']).toBeUndefined();
    // A plan line deleted after the device's pull: its check says the server moved on (a pull
    // brings the tombstone) rather than counting a copy that is only behind.
    const line = plans.planned ?? '';
    const before = await org.members.manager.client.rpc('sync_verify', { cursor: page.cursor, scope });
    expect((before.data as { moved: boolean }).moved).toBe(false);
    await stack.db.query('delete from public.kit_assignments where id = $1', [line]);
    const after = await org.members.manager.client.rpc('sync_verify', { cursor: page.cursor, scope });
    expect((after.data as { moved: boolean }).moved).toBe(true);
  });

  it('with concurrent writers between pages, a scoped snapshot then pull ends with the scope as it is', async () => {
    const scope = { kind: 'gigs', roots: [ids.tour] };
    const writer = new pg.Client({ connectionString: stack.dbUrl });
    await writer.connect();
    try {
      // A long transaction spans the whole snapshot and commits after it.
      await writer.query('begin');
      await writer.query("update public.gigs set notes = 'from the long transaction' where id = $1", [ids.night2]);
      const rows = new Map<string, string>();
      let place: SnapshotProgress = SNAPSHOT_START;
      let cursor: string;
      for (let n = 0; ; n += 1) {
        const { data, error } = await org.members.manager.client.rpc('pull_snapshot', {
          tbl: place.table,
          after: place.after,
          limit: 1,
          scope,
        });
        if (error !== null) throw new Error(error.message);
        const got = snapshotPageSchema.parse(data);
        for (const row of got.rows) rows.set(`${got.table}:${row.id}`, JSON.stringify(row));
        // Commits between pages: a gig's edit and an asset deleted from the tour's case.
        if (n === 2) await stack.db.query("update public.gigs set name = 'Hamburg (late show)' where id = $1", [ids.night1]);
        if (n === 5) await stack.db.query('update public.assets set deleted_at = now() where id = $1', [ids.inNested]);
        const step = advanceSnapshot(place, got);
        if (step.done) {
          cursor = step.cursor;
          break;
        }
        place = step.progress;
      }
      await writer.query('commit');
      for (;;) {
        const { data } = await org.members.manager.client.rpc('pull_changes', { cursor, limit: 500, scope });
        const page = data as {
          changes: Record<string, Record<string, unknown>[]>;
          tombstones: { table: string; id: string }[];
          cursor: string;
          has_more: boolean;
        };
        for (const [table, changed] of Object.entries(page.changes))
          for (const row of changed) rows.set(`${table}:${String(row['id'])}`, JSON.stringify(row));
        for (const gone of page.tombstones) rows.delete(`${gone.table}:${gone.id}`);
        cursor = page.cursor;
        if (!page.has_more && (await isCurrent(org.members.manager, cursor, scope))) break;
      }
      const now = await snapshot(org.members.manager, scope);
      const held = (table: string): string[] =>
        [...rows.keys()]
          .filter((k) => k.startsWith(`${table}:`))
          .map((k) => k.slice(table.length + 1))
          .sort();
      for (const table of SNAPSHOT_TABLES) expect(held(table)).toEqual(now.rows[table]);
      expect(JSON.parse(rows.get(`gigs:${ids.night2}`) ?? '{}')).toMatchObject({ notes: 'from the long transaction' });
      expect(JSON.parse(rows.get(`gigs:${ids.night1}`) ?? '{}')).toMatchObject({ name: 'Hamburg (late show)' });
      expect(rows.has(`assets:${ids.inNested}`)).toBe(false);
    } finally {
      await writer.end();
    }
  });
});
