-- Organizations, memberships with roles, and staff profiles with a scannable badge code.
create type public.member_role as enum ('admin', 'manager', 'crew', 'station');

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  created_at timestamptz not null default now()
);

create table public.memberships (
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null,
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user_idx on public.memberships (user_id);

create table public.staff_profiles (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  display_name text not null check (length(btrim(display_name)) between 1 and 200),
  badge_code text not null check (badge_code ~ '^[A-Z0-9][A-Z0-9-]{2,39}$'),
  email text check (length(email) <= 320),
  phone text check (length(phone) <= 40),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  unique (org_id, badge_code),
  unique (org_id, user_id)
);

-- Who the caller is in each organization. SECURITY DEFINER so policies on memberships can use
-- them without recursing into memberships' own policy.
create function app.my_org_ids()
returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select m.org_id from public.memberships m where m.user_id = auth.uid()
$$;

create function app.my_org_ids_with_role(roles public.member_role[])
returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select m.org_id from public.memberships m where m.user_id = auth.uid() and m.role = any (roles)
$$;

create function app.my_role(org uuid)
returns public.member_role
language sql stable security definer set search_path = ''
as $$
  select m.role from public.memberships m where m.user_id = auth.uid() and m.org_id = org
$$;

revoke all on function app.my_org_ids(), app.my_org_ids_with_role(public.member_role[]), app.my_role(uuid) from public;
grant execute on function app.my_org_ids(), app.my_org_ids_with_role(public.member_role[]), app.my_role(uuid)
  to authenticated, service_role;

-- updated_at for tables without a version.
create function app.touch_updated_at()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger staff_profiles_touch before update on public.staff_profiles
  for each row execute function app.touch_updated_at();
