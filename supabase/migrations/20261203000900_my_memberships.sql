-- The caller's own memberships (organization and role), issue 18: the station and the phone offer
-- only what the signed-in role may do (core/sync/roles.ts mirrors app.op_allowed), and keep the
-- last answer for offline use. Clients hold no table privileges, so this reads memberships as its
-- owner, for auth.uid() alone: nobody else's rows, and nothing for a caller who is no member.
create function public.my_memberships()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('org_id', m.org_id, 'role', m.role) order by m.org_id), '[]'::jsonb)
    from public.memberships m
   where m.user_id = (select auth.uid())
$$;

revoke execute on function public.my_memberships() from public, anon;
grant execute on function public.my_memberships() to authenticated, service_role;
