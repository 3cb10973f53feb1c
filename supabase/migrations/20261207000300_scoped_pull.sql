-- A scoped pull_changes (20261207000200) read the whole organization's page of the log, fetched and
-- serialized every row in it, then dropped the rows outside the scope: a phone at a festival paid
-- for every scan of the 499 others. app.pull_page reads the page of the log as before (the same
-- cursor, paging and has_more) and fetches only the rows of the scope. One implementation for every
-- scope: the whole organization is the scope that keeps everything.

create function app.pull_page(cursor text, "limit" integer, keep app.sync_scope)
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
  orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
               else array(select app.my_org_ids()) end;

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
  latest as (
    -- Every entity of the page; only those of the scope are fetched whole. The rest are looked up
    -- by key, to tell a tombstone (a plan line deleted, a gig soft-deleted) that must reach the
    -- device whether or not its row is still in the scope.
    select distinct p.entity, p.entity_id, keep.whole or p.entity_id = any (app.scope_ids(keep, p.entity)) as wanted
      from pulled p
  ),
  found as (
    select 'gigs'::text as entity, g.id as entity_id, case when l.wanted then to_jsonb(g) - 'search_vector' end as row, g.deleted_at
      from latest l join public.gigs g on g.id = l.entity_id where l.entity = 'gigs'
    union all
    select 'assets', a.id, case when l.wanted then to_jsonb(a) - 'search_vector' end, a.deleted_at
      from latest l join public.assets a on a.id = l.entity_id where l.entity = 'assets'
    union all
    select 'cases', c.id, case when l.wanted then to_jsonb(c) end, c.deleted_at
      from latest l join public.cases c on c.id = l.entity_id where l.entity = 'cases'
    union all
    select 'kit_assignments', k.id, case when l.wanted then to_jsonb(k) end, null
      from latest l join public.kit_assignments k on k.id = l.entity_id where l.entity = 'kit_assignments'
    union all
    select 'gig_staff', s.id, case when l.wanted then to_jsonb(s) end, null
      from latest l join public.gig_staff s on s.id = l.entity_id where l.entity = 'gig_staff'
    union all
    select 'staff_profiles', p.id, case when l.wanted then to_jsonb(p) - 'user_id' end, null
      from latest l join public.staff_profiles p on p.id = l.entity_id where l.entity = 'staff_profiles'
    union all
    select 'bulk_items', b.id, case when l.wanted then app.bulk_item_json(b) end, null
      from latest l join public.bulk_items b on b.id = l.entity_id where l.entity = 'bulk_items'
  ),
  flagged as (
    select l.entity, l.entity_id, l.wanted, f.row, f.deleted_at, f.entity_id is null or f.deleted_at is not null as gone
      from latest l left join found f on f.entity = l.entity and f.entity_id = l.entity_id
  )
  select (select count(*) from pulled),
         (select p.txid::text || ':' || p.seq::text from pulled p order by p.txid desc, p.seq desc limit 1),
         coalesce((select jsonb_object_agg(t.entity, t.rows)
                     from (select entity, jsonb_agg(row order by entity_id) as rows from flagged where not gone and wanted group by entity) t),
                  '{}'::jsonb),
         coalesce((select jsonb_agg(jsonb_build_object('table', entity, 'id', entity_id, 'deleted_at', deleted_at)
                                    order by entity, entity_id)
                     from flagged where gone), '[]'::jsonb)
    into taken, next_cursor, rows_by_table, tombstones;

  return jsonb_build_object(
    'changes', rows_by_table,
    'tombstones', tombstones,
    'cursor', coalesce(next_cursor, nullif(cursor, ''), '0:0'),
    'has_more', taken = max_rows);
end
$$;

revoke execute on function app.pull_page(text, integer, app.sync_scope) from public, anon, authenticated;

create or replace function public.pull_changes(cursor text default null, "limit" integer default 500, scope jsonb default null)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  -- Who asks first: an anonymous caller is refused as such, whatever scope it names.
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'pull_changes needs a signed-in user' using errcode = '42501';
  end if;
  return app.pull_page(cursor, "limit", app.scope_rows(app.caller_orgs(), scope));
end
$$;

drop function app.pull_changes_whole(text, integer);
