-- A new device's first pull_changes page scanned whole tables (issue 15, item 9's INFO note).
-- The page's entities were resolved by left-joining them to all six synced tables. For a cursor
-- far behind (null / 0:0 — a new device — or any page of a long backlog) the planner expects a
-- full page of `limit` rows and hashes every synced table whole (Seq Scan on gigs, assets, cases,
-- kit assignments, gig staff, staff profiles: ~1,050 buffers at scale 1 for a 1,000-row page),
-- whatever tables the page names. Now each table is read by primary key for the page's ids of
-- that table only (a bitmap/index scan: ~100 buffers), the rest unchanged: the same change-log
-- range, commit-safe cursor, tombstones (row gone or soft-deleted) and answer, row for row.
--
-- It also takes only cursors this server issued (issue 15, adversarial suite: "cursor strings
-- that are not cursors"). A cursor with digits out of range answered 22003 ("value … is out of
-- range for type xid8"), and a cursor past the server's change log (forged, or kept by a device
-- across a restore of an older backup) was accepted and silently skipped every change until the
-- log caught up with it. Both are refused with 22023 and a hint to pull from the start.

create or replace function public.pull_changes(cursor text default null, "limit" integer default 500)
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
    -- A cursor is a position this server handed out: digits in range, and not past what it has
    -- logged. (A cursor from the future - forged, or kept across a restore of an older backup -
    -- would otherwise skip every change until the log caught up with it, silently.)
    if cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$'
       or split_part(cursor, ':', 1)::numeric > 18446744073709551615
       or split_part(cursor, ':', 2)::numeric > 9223372036854775807 then
      raise exception 'cursor % is not one this server issued', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
    after_txid := split_part(cursor, ':', 1)::xid8;
    after_seq := split_part(cursor, ':', 2)::bigint;
    -- (Entries are ordered by transaction id first: a sequence number past the log only skips the
    -- rest of its own transaction, so the transaction id is what is checked.)
    if after_txid >= pg_snapshot_xmax(pg_current_snapshot()) then
      raise exception 'cursor % is ahead of this server''s change log', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
  end if;
  orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
               else array(select app.my_org_ids()) end;

  -- One ordered index range per organization (an `org_id = any(...)` condition would make the
  -- planner scan the whole log and sort it), merged.
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
    select distinct p.entity, p.entity_id from pulled p
  ),
  -- Each entity's current row, looked up per table by its primary key among the page's ids (an
  -- index scan whatever the page size; joining the page to every table let the planner hash
  -- whole tables for a page it expects to be full). Not found or soft-deleted = a tombstone.
  found as (
    select 'gigs'::text as entity, g.id as entity_id, to_jsonb(g) - 'search_vector' as row, g.deleted_at
      from public.gigs g where g.id = any (array(select l.entity_id from latest l where l.entity = 'gigs'))
    union all
    select 'assets', a.id, to_jsonb(a) - 'search_vector', a.deleted_at
      from public.assets a where a.id = any (array(select l.entity_id from latest l where l.entity = 'assets'))
    union all
    select 'cases', c.id, to_jsonb(c), c.deleted_at
      from public.cases c where c.id = any (array(select l.entity_id from latest l where l.entity = 'cases'))
    union all
    select 'kit_assignments', k.id, to_jsonb(k), null
      from public.kit_assignments k where k.id = any (array(select l.entity_id from latest l where l.entity = 'kit_assignments'))
    union all
    select 'gig_staff', s.id, to_jsonb(s), null
      from public.gig_staff s where s.id = any (array(select l.entity_id from latest l where l.entity = 'gig_staff'))
    union all
    select 'staff_profiles', p.id, to_jsonb(p) - 'user_id', null
      from public.staff_profiles p where p.id = any (array(select l.entity_id from latest l where l.entity = 'staff_profiles'))
  ),
  flagged as (
    select l.entity, l.entity_id, f.row, f.deleted_at, f.row is null or f.deleted_at is not null as gone
      from latest l left join found f on f.entity = l.entity and f.entity_id = l.entity_id
  )
  select (select count(*) from pulled),
         (select p.txid::text || ':' || p.seq::text from pulled p order by p.txid desc, p.seq desc limit 1),
         coalesce((select jsonb_object_agg(t.entity, t.rows)
                     from (select entity, jsonb_agg(row order by entity_id) as rows from flagged where not gone group by entity) t),
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

revoke all on function public.pull_changes(text, integer) from public, anon;
grant execute on function public.pull_changes(text, integer) to authenticated, service_role;
