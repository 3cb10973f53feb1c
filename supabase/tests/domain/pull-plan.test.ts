import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGS, seedDatabase } from '../../../scripts/seed/seed';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// A new device's first pull_changes page (cursor null) reads its rows by key, not by scanning
// whole tables. The statement lives inside a plpgsql function, where EXPLAIN cannot reach:
// auto_explain logs the plan of each nested statement as the function runs it, and the log
// line comes back to this connection as a notice.
let stack: TestStack;
let managerId: string;
const org = ORGS.northlight.id;
const BIG_TABLES = ['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

interface Page {
  changes: Record<string, Record<string, unknown>[]>;
  tombstones: { table: string; id: string; deleted_at: string | null }[];
  cursor: string;
  has_more: boolean;
}

beforeAll(async () => {
  stack = await startTestStack();
  // Enough rows that an index lookup beats a sequential scan for every synced table but the
  // staff profiles; statistics fresh, so the planner's choice does not depend on autovacuum.
  await seedDatabase(stack.dbUrl, { gigs: 2000, assets: 8000, staff: 40, seed: 3 });
  await stack.db.query('analyze');
  const { rows } = await stack.db.query<{ id: string }>("select id from auth.users where email = 'manager@northlight.test'");
  managerId = rows[0]?.id ?? '';
});
afterAll(async () => {
  await stack?.stop();
});

/** The plans of the statements pull_changes ran for one call as the seeded manager, and its answer. */
async function pullPlans(cursor: string | null, limit: number): Promise<{ plans: { query: string; plan: PlanNode }[]; answer: Page }> {
  const client = new pg.Client({ connectionString: stack.dbUrl });
  await client.connect();
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  try {
    // auto_explain's settings are superuser-only: set them before switching to the API's role.
    await client.query("load 'auto_explain'");
    await client.query(
      `set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
       set auto_explain.log_format = json; set auto_explain.log_level = log`,
    );
    await client.query(
      "select set_config('role', 'authenticated', false), set_config('request.jwt.claims', $1, false), set_config('request.jwt.claim.sub', $2, false)",
      [JSON.stringify({ role: 'authenticated', sub: managerId }), managerId],
    );
    await client.query('set client_min_messages = log');
    const { rows } = await client.query<{ answer: Page }>('select public.pull_changes($1, $2) as answer', [cursor, limit]);
    const plans = notices
      .filter((message) => message.includes('plan:'))
      .map((message) => JSON.parse(message.slice(message.indexOf('plan:') + 'plan:'.length)) as { 'Query Text': string; Plan: PlanNode })
      .map((logged) => ({ query: logged['Query Text'], plan: logged.Plan }));
    const answer = rows[0]?.answer;
    if (answer === undefined) throw new Error('pull_changes answered nothing');
    return { plans, answer };
  } finally {
    await client.end();
  }
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

function indexes(node: PlanNode): string[] {
  const own = node['Index Name'] !== undefined ? [node['Index Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(indexes)];
}

describe('pull_changes plan', () => {
  it('reads a new device’s first full page by key, scanning no synced table whole', async () => {
    const { rows } = await stack.db.query<{ n: number }>('select count(*)::int as n from app.sync_changes where org_id = $1', [org]);
    expect(rows[0]?.n).toBeGreaterThan(10_000);
    const { plans } = await pullPlans(null, 1000);
    // The page of the log, then its rows (two statements since 20261207000400: the rows are read,
    // and the scope computed, only for a page that holds something).
    expect(
      plans.some((p) => p.query.includes('app.sync_changes')),
      `the log's statement among ${plans.length} logged plans`,
    ).toBe(true);
    expect(plans.flatMap((p) => seqScans(p.plan)).filter((table) => BIG_TABLES.includes(table))).toEqual([]);
    expect(plans.flatMap((p) => indexes(p.plan))).toEqual(
      expect.arrayContaining(['sync_changes_org_cursor_idx', 'gigs_pkey', 'assets_pkey']),
    );
  });

  it('reads every page of a long backlog by key (changes spread over many transactions)', async () => {
    // The seed writes its log in one transaction, so the planner expects one row after any cursor
    // inside it. A backlog of many transactions is what a device meets after days offline.
    const { rows } = await stack.db.query<{ cursor: string }>(
      "select txid::text || ':' || seq::text as cursor from app.sync_changes order by txid desc, seq desc limit 1",
    );
    const behind = rows[0]?.cursor ?? '';
    for (let batch = 0; batch < 40; batch += 1) {
      await stack.db.query(
        "update public.assets set notes = 'backlog ' || $2 where id in (select id from public.assets where org_id = $1 order by id offset $3 limit 100)",
        [org, batch, batch * 100],
      );
    }
    await stack.db.query('analyze app.sync_changes');
    const { plans } = await pullPlans(behind, 1000);
    expect(plans.some((p) => p.query.includes('app.sync_changes'))).toBe(true);
    expect(plans.flatMap((p) => seqScans(p.plan)).filter((table) => BIG_TABLES.includes(table))).toEqual([]);
    expect(plans.flatMap((p) => indexes(p.plan))).toContain('assets_pkey');
  });

  it("still answers every table's rows and tombstones as before (soft and hard deletes, hidden columns)", async () => {
    const { rows: tip } = await stack.db.query<{ cursor: string }>(
      "select txid::text || ':' || seq::text as cursor from app.sync_changes order by txid desc, seq desc limit 1",
    );
    const one = async (sql: string): Promise<string> => (await stack.db.query<{ id: string }>(sql, [org])).rows[0]?.id ?? '';
    const gig = await one('select id from public.gigs where org_id = $1 and deleted_at is null order by id limit 1');
    const [gone, edited] = (
      await stack.db.query<{ id: string }>('select id from public.assets where org_id = $1 and deleted_at is null order by id limit 2', [
        org,
      ])
    ).rows.map((r) => r.id);
    const kase = await one('select id from public.cases where org_id = $1 and deleted_at is null order by id limit 1');
    const kit = await one('select id from public.kit_assignments where org_id = $1 order by id limit 1');
    const leaver = await one(
      'select s.id from public.staff_profiles s where s.org_id = $1 and exists (select 1 from public.gig_staff g where g.staff_id = s.id) order by s.id limit 1',
    );
    const renamed = await one('select id from public.staff_profiles where org_id = $1 and user_id is not null order by id desc limit 1');
    const { rows: leaversGigs } = await stack.db.query<{ id: string }>('select id from public.gig_staff where staff_id = $1', [leaver]);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [gig]);
    await stack.db.query('update public.assets set deleted_at = now() where id = $1', [gone]);
    await stack.db.query("update public.assets set notes = 'edited' where id = $1", [edited]);
    await stack.db.query('update public.cases set deleted_at = now() where id = $1', [kase]);
    await stack.db.query('delete from public.kit_assignments where id = $1', [kit]);
    await stack.db.query('delete from public.staff_profiles where id = $1', [leaver]);
    await stack.db.query("update public.staff_profiles set display_name = 'Renamed' where id = $1", [renamed]);

    const rows = new Map<string, Record<string, unknown>>();
    const tombstones = new Map<string, string | null>();
    let cursor = tip[0]?.cursor ?? '';
    for (;;) {
      const { answer } = await pullPlans(cursor, 3);
      for (const [table, list] of Object.entries(answer.changes)) for (const row of list) rows.set(`${table}:${String(row['id'])}`, row);
      for (const t of answer.tombstones) tombstones.set(`${t.table}:${t.id}`, t.deleted_at);
      cursor = answer.cursor;
      if (!answer.has_more) break;
    }
    expect([...tombstones.keys()].sort()).toEqual(
      [
        `gigs:${gig}`,
        `assets:${gone}`,
        `cases:${kase}`,
        `kit_assignments:${kit}`,
        `staff_profiles:${leaver}`,
        ...leaversGigs.map((g) => `gig_staff:${g.id}`),
      ].sort(),
    );
    expect(tombstones.get(`assets:${gone}`)).toEqual(expect.any(String));
    expect(tombstones.get(`kit_assignments:${kit}`)).toBeNull();
    expect([...rows.keys()].sort()).toEqual([`assets:${edited}`, `staff_profiles:${renamed}`].sort());
    expect(rows.get(`assets:${edited}`)).toMatchObject({ id: edited, notes: 'edited' });
    expect(rows.get(`assets:${edited}`)).not.toHaveProperty('search_vector');
    expect(rows.get(`staff_profiles:${renamed}`)).toMatchObject({ id: renamed, display_name: 'Renamed' });
    expect(rows.get(`staff_profiles:${renamed}`)).not.toHaveProperty('user_id');
  });
});
