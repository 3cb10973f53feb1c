-- Who the caller is, as the database sees it. The station calls it after sign-in to confirm that
-- its session reaches the database with the right identity (auth.uid() under the caller's role).
create function public.session_info()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('user_id', auth.uid(), 'role', auth.role(), 'email', auth.email())
$$;

-- Supabase grants EXECUTE on new functions to anon by default: signed-in callers only.
revoke execute on function public.session_info() from public, anon;
grant execute on function public.session_info() to authenticated, service_role;
