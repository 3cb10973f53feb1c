-- Serialized assets and the cases (containers, which may nest) that hold them.
create type public.asset_status as enum (
  'available', 'checked_out', 'in_maintenance', 'quarantined', 'lost', 'retired'
);

create table public.cases (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  parent_case_id uuid,
  barcode text not null check (barcode ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
  name text not null check (length(btrim(name)) between 1 and 200),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (org_id, id),
  foreign key (org_id, parent_case_id) references public.cases (org_id, id),
  check (parent_case_id <> id)
);
create unique index cases_org_barcode_idx on public.cases (org_id, upper(barcode) text_pattern_ops);
create index cases_parent_idx on public.cases (parent_case_id) where parent_case_id is not null;

create table public.assets (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  serial_number text not null check (serial_number ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
  barcode text check (barcode ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
  name text not null check (length(btrim(name)) between 1 and 200),
  category text not null check (length(btrim(category)) between 1 and 80),
  status public.asset_status not null default 'available',
  current_gig_id uuid,
  case_id uuid,
  notes text check (length(notes) <= 10000),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  search_vector tsvector generated always as (
    to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(category, '') || ' ' || coalesce(notes, ''))
  ) stored,
  unique (org_id, id),
  foreign key (org_id, current_gig_id) references public.gigs (org_id, id),
  foreign key (org_id, case_id) references public.cases (org_id, id),
  -- An asset is out exactly when it is out to a gig.
  check ((status = 'checked_out') = (current_gig_id is not null))
);

-- Serials and barcodes are matched case-insensitively: exact and prefix through btree
-- (text_pattern_ops serves LIKE 'ABC%' in any collation), infix through the suffix table below.
create unique index assets_org_serial_idx on public.assets (org_id, upper(serial_number) text_pattern_ops);
create unique index assets_org_barcode_idx on public.assets (org_id, upper(barcode) text_pattern_ops) where barcode is not null;
create index assets_search_idx on public.assets using gin (search_vector);
create index assets_current_gig_idx on public.assets (current_gig_id) where current_gig_id is not null;
create index assets_case_idx on public.assets (case_id) where case_id is not null;
create index assets_org_category_idx on public.assets (org_id, category);

-- Infix search on serials that stays fast at 200k+ assets: every suffix (3+ characters, from the
-- second character on) of each upper-cased serial, btree-indexed, so "contains X" becomes a
-- prefix range scan over suffixes. Trigram GIN was tried first: it needs ~40 ms per infix query
-- at 200k serials, because serials share most of their trigrams (digits, "SPK", "-10").
create table app.asset_serial_suffixes (
  org_id uuid not null,
  asset_id uuid not null references public.assets (id) on delete cascade,
  suffix text not null
);
create index asset_serial_suffixes_lookup_idx on app.asset_serial_suffixes (org_id, suffix text_pattern_ops);
create index asset_serial_suffixes_asset_idx on app.asset_serial_suffixes (asset_id);
alter table app.asset_serial_suffixes enable row level security;

create function app.index_serial_suffixes()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    delete from app.asset_serial_suffixes s
     using old_rows o join new_rows n on n.id = o.id
     where s.asset_id = o.id and o.serial_number <> n.serial_number;
    insert into app.asset_serial_suffixes (org_id, asset_id, suffix)
    select n.org_id, n.id, substr(upper(n.serial_number), i)
      from old_rows o join new_rows n on n.id = o.id
     cross join lateral generate_series(2, length(n.serial_number) - 2) as i
     where o.serial_number <> n.serial_number;
  else
    insert into app.asset_serial_suffixes (org_id, asset_id, suffix)
    select n.org_id, n.id, substr(upper(n.serial_number), i)
      from new_rows n
     cross join lateral generate_series(2, length(n.serial_number) - 2) as i;
  end if;
  return null;
end
$$;

create trigger assets_serial_suffixes_insert after insert on public.assets
  referencing new table as new_rows for each statement execute function app.index_serial_suffixes();
create trigger assets_serial_suffixes_update after update on public.assets
  referencing old table as old_rows new table as new_rows for each statement execute function app.index_serial_suffixes();

create function app.versioned_before_update()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.id <> old.id or new.org_id <> old.org_id then
    raise exception 'a row''s id and organization cannot change' using errcode = '22023';
  end if;
  new.version := old.version + 1;
  new.updated_at := now();
  return new;
end
$$;

create trigger assets_versioned before update on public.assets
  for each row execute function app.versioned_before_update();
create trigger cases_versioned before update on public.cases
  for each row execute function app.versioned_before_update();

-- Cases nest, but never into themselves.
create function app.cases_no_cycle()
returns trigger
language plpgsql set search_path = ''
as $$
declare
  cursor_id uuid := new.parent_case_id;
  hops integer := 0;
begin
  while cursor_id is not null loop
    if cursor_id = new.id then
      raise exception 'putting case % into % would create a cycle', new.id, new.parent_case_id using errcode = '23514';
    end if;
    hops := hops + 1;
    if hops > 32 then
      raise exception 'cases nest at most 32 deep' using errcode = '23514';
    end if;
    select c.parent_case_id into cursor_id from public.cases c where c.id = cursor_id;
  end loop;
  return new;
end
$$;

create trigger cases_no_cycle before insert or update of parent_case_id on public.cases
  for each row when (new.parent_case_id is not null) execute function app.cases_no_cycle();

-- Every asset in a case, including cases nested inside it.
create function app.case_contents(root_case_id uuid)
returns setof uuid
language sql stable set search_path = ''
as $$
  with recursive tree(id) as (
    select root_case_id
    union
    select c.id from public.cases c join tree on c.parent_case_id = tree.id where c.deleted_at is null
  )
  select a.id from public.assets a where a.case_id = any (array(select id from tree)) and a.deleted_at is null
$$;
