-- pull_changes(cursor, limit): rows changed after the cursor (gigs, assets, cases, kit
-- assignments, gig staff) and tombstones for deleted ones, in commit-safe order; see
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

  with pulled as (
    select c.seq, c.txid, c.entity, c.entity_id
      from app.sync_changes c
     where c.org_id = any (orgs)
       and (c.txid, c.seq) > (after_txid, after_seq)
       and c.txid < horizon
     order by c.txid, c.seq
     limit max_rows
  ),
  latest as (
    select distinct p.entity, p.entity_id from pulled p
  ),
  current_rows as (
    select 'gigs' as entity, g.id, g.deleted_at, to_jsonb(g) - 'search_vector' as row
      from public.gigs g where g.id in (select entity_id from latest where entity = 'gigs')
    union all
    select 'assets', a.id, a.deleted_at, to_jsonb(a) - 'search_vector'
      from public.assets a where a.id in (select entity_id from latest where entity = 'assets')
    union all
    select 'cases', c.id, c.deleted_at, to_jsonb(c)
      from public.cases c where c.id in (select entity_id from latest where entity = 'cases')
    union all
    select 'kit_assignments', k.id, null, to_jsonb(k)
      from public.kit_assignments k where k.id in (select entity_id from latest where entity = 'kit_assignments')
    union all
    select 'gig_staff', s.id, null, to_jsonb(s)
      from public.gig_staff s where s.id in (select entity_id from latest where entity = 'gig_staff')
  ),
  -- A row that is gone or soft-deleted becomes a tombstone.
  resolved as (
    select l.entity, l.entity_id, r.row, r.row is null or r.deleted_at is not null as gone, r.deleted_at
      from latest l left join current_rows r on r.entity = l.entity and r.id = l.entity_id
  )
  select (select count(*) from pulled),
         (select p.txid::text || ':' || p.seq::text from pulled p order by p.txid desc, p.seq desc limit 1),
         coalesce((select jsonb_object_agg(t.entity, t.rows)
                     from (select entity, jsonb_agg(row order by entity_id) as rows from resolved where not gone group by entity) t),
                  '{}'::jsonb),
         coalesce((select jsonb_agg(jsonb_build_object('table', entity, 'id', entity_id, 'deleted_at', deleted_at)
                                    order by entity, entity_id)
                     from resolved where gone), '[]'::jsonb)
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
