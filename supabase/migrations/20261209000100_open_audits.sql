-- The stock-takes still open in the caller's companies (issue 21): a second device joins one
-- instead of starting its own, so several people counting one warehouse make one report. Read
-- online only (a device offline starts its own, or carries on the one it is in).
create function public.open_audits()
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'open_audits needs a signed-in user' using errcode = '42501';
  end if;
  return coalesce((
    select jsonb_agg(jsonb_build_object(
             'id', a.id,
             'location_id', a.location_id,
             'place', l.name || ' (' || l.code || ')',
             'category', a.category,
             'started_at', a.started_at,
             'started_by', (select sp.display_name from public.staff_profiles sp
                             where sp.user_id = a.started_by and sp.org_id = a.org_id),
             'scans', (select count(*) from public.audit_scans s where s.audit_id = a.id)
           ) order by a.started_at desc, a.id)
      from public.audits a
      join public.locations l on l.id = a.location_id
     where a.status = 'open' and a.org_id in (select app.my_org_ids())
  ), '[]'::jsonb);
end
$$;
revoke execute on function public.open_audits() from public, anon;
grant execute on function public.open_audits() to authenticated;
