-- Locations reach the devices (issue 21): a station puts a returned case on a shelf by scanning
-- the shelf's code, and audits a shelf offline, from its own copy of the company's places. They
-- are synced like every other table — the change log, pull_changes, pull_snapshot, sync_verify —
-- and every scope holds all of them (a company has hundreds of places, not hundreds of thousands).
-- The functions below are those of 20261207000400_scope_fixes with `locations` added.
alter table app.sync_changes drop constraint sync_changes_entity_check;
alter table app.sync_changes add constraint sync_changes_entity_check
  check (entity in ('gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles', 'bulk_items', 'locations'));

create trigger locations_log_insert after insert on public.locations referencing new table as new_rows
  for each statement execute function app.log_changes();
create trigger locations_log_update after update on public.locations referencing new table as new_rows
  for each statement execute function app.log_changes();
create trigger locations_log_delete after delete on public.locations referencing old table as old_rows
  for each statement execute function app.log_changes();

alter type app.sync_scope add attribute locations uuid[];

create or replace function app.scope_ids(s app.sync_scope, tbl text)
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
    when 'locations' then s.locations
  end;
end
$$;

-- A new device's first sync reads places too, and assets with their places (as 20261206000100 otherwise).
create or replace function app.sync_row_sql(tbl text, out select_list text, out soft_deleted boolean)
language sql immutable set search_path = ''
as $$
  select s.select_list, s.soft_deleted
    from (values
      ('gigs', 't.id, t.org_id, t.parent_gig_id, t.path, t.code, t.name, t.status, t.starts_at, t.ends_at, t.venue, t.notes, '
               't.version, t.created_at, t.updated_at, t.deleted_at, t.time_zone, t.updated_by', true),
      ('assets', 't.id, t.org_id, t.serial_number, t.barcode, t.name, t.category, t.status, t.current_gig_id, t.case_id, t.notes, '
                 't.version, t.created_at, t.updated_at, t.deleted_at, t.home_location_id, t.location_id', true),
      ('cases', 't.*', true),
      ('kit_assignments', 't.*', false),
      ('gig_staff', 't.*', false),
      ('staff_profiles', 't.id, t.org_id, t.display_name, t.badge_code, t.email, t.phone, t.created_at, t.updated_at', false),
      ('bulk_items', 't.*, coalesce((select json_object_agg(s.gig_id, s.quantity order by s.gig_id) from public.bulk_stock s '
                     'where s.bulk_item_id = t.id), ''{}''::json) as out_to', false),
      ('locations', 't.*', true)
    ) as s (tbl, select_list, soft_deleted)
   where s.tbl = sync_row_sql.tbl
$$;

create or replace function app.scope_rows(orgs uuid[], scope jsonb)
returns app.sync_scope
language plpgsql stable security definer set search_path = ''
as $$
declare
  gigs uuid[];
  assets uuid[];
  cases uuid[];
  kit_assignments uuid[];
  gig_staff uuid[];
  staff_profiles uuid[];
  bulk_items uuid[];
  locations uuid[];
  planned_assets uuid[];
  planned_cases uuid[];
  kind text;
  roots uuid[];
  subtree uuid[];
begin
  if scope is null or scope = 'null'::jsonb then
    return row(true, null, null, null, null, null, null, null, null)::app.sync_scope;
  end if;
  if jsonb_typeof(scope) <> 'object' then
    raise exception 'a scope is an object: {"kind": "org"}, {"kind": "gigs", "roots": [...]} or {"kind": "mine"}' using errcode = '22023';
  end if;
  kind := scope ->> 'kind';
  if kind = 'org' then
    return row(true, null, null, null, null, null, null, null, null)::app.sync_scope;
  elsif kind = 'gigs' then
    if jsonb_typeof(scope -> 'roots') is distinct from 'array' or jsonb_array_length(scope -> 'roots') not between 1 and 50 then
      raise exception 'a scope of gigs names 1 to 50 root gigs in "roots"' using errcode = '22023';
    end if;
    if exists (select 1 from jsonb_array_elements(scope -> 'roots') e
                where jsonb_typeof(e) <> 'string' or (e #>> '{}') !~* '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$') then
      raise exception 'a scope''s roots are gig ids (UUIDs)' using errcode = '22023';
    end if;
    -- Only live gigs of the caller's organizations: another company's, a deleted one and one that
    -- does not exist hold nothing (a tour deleted while a laptop keeps it must not stop its pulls).
    roots := array(
      select g.id from public.gigs g
       where g.id = any (array(select (e #>> '{}')::uuid from jsonb_array_elements(scope -> 'roots') e))
         and g.org_id = any (orgs) and g.deleted_at is null);
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
  select coalesce(array_agg(k.id), '{}'),
         coalesce(array_agg(distinct k.asset_id) filter (where k.asset_id is not null), '{}'),
         coalesce(array_agg(distinct k.case_id) filter (where k.case_id is not null), '{}')
    into kit_assignments, planned_assets, planned_cases
    from public.kit_assignments k where k.gig_id = any (subtree) and k.org_id = any (orgs);
  gig_staff := array(select s.id from public.gig_staff s where s.gig_id = any (subtree) and s.org_id = any (orgs));
  cases := array(
    with recursive inside as (
      select c.id from public.cases c where c.id = any (planned_cases) and c.org_id = any (orgs)
      union
      select c.id from public.cases c join inside i on c.parent_case_id = i.id
    )
    select id from inside);
  assets := array(
    select unnest(planned_assets)
    union
    select a.id from public.assets a where a.current_gig_id = any (subtree) and a.org_id = any (orgs)
    union
    select a.id from public.assets a where a.case_id = any (cases) and a.org_id = any (orgs));
  staff_profiles := array(
    select s.staff_id from public.gig_staff s where s.id = any (gig_staff)
    union
    select p.id from public.staff_profiles p where p.user_id = auth.uid() and p.org_id = any (orgs));
  bulk_items := array(select b.id from public.bulk_items b where b.org_id = any (orgs));
  -- Every place of the company: a touring laptop puts a returned case away on any shelf.
  locations := array(select l.id from public.locations l where l.org_id = any (orgs));
  return row(false, gigs, assets, cases, kit_assignments, gig_staff, staff_profiles, bulk_items, locations)::app.sync_scope;
end
$$;

create or replace function app.pull_page(cursor text, "limit" integer, scope jsonb)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  max_rows integer := "limit";
  after_txid xid8 := '0'::xid8;
  after_seq bigint := 0;
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  orgs uuid[];
  next_cursor text;
  taken integer;
  rows_by_table jsonb;
  tombstones jsonb;
  entities text[];
  entity_ids uuid[];
  keep app.sync_scope;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'pull_changes needs a signed-in user' using errcode = '42501';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', max_rows using errcode = '22023';
  end if;
  if cursor is not null and cursor <> '' then
    if cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$'
       or split_part(cursor, ':', 1)::numeric > 18446744073709551615
       or split_part(cursor, ':', 2)::numeric > 9223372036854775807 then
      raise exception 'cursor % is not one this server issued', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
    after_txid := split_part(cursor, ':', 1)::xid8;
    after_seq := split_part(cursor, ':', 2)::bigint;
    if after_txid >= pg_snapshot_xmax(pg_current_snapshot()) then
      raise exception 'cursor % is ahead of this server''s change log', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
  end if;
  orgs := app.caller_orgs();

  with pulled as (
    select c.seq, c.txid, c.entity, c.entity_id
      from unnest(orgs) as o (id)
     cross join lateral (
       select l.seq, l.txid, l.entity, l.entity_id
         from app.sync_changes l
        where l.org_id = o.id
          and (l.txid, l.seq) > (after_txid, after_seq)
          and l.txid < horizon
        order by l.txid, l.seq
        limit max_rows
     ) as c
     order by c.txid, c.seq
     limit max_rows
  ),
  entries as (
    select distinct p.entity, p.entity_id from pulled p
  )
  select (select count(*) from pulled),
         (select p.txid::text || ':' || p.seq::text from pulled p order by p.txid desc, p.seq desc limit 1),
         (select array_agg(e.entity order by e.entity, e.entity_id) from entries e),
         (select array_agg(e.entity_id order by e.entity, e.entity_id) from entries e)
    into taken, next_cursor, entities, entity_ids;

  if taken = 0 then
    -- Nothing new (most pulls a poke does not start): the scope is not computed.
    return jsonb_build_object('changes', '{}'::jsonb, 'tombstones', '[]'::jsonb,
                              'cursor', coalesce(nullif(cursor, ''), '0:0'), 'has_more', false);
  end if;
  keep := app.scope_rows(orgs, scope);

  with latest as (
    select e.entity, e.entity_id from unnest(entities, entity_ids) as e (entity, entity_id)
  ),
  in_scope as (
    select distinct k.entity, k.id from (
      select 'gigs'::text as entity, unnest(keep.gigs) as id
      union all select 'assets', unnest(keep.assets)
      union all select 'cases', unnest(keep.cases)
      union all select 'kit_assignments', unnest(keep.kit_assignments)
      union all select 'gig_staff', unnest(keep.gig_staff)
      union all select 'staff_profiles', unnest(keep.staff_profiles)
      union all select 'bulk_items', unnest(keep.bulk_items)
      union all select 'locations', unnest(keep.locations)
    ) k
  ),
  marked as (
    -- Every entity of the page; only those of the scope are fetched whole. The others are looked
    -- up by key: gone, or no longer in the scope (a night moved to another tour, an item checked
    -- back in), they reach the device as tombstones, which drops them if it holds them.
    select l.entity, l.entity_id, keep.whole or s.id is not null as wanted
      from latest l left join in_scope s on s.entity = l.entity and s.id = l.entity_id
  ),
  found as (
    -- Looked up by key (the arrays keep the planner on the primary keys), serialized only when wanted.
    select 'gigs'::text as entity, g.id as entity_id,
           case when keep.whole or g.id = any (array(select m.entity_id from marked m where m.entity = 'gigs' and m.wanted)) then to_jsonb(g) - 'search_vector' end as row,
           g.deleted_at as deleted_at
      from public.gigs g where g.id = any (array(select m.entity_id from marked m where m.entity = 'gigs'))
    union all
    select 'assets', a.id,
           case when keep.whole or a.id = any (array(select m.entity_id from marked m where m.entity = 'assets' and m.wanted)) then to_jsonb(a) - 'search_vector' end,
           a.deleted_at
      from public.assets a where a.id = any (array(select m.entity_id from marked m where m.entity = 'assets'))
    union all
    select 'cases', c.id,
           case when keep.whole or c.id = any (array(select m.entity_id from marked m where m.entity = 'cases' and m.wanted)) then to_jsonb(c) end,
           c.deleted_at
      from public.cases c where c.id = any (array(select m.entity_id from marked m where m.entity = 'cases'))
    union all
    select 'kit_assignments', k.id,
           case when keep.whole or k.id = any (array(select m.entity_id from marked m where m.entity = 'kit_assignments' and m.wanted)) then to_jsonb(k) end,
           null
      from public.kit_assignments k where k.id = any (array(select m.entity_id from marked m where m.entity = 'kit_assignments'))
    union all
    select 'gig_staff', s.id,
           case when keep.whole or s.id = any (array(select m.entity_id from marked m where m.entity = 'gig_staff' and m.wanted)) then to_jsonb(s) end,
           null
      from public.gig_staff s where s.id = any (array(select m.entity_id from marked m where m.entity = 'gig_staff'))
    union all
    select 'staff_profiles', p.id,
           case when keep.whole or p.id = any (array(select m.entity_id from marked m where m.entity = 'staff_profiles' and m.wanted)) then to_jsonb(p) - 'user_id' end,
           null
      from public.staff_profiles p where p.id = any (array(select m.entity_id from marked m where m.entity = 'staff_profiles'))
    union all
    select 'bulk_items', b.id,
           case when keep.whole or b.id = any (array(select m.entity_id from marked m where m.entity = 'bulk_items' and m.wanted)) then app.bulk_item_json(b) end,
           null
      from public.bulk_items b where b.id = any (array(select m.entity_id from marked m where m.entity = 'bulk_items'))
    union all
    select 'locations', l.id,
           case when keep.whole or l.id = any (array(select m.entity_id from marked m where m.entity = 'locations' and m.wanted)) then to_jsonb(l) end,
           l.deleted_at
      from public.locations l where l.id = any (array(select m.entity_id from marked m where m.entity = 'locations'))
  ),
  flagged as (
    select m.entity, m.entity_id, f.row, f.deleted_at,
           f.entity_id is null or f.deleted_at is not null or not m.wanted as gone
      from marked m left join found f on f.entity = m.entity and f.entity_id = m.entity_id
  )
  select coalesce((select jsonb_object_agg(t.entity, t.rows)
                     from (select entity, jsonb_agg(row order by entity_id) as rows from flagged where not gone group by entity) t),
                  '{}'::jsonb),
         coalesce((select jsonb_agg(jsonb_build_object('table', entity, 'id', entity_id, 'deleted_at', deleted_at)
                                    order by entity, entity_id)
                     from flagged where gone), '[]'::jsonb)
    into rows_by_table, tombstones;

  return jsonb_build_object(
    'changes', rows_by_table,
    'tombstones', tombstones,
    'cursor', coalesce(next_cursor, nullif(cursor, ''), '0:0'),
    'has_more', taken = max_rows);
end
$$;



create or replace function public.sync_verify(cursor text, scope jsonb default null)
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
                and (s.whole or l.hard_deleted or l.entity in ('kit_assignments', 'gig_staff')
                     or l.entity_id = any (app.scope_ids(s, l.entity)))) then
    return json_build_object('moved', true, 'cursor', cursor);
  end if;

  foreach tbl in array array['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles', 'bulk_items', 'locations'] loop
    soft_deleted := tbl in ('gigs', 'assets', 'cases', 'locations');
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

