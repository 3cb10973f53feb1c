-- Sync scopes (issue 20): a device holds the whole organization (a warehouse station), one or
-- more gig subtrees (a touring laptop: its tour) or the signed-in member's own gigs (a phone).
-- The server decides what a scope contains, inside the caller's organizations, so a scope can
-- never widen what the member may read:
--
--   gigs             the subtrees of the scope's root gigs, and their ancestors (the breadcrumb)
--   kit_assignments  the plan lines of the subtrees' gigs
--   gig_staff        the crew of the subtrees' gigs
--   cases            the cases planned for those gigs, and the cases inside them
--   assets           the assets planned for or out to those gigs, and those in the scope's cases
--   staff_profiles   the crew of those gigs, and the caller's own profile (who scans offline)
--   bulk_items       all of them: the bulk catalogue is small, and a tech checks in what came back
--
-- pull_changes, pull_snapshot and sync_verify take the scope (null or {"kind": "org"} is the
-- whole organization, as before): pull_changes answers the changes of rows in the scope now (the
-- commit-safe cursor and paging are the whole log's, so nothing is skipped); a row that enters the
-- scope through another row (an asset planned for the tour) has no change of its own to pull, and
-- one that leaves keeps its copy: the device's check of its copy against sync_verify's scoped
-- counts finds both, and the device re-reads that table of its scope with pull_snapshot.
--
-- A scope is {"kind": "org"}, {"kind": "gigs", "roots": [<gig id>, …]} (1–50 live gigs of the
-- caller's organizations) or {"kind": "mine"} (the gigs the caller's staff profile is on).

-- What a scope holds: every table's ids, or `whole` (no filter).
create type app.sync_scope as (
  whole boolean,
  gigs uuid[],
  assets uuid[],
  cases uuid[],
  kit_assignments uuid[],
  gig_staff uuid[],
  staff_profiles uuid[],
  bulk_items uuid[]
);

create function app.scope_rows(orgs uuid[], scope jsonb)
returns app.sync_scope
language plpgsql stable security definer set search_path = ''
as $$
declare
  whole boolean := false;
  gigs uuid[];
  assets uuid[];
  cases uuid[];
  kit_assignments uuid[];
  gig_staff uuid[];
  staff_profiles uuid[];
  bulk_items uuid[];
  kind text;
  roots uuid[];
  subtree uuid[];
begin
  if scope is null or scope = 'null'::jsonb then
    return row(true, null, null, null, null, null, null, null)::app.sync_scope;
  end if;
  if jsonb_typeof(scope) <> 'object' then
    raise exception 'a scope is an object: {"kind": "org"}, {"kind": "gigs", "roots": [...]} or {"kind": "mine"}' using errcode = '22023';
  end if;
  kind := scope ->> 'kind';
  if kind = 'org' then
    return row(true, null, null, null, null, null, null, null)::app.sync_scope;
  elsif kind = 'gigs' then
    if jsonb_typeof(scope -> 'roots') is distinct from 'array' or jsonb_array_length(scope -> 'roots') not between 1 and 50 then
      raise exception 'a scope of gigs names 1 to 50 root gigs in "roots"' using errcode = '22023';
    end if;
    if exists (select 1 from jsonb_array_elements(scope -> 'roots') e
                where jsonb_typeof(e) <> 'string' or (e #>> '{}') !~* '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$') then
      raise exception 'a scope''s roots are gig ids (UUIDs)' using errcode = '22023';
    end if;
    roots := array(select distinct (e #>> '{}')::uuid from jsonb_array_elements(scope -> 'roots') e);
    -- Another company's gig, a deleted one and one that does not exist read the same.
    if (select count(*) from public.gigs g where g.id = any (roots) and g.org_id = any (orgs) and g.deleted_at is null)
       <> cardinality(roots) then
      raise exception 'a scope''s root gig is not one of your organization''s gigs' using errcode = '22023',
        hint = 'choose the gigs again: one may have been deleted';
    end if;
  elsif kind = 'mine' then
    roots := array(
      select distinct s.gig_id
        from public.staff_profiles p
        join public.gig_staff s on s.staff_id = p.id and s.org_id = p.org_id
       where p.user_id = auth.uid() and p.org_id = any (orgs));
  else
    raise exception 'scope kind % is not one of org, gigs, mine', quote_literal(left(coalesce(kind, 'null'), 40)) using errcode = '22023';
  end if;

  subtree := array(
    select g.id
      from public.gigs r
      join public.gigs g on g.org_id = r.org_id and g.path operator(extensions.<@) r.path
     where r.id = any (roots) and r.org_id = any (orgs) and g.deleted_at is null);
  gigs := array(
    select g.id
      from public.gigs r
      join public.gigs g on g.org_id = r.org_id and g.path operator(extensions.@>) r.path
     where r.id = any (roots) and r.org_id = any (orgs) and g.deleted_at is null
    union
    select unnest(subtree));
  kit_assignments := array(select k.id from public.kit_assignments k where k.gig_id = any (subtree) and k.org_id = any (orgs));
  gig_staff := array(select s.id from public.gig_staff s where s.gig_id = any (subtree) and s.org_id = any (orgs));
  cases := array(
    with recursive inside as (
      select c.id from public.cases c
       where c.org_id = any (orgs)
         and c.id = any (array(select k.case_id from public.kit_assignments k where k.id = any (kit_assignments)))
      union
      select c.id from public.cases c join inside i on c.parent_case_id = i.id
    )
    select id from inside);
  assets := array(
    select k.asset_id from public.kit_assignments k where k.id = any (kit_assignments) and k.asset_id is not null
    union
    select a.id from public.assets a where a.current_gig_id = any (subtree) and a.org_id = any (orgs)
    union
    select a.id from public.assets a where a.case_id = any (cases) and a.org_id = any (orgs));
  staff_profiles := array(
    select s.staff_id from public.gig_staff s where s.id = any (gig_staff)
    union
    select p.id from public.staff_profiles p where p.user_id = auth.uid() and p.org_id = any (orgs));
  bulk_items := array(select b.id from public.bulk_items b where b.org_id = any (orgs));
  return row(whole, gigs, assets, cases, kit_assignments, gig_staff, staff_profiles, bulk_items)::app.sync_scope;
end
$$;
revoke execute on function app.scope_rows(uuid[], jsonb) from public, anon, authenticated;

-- The ids of `tbl` in a scope computed by app.scope_rows.
create function app.scope_ids(s app.sync_scope, tbl text)
returns uuid[]
language plpgsql immutable set search_path = ''
as $$
begin
  return case tbl
    when 'gigs' then s.gigs
    when 'assets' then s.assets
    when 'cases' then s.cases
    when 'kit_assignments' then s.kit_assignments
    when 'gig_staff' then s.gig_staff
    when 'staff_profiles' then s.staff_profiles
    when 'bulk_items' then s.bulk_items
  end;
end
$$;
revoke execute on function app.scope_ids(app.sync_scope, text) from public, anon, authenticated;

create function app.caller_orgs()
returns uuid[]
language sql stable security definer set search_path = ''
as $$
  select case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
              else array(select app.my_org_ids()) end
$$;
revoke execute on function app.caller_orgs() from public, anon, authenticated;

-- pull_changes: the whole log's page (its checks, paging and cursor, unchanged), the rows outside
-- the scope left out. Tombstones stay: a device drops only what it holds.
alter function public.pull_changes(text, integer) set schema app;
alter function app.pull_changes(text, integer) rename to pull_changes_whole;
revoke execute on function app.pull_changes_whole(text, integer) from public, anon, authenticated, service_role;

create function public.pull_changes(cursor text default null, "limit" integer default 500, scope jsonb default null)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  page jsonb := app.pull_changes_whole(cursor, "limit");
  s app.sync_scope;
begin
  s := app.scope_rows(app.caller_orgs(), scope);
  if s.whole then
    return page;
  end if;
  return jsonb_set(page, '{changes}', coalesce((
    select jsonb_object_agg(kept.tbl, kept.rows)
      from (
        select e.key as tbl,
               (select jsonb_agg(r order by r ->> 'id') from jsonb_array_elements(e.value) r
                 where (r ->> 'id')::uuid = any (app.scope_ids(s, e.key))) as rows
          from jsonb_each(page -> 'changes') e
      ) kept
     where kept.rows is not null), '{}'::jsonb));
end
$$;
revoke execute on function public.pull_changes(text, integer, jsonb) from public, anon;
grant execute on function public.pull_changes(text, integer, jsonb) to authenticated, service_role;

-- pull_snapshot: as in 20261206000100, the rows of the scope only.
drop function public.pull_snapshot(text, text, integer);
create function public.pull_snapshot(tbl text, after text default null, "limit" integer default 5000, scope jsonb default null)
returns json
language plpgsql stable security definer set search_path = ''
as $$
declare
  max_rows integer := "limit";
  select_list text;
  soft_deleted boolean;
  after_org uuid := '00000000-0000-0000-0000-000000000000';
  after_id uuid := '00000000-0000-0000-0000-000000000000';
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  orgs uuid[];
  s app.sync_scope;
  taken integer;
  last_key text;
  rows_json json;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'pull_snapshot needs a signed-in user' using errcode = '42501';
  end if;
  select r.select_list, r.soft_deleted into select_list, soft_deleted from app.sync_row_sql(tbl) r;
  if select_list is null then
    raise exception 'table % is not synced', quote_literal(left(coalesce(tbl, 'null'), 60)) using errcode = '22023',
      hint = 'one of gigs, assets, cases, kit_assignments, gig_staff, staff_profiles, bulk_items';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 10000 then
    raise exception 'limit must be between 1 and 10000, got %', max_rows using errcode = '22023';
  end if;
  if after is not null and after <> '' then
    if after !~* '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$' then
      raise exception 'page key % is not one this server issued', quote_literal(left(after, 80)) using errcode = '22023',
        hint = 'ask for the first page (after null)';
    end if;
    after_org := split_part(after, '/', 1)::uuid;
    after_id := split_part(after, '/', 2)::uuid;
  end if;
  orgs := app.caller_orgs();
  s := app.scope_rows(orgs, scope);

  execute format(
    $q$
      with page as (
        select p as r, p.org_id, p.id
          from unnest($1::uuid[]) as o (id)
         cross join lateral (
           select %1$s
             from public.%2$I t
            where t.org_id = o.id and (t.org_id, t.id) > ($2, $3) %3$s %4$s
            order by t.org_id, t.id
            limit $4
         ) as p
         order by p.org_id, p.id
         limit $4
      )
      select (select count(*) from page),
             (select p.org_id::text || '/' || p.id::text from page p order by p.org_id desc, p.id desc limit 1),
             (select json_agg(row_to_json(p.r) order by p.org_id, p.id) from page p)
    $q$,
    select_list, tbl, case when soft_deleted then 'and t.deleted_at is null' else '' end,
    case when s.whole then '' else 'and t.id = any ($5)' end)
    into taken, last_key, rows_json
    using orgs, after_org, after_id, max_rows, app.scope_ids(s, tbl);

  return json_build_object(
    'table', tbl,
    'rows', coalesce(rows_json, '[]'::json),
    'next', case when taken = max_rows then last_key end,
    'cursor', (horizon::text::numeric - 1)::text || ':9223372036854775807');
end
$$;
revoke execute on function public.pull_snapshot(text, text, integer, jsonb) from public, anon;
grant execute on function public.pull_snapshot(text, text, integer, jsonb) to authenticated, service_role;

-- sync_verify: as in 20261206000200, counted over the scope; a scoped copy has moved on only when
-- a commit after the cursor touched a row of the scope (a busy warehouse does not keep a touring
-- laptop's check from ever answering).
drop function public.sync_verify(text);
create function public.sync_verify(cursor text, scope jsonb default null)
returns json
language plpgsql stable security definer set search_path = ''
as $$
declare
  after_txid xid8;
  after_seq bigint;
  orgs uuid[];
  s app.sync_scope;
  answer jsonb := '{}'::jsonb;
  tbl text;
  soft_deleted boolean;
  n bigint;
  total numeric;
  row_hash text;
  word text;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'sync_verify needs a signed-in user' using errcode = '42501';
  end if;
  if cursor is null or cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$'
     or split_part(cursor, ':', 1)::numeric > 18446744073709551615
     or split_part(cursor, ':', 2)::numeric > 9223372036854775807 then
    raise exception 'cursor % is not one this server issued', quote_literal(left(coalesce(cursor, 'null'), 60)) using errcode = '22023',
      hint = 'verify after a pull, with the cursor it answered';
  end if;
  after_txid := split_part(cursor, ':', 1)::xid8;
  after_seq := split_part(cursor, ':', 2)::bigint;
  orgs := app.caller_orgs();
  s := app.scope_rows(orgs, scope);

  if exists (select 1 from app.sync_changes l
              where l.org_id = any (orgs) and (l.txid, l.seq) > (after_txid, after_seq)
                and (s.whole or l.entity_id = any (app.scope_ids(s, l.entity)))) then
    return json_build_object('moved', true, 'cursor', cursor);
  end if;

  foreach tbl in array array['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles', 'bulk_items'] loop
    soft_deleted := tbl in ('gigs', 'assets', 'cases');
    row_hash := '0';
    foreach word in array array[
      '(''x'' || substr(p.hex, 1, 8))::bit(32)::bigint', '(''x'' || substr(p.hex, 9, 8))::bit(32)::bigint',
      '(''x'' || substr(p.hex, 17, 8))::bit(32)::bigint', '(''x'' || substr(p.hex, 25, 8))::bit(32)::bigint',
      case when tbl = 'staff_profiles' then '0' else 't.version::bigint' end,
      '(p.us & 4294967295)', '((p.us >> 32) & 4294967295)'] loop
      row_hash := format('((%s) * 16777619 + %s) %% 4294967296', row_hash, word);
    end loop;
    execute format(
      $q$
        select count(*), coalesce(sum(%1$s), 0) %% 4294967296
          from public.%2$I t
         cross join lateral (select replace(t.id::text, '-', '') as hex,
                                    (extract(epoch from t.updated_at) * 1000000)::bigint as us) p
         where t.org_id = any ($1) %3$s %4$s
      $q$,
      row_hash, tbl, case when soft_deleted then 'and t.deleted_at is null' else '' end,
      case when s.whole then '' else 'and t.id = any ($2)' end)
      into n, total
      using orgs, app.scope_ids(s, tbl);
    answer := answer || jsonb_build_object(tbl, jsonb_build_object('count', n, 'checksum', total::bigint));
  end loop;
  return json_build_object('moved', false, 'cursor', cursor, 'tables', answer);
end
$$;
revoke execute on function public.sync_verify(text, jsonb) from public, anon;
grant execute on function public.sync_verify(text, jsonb) to authenticated, service_role;
