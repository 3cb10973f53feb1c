-- pull_changes(cursor, limit): rows changed after the cursor (gigs, assets, cases, kit
-- assignments, gig staff, staff profiles — so stations know badges offline) and tombstones for deleted ones, in commit-safe order; see
-- app.sync_changes. The cursor is opaque to clients: "<transaction id>:<sequence>".
create function public.pull_changes(cursor text default null, "limit" integer default 500)
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
    if cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$' then
      raise exception 'cursor % is not one this server issued', quote_literal(left(cursor, 60)) using errcode = '22023';
    end if;
    after_txid := split_part(cursor, ':', 1)::xid8;
    after_seq := split_part(cursor, ':', 2)::bigint;
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
  -- Each entity's current row by key lookups; a row that is gone or soft-deleted becomes a
  -- tombstone. (Joining a union of all tables instead leaves the planner a nested loop over it.)
  resolved as (
    select l.entity, l.entity_id,
           coalesce(to_jsonb(g) - 'search_vector', to_jsonb(a) - 'search_vector', to_jsonb(c), to_jsonb(k), to_jsonb(s),
                    to_jsonb(p) - 'user_id') as row,
           coalesce(g.deleted_at, a.deleted_at, c.deleted_at) as deleted_at
      from latest l
      left join public.gigs g on l.entity = 'gigs' and g.id = l.entity_id
      left join public.assets a on l.entity = 'assets' and a.id = l.entity_id
      left join public.cases c on l.entity = 'cases' and c.id = l.entity_id
      left join public.kit_assignments k on l.entity = 'kit_assignments' and k.id = l.entity_id
      left join public.gig_staff s on l.entity = 'gig_staff' and s.id = l.entity_id
      left join public.staff_profiles p on l.entity = 'staff_profiles' and p.id = l.entity_id
  ),
  flagged as (
    select r.*, r.row is null or r.deleted_at is not null as gone from resolved r
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
