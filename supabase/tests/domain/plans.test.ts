import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOGINS, DEMO_PASSWORD, ORGS, seedDatabase } from '../../../scripts/seed/seed';
import { planOf } from '../../../tests/helpers/explain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// The queries behind hierarchy, search and pull use the indexes meant for them, on a seeded
// database large enough for the planner to prefer them (checked with EXPLAIN, not by eye).
let stack: TestStack;
const org = ORGS.northlight.id;

beforeAll(async () => {
  stack = await startTestStack();
  await seedDatabase(stack.dbUrl, { gigs: 2000, assets: 8000, staff: 40, seed: 3 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('query plans', () => {
  it.each([
    ['exact serial', "select id from public.assets where org_id = $1 and upper(serial_number) = 'SPK-100042C'", 'assets_org_serial_idx'],
    ['serial prefix', "select id from public.assets where org_id = $1 and upper(serial_number) like 'SPK-1000%'", 'assets_org_serial_idx'],
    ['exact barcode', "select id from public.assets where org_id = $1 and upper(barcode) = '4000000000294'", 'assets_org_barcode_idx'],
    [
      'serial infix',
      "select asset_id from app.asset_serial_suffixes where org_id = $1 and suffix like '00042%'",
      'asset_serial_suffixes_lookup_idx',
    ],
    [
      'asset names',
      "select id from public.assets where org_id = $1 and search_vector @@ to_tsquery('simple', 'wash:*')",
      'assets_search_idx',
    ],
    [
      'gig names',
      "select id from public.gigs where org_id = $1 and search_vector @@ to_tsquery('simple', 'festival:*')",
      'gigs_search_idx',
    ],
    ['gig code prefix', "select id from public.gigs where org_id = $1 and code like 'GIG-0001%'", 'gigs_org_code_pattern_idx'],
    [
      'children of a gig',
      "select id from public.gigs where parent_gig_id = (select id from public.gigs where code = 'GIG-000001' and org_id = $1) and org_id = $1",
      'gigs_parent_org_idx',
    ],
    [
      'subtree',
      "select id from public.gigs where org_id = $1 and path operator(extensions.<@) (select path from public.gigs where code = 'GIG-000002' and org_id = $1)",
      'gigs_path_gist_idx',
    ],
    [
      'assets out to a gig',
      "select count(*) from public.assets where org_id = $1 and current_gig_id = (select id from public.gigs where code = 'GIG-000900' and org_id = $1)",
      'assets_current_gig_idx',
    ],
    [
      'pull after a cursor',
      "select seq from app.sync_changes where org_id = $1 and (txid, seq) > ('0'::xid8, 100) order by txid, seq limit 500",
      'sync_changes_org_cursor_idx',
    ],
  ])('%s uses %s', async (_label, sql, index) => {
    const plan = await planOf(stack.db, sql, [org]);
    expect(plan.indexes).toContain(index);
    expect(plan.seqScans).toEqual([]);
  });
});

describe('the seeded database', () => {
  it('holds what was asked for, with movement history behind every asset', async () => {
    const { rows } = await stack.db.query<{ gigs: number; assets: number; movements: number; staff: number }>(
      `select (select count(*)::int from public.gigs where org_id = $1) as gigs,
              (select count(*)::int from public.assets where org_id = $1) as assets,
              (select count(*)::int from public.asset_movements where org_id = $1) as movements,
              (select count(*)::int from public.staff_profiles where org_id = $1) as staff`,
      [org],
    );
    expect(rows[0]).toMatchObject({ gigs: 2000, assets: 8000, staff: 40 });
    expect((rows[0]?.movements ?? 0) / 8000).toBeGreaterThanOrEqual(10);
  });

  it.each(DEMO_LOGINS)('lets the demo login $email sign in as $role', async (login) => {
    const client = nodeSupabaseClient(stack.url, stack.anonKey);
    const { error } = await client.auth.signInWithPassword({ email: login.email, password: DEMO_PASSWORD });
    expect(error).toBeNull();
    const { data } = await client.rpc('session_info');
    const { rows } = await stack.db.query<{ role: string; org_id: string }>(
      'select role, org_id from public.memberships where user_id = $1',
      [(data as { user_id: string }).user_id],
    );
    expect(rows).toEqual([{ role: login.role, org_id: ORGS[login.org].id }]);
  });

  it('refuses to seed a database that already has data', async () => {
    await expect(seedDatabase(stack.dbUrl, { gigs: 10, assets: 10, staff: 2, seed: 1 })).rejects.toThrow(
      'the database already has organizations: seed an empty database (e.g. npm run backend -- --fresh)',
    );
  });
});
