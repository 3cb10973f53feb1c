-- A new device's first sync reads the rows as they are now, table by table in key order, instead
-- of replaying the whole change log (issue 20: 404,842 rows at scale 10 took 18–23 s through
-- pull_changes, whose pages join the log to every table and carry each row's log entries).
--
-- pull_snapshot(tbl, after, limit) answers one page of one synced table: the live rows (soft-
-- deleted ones are not sent: a new device has nothing to delete) of the caller's organizations,
-- ordered by (org_id, id) and read through the (org_id, id) index, `limit` at most, and `next` to
-- ask for the rest. Each page also answers `cursor`: a pull_changes cursor just below the oldest
-- transaction still running when the page was read, so every commit the log holds below it is in
-- the page. A device that applied every page pulls from the smallest cursor its pages answered:
-- what committed while it read is re-sent (a row as it is then, or its tombstone), nothing is
-- missed, and applying a row twice is harmless (the pull answers rows, not deltas).
--
-- The row a page answers is the row pull_changes answers (see app.sync_row_sql).

-- kit_assignments and gig_staff had an index on org_id alone: pages read (org_id, id) in order.
create index kit_assignments_org_id_idx on public.kit_assignments (org_id, id);
drop index public.kit_assignments_org_idx;
create index gig_staff_org_id_idx on public.gig_staff (org_id, id);
drop index public.gig_staff_org_idx;

-- The columns of `tbl` a device gets, as a select list over its row `t` (the row pull_changes
-- answers: gigs and assets without search_vector, staff profiles without user_id, bulk items with
-- out_to), and whether the table soft-deletes; null for a table that is not synced. Columns are
-- named rather than cut out of to_jsonb (pull_changes' way): row_to_json over named columns is
-- ~3× faster than to_jsonb minus a key. supabase/tests/domain/pull-snapshot.test.ts holds each
-- table's snapshot row equal to its pull row, so a column added later cannot be missed here.
create function app.sync_row_sql(tbl text, out select_list text, out soft_deleted boolean)
language sql immutable set search_path = ''
as $$
  select s.select_list, s.soft_deleted
    from (values
      ('gigs', 't.id, t.org_id, t.parent_gig_id, t.path, t.code, t.name, t.status, t.starts_at, t.ends_at, t.venue, t.notes, '
               't.version, t.created_at, t.updated_at, t.deleted_at, t.time_zone, t.updated_by', true),
      ('assets', 't.id, t.org_id, t.serial_number, t.barcode, t.name, t.category, t.status, t.current_gig_id, t.case_id, t.notes, '
                 't.version, t.created_at, t.updated_at, t.deleted_at', true),
      ('cases', 't.*', true),
      ('kit_assignments', 't.*', false),
      ('gig_staff', 't.*', false),
      ('staff_profiles', 't.id, t.org_id, t.display_name, t.badge_code, t.email, t.phone, t.created_at, t.updated_at', false),
      ('bulk_items', 't.*, coalesce((select json_object_agg(s.gig_id, s.quantity order by s.gig_id) from public.bulk_stock s '
                     'where s.bulk_item_id = t.id), ''{}''::json) as out_to', false)
    ) as s (tbl, select_list, soft_deleted)
   where s.tbl = sync_row_sql.tbl
$$;
revoke execute on function app.sync_row_sql(text) from public, anon, authenticated;

create function public.pull_snapshot(tbl text, after text default null, "limit" integer default 5000)
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
  taken integer;
  last_key text;
  rows_json json;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'pull_snapshot needs a signed-in user' using errcode = '42501';
  end if;
  select s.select_list, s.soft_deleted into select_list, soft_deleted from app.sync_row_sql(tbl) s;
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
  orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
               else array(select app.my_org_ids()) end;

  execute format(
    $q$
      with page as (
        select p as r, p.org_id, p.id
          from unnest($1::uuid[]) as o (id)
         cross join lateral (
           select %1$s
             from public.%2$I t
            where t.org_id = o.id and (t.org_id, t.id) > ($2, $3) %3$s
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
    select_list, tbl, case when soft_deleted then 'and t.deleted_at is null' else '' end)
    into taken, last_key, rows_json
    using orgs, after_org, after_id, max_rows;

  return json_build_object(
    'table', tbl,
    'rows', coalesce(rows_json, '[]'::json),
    'next', case when taken = max_rows then last_key end,
    'cursor', (horizon::text::numeric - 1)::text || ':9223372036854775807');
end
$$;
revoke execute on function public.pull_snapshot(text, text, integer) from public, anon;
grant execute on function public.pull_snapshot(text, text, integer) to authenticated, service_role;
