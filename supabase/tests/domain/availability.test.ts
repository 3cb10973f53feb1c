import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pick, randomInt, seededRandom } from '../../../core/random';
import { decodeRows } from '../../../core/sync/rows';
import {
  availability,
  availabilitySchema,
  prepareAvailability,
  type Availability,
  type AvailabilityIndex,
  type AvailabilityRows,
} from '../../../core/views/availability';
import { DEMO_PASSWORD, ORGS, seedDatabase } from '../../../scripts/seed/seed';
import { waitFor } from '../../../tests/helpers/domain';
import { planOf } from '../../../tests/helpers/explain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// Availability (issue 19) three ways on one seeded database: a plain-SQL reference written here
// over the base tables (its own walks up the tree and into cases, none of the RPC's helpers),
// get_availability through supabase-js as a signed-in manager, and the station's offline
// computation (core/views/availability.ts) over the rows as pull_changes sends them. The seed
// (scale 1) is given what it lacks: buffers other than the default, gigs without dates, units
// out, gear out to a gig that ended days ago, category lines filled by serialized assets, deleted
// gigs and cases.
let stack: TestStack;
let manager: NodeSupabaseClient;
let rows: AvailabilityRows;
let index: AvailabilityIndex;
let now: number;
const org = ORGS.northlight.id;
const specials: Record<'festival' | 'overdue' | 'undated' | 'ownOut' | 'short', string> = {
  festival: '',
  overdue: '',
  undated: '',
  ownOut: '',
  short: '',
};

/** The reference's answer per category: numbers and the assets behind them. */
interface ReferenceRow {
  category: string;
  owned: number;
  maintenance: string[];
  out_assets: string[];
  out_units: number;
  planned_assets: string[];
  planned_units: number;
  demand: number;
}

/**
 * The definition (core/views/availability.ts) in plain SQL over the base tables, for gig $1 at
 * instant $2: windows and the gigs above by walking up parent_gig_id, the subtree by walking down,
 * case contents by walking into nested cases; none of the RPC's helpers or its ltree paths. It
 * lists every asset behind each number, as an answer with every category expanded does.
 */
const REFERENCE_SQL = `
with recursive
subject as (select g.id, g.org_id from public.gigs g where g.id = $1),
buffers as (
  select o.prep_buffer_hours * interval '1 hour' as prep, o.return_buffer_hours * interval '1 hour' as ret
    from public.organizations o join subject s on o.id = s.org_id
),
climb (gig_id, parent_id, starts_at, ends_at) as (
  select g.id, g.parent_gig_id, g.starts_at, g.ends_at from public.gigs g join subject s on g.org_id = s.org_id
  union all
  select c.gig_id, p.parent_gig_id, p.starts_at, p.ends_at
    from climb c join public.gigs p on p.id = c.parent_id
   where c.starts_at is null or c.ends_at is null
),
windows as (
  select c.gig_id, c.starts_at - b.prep as w_from, c.ends_at + b.ret as w_to
    from climb c cross join buffers b
   where c.starts_at is not null and c.ends_at is not null
),
subtree (id) as (
  select s.id from subject s
  union all
  select g.id from public.gigs g join subtree t on g.parent_gig_id = t.id where g.deleted_at is null
),
above (id, parent_id) as (
  select g.id, g.parent_gig_id from public.gigs g join subject s on g.id = s.id
  union all
  select p.id, p.parent_gig_id from above a join public.gigs p on p.id = a.parent_id
),
own_event (id) as (select t.id from subtree t union select a.id from above a),
subject_window as (select w.w_from, w.w_to from windows w join subject s on w.gig_id = s.id),
holding as (
  select g.id, w.w_from
    from public.gigs g
    join windows w on w.gig_id = g.id
   cross join subject_window sw
   where g.deleted_at is null and g.status in ('draft', 'confirmed', 'in_progress')
     and g.id not in (select e.id from own_event e)
     and w.w_from < w.w_to and sw.w_from < sw.w_to and w.w_from < sw.w_to and sw.w_from < w.w_to
),
case_walk (line_id, gig_id, case_id) as (
  select k.id, k.gig_id, c.id from public.kit_assignments k join public.cases c on c.id = k.case_id and c.deleted_at is null
  union all
  select w.line_id, w.gig_id, c.id from case_walk w join public.cases c on c.parent_case_id = w.case_id and c.deleted_at is null
),
line_assets (line_id, gig_id, asset_id) as (
  select k.id, k.gig_id, a.id from public.kit_assignments k join public.assets a on a.id = k.asset_id where a.deleted_at is null
  union all
  select w.line_id, w.gig_id, a.id from case_walk w join public.assets a on a.case_id = w.case_id where a.deleted_at is null
),
demand_assets as (
  select distinct la.asset_id, a.category
    from line_assets la join public.assets a on a.id = la.asset_id
   where la.gig_id in (select t.id from subtree t)
),
categories (category) as (
  select d.category from demand_assets d
  union
  select k.category from public.kit_assignments k where k.gig_id in (select t.id from subtree t) and k.category is not null
),
first_plan as (
  select distinct on (la.asset_id) la.asset_id, la.gig_id
    from line_assets la join holding h on h.id = la.gig_id
   order by la.asset_id, h.w_from, la.gig_id
),
away as (
  select g.id,
         g.id not in (select e.id from own_event e)
         and (not exists (select 1 from subject_window) or w.gig_id is null
              or w.w_to > (select sw.w_from from subject_window sw) or w.w_to < $2::timestamptz) as counts_out
    from public.gigs g
    join subject s on g.org_id = s.org_id
    left join windows w on w.gig_id = g.id
),
reasons as (
  select a.id, a.category,
         case when a.status in ('in_maintenance', 'quarantined') then 'maintenance'
              when a.status = 'checked_out' and aw.counts_out then 'out'
              when a.status in ('lost', 'retired') then 'written_off'
              when fp.asset_id is not null then 'planned' end as reason
    from public.assets a
    join subject s on a.org_id = s.org_id
    left join away aw on aw.id = a.current_gig_id
    left join first_plan fp on fp.asset_id = a.id
   where a.deleted_at is null and a.category in (select c.category from categories c)
),
bulk as (
  select b.id, b.category, b.in_warehouse
    from public.bulk_items b join subject s on b.org_id = s.org_id
   where b.category in (select c.category from categories c)
),
stock as (select st.gig_id, b.category, st.quantity from public.bulk_stock st join bulk b on b.id = st.bulk_item_id),
line_units as (
  select k.gig_id, k.category, sum(k.quantity) as quantity
    from public.kit_assignments k join holding h on h.id = k.gig_id
   where k.category is not null
   group by k.gig_id, k.category
),
loose as (
  select a.current_gig_id as gig_id, a.category, count(*) as n
    from public.assets a join holding h on h.id = a.current_gig_id
   where a.deleted_at is null
     and not exists (select 1 from line_assets la where la.gig_id = a.current_gig_id and la.asset_id = a.id)
   group by a.current_gig_id, a.category
),
open_units as (
  select lu.category,
         greatest(lu.quantity
                  - coalesce((select sum(st.quantity) from stock st where st.gig_id = lu.gig_id and st.category = lu.category), 0)
                  - coalesce((select l.n from loose l where l.gig_id = lu.gig_id and l.category = lu.category), 0), 0) as units
    from line_units lu
)
select c.category,
       ((select count(*) from reasons r where r.category = c.category and r.reason is distinct from 'written_off')
        + coalesce((select sum(b.in_warehouse) from bulk b where b.category = c.category), 0)
        + coalesce((select sum(st.quantity) from stock st where st.category = c.category), 0))::int as owned,
       array(select r.id::text from reasons r where r.category = c.category and r.reason = 'maintenance' order by r.id) as maintenance,
       array(select r.id::text from reasons r where r.category = c.category and r.reason = 'out' order by r.id) as out_assets,
       coalesce((select sum(st.quantity) from stock st join away aw on aw.id = st.gig_id
                  where aw.counts_out and st.category = c.category), 0)::int as out_units,
       array(select r.id::text from reasons r where r.category = c.category and r.reason = 'planned' order by r.id) as planned_assets,
       coalesce((select sum(o.units) from open_units o where o.category = c.category), 0)::int as planned_units,
       ((select count(*) from demand_assets d where d.category = c.category)
        + coalesce((select sum(k.quantity) from public.kit_assignments k
                     where k.gig_id in (select t.id from subtree t) and k.category = c.category), 0))::int as demand
  from categories c
 order by c.category collate "C"`;

async function signIn(email: string, password = DEMO_PASSWORD): Promise<NodeSupabaseClient> {
  const client = nodeSupabaseClient(stack.url, stack.anonKey);
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error !== null) throw error;
  return client;
}

async function ids(sql: string, params: unknown[] = []): Promise<string[]> {
  return (await stack.db.query<{ id: string }>(sql, params)).rows.map((r) => r.id);
}

/** What the seed lacks, so every branch of the definition meets data. */
async function addCases(): Promise<void> {
  const random = seededRandom(1904);
  const db = stack.db;
  await db.query('update public.organizations set prep_buffer_hours = 12, return_buffer_hours = 36 where id = $1', [org]);
  const live = await ids(
    "select id from public.gigs where org_id = $1 and deleted_at is null and parent_gig_id is not null and status in ('draft', 'confirmed', 'in_progress') order by id",
    [org],
  );
  // Gigs missing a date take their ancestor's window; a tree whose root and stage have none has no window.
  for (let i = 0; i < 60; i += 1)
    await db.query(`update public.gigs set ${i % 2 === 0 ? 'starts_at' : 'ends_at'} = null where id = $1`, [pick(random, live)]);
  const [undatedRoot] = await ids(
    "select id from public.gigs where org_id = $1 and parent_gig_id is null and code <> 'GIG-000001' order by code limit 1",
    [org],
  );
  await db.query('update public.gigs set starts_at = null, ends_at = null where id = $1 or parent_gig_id = $1', [undatedRoot]);
  specials.undated = (await ids('select id from public.gigs where parent_gig_id = $1 order by id limit 1', [undatedRoot]))[0] ?? '';
  specials.festival = (await ids("select id from public.gigs where org_id = $1 and code = 'GIG-000001'", [org]))[0] ?? '';

  // A load-out that ended days ago with gear still out: overdue.
  const past = new Date(now - 10 * 86_400_000).toISOString();
  const ended = new Date(now - 8 * 86_400_000).toISOString();
  specials.overdue = (
    await db.query<{ id: string }>(
      "insert into public.gigs (org_id, name, status, starts_at, ends_at) values ($1, 'Late load-out', 'in_progress', $2, $3) returning id",
      [org, past, ended],
    )
  ).rows[0]?.id as string;
  const available = await ids(
    "select id from public.assets where org_id = $1 and status = 'available' and deleted_at is null order by id",
    [org],
  );
  const checkOut = async (asset: string, gig: string): Promise<void> => {
    await db.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2 and status = 'available'", [
      gig,
      asset,
    ]);
  };
  for (let i = 0; i < 25; i += 1) await checkOut(pick(random, available), specials.overdue);

  // Units out to open gigs (and to the overdue one); category lines of a serialized category,
  // partly filled by loose assets out to the gig.
  const bulk = await ids('select id from public.bulk_items where org_id = $1 order by id', [org]);
  for (const gig of [specials.overdue, ...Array.from({ length: 80 }, () => pick(random, live))]) {
    await db.query(
      `insert into public.bulk_stock (org_id, bulk_item_id, gig_id, quantity) values ($1, $2, $3, $4)
       on conflict (bulk_item_id, gig_id) do update set quantity = excluded.quantity`,
      [org, pick(random, bulk), gig, randomInt(random, 1, 30)],
    );
  }
  for (let i = 0; i < 120; i += 1) {
    const gig = pick(random, live);
    await db.query('insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, $3, $4)', [
      org,
      gig,
      pick(random, ['Audio', 'Lighting', 'Video']),
      randomInt(random, 1, 6),
    ]);
    for (let n = randomInt(random, 0, 3); n > 0; n -= 1) await checkOut(pick(random, available), gig);
  }
  // Gear out to a set of the flagship festival: out to its own subtree, not out against it.
  specials.ownOut = (await ids('select id from public.gigs where parent_gig_id = $1 order by id limit 1', [specials.festival]))[0] ?? '';
  for (let i = 0; i < 5; i += 1) await checkOut(pick(random, available), specials.ownOut);

  // A scarce category: three pyro units, five wanted by one gig, one also planned by its neighbour.
  const pyro: string[] = [];
  for (let i = 1; i <= 3; i += 1)
    pyro.push(
      (
        await db.query<{ id: string }>(
          "insert into public.assets (org_id, serial_number, name, category) values ($1, $2, 'Flame unit', 'Pyro') returning id",
          [org, `PYRO-${i}`],
        )
      ).rows[0]?.id as string,
    );
  specials.short = specials.ownOut;
  await db.query("insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, 'Pyro', 5)", [
    org,
    specials.short,
  ]);
  const [neighbour] = await ids('select id from public.gigs where parent_gig_id = $1 and id <> $2 order by id limit 1', [
    specials.festival,
    specials.short,
  ]);
  await db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org, neighbour, pyro[0]]);

  // Deleted gigs (their subtrees go too) and cases.
  for (let i = 0; i < 4; i += 1)
    await db.query('update public.gigs set deleted_at = now() where id = $1 and deleted_at is null', [pick(random, live)]);
  const cases = await ids('select id from public.cases where org_id = $1 order by id', [org]);
  for (let i = 0; i < 15; i += 1) await db.query('update public.cases set deleted_at = now() where id = $1', [pick(random, cases)]);
  await db.query('analyze');
}

/** The rows a station holds after pulling: the pull's JSON (to_jsonb, app.bulk_item_json), decoded once. */
async function pulledRows(): Promise<AvailabilityRows> {
  const read = async (sql: string): Promise<unknown[]> => (await stack.db.query<{ row: unknown }>(sql, [org])).rows.map((r) => r.row);
  const { rows: buffers } = await stack.db.query<{ prep: number; ret: number }>(
    'select prep_buffer_hours as prep, return_buffer_hours as ret from public.organizations where id = $1',
    [org],
  );
  return {
    gigs: decodeRows('gigs', await read("select to_jsonb(t) - 'search_vector' as row from public.gigs t where t.org_id = $1")),
    assets: decodeRows('assets', await read("select to_jsonb(t) - 'search_vector' as row from public.assets t where t.org_id = $1")),
    cases: decodeRows('cases', await read('select to_jsonb(t) as row from public.cases t where t.org_id = $1')),
    kit: decodeRows('kit_assignments', await read('select to_jsonb(t) as row from public.kit_assignments t where t.org_id = $1')),
    bulk: decodeRows('bulk_items', await read('select app.bulk_item_json(t) as row from public.bulk_items t where t.org_id = $1')),
    buffers: { prepHours: buffers[0]?.prep ?? -1, returnHours: buffers[0]?.ret ?? -1 },
  };
}

beforeAll(async () => {
  stack = await startTestStack();
  await seedDatabase(stack.dbUrl, { gigs: 5000, assets: 20000, staff: 500, seed: 42 });
  now = Date.parse((await stack.db.query<{ now: string }>('select now()::text as now')).rows[0]?.now ?? '');
  await addCases();
  rows = await pulledRows();
  index = prepareAvailability(rows);
  manager = await signIn('manager@northlight.test');
}, 240_000);
afterAll(async () => {
  await stack?.stop();
});

async function rpc(args: Record<string, unknown>, client: NodeSupabaseClient = manager): Promise<Availability> {
  const { data, error } = await client.rpc('get_availability', args);
  if (error !== null) throw new Error(`get_availability(${JSON.stringify(args)}): ${error.code} ${error.message}`);
  return availabilitySchema.parse(data);
}

/** An expanded answer in the reference's terms: per category, numbers and the assets behind them. */
function asReference(answer: Availability): ReferenceRow[] {
  const assets = (held: Availability['categories'][number]['outGigs']): string[] =>
    held.flatMap((h) => h.assetIds ?? ['not expanded']).sort();
  const units = (held: { units: number }[]): number => held.reduce((n, h) => n + h.units, 0);
  return answer.categories.map((c) => ({
    category: c.category,
    owned: c.owned,
    maintenance: c.maintenanceAssets ?? ['not expanded'],
    out_assets: assets(c.outGigs),
    out_units: units(c.outGigs),
    planned_assets: assets(c.plannedGigs),
    planned_units: units(c.plannedGigs),
    demand: c.demand,
  }));
}

/** The reference's numbers only, as a summary holds them. */
const referenceNumbers = (rows: ReferenceRow[]) =>
  rows.map((r) => ({
    category: r.category,
    owned: r.owned,
    maintenance: r.maintenance.length,
    out: r.out_assets.length + r.out_units,
    planned: r.planned_assets.length + r.planned_units,
    demand: r.demand,
  }));
const summaryNumbers = (answer: Availability) =>
  answer.categories.map((c) => ({
    category: c.category,
    owned: c.owned,
    maintenance: c.maintenance,
    out: c.out,
    planned: c.planned,
    demand: c.demand,
  }));

describe('get_availability = the plain-SQL reference = the offline computation', () => {
  it('agrees on 200 random gigs of the seeded company, and on the special ones', async () => {
    // Both sides judge "overdue" at their own now: no window may end between the two.
    const { rows: near } = await stack.db.query<{ n: number }>(
      `select count(*)::int as n from public.gigs g, app.gig_window(g.id) w
        where g.org_id = $1 and upper(w) between now() - interval '30 minutes' and now() + interval '30 minutes'`,
      [org],
    );
    expect(near[0]?.n).toBe(0);
    const random = seededRandom(19);
    const live = rows.gigs.filter((g) => g.deletedAt === null).map((g) => g.id);
    const subjects = [...Object.values(specials), ...Array.from({ length: 200 }, () => pick(random, live))];
    const seen = {
      out: 0,
      planned: 0,
      plannedUnits: 0,
      maintenance: 0,
      shortage: 0,
      overdue: 0,
      writtenOff: 0,
      noWindow: 0,
      lines: 0,
      expanded: 0,
      more: 0,
    };
    for (const [i, gigId] of subjects.entries()) {
      const server = await rpc({ p_gig_id: gigId });
      const offline = availability(index, { gigId }, { now });
      expect(offline, `gig ${gigId}`).toEqual(server);
      expect(JSON.stringify(server), `gig ${gigId}: a summary names no asset behind a number`).not.toMatch(/"assetIds":\[/);
      const { rows: reference } = await stack.db.query<ReferenceRow>(REFERENCE_SQL, [gigId, new Date(now).toISOString()]);
      expect(summaryNumbers(server), `gig ${gigId}`).toEqual(referenceNumbers(reference));
      // For the special gigs and every fourth other one, every figure opened into its assets.
      const names = server.categories.map((c) => c.category);
      if (i < Object.keys(specials).length || i % 4 === 0) {
        for (let at = 0; at < names.length; at += 10) {
          const chunk = names.slice(at, at + 10);
          const opened = await rpc({ p_gig_id: gigId, p_categories: chunk, p_expand: chunk });
          expect(availability(index, { gigId }, { now, categories: chunk, expand: chunk }), `gig ${gigId}`).toEqual(opened);
          expect(asReference(opened), `gig ${gigId}`).toEqual(reference.filter((r) => chunk.includes(r.category)));
          seen.expanded += opened.categories.length;
        }
      }
      for (const c of server.categories) {
        seen.out += c.out;
        seen.planned += c.planned;
        seen.plannedUnits += c.plannedGigs.reduce((n, h) => n + h.units, 0);
        seen.maintenance += c.maintenance;
        seen.shortage += c.shortage;
        seen.more += c.moreOutGigs + c.morePlannedGigs;
      }
      seen.overdue += server.overdue.length;
      seen.writtenOff += server.lines.flatMap((l) => l.items).filter((i) => i.reason === 'written_off').length;
      seen.noWindow += server.subject.window === null ? 1 : 0;
      seen.lines += server.lines.length;
    }
    // Every branch met data (a comparison of empty answers would prove nothing).
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  }, 600_000);

  it('answers a date range across organizations with each one’s own return buffer (the service role)', async () => {
    const harbour = ORGS.harbour.id;
    const { rows: before } = await stack.db.query<{ id: string; return_buffer_hours: number }>(
      'select id, return_buffer_hours from public.organizations where id = any ($1)',
      [[org, harbour]],
    );
    const day = 86_400_000;
    const [from, to] = [new Date(now + 20 * day), new Date(now + 21 * day)];
    try {
      await stack.db.query(
        'update public.organizations set return_buffer_hours = case when id = $1 then 72 else 0 end where id = any ($2)',
        [org, [org, harbour]],
      );
      // One fog machine per company, out to a gig of its own that ends a day before the range: back
      // in time with no buffer (the harbour's), not with 72 hours (this company's).
      for (const company of [org, harbour]) {
        const [gig] = await ids(
          `insert into public.gigs (org_id, name, starts_at, ends_at) values ($1, 'Fog night', $2, $3) returning id`,
          [company, new Date(from.getTime() - 2 * day), new Date(from.getTime() - day)],
        );
        await stack.db.query(
          `insert into public.assets (org_id, serial_number, name, category, status, current_gig_id)
           values ($1, 'FOG-' || $3, 'Fog machine', 'Fog', 'checked_out', $2)`,
          [company, gig, company.slice(0, 8)],
        );
      }
      const range = { p_from: from.toISOString(), p_to: to.toISOString(), p_categories: ['Fog'] };
      const fog = (answer: Availability) => answer.categories.find((c) => c.category === 'Fog');
      const service = nodeSupabaseClient(stack.url, stack.serviceRoleKey);
      const [mine, theirs, both] = [await rpc(range), await rpc(range, await signIn('admin@harbour.test')), await rpc(range, service)];
      expect([fog(mine)?.out, fog(theirs)?.out, fog(both)?.out]).toEqual([1, 0, 1]);
      expect(fog(both)?.owned).toBe(2);
    } finally {
      // Leave the data as the other tests' offline copy has it.
      await stack.db.query("delete from public.assets where category = 'Fog' and serial_number like 'FOG-%'");
      await stack.db.query("delete from public.gigs where name = 'Fog night'");
      for (const o of before)
        await stack.db.query('update public.organizations set return_buffer_hours = $2 where id = $1', [o.id, o.return_buffer_hours]);
    }
  });

  it('answers a date range with the supply side of the caller’s organization, and filters categories', async () => {
    const from = new Date(now + 150 * 86_400_000).toISOString();
    const to = new Date(now + 160 * 86_400_000).toISOString();
    const all = await rpc({ p_from: from, p_to: to });
    expect(all).toEqual(availability(index, { from, to }, { now }));
    expect(all.categories.map((c) => c.category)).toContain('Sandbag');
    expect(all.categories.every((c) => c.demand === 0)).toBe(true);
    const some = await rpc({ p_from: from, p_to: to, p_categories: ['Video', 'Audio', 'Audio', 'Nothing here'] });
    expect(some).toEqual(availability(index, { from, to }, { now, categories: ['Video', 'Audio', 'Audio', 'Nothing here'] }));
    expect(some.categories.map((c) => c.category)).toEqual(['Audio', 'Nothing here', 'Video']);
    const festival = await rpc({ p_gig_id: specials.festival, p_categories: ['Audio'] });
    expect(festival).toEqual(availability(index, { gigId: specials.festival }, { now, categories: ['Audio'] }));
    // Expanding a category lists it too, opened into its assets (overdue ones included).
    const opened = await rpc({ p_gig_id: specials.overdue, p_categories: [], p_expand: ['Video', 'Audio'] });
    expect(opened).toEqual(availability(index, { gigId: specials.overdue }, { now, categories: [], expand: ['Video', 'Audio'] }));
    expect(opened.categories.map((c) => [c.category, c.expanded])).toEqual([
      ['Audio', true],
      ['Video', true],
    ]);
    expect(opened.overdue.some((o) => (o.assetIds?.length ?? 0) > 0)).toBe(true);
  });

  it('lets crew read it, and exposes the window as app.gig_window', async () => {
    const crew = await signIn('crew@northlight.test');
    expect(await rpc({ p_gig_id: specials.festival }, crew)).toEqual(await rpc({ p_gig_id: specials.festival }));
    const { rows: windows } = await stack.db.query<{ lower: Date; upper: Date }>('select lower(w), upper(w) from app.gig_window($1) w', [
      specials.festival,
    ]);
    const festival = rows.gigs.find((g) => g.id === specials.festival);
    expect(windows[0]?.lower.getTime()).toBe(Date.parse(festival?.startsAt ?? '') - 12 * 3_600_000);
    expect(windows[0]?.upper.getTime()).toBe(Date.parse(festival?.endsAt ?? '') + 36 * 3_600_000);
    expect((await stack.db.query('select app.gig_window($1) as w', [specials.undated])).rows[0]).toEqual({ w: null });
  });
});

describe('query plans', () => {
  it('finds the gigs that may hold gear in a window through their dates, and undated gigs through their own index', async () => {
    const from = new Date(now + 120 * 86_400_000).toISOString();
    const to = new Date(now + 123 * 86_400_000).toISOString();
    const dated = await planOf(
      stack.db,
      `select g.id from public.gigs g
        where g.org_id = $1 and g.deleted_at is null and g.starts_at is not null and g.ends_at is not null
          and g.status in ('draft', 'confirmed', 'in_progress')
          and tstzrange(g.starts_at, g.ends_at, '[]') && tstzrange($2::timestamptz, $3::timestamptz, '[)')`,
      [org, from, to],
    );
    expect(dated.indexes).toContain('gigs_holding_dates_idx');
    expect(dated.seqScans).toEqual([]);
    const undated = await planOf(
      stack.db,
      `select g.id from public.gigs g
        where g.org_id = $1 and g.deleted_at is null and (g.starts_at is null or g.ends_at is null)
          and g.status in ('draft', 'confirmed', 'in_progress')`,
      [org],
    );
    expect(undated.indexes).toContain('gigs_undated_idx');
    expect(undated.seqScans).toEqual([]);
  });
});

describe('attacks and bad input', () => {
  it('answers another company’s admin exactly as for a gig that exists nowhere', async () => {
    const rival = await signIn('admin@harbour.test');
    const theirs = await rival.rpc('get_availability', { p_gig_id: specials.festival });
    const nowhere = await rival.rpc('get_availability', { p_gig_id: '00000000-0000-4000-8000-000000000000' });
    expect(theirs.data).toBeNull();
    expect(theirs.error).toMatchObject({ code: 'PT404' });
    expect(theirs.error?.message.replace(specials.festival, 'X')).toBe(
      nowhere.error?.message.replace('00000000-0000-4000-8000-000000000000', 'X'),
    );
    // A range covers the rival's own company only: none of this company's gear.
    const range = await rpc({ p_from: new Date(now).toISOString(), p_to: new Date(now + 86_400_000).toISOString() }, rival);
    const ours = new Set(rows.assets.map((a) => a.id));
    expect(
      JSON.stringify(range)
        .split('"')
        .some((token) => ours.has(token)),
    ).toBe(false);
  });

  it('gives a member removed while signed in nothing', async () => {
    const email = 'removed.availability@northlight.test';
    const userId = await stack.createUser(email, 'removed-secret-1');
    await stack.db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'manager')", [org, userId]);
    const removed = await signIn(email, 'removed-secret-1');
    expect((await removed.rpc('get_availability', { p_gig_id: specials.festival })).error).toBeNull();
    await stack.db.query('delete from public.memberships where user_id = $1', [userId]);
    expect((await removed.rpc('get_availability', { p_gig_id: specials.festival })).error).toMatchObject({ code: 'PT404' });
    const range = await rpc({ p_from: new Date(now).toISOString(), p_to: new Date(now + 86_400_000).toISOString() }, removed);
    expect(range).toMatchObject({ categories: [], lines: [], overdue: [], gigs: [] });
  });

  it.each([
    ['neither a gig nor a range', {}, 'give a gig (p_gig_id) or a date range (p_from and p_to)'],
    ['a gig and a range', { p_gig_id: 'GIG', p_from: 'A', p_to: 'B' }, 'give a gig or a date range, not both'],
    ['half a range', { p_from: 'A' }, 'a date range needs both p_from and p_to'],
    ['a range that ends before it starts', { p_from: 'B', p_to: 'A' }, 'the date range must start before it ends'],
    ['an empty range', { p_from: 'A', p_to: 'A' }, 'the date range must start before it ends'],
    ['a range over 366 days', { p_from: 'A', p_to: 'YEAR' }, 'a date range covers at most 366 days'],
    ['an infinite range', { p_from: '-infinity', p_to: 'A' }, 'a date range needs finite dates'],
    ['51 categories', { p_gig_id: 'GIG', p_categories: 'MANY' }, 'ask for at most 50 categories at once, not 51'],
    ['a null category', { p_gig_id: 'GIG', p_categories: ['Audio', null] }, 'categories are a flat list of names of at most 80 characters'],
    ['11 categories to expand', { p_gig_id: 'GIG', p_expand: 'ELEVEN' }, 'expand at most 10 categories at once, not 11'],
    ['a null category to expand', { p_gig_id: 'GIG', p_expand: [null] }, 'categories are a flat list of names of at most 80 characters'],
    ['a nested list to expand', { p_gig_id: 'GIG', p_expand: [['Audio']] }, 'categories are a flat list of names of at most 80 characters'],
  ])('refuses %s with 22023 and words, changing nothing', async (_label, template, message) => {
    const values: Record<string, unknown> = {
      GIG: specials.festival,
      A: new Date(now).toISOString(),
      B: new Date(now + 3_600_000).toISOString(),
      YEAR: new Date(now + 367 * 86_400_000).toISOString(),
      MANY: Array.from({ length: 51 }, (_, i) => `Category ${i}`),
      ELEVEN: Array.from({ length: 11 }, (_, i) => `Category ${i}`),
    };
    const args = Object.fromEntries(Object.entries(template).map(([k, v]) => [k, typeof v === 'string' && v in values ? values[v] : v]));
    const before = await stack.db.query<{ n: string }>('select count(*) as n from app.sync_changes');
    const { data, error } = await manager.rpc('get_availability', args);
    expect(data).toBeNull();
    expect(error).toMatchObject({ code: '22023', message });
    expect((await stack.db.query<{ n: string }>('select count(*) as n from app.sync_changes')).rows).toEqual(before.rows);
  });

  it('refuses callers who are not signed in', async () => {
    const anon = nodeSupabaseClient(stack.url, stack.anonKey);
    const { error } = await anon.rpc('get_availability', { p_gig_id: specials.festival });
    expect(error).not.toBeNull();
    expect(JSON.stringify(error)).not.toContain('Audio');
  });
});

// app.asset_tallies, app.assets_out and app.out_counts (migration 20261204000700) hold figures get_availability
// used to count per question. They must equal what they summarize after every kind of change, and
// the busy path (check-outs) must not make two stations wait on, or deadlock over, a shared row.
describe('figures kept as the data changes', () => {
  /** The kept tables and a recomputation from the base tables, side by side. */
  async function kept(): Promise<Record<'tallies' | 'out' | 'counts' | 'windows', [unknown[], unknown[]]>> {
    const q = async (sql: string): Promise<unknown[]> => (await stack.db.query<Record<string, unknown>>(sql)).rows;
    return {
      tallies: [
        await q(`select org_id, category, live, owned, maintenance from app.asset_tallies
                  where live <> 0 or owned <> 0 or maintenance <> 0 order by org_id, category collate "C"`),
        await q(`select org_id, category, count(*)::int as live,
                        count(*) filter (where status not in ('lost', 'retired'))::int as owned,
                        count(*) filter (where status in ('in_maintenance', 'quarantined'))::int as maintenance
                   from public.assets where deleted_at is null group by org_id, category order by org_id, category collate "C"`),
      ],
      out: [
        await q('select asset_id, org_id, category, gig_id from app.assets_out order by asset_id'),
        await q(`select id as asset_id, org_id, category, current_gig_id as gig_id from public.assets
                  where deleted_at is null and status = 'checked_out' and current_gig_id is not null order by id`),
      ],
      counts: [
        await q('select org_id, category, gig_id, n from app.out_counts where n <> 0 order by org_id, category collate "C", gig_id'),
        await q(`select org_id, category, current_gig_id as gig_id, count(*)::int as n from public.assets
                  where deleted_at is null and status = 'checked_out' and current_gig_id is not null
                  group by 1, 2, 3 order by org_id, category collate "C", 3`),
      ],
      windows: [
        await q('select gig_id, org_id, ends_at from app.gig_ends order by gig_id'),
        await q(`select id as gig_id, org_id, case when starts_at is not null and ends_at is not null then ends_at end as ends_at
                   from public.gigs order by id`),
      ],
    };
  }
  /** Each kept table equals its recomputation. */
  async function expectKept(): Promise<Awaited<ReturnType<typeof kept>>> {
    const now = await kept();
    for (const [name, [held, recomputed]] of Object.entries(now)) expect(held, name).toEqual(recomputed);
    return now;
  }

  /** The server's answer for a gig and the gigs around it agrees with the reference. */
  async function expectAnswersAround(gigId: string): Promise<void> {
    const around = await ids(
      `select g.id from public.gigs g, public.gigs s
        where s.id = $1 and g.org_id = s.org_id and g.deleted_at is null and g.starts_at is not null
          and tstzrange(g.starts_at, g.ends_at, '[]') && tstzrange(s.starts_at - interval '5 days', s.ends_at + interval '5 days')
        order by g.id limit 12`,
      [gigId],
    );
    for (const subject of [gigId, ...around]) {
      const { rows: reference } = await stack.db.query<ReferenceRow>(REFERENCE_SQL, [subject, new Date(now).toISOString()]);
      expect(summaryNumbers(await rpc({ p_gig_id: subject })), `gig ${subject}`).toEqual(referenceNumbers(reference));
    }
  }

  it('equal what they summarize after returns, check-outs, moved dates, a moved subtree, new buffers, write-offs and deletes', async () => {
    const db = stack.db;
    const random = seededRandom(707);
    const first = await expectKept();

    const out = await ids("select id from public.assets where org_id = $1 and status = 'checked_out' and deleted_at is null order by id", [
      org,
    ]);
    const available = await ids(
      "select id from public.assets where org_id = $1 and status = 'available' and deleted_at is null order by id",
      [org],
    );
    const live = await ids(
      "select id from public.gigs where org_id = $1 and deleted_at is null and status in ('draft', 'confirmed', 'in_progress') order by id",
      [org],
    );
    const outGigs = await ids('select distinct gig_id as id from app.assets_out where org_id = $1 order by 1', [org]);
    const some = <T>(list: T[], n: number): T[] => Array.from({ length: n }, () => pick(random, list));
    // Returns, check-outs (one to a gig without dates of its own), a move between gigs.
    for (const id of some(out, 30))
      await db.query("update public.assets set status = 'available', current_gig_id = null where id = $1", [id]);
    for (const id of some(available, 30))
      await db.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [pick(random, live), id]);
    await db.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [specials.undated, available[0]]);
    await db.query('update public.assets set current_gig_id = $1 where id = $2', [pick(random, live), out[1]]);
    // Gigs holding gear move in time, lose their dates (inheriting an ancestor's), or move under another root.
    for (const gig of some(outGigs, 10))
      await db.query(
        "update public.gigs set starts_at = starts_at + interval '9 days', ends_at = ends_at + interval '9 days' where id = $1",
        [gig],
      );
    await db.query('update public.gigs set starts_at = null where id = $1', [outGigs[3]]);
    const [moving] = await ids(
      `select g.id from public.gigs g where g.org_id = $1 and g.parent_gig_id is not null and g.deleted_at is null
          and exists (select 1 from app.assets_out x join public.gigs d on d.id = x.gig_id where d.path operator(extensions.<@) g.path)
        order by g.id limit 1`,
      [org],
    );
    await db.query(
      'update public.gigs set starts_at = null, ends_at = null where path operator(extensions.<@) (select path from public.gigs where id = $1)',
      [moving],
    );
    await db.query('update public.gigs set parent_gig_id = $1 where id = $2', [specials.festival, moving]);
    await db.query('update public.organizations set prep_buffer_hours = 6, return_buffer_hours = 72 where id = $1', [org]);
    // Write-offs, maintenance, a category changed while out, deletes, and new assets (some straight out).
    for (const [i, id] of some(out.slice(40), 20).entries()) {
      const change = [
        "status = 'lost', current_gig_id = null",
        "status = 'in_maintenance', current_gig_id = null",
        "category = 'Pyro'",
        'deleted_at = now()',
      ][i % 4];
      await db.query(`update public.assets set ${change} where id = $1`, [id]);
    }
    await db.query(
      `insert into public.assets (org_id, serial_number, name, category, status, current_gig_id)
       select $1, 'KEPT-' || n, 'Kept figure test', case when n % 2 = 0 then 'Audio' else 'Rigging' end,
              case when n % 3 = 0 then 'checked_out' else 'available' end::public.asset_status,
              case when n % 3 = 0 then $2::uuid end
         from generate_series(1, 12) n`,
      [org, pick(random, live)],
    );
    // A bulk item in a category of serialized gear: units out to gigs rank with the assets out,
    // and the gig holding one Audio asset (outside the ten holding most) leads on units.
    const {
      rows: [spares],
    } = await db.query<{ id: string }>(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse)
       values ($1, 'Audio', 'Audio spares', 'BULK-AUDIO-SPARES', 100) returning id`,
      [org],
    );
    const [fewest] = await ids(
      `select gig_id as id from app.assets_out where org_id = $1 and category = 'Audio'
        group by gig_id having count(*) = 1 order by gig_id limit 1`,
      [org],
    );
    for (const [i, gig] of [fewest ?? '', ...some(live, 14)].entries())
      await db.query(
        `insert into public.bulk_stock (org_id, bulk_item_id, gig_id, quantity) values ($1, $2, $3, $4)
         on conflict (bulk_item_id, gig_id) do update set quantity = excluded.quantity`,
        [org, spares?.id, gig, i === 0 ? 500 : randomInt(random, 1, 3)],
      );
    const after = await expectKept();
    expect(after.out[0]).not.toEqual(first.out[0]);
    expect(after.windows[0]).not.toEqual(first.windows[0]);

    // And the answers: the RPC, the offline computation over the new rows, and the reference agree.
    rows = await pulledRows();
    index = prepareAvailability(rows);
    const subjects = [moving ?? '', specials.festival, specials.undated, ...some(outGigs, 10), ...some(live, 30)];
    for (const gigId of subjects) {
      if (rows.gigs.find((g) => g.id === gigId)?.deletedAt !== null) continue;
      const server = await rpc({ p_gig_id: gigId });
      expect(availability(index, { gigId }, { now }), `gig ${gigId}`).toEqual(server);
      const { rows: reference } = await stack.db.query<ReferenceRow>(REFERENCE_SQL, [gigId, new Date(now).toISOString()]);
      expect(summaryNumbers(server), `gig ${gigId}`).toEqual(referenceNumbers(reference));
    }
  }, 300_000);

  /** Two connections, each in a transaction; both rolled back and closed whatever happens. */
  async function twoTransactions(run: (a: pg.Client, b: pg.Client) => Promise<void>): Promise<void> {
    const a = new pg.Client({ connectionString: stack.dbUrl });
    const b = new pg.Client({ connectionString: stack.dbUrl });
    await a.connect();
    await b.connect();
    try {
      await a.query("begin; set local lock_timeout = '5s'");
      await b.query("begin; set local lock_timeout = '5s'");
      await run(a, b);
    } finally {
      await a.query('rollback').catch(() => undefined);
      await b.query('rollback').catch(() => undefined);
      await a.end();
      await b.end();
    }
  }
  /** A company of its own (deleted by some tests) with one gig from now to a day ahead. */
  async function newCompany(name: string, slug: string, gigName: string): Promise<{ id: string; gig: string }> {
    const { rows } = await stack.db.query<{ id: string }>('insert into public.organizations (name, slug) values ($1, $2) returning id', [
      name,
      slug,
    ]);
    const id = rows[0]?.id ?? '';
    const [gig] = await ids(
      "insert into public.gigs (org_id, name, starts_at, ends_at) values ($1, $2, now(), now() + interval '1 day') returning id",
      [id, gigName],
    );
    return { id, gig: gig ?? '' };
  }
  /** The server process of a connection (asked before it runs what may block), and whether it waits on a lock. */
  const backendPid = async (client: pg.Client): Promise<number | undefined> =>
    (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  const waitsOnLock = async (pid: number | undefined): Promise<boolean> =>
    (await stack.db.query<{ w: boolean }>("select wait_event_type = 'Lock' as w from pg_stat_activity where pid = $1", [pid])).rows[0]
      ?.w === true;
  const available = (n: number, category = 'Audio'): Promise<string[]> =>
    ids(
      `select id from public.assets where org_id = $1 and category = $2 and status = 'available' and deleted_at is null
        order by md5(id::text) limit $3`,
      [org, category, n],
    );
  const checkOut = (client: pg.Client, asset: string, gig: string) =>
    client.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [gig, asset]);

  it('keeps windows right when a date change and a check-out race (an undated set inherits its parent’s dates)', async () => {
    const { rows: pair } = await stack.db.query<{ child: string; parent: string }>(
      `select c.id as child, p.id as parent from public.gigs c join public.gigs p on p.id = c.parent_gig_id
        where c.org_id = $1 and c.deleted_at is null and p.starts_at is not null and c.starts_at is not null
          and c.status = 'confirmed' order by c.id limit 1`,
      [org],
    );
    const { child, parent } = pair[0] ?? { child: '', parent: '' };
    await stack.db.query('update public.gigs set starts_at = null, ends_at = null where id = $1', [child]);
    const [asset] = await available(1);
    await twoTransactions(async (station, planner) => {
      // The planner moves the parent and has not committed; the station checks out to the set.
      await planner.query(
        "update public.gigs set starts_at = starts_at + interval '30 days', ends_at = ends_at + interval '30 days' where id = $1",
        [parent],
      );
      await checkOut(station, asset ?? '', child);
      await station.query('commit');
      await planner.query('commit');
    });
    await twoTransactions(async (station, planner) => {
      // And the other way round: new buffers committed while a check-out is open.
      const [other] = await available(1, 'Video');
      await checkOut(station, other ?? '', parent);
      await planner.query('update public.organizations set return_buffer_hours = return_buffer_hours + 7 where id = $1', [org]);
      await planner.query('commit');
      await station.query('commit');
    });
    await expectKept();
    await expectAnswersAround(parent);
  });

  it('keeps windows right when two planners race: one moves a festival’s dates, the other clears a set’s own', async () => {
    const { rows: pair } = await stack.db.query<{ festival: string; set: string }>(
      `select f.id as festival, s.id as set
         from public.gigs f join public.gigs s on s.parent_gig_id = f.id
        where f.org_id = $1 and f.starts_at is not null and s.starts_at is not null and f.deleted_at is null and s.deleted_at is null
        order by f.id, s.id limit 1`,
      [org],
    );
    const { festival, set } = pair[0] ?? { festival: '', set: '' };
    await twoTransactions(async (first, second) => {
      await first.query(
        "update public.gigs set starts_at = starts_at + interval '45 days', ends_at = ends_at + interval '45 days' where id = $1",
        [festival],
      );
      // Without dates of its own the set inherits the festival's window: from the dates the first
      // planner is changing, not yet committed.
      const clearing = (async () => {
        await second.query('update public.gigs set starts_at = null, ends_at = null where id = $1', [set]);
        await second.query('commit');
      })();
      await first.query('commit');
      await clearing;
    });
    await expectKept();
    await expectAnswersAround(festival);
  });

  it('lets two planners work on a festival and one of its sets at once, without a deadlock', async () => {
    const { rows: pair } = await stack.db.query<{ festival: string; set: string }>(
      `select f.id as festival, s.id as set
         from public.gigs f join public.gigs s on s.parent_gig_id = f.id
        where f.org_id = $1 and f.starts_at is not null and s.starts_at is not null and f.deleted_at is null and s.deleted_at is null
        order by f.id desc, s.id limit 1`,
      [org],
    );
    const { festival, set } = pair[0] ?? { festival: '', set: '' };
    await twoTransactions(async (first, second) => {
      // The second planner holds the set (as an op on it does), then the first moves the festival.
      await second.query('select 1 from public.gigs where id = $1 for update', [set]);
      const festivalMoves = (async () => {
        await first.query("update public.gigs set ends_at = ends_at + interval '3 days' where id = $1", [festival]);
        await first.query('commit');
      })();
      const setMoves = (async () => {
        await second.query("update public.gigs set starts_at = starts_at - interval '1 day' where id = $1", [set]);
        await second.query('commit');
      })();
      await Promise.all([festivalMoves, setMoves]);
    });
    await expectKept();
  });

  it('lets a planner move a gig while a station returns and checks out gear of it, without a deadlock', async () => {
    const [gig] = await ids(
      `select gig_id as id from app.assets_out x join public.gigs g on g.id = x.gig_id
        where x.org_id = $1 and g.starts_at is not null and g.status = 'confirmed' group by gig_id order by gig_id limit 1`,
      [org],
    );
    const [back] = await ids('select asset_id as id from app.assets_out where gig_id = $1 order by asset_id limit 1', [gig]);
    const [next] = await available(1);
    await twoTransactions(async (station, planner) => {
      await station.query("update public.assets set status = 'available', current_gig_id = null where id = $1", [back]);
      // Either may wait for the other to commit (the station's check-out holds the gig); neither may
      // hold what the other waits for.
      const planning = (async () => {
        await planner.query("update public.gigs set ends_at = ends_at + interval '2 days' where id = $1", [gig]);
        await planner.query('commit');
      })();
      const loading = (async () => {
        await checkOut(station, next ?? '', gig ?? '');
        await station.query('commit');
      })();
      await Promise.all([planning, loading]);
    });
    await expectKept();
  });

  it('lets two stations quarantine returns of two categories in opposite orders, without a deadlock', async () => {
    const [audio, video] = [await available(2, 'Audio'), await available(2, 'Video')];
    const quarantine = (client: pg.Client, asset: string) =>
      client.query("update public.assets set status = 'quarantined' where id = $1", [asset]);
    await twoTransactions(async (a, b) => {
      await quarantine(a, audio[0] ?? '');
      await quarantine(b, video[0] ?? '');
      await quarantine(a, video[1] ?? '');
      await quarantine(b, audio[1] ?? '');
      await Promise.all([a.query('commit'), b.query('commit')]);
    });
    await expectKept();
  });

  it('lets an organization with gear out be deleted, and forgets its figures', async () => {
    const { id: gone, gig } = await newCompany('Short-lived Hire', 'short-lived-hire', 'One night');
    await stack.db.query(
      `insert into public.assets (org_id, serial_number, name, category, status, current_gig_id)
       values ($1, 'GONE-1', 'Speaker', 'Audio', 'checked_out', $2), ($1, 'GONE-2', 'Light', 'Lighting', 'available', null)`,
      [gone, gig],
    );
    const held = async () =>
      (
        await stack.db.query<{ n: number }>(
          `select (select count(*) from app.asset_tallies where org_id = $1)
                + (select count(*) from app.out_counts where org_id = $1)
                + (select count(*) from app.gig_ends where org_id = $1) as n`,
          [gone],
        )
      ).rows[0]?.n;
    expect(Number(await held())).toBe(4);
    await stack.db.query('delete from public.organizations where id = $1', [gone]);
    expect(Number(await held())).toBe(0);
    await expectKept();
  });

  /** A dated gig of the seeded organization (a root, or under `parent`), ten days out. */
  const newGig = async (name: string, parent: string | null = null): Promise<string> =>
    (
      await ids(
        `insert into public.gigs (org_id, parent_gig_id, name, starts_at, ends_at)
         values ($1, $2, $3, now() + interval '10 days', now() + interval '12 days') returning id`,
        [org, parent, name],
      )
    )[0] ?? '';
  /**
   * Starts `blocked` in the second transaction and, once it waits on a lock (or is done), runs
   * `then` in the first; both transactions must commit.
   */
  async function bothCommit(a: pg.Client, b: pg.Client, blocked: () => Promise<unknown>, then: () => Promise<unknown>): Promise<void> {
    const pid = await backendPid(b);
    let done = false;
    const waiting = blocked()
      .finally(() => {
        done = true;
      })
      .then(() => b.query('commit'));
    waiting.catch(() => undefined);
    await waitFor(async () => done || (await waitsOnLock(pid)), 30_000, 'the second transaction to wait for the first, or finish');
    const outcomes = await Promise.allSettled([then().then(() => a.query('commit')), waiting]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'committed' : String((o.reason as Error).message)))).toEqual([
      'committed',
      'committed',
    ]);
  }

  it('lets a planner holding a festival touch a set another planner is re-dating, without a deadlock', async () => {
    const festival = await newGig('Held festival');
    const set = await newGig('Re-dated set', festival);
    await twoTransactions(async (a, b) => {
      await a.query("update public.gigs set name = 'Held festival, renamed' where id = $1", [festival]);
      await bothCommit(
        a,
        b,
        () => b.query("update public.gigs set ends_at = ends_at + interval '1 day' where id = $1", [set]),
        () => a.query('select 1 from public.gigs where id = $1 for update', [set]),
      );
    });
    await expectKept();
  });

  it('lets a planner holding a set re-date it while another moves its festival, without a deadlock', async () => {
    const festival = await newGig('Moving festival');
    const set = await newGig('Held set', festival);
    const tour = await newGig('New home');
    await twoTransactions(async (a, b) => {
      await a.query("update public.gigs set name = 'Held set, renamed' where id = $1", [set]);
      await bothCommit(
        a,
        b,
        () => b.query('update public.gigs set parent_gig_id = $1 where id = $2', [tour, festival]),
        () => a.query("update public.gigs set ends_at = ends_at + interval '1 day' where id = $1", [set]),
      );
    });
    await expectKept();
  });

  it('lets an organization be deleted while a planner re-dates one of its gigs, without a deadlock', async () => {
    const { id: folding, gig } = await newCompany('Folding Hire', 'folding-hire', 'Final night');
    await twoTransactions(async (planner, admin) => {
      await planner.query('select 1 from public.gigs where id = $1 for update', [gig]);
      await bothCommit(
        planner,
        admin,
        () => admin.query('delete from public.organizations where id = $1', [folding]),
        () => planner.query("update public.gigs set ends_at = ends_at + interval '1 day' where id = $1", [gig]),
      );
    });
    expect((await stack.db.query('select 1 from public.gigs where org_id = $1', [folding])).rows).toEqual([]);
    await expectKept();
  });

  it('lets an organization be deleted while a station checks its gear out, without a deadlock', async () => {
    const { id: closing, gig } = await newCompany('Closing Hire', 'closing-hire', 'Last night');
    const [asset] = await ids(
      "insert into public.assets (org_id, serial_number, name, category, status) values ($1, 'CLOSE-1', 'Speaker', 'Audio', 'available') returning id",
      [closing],
    );
    await twoTransactions(async (station, admin) => {
      // The station's commit adds the gig's first count row while the delete waits for its asset.
      await checkOut(station, asset ?? '', gig);
      const pid = await backendPid(admin);
      const deleting = admin.query('delete from public.organizations where id = $1', [closing]);
      await waitFor(() => waitsOnLock(pid), 30_000, 'the delete to wait for the station');
      await Promise.all([station.query('commit'), deleting.then(() => admin.query('commit'))]);
    });
    const { rows: left } = await stack.db.query<{ n: number }>(
      `select (select count(*) from app.asset_tallies where org_id = $1) + (select count(*) from app.out_counts where org_id = $1)
            + (select count(*) from public.assets where org_id = $1) as n`,
      [closing],
    );
    expect(Number(left[0]?.n)).toBe(0);
    await expectKept();
  });

  it('lets two stations check gear of mixed categories out to one gig at once, in opposite orders, without waiting on each other', async () => {
    const [gig] = await ids(
      "select id from public.gigs where org_id = $1 and deleted_at is null and status = 'confirmed' order by id limit 1",
      [org],
    );
    const byCategory = async (category: string): Promise<string[]> =>
      ids(
        "select id from public.assets where org_id = $1 and category = $2 and status = 'available' and deleted_at is null order by id limit 10",
        [org, category],
      );
    const [audio, video] = [await byCategory('Audio'), await byCategory('Video')];
    const a = new pg.Client({ connectionString: stack.dbUrl });
    const b = new pg.Client({ connectionString: stack.dbUrl });
    await a.connect();
    await b.connect();
    try {
      await a.query('begin');
      await b.query('begin');
      const checkOut = (client: typeof a, id: string) =>
        client.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [gig, id]);
      // A takes Audio then Video, B Video then Audio, interleaved: shared per-category rows would deadlock here.
      await checkOut(a, audio[0] ?? '');
      await checkOut(b, video[0] ?? '');
      await a.query("set local lock_timeout = '2s'");
      await b.query("set local lock_timeout = '2s'");
      await checkOut(a, video[1] ?? '');
      await checkOut(b, audio[1] ?? '');
      // Both commit at once: each adds its per-gig counts then, in key order (app.out_counts).
      await Promise.all([a.query('commit'), b.query('commit')]);
    } finally {
      await a.query('rollback').catch(() => undefined);
      await b.query('rollback').catch(() => undefined);
      await a.end();
      await b.end();
    }
    const { rows: outNow } = await stack.db.query<{ n: number }>(
      'select count(*)::int as n from app.assets_out where gig_id = $1 and asset_id = any ($2)',
      [gig, [audio[0], audio[1], video[0], video[1]]],
    );
    expect(outNow[0]?.n).toBe(4);
    await expectKept();
  });
});
