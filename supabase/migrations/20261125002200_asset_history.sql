-- An asset's movement history, newest first, with the gig and staff names the station shows.
-- Security invoker: the caller's row-level security decides what they see (another
-- organization's asset simply has no history for them).
create function public.get_asset_history(p_asset_id uuid, p_limit integer default 500)
returns table (
  id bigint,
  kind public.movement_kind,
  occurred_at timestamptz,
  gig_id uuid,
  gig_name text,
  gig_code text,
  from_gig_id uuid,
  from_gig_name text,
  condition public.asset_condition,
  staff_name text,
  device_id text
)
language plpgsql stable security invoker
set search_path = ''
as $$
begin
  if p_asset_id is null then
    raise exception 'p_asset_id is required' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 5000 then
    raise exception 'p_limit must be between 1 and 5000, got %', p_limit using errcode = '22023';
  end if;
  return query
    select m.id, m.kind, m.occurred_at, m.gig_id, g.name, g.code, m.from_gig_id, fg.name, m.condition, s.display_name, m.device_id
      from public.asset_movements m
      left join public.gigs g on g.id = m.gig_id
      left join public.gigs fg on fg.id = m.from_gig_id
      left join public.staff_profiles s on s.id = m.staff_id
     where m.asset_id = p_asset_id
     order by m.occurred_at desc, m.id desc
     limit p_limit;
end
$$;

revoke execute on function public.get_asset_history(uuid, integer) from public, anon;
grant execute on function public.get_asset_history(uuid, integer) to authenticated, service_role;
