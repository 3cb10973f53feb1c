-- Row level security on every table: members see their organization's rows; writes by role.
-- Stations and crew change data only through the sync functions (SECURITY DEFINER, which check
-- the caller's role per operation); nobody may update or delete movement history.
alter table public.organizations enable row level security;
alter table public.memberships enable row level security;
alter table public.staff_profiles enable row level security;
alter table public.gigs enable row level security;
alter table public.cases enable row level security;
alter table public.assets enable row level security;
alter table public.kit_assignments enable row level security;
alter table public.gig_staff enable row level security;
alter table public.asset_movements enable row level security;
alter table public.gig_counters enable row level security;

revoke all on public.organizations, public.memberships, public.staff_profiles, public.gigs, public.cases,
  public.assets, public.kit_assignments, public.gig_staff, public.asset_movements, public.gig_counters from anon;

-- organizations: members read; admins rename.
create policy organizations_read on public.organizations for select to authenticated
  using (id in (select app.my_org_ids()));
create policy organizations_admin_update on public.organizations for update to authenticated
  using (id in (select app.my_org_ids_with_role('{admin}')))
  with check (id in (select app.my_org_ids_with_role('{admin}')));

-- memberships: members see who is in their organizations; only admins change them.
create policy memberships_read on public.memberships for select to authenticated
  using (org_id in (select app.my_org_ids()));
create policy memberships_admin_write on public.memberships for all to authenticated
  using (org_id in (select app.my_org_ids_with_role('{admin}')))
  with check (org_id in (select app.my_org_ids_with_role('{admin}')));

-- staff profiles: members read; admins and managers edit (not stations, not crew).
create policy staff_profiles_read on public.staff_profiles for select to authenticated
  using (org_id in (select app.my_org_ids()));
create policy staff_profiles_manage on public.staff_profiles for all to authenticated
  using (org_id in (select app.my_org_ids_with_role('{admin,manager}')))
  with check (org_id in (select app.my_org_ids_with_role('{admin,manager}')));

-- Domain tables: members read; admins and managers plan and edit.
do $$
declare
  domain_table text;
begin
  foreach domain_table in array array['gigs', 'cases', 'assets', 'kit_assignments', 'gig_staff'] loop
    execute format(
      'create policy %1$s_read on public.%1$I for select to authenticated
         using (org_id in (select app.my_org_ids()))', domain_table);
    execute format(
      'create policy %1$s_manage on public.%1$I for all to authenticated
         using (org_id in (select app.my_org_ids_with_role(''{admin,manager}'')))
         with check (org_id in (select app.my_org_ids_with_role(''{admin,manager}'')))', domain_table);
  end loop;
end
$$;

-- History and counters: read-only for members; written by the sync functions alone.
create policy asset_movements_read on public.asset_movements for select to authenticated
  using (org_id in (select app.my_org_ids()));
create policy gig_counters_read on public.gig_counters for select to authenticated
  using (org_id in (select app.my_org_ids()));
revoke insert, update, delete, truncate on public.gig_counters from authenticated;
