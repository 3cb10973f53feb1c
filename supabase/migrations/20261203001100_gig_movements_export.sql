-- A gig's movements for export (issue 18: "history, conflicts and exports show who"): every item
-- and bulk quantity that went out to or came back from the gig or any gig under it, oldest first,
-- with who scanned it (the operator's badge or the signed-in crew member), the device, the scan
-- time (occurred_at) and when the server recorded it, the condition and its note. The station
-- and the phone turn it into CSV (core/views/movements-csv.ts).
--
-- Security definer with the same rule as get_gig_hierarchy: a gig the caller's organizations do
-- not hold is "not found" (PT404), never an empty export that looks like "nothing moved".

-- Check-ins name the gig they came back from in from_gig_id (indexed since 20261203000200).
create function public.get_gig_movements(p_gig_id uuid, p_limit integer default 20000)
returns table (
  occurred_at timestamptz,
  recorded_at timestamptz,
  kind public.movement_kind,
  item_kind text,
  item_name text,
  item_code text,
  quantity integer,
  unit text,
  gig_id uuid,
  gig_name text,
  gig_code text,
  staff_name text,
  device_id text,
  condition public.asset_condition,
  note text
)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  root record;
begin
  if p_gig_id is null then
    raise exception 'p_gig_id is required' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 100000 then
    raise exception 'p_limit must be between 1 and 100000, got %', p_limit using errcode = '22023';
  end if;
  select g.org_id, g.path into root from public.gigs g where g.id = p_gig_id and g.deleted_at is null;
  if not found or not app.can_read_org(root.org_id) then
    raise exception 'gig % not found', p_gig_id using errcode = 'PT404';
  end if;
  return query
    with tree as (
      select g.id, g.name, g.code
        from public.gigs g
       where g.org_id = root.org_id and g.path operator(extensions.<@) root.path
    ),
    moves as (
      select m.occurred_at, m.recorded_at, m.kind, 'asset'::text as item_kind, a.name as item_name,
             coalesce(a.barcode, a.serial_number) as item_code, 1 as quantity, null::text as unit,
             coalesce(m.gig_id, m.from_gig_id) as gig_id, m.staff_id, m.device_id, m.condition, m.note, m.id as seq, 0 as source
        from public.asset_movements m
        join public.assets a on a.org_id = m.org_id and a.id = m.asset_id
       where m.org_id = root.org_id
         and (m.gig_id in (select id from tree) or m.from_gig_id in (select id from tree))
      union all
      select b.occurred_at, b.recorded_at, b.kind, 'bulk', i.name, i.barcode, b.quantity, i.unit,
             b.gig_id, b.staff_id, b.device_id, null, null, b.id, 1
        from public.bulk_movements b
        join public.bulk_items i on i.org_id = b.org_id and i.id = b.bulk_item_id
       where b.org_id = root.org_id and b.gig_id in (select id from tree)
    )
    select mv.occurred_at, mv.recorded_at, mv.kind, mv.item_kind, mv.item_name, mv.item_code, mv.quantity, mv.unit,
           mv.gig_id, t.name, t.code, s.display_name, mv.device_id, mv.condition, mv.note
      from moves mv
      join tree t on t.id = mv.gig_id
      left join public.staff_profiles s on s.org_id = root.org_id and s.id = mv.staff_id
     order by mv.occurred_at, mv.source, mv.seq
     limit p_limit;
end
$$;
revoke execute on function public.get_gig_movements(uuid, integer) from public, anon;
grant execute on function public.get_gig_movements(uuid, integer) to authenticated, service_role;
