-- Planning offline (issue 19), second part.
-- 1. A device computes availability from its own copy, so it needs its organizations' prep and
--    return buffers (organizations.prep_buffer_hours / return_buffer_hours, …000400): they come
--    with the memberships the device already reads at sign-in (and every ten minutes online).
create or replace function public.my_memberships()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('org_id', m.org_id, 'role', m.role,
                                               'prep_buffer_hours', o.prep_buffer_hours,
                                               'return_buffer_hours', o.return_buffer_hours) order by m.org_id), '[]'::jsonb)
    from public.memberships m
    join public.organizations o on o.id = m.org_id
   where m.user_id = (select auth.uid())
$$;
