import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';

// Supabase's Security and Performance Advisors run the lints of supabase/splinter (public SQL,
// one view per lint) over a project's catalog. These are our own SQL versions of the lints that
// apply to a schema without Supabase-hosted-only objects, each written after the lint it names
// (level as splinter reports it), run over the migrated local database. The local stack's
// bootstrap stands in for Supabase's auth schema; Supabase's own schemas are skipped as splinter
// skips them. Not run here: lints that read runtime statistics (0005 unused_index, 0020
// table_bloat), hosted configuration (0012 anonymous sign-ins, 0022 extension versions, 0025
// storage buckets) or extensions we do not install (0019 pgmq, 0026/0027 pg_graphql — which
// expose only what table privileges allow, and tests/adversarial/direct-table-access.test.ts
// proves clients hold none).
let stack: TestStack;

const SKIPPED_SCHEMAS = `('_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_config', '_timescaledb_internal', 'auth', 'cron',
  'extensions', 'graphql', 'graphql_public', 'information_schema', 'net', 'pgmq', 'pgroonga', 'pgsodium', 'pgsodium_masks', 'pgtle',
  'pgbouncer', 'pg_catalog', 'pg_toast', 'realtime', 'repack', 'storage', 'supabase_functions', 'supabase_migrations', 'tiger', 'topology', 'vault')`;

interface Finding {
  lint: string;
  level: 'ERROR' | 'WARN' | 'INFO';
  detail: string;
}

const LINTS: Record<string, { level: Finding['level']; sql: string }> = {
  // 0002 auth_users_exposed: a view or materialized view in public over auth.users that a client role may select.
  auth_users_exposed: {
    level: 'ERROR',
    sql: `select distinct c.oid::regclass::text as detail
            from pg_depend d join pg_rewrite r on r.oid = d.objid join pg_class c on c.oid = r.ev_class
           where d.refobjid = 'auth.users'::regclass and c.relkind in ('v', 'm') and c.relnamespace = 'public'::regnamespace
             and (has_table_privilege('anon', c.oid, 'SELECT') or has_table_privilege('authenticated', c.oid, 'SELECT'))`,
  },
  // 0003 auth_rls_initplan: a policy calling auth.uid()/jwt()/role()/email() per row instead of once as "(select auth.uid())".
  auth_rls_initplan: {
    level: 'WARN',
    sql: `select format('%s.%s policy %s', p.schemaname, p.tablename, p.policyname) as detail
            from pg_policies p join pg_class c on c.relname = p.tablename and c.relnamespace = p.schemaname::regnamespace
           where c.relrowsecurity
             and ((p.qual ~ '(auth)\\.(uid|jwt|role|email)\\(\\)' and lower(p.qual) !~ 'select\\s+(auth)\\.(uid|jwt|role|email)\\(\\)')
               or (p.with_check ~ '(auth)\\.(uid|jwt|role|email)\\(\\)' and lower(p.with_check) !~ 'select\\s+(auth)\\.(uid|jwt|role|email)\\(\\)'))`,
  },
  // 0004 no_primary_key.
  no_primary_key: {
    level: 'INFO',
    sql: `select c.oid::regclass::text as detail
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'r' and n.nspname not in ${SKIPPED_SCHEMAS}
             and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)`,
  },
  // 0006 multiple_permissive_policies: more than one permissive policy for the same role and action.
  multiple_permissive_policies: {
    level: 'WARN',
    sql: `select format('%s for %s on %s: %s', c.oid::regclass, r.rolname, act.cmd, array_agg(p.polname order by p.polname)) as detail
            from pg_policy p
            join pg_class c on c.oid = p.polrelid
            join pg_namespace n on n.oid = c.relnamespace
            join pg_roles r on p.polroles @> array[r.oid] or p.polroles = array[0::oid]
           cross join lateral unnest(case p.polcmd when 'r' then array['SELECT'] when 'a' then array['INSERT'] when 'w' then array['UPDATE']
                                                   when 'd' then array['DELETE'] else array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] end) as act (cmd)
           where c.relkind = 'r' and p.polpermissive and n.nspname not in ${SKIPPED_SCHEMAS}
             and r.rolname not like 'pg\\_%' and r.rolname not like 'supabase%admin' and not r.rolbypassrls
           group by c.oid, r.rolname, act.cmd
          having count(*) > 1`,
  },
  // 0007 policy_exists_rls_disabled.
  policy_exists_rls_disabled: {
    level: 'INFO',
    sql: `select distinct c.oid::regclass::text as detail
            from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'r' and not c.relrowsecurity and n.nspname not in ${SKIPPED_SCHEMAS}`,
  },
  // 0008 rls_enabled_no_policy (explained below, not zero).
  rls_enabled_no_policy: {
    level: 'INFO',
    sql: `select c.oid::regclass::text as detail
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'r' and c.relrowsecurity and n.nspname not in ${SKIPPED_SCHEMAS}
             and not exists (select 1 from pg_policy p where p.polrelid = c.oid)`,
  },
  // 0009 duplicate_index: two indexes with the same definition.
  duplicate_index: {
    level: 'WARN',
    sql: `select format('%s.%s: %s', i.schemaname, i.tablename, array_agg(i.indexname order by i.indexname)) as detail
            from pg_indexes i
           where i.schemaname not in ${SKIPPED_SCHEMAS}
           group by i.schemaname, i.tablename, replace(i.indexdef, i.indexname, '')
          having count(*) > 1`,
  },
  // 0010 security_definer_view: a view clients may select that runs as its owner (no security_invoker).
  security_definer_view: {
    level: 'ERROR',
    sql: `select c.oid::regclass::text as detail
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'v' and n.nspname not in ${SKIPPED_SCHEMAS}
             and (has_table_privilege('anon', c.oid, 'SELECT') or has_table_privilege('authenticated', c.oid, 'SELECT'))
             and not (lower(coalesce(c.reloptions::text, '{}'))::text[]
                      && array['security_invoker=1', 'security_invoker=true', 'security_invoker=yes', 'security_invoker=on'])`,
  },
  // 0011 function_search_path_mutable: a function without its own search_path.
  function_search_path_mutable: {
    level: 'WARN',
    sql: `select p.oid::regprocedure::text as detail
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname not in ${SKIPPED_SCHEMAS}
             and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
             and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as config where config like 'search\\_path=%')`,
  },
  // 0013 rls_disabled_in_public.
  rls_disabled_in_public: {
    level: 'ERROR',
    sql: `select c.oid::regclass::text as detail from pg_class c
           where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace and not c.relrowsecurity`,
  },
  // 0014 extension_in_public.
  extension_in_public: {
    level: 'WARN',
    sql: `select e.extname::text as detail from pg_extension e where e.extname <> 'plpgsql' and e.extnamespace = 'public'::regnamespace`,
  },
  // 0024 rls_policy_always_true: a permissive write policy for clients whose condition is always true.
  rls_policy_always_true: {
    level: 'WARN',
    sql: `select format('%s.%s policy %s', p.schemaname, p.tablename, p.policyname) as detail
            from pg_policies p
           where p.schemaname not in ${SKIPPED_SCHEMAS} and p.permissive = 'PERMISSIVE'
             and (p.roles && array['anon', 'authenticated', 'public']::name[])
             and ((p.cmd in ('UPDATE', 'DELETE', 'ALL') and (p.qual is null or replace(lower(p.qual), ' ', '') in ('true', '(true)', '1=1', '(1=1)')))
               or replace(lower(coalesce(p.with_check, '')), ' ', '') in ('true', '(true)', '1=1', '(1=1)')
               or (p.cmd = 'INSERT' and p.with_check is null))`,
  },
  // 0028 anon_security_definer_function_executable.
  anon_security_definer_function_executable: {
    level: 'WARN',
    sql: `select p.oid::regprocedure::text as detail
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where p.prosecdef and has_function_privilege('anon', p.oid, 'EXECUTE') and n.nspname not in ${SKIPPED_SCHEMAS}`,
  },
  // 0029 authenticated_security_definer_function_executable (explained below: the RPC API).
  authenticated_security_definer_function_executable: {
    level: 'WARN',
    sql: `select p.oid::regprocedure::text as detail
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where p.prosecdef and has_function_privilege('authenticated', p.oid, 'EXECUTE') and n.nspname not in ${SKIPPED_SCHEMAS}`,
  },
  // 0001 unindexed_foreign_keys: no index whose column list is exactly the foreign key's (explained below).
  unindexed_foreign_keys: {
    level: 'INFO',
    sql: `select format('%s.%s', ct.conrelid::regclass, ct.conname) as detail
            from pg_constraint ct join pg_class c on c.oid = ct.conrelid join pg_namespace n on n.oid = c.relnamespace
           where ct.contype = 'f' and n.nspname not in ${SKIPPED_SCHEMAS}
             and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
             and not exists (select 1 from pg_index i
                              where i.indrelid = ct.conrelid and i.indisvalid and string_to_array(i.indkey::text, ' ')::smallint[] = ct.conkey)`,
  },
};

// Findings that are right by design, with the reason; each is checked, not just listed.
const EXPLAINED = new Set(['rls_enabled_no_policy', 'authenticated_security_definer_function_executable', 'unindexed_foreign_keys']);

/**
 * The RPC API (README "Backend: data model and API"): security definer on purpose — each one
 * checks the caller (signed in, member of the organization, role per operation) itself, because
 * clients hold no table privileges. The lint's documented third option: intentional, suppressed
 * by name. Anything else that becomes callable is a finding.
 */
const RPC_API = [
  'audit_report(uuid)',
  'delete_push_subscription(text)',
  'get_asset_history(uuid,integer)',
  'get_availability(uuid,timestamp with time zone,timestamp with time zone,text[],text[])',
  'get_gig_ancestors(uuid)',
  'get_gig_hierarchy(uuid)',
  'get_gig_movements(uuid,integer)',
  'list_push_subscriptions()',
  'my_memberships()',
  'open_audits()',
  'pull_changes(text,integer,jsonb)',
  'pull_snapshot(text,text,integer,jsonb)',
  'push_changes(text,jsonb)',
  'save_push_subscription(text,text,text,text)',
  'search(text,text[],integer)',
  'sync_verify(text,jsonb)',
];

/**
 * Realtime decides who may join a private channel by RLS on realtime.messages, evaluated as the
 * joining user (migration 20261207000100): the policy's one check must be callable by them. It is
 * in app, which PostgREST does not expose, and answers only "is the caller a member of this topic's company".
 */
const REALTIME_POLICY_CHECKS = ['app.hears_topic(text)'];

/**
 * Foreign keys (org_id, x) → parent (org_id, id) carry org_id only to prove both rows are in one
 * organization; x alone is the parent's uuid primary key, so an index leading with x finds the
 * rows a delete or key check needs. The lint compares whole column lists and reports these.
 */
const FK_COVERED_SQL = `
  select format('%s.%s', ct.conrelid::regclass, ct.conname) as detail,
         exists (
           select 1 from pg_index i
            where i.indrelid = ct.conrelid and i.indisvalid
              and ((string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(ct.conkey)] @> ct.conkey
                   and (string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(ct.conkey)] <@ ct.conkey
                or (cardinality(ct.conkey) = 2
                    and ct.conkey[1] = (select a.attnum from pg_attribute a where a.attrelid = ct.conrelid and a.attname = 'org_id')
                    and (string_to_array(i.indkey::text, ' ')::smallint[])[1] = ct.conkey[2]))) as covered
    from pg_constraint ct
   where ct.contype = 'f' and ct.conrelid::regclass::text = any ($1::text[]) and format('%s.%s', ct.conrelid::regclass, ct.conname) = any ($2::text[])`;

/** An organization that has movement history cannot be deleted (history is append-only), so nothing ever walks this key. */
const FK_NEVER_WALKED = ['asset_movements.asset_movements_org_id_fkey'];

async function run(name: string): Promise<Finding[]> {
  const lint = LINTS[name];
  if (lint === undefined) throw new Error(`no lint ${name}`);
  const { rows } = await stack.db.query<{ detail: string }>(lint.sql);
  return rows.map((r) => ({ lint: name, level: lint.level, detail: r.detail })).sort((x, y) => x.detail.localeCompare(y.detail));
}

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('Supabase advisors (splinter lints) over the migrated schema', () => {
  it('reports no ERROR and no WARN, and no INFO other than the explained ones', async () => {
    const findings: Finding[] = [];
    for (const name of Object.keys(LINTS)) {
      if (!EXPLAINED.has(name)) findings.push(...(await run(name)));
    }
    expect(findings).toEqual([]);
  });

  it('finds what it looks for (each lint query fires on a schema made to fail it)', async () => {
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      await client.query(`create table public.lint_probe (id uuid, owner uuid references auth.users (id), note text)`);
      await client.query('create index lint_probe_a on public.lint_probe (note)');
      await client.query('create index lint_probe_b on public.lint_probe (note)');
      await client.query('create policy lint_probe_read on public.lint_probe for select to authenticated using (owner = auth.uid())');
      await client.query('create policy lint_probe_all on public.lint_probe for all to authenticated using (true)');
      await client.query('create table public.lint_probe_rls (id uuid primary key, owner uuid)');
      await client.query('alter table public.lint_probe_rls enable row level security');
      await client.query(
        'create policy lint_probe_rls_own on public.lint_probe_rls for select to authenticated using (owner = auth.uid())',
      );
      await client.query("create function public.lint_probe_fn() returns int language sql security definer as 'select 1'");
      await client.query('grant execute on function public.lint_probe_fn() to anon, authenticated');
      await client.query('create view public.lint_probe_users as select id, email from auth.users');
      await client.query('grant select on public.lint_probe_users to authenticated');
      const fired: string[] = [];
      for (const [name, lint] of Object.entries(LINTS)) {
        const { rows } = await client.query<{ detail: string }>(lint.sql);
        if (rows.some((r) => r.detail.includes('lint_probe'))) fired.push(name);
      }
      expect(fired.sort()).toEqual(
        [
          'anon_security_definer_function_executable',
          'auth_rls_initplan',
          'auth_users_exposed',
          'authenticated_security_definer_function_executable',
          'duplicate_index',
          'function_search_path_mutable',
          'multiple_permissive_policies',
          'no_primary_key',
          'policy_exists_rls_disabled',
          'rls_disabled_in_public',
          'rls_policy_always_true',
          'security_definer_view',
          'unindexed_foreign_keys',
        ].sort(),
      );
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('explains rls_enabled_no_policy: only private app tables, which no client role can reach', async () => {
    const findings = await run('rls_enabled_no_policy');
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) expect(finding.detail).toMatch(/^app\./);
    const { rows } = await stack.db.query<{ relation: string }>(
      `select c.oid::regclass::text as relation from pg_class c
        where c.oid::regclass::text = any ($1::text[])
          and (has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
               or has_table_privilege('authenticated', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'))`,
      [findings.map((f) => f.detail)],
    );
    expect(rows).toEqual([]);
  });

  it('explains authenticated_security_definer_function_executable: exactly the RPC API and the Realtime policy check, nothing else', async () => {
    const findings = await run('authenticated_security_definer_function_executable');
    expect(findings.map((f) => f.detail).sort()).toEqual([...RPC_API, ...REALTIME_POLICY_CHECKS].sort());
  });

  it('explains every unindexed_foreign_keys finding: covered by an index leading with its key, or never walked', async () => {
    const findings = (await run('unindexed_foreign_keys')).map((f) => f.detail);
    const tables = [...new Set(findings.map((d) => d.split('.').slice(0, -1).join('.')))];
    const { rows } = await stack.db.query<{ detail: string; covered: boolean }>(FK_COVERED_SQL, [tables, findings]);
    expect(rows.length).toBe(findings.length);
    const unexplained = rows.filter((r) => !r.covered && !FK_NEVER_WALKED.includes(r.detail)).map((r) => r.detail);
    expect(unexplained).toEqual([]);
  });
});
