-- What is planned for a gig (kit_assignments: a specific asset, a case, or a bulk quantity of a
-- category) and who works it (gig_staff).
create table public.kit_assignments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  gig_id uuid not null,
  asset_id uuid,
  case_id uuid,
  category text check (length(btrim(category)) between 1 and 80),
  quantity integer check (quantity between 1 and 100000),
  notes text check (length(notes) <= 2000),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (org_id, gig_id) references public.gigs (org_id, id) on delete cascade,
  foreign key (org_id, asset_id) references public.assets (org_id, id) on delete cascade,
  foreign key (org_id, case_id) references public.cases (org_id, id) on delete cascade,
  check (num_nonnulls(asset_id, case_id, category) = 1),
  check ((category is null) = (quantity is null))
);
create index kit_assignments_gig_idx on public.kit_assignments (gig_id);
create index kit_assignments_asset_idx on public.kit_assignments (asset_id) where asset_id is not null;

create table public.gig_staff (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  gig_id uuid not null,
  staff_id uuid not null,
  role text not null check (length(btrim(role)) between 1 and 80),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (gig_id, staff_id),
  foreign key (org_id, gig_id) references public.gigs (org_id, id) on delete cascade,
  foreign key (org_id, staff_id) references public.staff_profiles (org_id, id) on delete cascade
);
create index gig_staff_staff_idx on public.gig_staff (staff_id);

create trigger kit_assignments_versioned before update on public.kit_assignments
  for each row execute function app.versioned_before_update();
create trigger gig_staff_versioned before update on public.gig_staff
  for each row execute function app.versioned_before_update();
