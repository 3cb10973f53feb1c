-- Append-only check-out / check-in / transfer / quarantine history, and per-gig counters kept
-- from it (so hierarchy roll-ups never scan the history).
create type public.movement_kind as enum ('check_out', 'check_in', 'transfer', 'quarantine', 'release');
create type public.asset_condition as enum ('ok', 'damaged', 'missing_parts');

create table public.asset_movements (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  asset_id uuid not null,
  kind public.movement_kind not null,
  gig_id uuid,
  from_gig_id uuid,
  condition public.asset_condition,
  actor_user_id uuid,
  staff_id uuid,
  device_id text check (length(device_id) <= 100),
  client_op_id uuid,
  occurred_at timestamptz not null default now(),
  recorded_at timestamptz not null default now(),
  foreign key (org_id, asset_id) references public.assets (org_id, id),
  foreign key (org_id, gig_id) references public.gigs (org_id, id),
  foreign key (org_id, from_gig_id) references public.gigs (org_id, id)
);
create index asset_movements_asset_idx on public.asset_movements (asset_id, occurred_at desc);
create index asset_movements_gig_idx on public.asset_movements (gig_id) where gig_id is not null;
create index asset_movements_op_idx on public.asset_movements (client_op_id) where client_op_id is not null;

-- History is never rewritten, whoever asks (privileges are revoked below as well).
create function app.asset_movements_append_only()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  raise exception 'asset_movements is append-only: record a new movement instead of changing history'
    using errcode = '42501';
end
$$;

create trigger asset_movements_no_update before update or delete on public.asset_movements
  for each row execute function app.asset_movements_append_only();
create trigger asset_movements_no_truncate before truncate on public.asset_movements
  for each statement execute function app.asset_movements_append_only();

revoke insert, update, delete, truncate on public.asset_movements from anon, authenticated, service_role;

create table public.gig_counters (
  gig_id uuid primary key,
  org_id uuid not null,
  checked_out_total integer not null default 0,
  returned_total integer not null default 0,
  foreign key (org_id, gig_id) references public.gigs (org_id, id) on delete cascade
);

create function app.count_movements()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.gig_counters as c (gig_id, org_id, checked_out_total, returned_total)
  select m.gig_id, m.org_id,
         count(*) filter (where m.kind = 'check_out'),
         count(*) filter (where m.kind = 'check_in')
    from moved m
   where m.gig_id is not null and m.kind in ('check_out', 'check_in')
   group by m.gig_id, m.org_id
  on conflict (gig_id) do update
    set checked_out_total = c.checked_out_total + excluded.checked_out_total,
        returned_total = c.returned_total + excluded.returned_total;
  return null;
end
$$;

create trigger asset_movements_count after insert on public.asset_movements
  referencing new table as moved for each statement execute function app.count_movements();
