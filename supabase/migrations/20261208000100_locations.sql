-- Where everything is (issue 21): warehouses and the places in them — zones, shelves, bins — per
-- company, each with a scannable code. An asset, case or bulk item has a home location (where it
-- is put back) and a current location (where it is now; none while it is out to a gig).
--
-- A warehouse is a location of kind `warehouse` (the root of its tree): every location knows its
-- warehouse (`warehouse_id`, set here, never by a client), so lists filter by warehouse without
-- walking the tree. A location's kind and parent do not change: a shelf moved to another zone is
-- a new shelf (its code can be reused once the old one is removed).
create type public.location_kind as enum ('warehouse', 'zone', 'shelf', 'bin');

create table public.locations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  kind public.location_kind not null,
  parent_location_id uuid,
  warehouse_id uuid not null,
  code text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
  name text not null check (length(btrim(name)) between 1 and 200),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (org_id, id),
  foreign key (org_id, parent_location_id) references public.locations (org_id, id),
  foreign key (org_id, warehouse_id) references public.locations (org_id, id),
  check ((kind = 'warehouse') = (parent_location_id is null)),
  check (kind <> 'warehouse' or warehouse_id = id)
);
-- A code names one live place of the company, whatever its case (scanners send either).
create unique index locations_org_code_idx on public.locations (org_id, upper(code)) where deleted_at is null;
create index locations_parent_idx on public.locations (parent_location_id) where parent_location_id is not null;
create index locations_warehouse_idx on public.locations (warehouse_id);

alter table public.locations enable row level security;
create policy locations_read on public.locations for select to authenticated using (org_id in (select app.my_org_ids()));
-- Clients reach locations through the RPCs and push_changes, like every other table.
revoke all on public.locations from anon, authenticated;

-- The warehouse of a new location is its parent's; a bin holds nothing below it; a parent is a
-- live place of the same company; kind and parent are fixed once made; a code that is already an
-- asset's serial or barcode, a case's or a bulk item's barcode or a badge would make a scan
-- ambiguous, so it is refused.
create function app.place_location()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  parent public.locations;
begin
  if tg_op = 'UPDATE' then
    if new.kind is distinct from old.kind or new.parent_location_id is distinct from old.parent_location_id
       or new.warehouse_id is distinct from old.warehouse_id or new.org_id is distinct from old.org_id then
      raise exception 'a location''s kind and place do not change: add a new one and remove the old one' using errcode = '22023';
    end if;
    if new.code is not distinct from old.code then
      return new;
    end if;
  elsif new.kind = 'warehouse' then
    new.warehouse_id := new.id;
  else
    select * into parent from public.locations p where p.id = new.parent_location_id and p.org_id = new.org_id;
    if parent.id is null or parent.deleted_at is not null then
      raise exception 'the place a % goes in was not found (it may have been removed)', new.kind using errcode = '23503';
    end if;
    if parent.kind = 'bin' then
      raise exception 'a bin holds items, not other places: put % in a shelf, zone or warehouse', quote_literal(new.name)
        using errcode = '22023';
    end if;
    new.warehouse_id := parent.warehouse_id;
  end if;
  if exists (select 1 from public.assets a
              where a.org_id = new.org_id and (upper(a.serial_number) = upper(new.code) or upper(a.barcode) = upper(new.code)))
     or exists (select 1 from public.cases c where c.org_id = new.org_id and upper(c.barcode) = upper(new.code))
     or exists (select 1 from public.bulk_items b where b.org_id = new.org_id and upper(b.barcode) = upper(new.code))
     or exists (select 1 from public.staff_profiles s where s.org_id = new.org_id and upper(s.badge_code) = upper(new.code)) then
    raise exception 'code % is already on an item or a badge; a location needs a code of its own', quote_literal(new.code)
      using errcode = '23505';
  end if;
  return new;
end
$$;
create trigger locations_place before insert or update on public.locations
  for each row execute function app.place_location();
revoke execute on function app.place_location() from public, anon, authenticated;

-- Every place inside `root` (itself included), at any depth.
create function app.location_subtree(root uuid)
returns setof uuid
language sql stable security definer set search_path = ''
as $$
  with recursive inside as (
    select l.id from public.locations l where l.id = root
    union
    select l.id from public.locations l join inside i on l.parent_location_id = i.id
  )
  select id from inside
$$;
revoke execute on function app.location_subtree(uuid) from public, anon, authenticated;

-- Home and current location of what the warehouse holds.
alter table public.assets
  add column home_location_id uuid,
  add column location_id uuid,
  add foreign key (org_id, home_location_id) references public.locations (org_id, id),
  add foreign key (org_id, location_id) references public.locations (org_id, id);
alter table public.cases
  add column home_location_id uuid,
  add column location_id uuid,
  add foreign key (org_id, home_location_id) references public.locations (org_id, id),
  add foreign key (org_id, location_id) references public.locations (org_id, id);
alter table public.bulk_items
  add column home_location_id uuid,
  add column location_id uuid,
  add foreign key (org_id, home_location_id) references public.locations (org_id, id),
  add foreign key (org_id, location_id) references public.locations (org_id, id);
create index assets_location_idx on public.assets (location_id) where location_id is not null;
create index assets_home_location_idx on public.assets (home_location_id) where home_location_id is not null;
create index cases_location_idx on public.cases (location_id) where location_id is not null;
create index cases_home_location_idx on public.cases (home_location_id) where home_location_id is not null;
create index bulk_items_location_idx on public.bulk_items (location_id) where location_id is not null;
create index bulk_items_home_location_idx on public.bulk_items (home_location_id) where home_location_id is not null;

-- An asset out to a gig is at the gig, on no shelf; one checked back in goes to its home unless
-- the same write put it somewhere (a put-away scanned after the check-in is its own op).
create function app.asset_follows_home()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.status = 'checked_out' and old.status <> 'checked_out' then
    new.location_id := null;
  elsif old.status = 'checked_out' and new.status <> 'checked_out' and new.location_id is null then
    new.location_id := new.home_location_id;
  end if;
  return new;
end
$$;
create trigger assets_follow_home before update of status on public.assets
  for each row execute function app.asset_follows_home();
revoke execute on function app.asset_follows_home() from public, anon, authenticated;

-- Moves between places are history like check-outs (asset_movements is append-only): `relocate`
-- from one location to another, in the same warehouse or another (a transfer), with the audit
-- that found it there when an audit's adjustment made it.
alter type public.movement_kind add value 'relocate';
alter table public.asset_movements
  add column from_location_id uuid,
  add column location_id uuid,
  add column audit_id uuid;
create index asset_movements_location_idx on public.asset_movements (location_id) where location_id is not null;
