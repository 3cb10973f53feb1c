-- Locations and stock-takes as queued ops (issue 21), through push_changes like every other write:
-- idempotent by op id (sync_ops), made offline, refused in words.
--
--   locations.create / update / delete       admins and managers set up warehouses
--   assets|cases|bulk_items.put_away         an item put on a shelf (a `relocate` movement)
--   assets.claim                             a pre-printed label's code becomes a new asset
--   audits.start / scan / close              a stock-take of a place (and everything in it)
--
-- A scan is judged when it arrives, against where the scanned thing was then: found (it belongs
-- in the place scanned), wrong_place (it belongs elsewhere), out_to_gig, unknown (no such code).
-- Several devices scan one audit at once: every scan is kept (who, where, when), and the report
-- counts each thing once — by its latest scan; a bulk item by its latest count per place, so two
-- people counting the same bin do not add up. Scanning a case counts what is in it. Closing the
-- audit freezes the report; what was expected and not seen is missing. A close that adjusts
-- moves every wrong_place item to where it was found, one `relocate` movement each with the
-- audit and the auditor. Crew may audit; they adjust only where their company allows it.
alter table public.organizations add column crew_adjusts_audits boolean not null default false;

create type public.audit_status as enum ('open', 'closed');
create type public.audit_scan_kind as enum ('found', 'wrong_place', 'out_to_gig', 'unknown');

create table public.audits (
  id uuid primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  location_id uuid not null,
  category text check (length(btrim(category)) between 1 and 80),
  status public.audit_status not null default 'open',
  started_by uuid,
  device_id text check (length(device_id) <= 100),
  started_at timestamptz not null default now(),
  closed_by uuid,
  closed_at timestamptz,
  adjusted boolean not null default false,
  report jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, location_id) references public.locations (org_id, id),
  check ((status = 'closed') = (closed_at is not null))
);
create index audits_location_idx on public.audits (location_id);
create index audits_org_status_idx on public.audits (org_id, status);

create table public.audit_scans (
  -- The op's id: one scan is counted once, however often its op is replayed.
  id uuid primary key,
  org_id uuid not null,
  audit_id uuid not null,
  code text not null check (length(code) between 1 and 64),
  location_id uuid not null,
  kind public.audit_scan_kind not null,
  asset_id uuid,
  case_id uuid,
  bulk_item_id uuid,
  quantity integer check (quantity between 0 and 10000000),
  -- Where the system had it when it was scanned (words in the report; the adjustment's "from").
  expected_location_id uuid,
  scanned_by uuid,
  device_id text check (length(device_id) <= 100),
  scanned_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  foreign key (org_id, audit_id) references public.audits (org_id, id) on delete cascade,
  foreign key (org_id, location_id) references public.locations (org_id, id),
  check (num_nonnulls(asset_id, case_id, bulk_item_id) <= 1),
  check ((kind = 'unknown') = (num_nonnulls(asset_id, case_id, bulk_item_id) = 0)),
  check ((bulk_item_id is not null) = (quantity is not null))
);
create index audit_scans_audit_idx on public.audit_scans (audit_id, scanned_at);
create index audit_scans_location_idx on public.audit_scans (location_id);

alter table public.audits enable row level security;
alter table public.audit_scans enable row level security;
create policy audits_read on public.audits for select to authenticated using (org_id in (select app.my_org_ids()));
create policy audit_scans_read on public.audit_scans for select to authenticated using (org_id in (select app.my_org_ids()));
revoke all on public.audits, public.audit_scans from anon, authenticated;

-- Who may do what, by membership role (as …000500_bulk_stock, with locations and audits).
-- Closing with adjustments is decided in app.op_audit_write (crew: by the company's setting).
create or replace function app.op_allowed(role public.member_role, tbl text, action text)
returns boolean
language sql immutable set search_path = extensions
as $$
  select case
    when role in ('admin', 'manager') then true
    when role in ('station', 'crew') then (tbl, action) in (
      ('assets', 'check_out'), ('assets', 'check_in'), ('cases', 'check_out'), ('cases', 'check_in'),
      ('bulk_items', 'check_out'), ('bulk_items', 'check_in'),
      ('assets', 'put_away'), ('cases', 'put_away'), ('bulk_items', 'put_away'),
      ('audits', 'start'), ('audits', 'scan'), ('audits', 'close'))
      or (role = 'station' and (tbl, action) in (('assets', 'update'), ('assets', 'claim')))
    else false
  end
$$;

-- The first of `keys` that is missing or not a string (null: all are there).
create function app.missing_text_field(obj jsonb, keys text[])
returns text
language sql immutable set search_path = extensions
as $$
  select k from unnest(keys) k where jsonb_typeof(obj -> k) is distinct from 'string' order by array_position(keys, k) limit 1
$$;
revoke execute on function app.missing_text_field(jsonb, text[]) from public, anon, authenticated;

-- Why a place's code or name cannot be used (null: it can): words, before a constraint says it in SQL.
create function app.location_text_problem(p_org uuid, p_place uuid, p_code text, p_name text)
returns text
language sql stable security definer set search_path = ''
as $$
  select case
    when p_code is not null and p_code !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$' then
      'a location''s code is 1 to 64 letters, digits and . _ / - (what its label carries)'
    when p_name is not null and length(btrim(p_name)) not between 1 and 200 then
      'a location''s name is 1 to 200 characters'
    -- The rule for every name on a label or a screen (…001300): one line, no direction overrides.
    when p_name is not null and p_name ~ '[\x01-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]' then
      'a location''s name is one line of text, without control or text-direction characters'
    when p_code is not null then (
      select format('code %s is already on %s (%s)', quote_literal(p_code), l.name, l.code)
        from public.locations l
       where l.org_id = p_org and l.deleted_at is null and upper(l.code) = upper(p_code) and l.id is distinct from p_place
       limit 1)
  end
$$;
revoke execute on function app.location_text_problem(uuid, uuid, text, text) from public, anon, authenticated;

-- A place in words: "Shelf A3 (WH1-A3)".
create function app.location_words(location_id uuid)
returns text
language sql stable security definer set search_path = ''
as $$
  select format('%s (%s)', l.name, l.code) from public.locations l where l.id = location_id
$$;
revoke execute on function app.location_words(uuid) from public, anon, authenticated;

-- A live location of one of the caller's companies, or null.
create function app.my_location(location_id uuid)
returns public.locations
language sql stable security definer set search_path = ''
as $$
  select l.* from public.locations l
   where l.id = location_id and l.deleted_at is null and l.org_id in (select app.my_org_ids())
$$;
revoke execute on function app.my_location(uuid) from public, anon, authenticated;

create function app.op_location_write(op_id uuid, action text, entity uuid, payload jsonb)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  place public.locations;
  parent public.locations;
  target_org uuid;
  kind public.location_kind;
  bad text;
  held integer;
  fields jsonb;
begin
  if action = 'create' then
    if exists (select 1 from public.locations l where l.id = entity) then
      return app.rejected(op_id, 'locations', entity, 'id_unavailable', format('location id %s cannot be used; add it with a new id', entity));
    end if;
    if coalesce(payload ->> 'kind', '') not in ('warehouse', 'zone', 'shelf', 'bin') then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', 'payload.kind must be one of warehouse, zone, shelf, bin');
    end if;
    kind := (payload ->> 'kind')::public.location_kind;
    bad := app.missing_text_field(payload, array['code', 'name']);
    if bad is not null then
      return app.rejected(op_id, 'locations', entity, 'missing_field', format('payload.%s is required (a string)', bad));
    end if;
    if kind = 'warehouse' then
      if payload ? 'parent_location_id' and payload -> 'parent_location_id' <> 'null'::jsonb then
        return app.rejected(op_id, 'locations', entity, 'invalid_field', 'a warehouse is in no other place: leave payload.parent_location_id out');
      end if;
      target_org := app.as_uuid(payload -> 'org_id');
      if target_org is null then
        return app.rejected(op_id, 'locations', entity, 'missing_field', 'a warehouse needs payload.org_id (its company)');
      end if;
    else
      parent := app.my_location(app.as_uuid(payload -> 'parent_location_id'));
      if parent.id is null then
        return app.rejected(op_id, 'locations', entity, 'not_found',
          format('the place this %s goes in was not found (it may have been removed)', kind));
      end if;
      target_org := parent.org_id;
    end if;
    if app.my_role(target_org) is null or not app.op_allowed(app.my_role(target_org), 'locations', 'create') then
      return app.rejected(op_id, 'locations', entity, 'forbidden', 'only admins and managers set up warehouses and locations');
    end if;
    bad := app.location_text_problem(target_org, entity, payload ->> 'code', payload ->> 'name');
    if bad is not null then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', bad);
    end if;
    insert into public.locations (id, org_id, kind, parent_location_id, warehouse_id, code, name)
    values (entity, target_org, kind, parent.id, coalesce(parent.warehouse_id, entity), payload ->> 'code', payload ->> 'name');
    return app.applied(op_id, 'locations', entity);
  end if;

  -- Locked only when it is one of the caller's companies' (a stranger with the id locks nothing).
  select * into place from public.locations l where l.id = entity and l.org_id in (select app.my_org_ids()) for update;
  if place.id is null or app.my_role(place.org_id) is null then
    return app.rejected(op_id, 'locations', entity, 'not_found', 'the location was not found');
  end if;
  if not app.op_allowed(app.my_role(place.org_id), 'locations', action) then
    return app.rejected(op_id, 'locations', entity, 'forbidden', 'only admins and managers change warehouses and locations');
  end if;
  if place.deleted_at is not null then
    if action = 'delete' then
      return app.result(op_id, 'applied', 'locations', entity, jsonb_build_object('code', 'noop', 'row', app.row_json('locations', entity)));
    end if;
    return app.rejected(op_id, 'locations', entity, 'not_found', format('%s was removed', app.location_words(entity)));
  end if;
  if action = 'update' then
    -- {id, fields: {name?, code?}}, last write wins (as gigs.update).
    fields := coalesce(payload -> 'fields', '{}'::jsonb);
    if jsonb_typeof(fields) <> 'object' then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', 'payload.fields must be an object of name and code');
    end if;
    bad := (select k from jsonb_object_keys(fields) k where k not in ('name', 'code') order by k limit 1);
    if bad is not null then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', format('a location''s %s cannot be changed; name and code can', quote_literal(left(bad, 40))));
    end if;
    bad := app.non_text_field(fields, array['code', 'name']);
    if bad is not null then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', format('payload.fields.%s must be a string', bad));
    end if;
    bad := app.location_text_problem(place.org_id, entity, fields ->> 'code', fields ->> 'name');
    if bad is not null then
      return app.rejected(op_id, 'locations', entity, 'invalid_field', bad);
    end if;
    update public.locations l
       set name = coalesce(fields ->> 'name', l.name), code = coalesce(fields ->> 'code', l.code),
           version = l.version + 1, updated_at = now()
     where l.id = entity;
    return app.applied(op_id, 'locations', entity);
  end if;
  -- delete: only an empty place, so nothing is left on a shelf nobody can find.
  select count(*) into held from (
    select 1 from public.assets a where a.org_id = place.org_id and a.deleted_at is null
       and (a.location_id in (select app.location_subtree(entity)) or a.home_location_id in (select app.location_subtree(entity)))
    union all
    select 1 from public.cases c where c.org_id = place.org_id and c.deleted_at is null
       and (c.location_id in (select app.location_subtree(entity)) or c.home_location_id in (select app.location_subtree(entity)))
    union all
    select 1 from public.bulk_items b where b.org_id = place.org_id
       and (b.location_id in (select app.location_subtree(entity)) or b.home_location_id in (select app.location_subtree(entity)))
    union all
    select 1 from public.locations l where l.parent_location_id = entity and l.deleted_at is null) held_here;
  if exists (select 1 from public.audits a where a.status = 'open' and a.org_id = place.org_id
               and (a.location_id in (select app.location_subtree(entity)) or entity in (select app.location_subtree(a.location_id)))) then
    return app.rejected(op_id, 'locations', entity, 'audit_open',
      format('a stock-take that counts %s is still open: close it first', app.location_words(entity)));
  end if;
  if held > 0 then
    return app.rejected(op_id, 'locations', entity, 'not_empty',
      format('%s still holds or is home to %s things or places: move them first', app.location_words(entity), held));
  end if;
  update public.locations l set deleted_at = now(), version = l.version + 1, updated_at = now() where l.id = entity;
  return app.applied(op_id, 'locations', entity);
end
$$;

-- One thing put in a place: an asset (not while it is out), a case with everything in it, or a
-- bulk item's stock. `home: true` makes the place its home as well.
create function app.op_put_away(op_id uuid, tbl text, entity uuid, payload jsonb, device text, occurred timestamptz)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  org uuid;
  place public.locations;
  make_home boolean;
  what text;
begin
  case tbl
    when 'assets' then select a.org_id, a.name into org, what from public.assets a where a.id = entity and a.deleted_at is null for update;
    when 'cases' then select c.org_id, c.name into org, what from public.cases c where c.id = entity and c.deleted_at is null for update;
    else select b.org_id, b.name into org, what from public.bulk_items b where b.id = entity for update;
  end case;
  if org is null or app.my_role(org) is null then
    return app.rejected(op_id, tbl, entity, 'not_found', 'the item was not found');
  end if;
  if not app.op_allowed(app.my_role(org), tbl, 'put_away') then
    return app.rejected(op_id, tbl, entity, 'forbidden', 'your role cannot put things away');
  end if;
  place := app.my_location(app.as_uuid(payload -> 'location_id'));
  if place.id is null or place.org_id <> org then
    return app.rejected(op_id, tbl, entity, 'not_found', 'payload.location_id is not a place of this item''s company (it may have been removed)');
  end if;
  if payload ? 'home' and jsonb_typeof(payload -> 'home') <> 'boolean' then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.home must be true or false');
  end if;
  make_home := coalesce((payload ->> 'home')::boolean, false);
  -- Where a thing lives is the warehouse's decision (its stations, managers): crew put things away.
  if make_home and app.my_role(org) = 'crew' then
    return app.rejected(op_id, tbl, entity, 'forbidden', 'crew put things away but do not change where they live: put it away without home');
  end if;
  if tbl = 'assets' and exists (select 1 from public.assets a where a.id = entity and a.status = 'checked_out') then
    return app.rejected(op_id, tbl, entity, 'checked_out', format('%s is out to a gig: check it in before putting it on a shelf', what));
  end if;
  perform app.relocate(tbl, entity, place.id, make_home, null, device, occurred);
  return app.applied(op_id, tbl, entity);
end
$$;

-- Moves one asset, case (with everything in it, at any depth) or bulk item to `place`, with a
-- `relocate` movement for each asset whose place changed. The one implementation of a move,
-- for put-aways and for an audit's adjustments.
create function app.relocate(tbl text, entity uuid, place uuid, make_home boolean, audit uuid, device text, occurred timestamptz)
returns void
language plpgsql set search_path = extensions
as $$
begin
  if tbl = 'bulk_items' then
    update public.bulk_items b
       set location_id = place, home_location_id = case when make_home then place else b.home_location_id end,
           version = b.version + 1, updated_at = now()
     where b.id = entity and (b.location_id is distinct from place or (make_home and b.home_location_id is distinct from place));
    return;
  end if;
  with recursive boxes as (
    select c.id from public.cases c where tbl = 'cases' and c.id = entity
    union
    select c.id from public.cases c join boxes b on c.parent_case_id = b.id
  ),
  moved_cases as (
    update public.cases c
       set location_id = place, home_location_id = case when make_home and c.id = entity then place else c.home_location_id end,
           version = c.version + 1, updated_at = now()
      from boxes b
     where c.id = b.id and (c.location_id is distinct from place or (make_home and c.id = entity and c.home_location_id is distinct from place))
    returning c.id
  ),
  goods as (
    select a.id, a.org_id, a.location_id as before from public.assets a
     where a.deleted_at is null and a.status <> 'checked_out'
       and ((tbl = 'assets' and a.id = entity) or a.case_id in (select id from boxes))
  ),
  moved as (
    update public.assets a
       set location_id = place, home_location_id = case when make_home and tbl = 'assets' then place else a.home_location_id end,
           version = a.version + 1, updated_at = now()
      from goods g
     where a.id = g.id and a.status <> 'checked_out' and (a.location_id is distinct from place or (make_home and tbl = 'assets' and a.home_location_id is distinct from place))
    returning a.id, g.org_id, g.before
  )
  insert into public.asset_movements (org_id, asset_id, kind, actor_user_id, device_id, occurred_at, from_location_id, location_id, audit_id)
  select m.org_id, m.id, 'relocate', auth.uid(), device, occurred, m.before, place, audit
    from moved m where m.before is distinct from place;
end
$$;

-- What a scanned code is in a company, judged against the place it was scanned in.
create function app.judge_scan(org uuid, scanned text, place uuid)
returns table (kind public.audit_scan_kind, asset_id uuid, case_id uuid, bulk_item_id uuid, expected_location_id uuid)
language plpgsql stable set search_path = extensions
as $$
declare
  asset public.assets;
  box public.cases;
  bulk public.bulk_items;
begin
  select * into asset from public.assets a
   where a.org_id = org and a.deleted_at is null and (upper(a.barcode) = upper(scanned) or upper(a.serial_number) = upper(scanned))
   -- A serial number first, then a barcode (as the devices' catalog: core/store/catalog.ts).
   order by (upper(a.serial_number) = upper(scanned)) desc limit 1;
  if asset.id is not null then
    return query select
      case when asset.status = 'checked_out' then 'out_to_gig'
           when asset.location_id in (select app.location_subtree(place)) then 'found'
           else 'wrong_place' end::public.audit_scan_kind,
      asset.id, null::uuid, null::uuid, asset.location_id;
    return;
  end if;
  select * into box from public.cases c where c.org_id = org and c.deleted_at is null and upper(c.barcode) = upper(scanned);
  if box.id is not null then
    return query select
      case when exists (select 1 from public.assets a where a.case_id = box.id and a.status = 'checked_out') then 'out_to_gig'
           when box.location_id in (select app.location_subtree(place)) then 'found' else 'wrong_place' end::public.audit_scan_kind,
      null::uuid, box.id, null::uuid, box.location_id;
    return;
  end if;
  select * into bulk from public.bulk_items b where b.org_id = org and upper(b.barcode) = upper(scanned);
  if bulk.id is not null then
    return query select
      case when bulk.location_id in (select app.location_subtree(place)) then 'found' else 'wrong_place' end::public.audit_scan_kind,
      null::uuid, null::uuid, bulk.id, bulk.location_id;
    return;
  end if;
  return query select 'unknown'::public.audit_scan_kind, null::uuid, null::uuid, null::uuid, null::uuid;
end
$$;
revoke execute on function app.judge_scan(uuid, text, uuid) from public, anon, authenticated;

-- The report of an audit as it stands: one line per thing, counted once however many devices
-- scanned it (its latest scan decides), with places and gigs in words.
create function app.audit_report(audit public.audits)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  with recursive
  area as (select app.location_subtree(audit.location_id) as id),
  scans as (select s.* from public.audit_scans s where s.audit_id = audit.id),
  last_asset as (select distinct on (s.asset_id) s.* from scans s where s.asset_id is not null order by s.asset_id, s.scanned_at desc, s.recorded_at desc),
  last_case as (select distinct on (s.case_id) s.* from scans s where s.case_id is not null order by s.case_id, s.scanned_at desc, s.recorded_at desc),
  -- A bulk item's latest count in each place it was counted; the places add up.
  last_count as (
    select distinct on (s.bulk_item_id, s.location_id) s.* from scans s where s.bulk_item_id is not null
     order by s.bulk_item_id, s.location_id, s.scanned_at desc, s.recorded_at desc),
  unknown as (
    select distinct on (upper(s.code)) s.* from scans s where s.kind = 'unknown' order by upper(s.code), s.scanned_at desc),
  -- What is in each scanned case, at any depth: counted with the nearest case above it that was
  -- scanned (a nested case scanned itself counts its own contents, so nothing is counted twice).
  in_case (root, id) as (
    select c.case_id, c.case_id from last_case c
    union
    select i.root, x.id from public.cases x join in_case i on x.parent_case_id = i.id
     where x.id not in (select l.case_id from last_case l)
  ),
  contents as (
    select a.id as asset_id, c.kind, c.location_id, c.scanned_by, c.scanned_at, c.case_id
      from last_case c
      join in_case i on i.root = c.case_id
      join public.assets a on a.case_id = i.id and a.deleted_at is null
     where not exists (select 1 from last_asset l where l.asset_id = a.id)),
  seen as (
    select l.asset_id, l.kind, l.location_id, l.scanned_by, l.scanned_at, null::uuid as via_case from last_asset l
    union all
    select c.asset_id,
           case when a.status = 'checked_out' then 'out_to_gig'::public.audit_scan_kind else c.kind end,
           c.location_id, c.scanned_by, c.scanned_at, c.case_id
      from contents c join public.assets a on a.id = c.asset_id),
  expected_assets as (
    select a.* from public.assets a
     where a.org_id = audit.org_id and a.deleted_at is null and a.status not in ('checked_out', 'retired')
       and a.location_id in (select id from area) and (audit.category is null or a.category = audit.category)),
  -- A case whose contents are out to a gig went with them: not expected on the shelf.
  expected_cases as (
    select c.* from public.cases c
     where audit.category is null and c.org_id = audit.org_id and c.deleted_at is null and c.location_id in (select id from area)
       and not exists (select 1 from public.assets a where a.case_id = c.id and a.status = 'checked_out')),
  expected_bulk as (
    select b.* from public.bulk_items b
     where b.org_id = audit.org_id and b.location_id in (select id from area) and (audit.category is null or b.category = audit.category)),
  lines as (
    select s.kind::text as kind, 'asset' as what, a.id, coalesce(a.barcode, a.serial_number) as code, a.name,
           app.location_words(a.location_id) as belongs, app.location_words(s.location_id) as seen_at,
           (select g.name from public.gigs g where g.id = a.current_gig_id) as gig,
           (select x.name from public.cases x where x.id = s.via_case) as in_case,
           null::integer as expected, null::integer as counted, s.scanned_at
      from seen s join public.assets a on a.id = s.asset_id
    union all
    select 'missing', 'asset', a.id, coalesce(a.barcode, a.serial_number), a.name, app.location_words(a.location_id), null, null, null,
           null, null, null
      from expected_assets a where not exists (select 1 from seen s where s.asset_id = a.id)
    union all
    select c.kind::text, 'case', x.id, x.barcode, x.name, app.location_words(x.location_id), app.location_words(c.location_id), null, null,
           null, null, c.scanned_at
      from last_case c join public.cases x on x.id = c.case_id
    union all
    select 'missing', 'case', x.id, x.barcode, x.name, app.location_words(x.location_id), null, null, null, null, null, null
      from expected_cases x where not exists (select 1 from in_case i where i.id = x.id)
    union all
    select case when t.counted is null then 'missing'
                when b.location_id is null or b.location_id not in (select id from area) then 'wrong_place'
                when t.counted < b.in_warehouse then 'missing'
                else 'found' end,
           'bulk', b.id, b.barcode, b.name, app.location_words(b.location_id), t.places, null, null,
           case when b.location_id in (select id from area) then b.in_warehouse else 0 end, coalesce(t.counted, 0), t.scanned_at
      -- What the place should hold (none when its stock is all out) and what was counted in it.
      from (select e.id from expected_bulk e where e.in_warehouse > 0 union select l.bulk_item_id from last_count l) ids
      join public.bulk_items b on b.id = ids.id
      left join (select l.bulk_item_id, sum(l.quantity)::integer as counted, max(l.scanned_at) as scanned_at,
                        string_agg(app.location_words(l.location_id), ', ' order by l.location_id) as places
                   from last_count l group by l.bulk_item_id) t on t.bulk_item_id = b.id
    union all
    select 'unknown', 'code', null, upper(u.code), null, null, app.location_words(u.location_id), null, null, null, null, u.scanned_at
      from unknown u
  )
  select jsonb_build_object(
    'audit_id', audit.id,
    'place', app.location_words(audit.location_id),
    'category', audit.category,
    'status', audit.status,
    'started_at', audit.started_at,
    'closed_at', audit.closed_at,
    'scans', (select count(*) from scans),
    'totals', (select coalesce(jsonb_object_agg(k.kind, k.n), '{}'::jsonb)
                 from (select l.kind, count(*) as n from lines l group by l.kind) k),
    'lines', coalesce((select jsonb_agg(to_jsonb(l) order by l.kind, l.what, l.code) from lines l), '[]'::jsonb))
$$;
revoke execute on function app.audit_report(public.audits) from public, anon, authenticated;

create function app.op_audit_write(op_id uuid, action text, entity uuid, payload jsonb, device text, occurred timestamptz)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  audit public.audits;
  place public.locations;
  role public.member_role;
  scanned text;
  judged record;
  qty integer;
  adjust boolean;
  line record;
begin
  if action = 'start' then
    if exists (select 1 from public.audits a where a.id = entity) then
      return app.rejected(op_id, 'audits', entity, 'id_unavailable', format('audit id %s cannot be used; start it with a new id', entity));
    end if;
    place := app.my_location(app.as_uuid(payload -> 'location_id'));
    if place.id is null then
      return app.rejected(op_id, 'audits', entity, 'not_found', 'payload.location_id is not a place of your company (it may have been removed)');
    end if;
    if not app.op_allowed(app.my_role(place.org_id), 'audits', 'start') then
      return app.rejected(op_id, 'audits', entity, 'forbidden', 'your role cannot audit');
    end if;
    if payload ? 'category' and payload -> 'category' <> 'null'::jsonb
       and (jsonb_typeof(payload -> 'category') <> 'string' or length(btrim(payload ->> 'category')) not between 1 and 80) then
      return app.rejected(op_id, 'audits', entity, 'invalid_field', 'payload.category must be a category''s name (1 to 80 characters)');
    end if;
    insert into public.audits (id, org_id, location_id, category, started_by, device_id, started_at)
    values (entity, place.org_id, place.id, payload ->> 'category', auth.uid(), device, occurred);
    return app.applied(op_id, 'audits', entity);
  end if;

  select * into audit from public.audits a where a.id = entity and a.org_id in (select app.my_org_ids()) for update;
  role := app.my_role(audit.org_id);
  if audit.id is null or role is null then
    return app.rejected(op_id, 'audits', entity, 'not_found', 'the audit was not found');
  end if;
  if not app.op_allowed(role, 'audits', action) then
    return app.rejected(op_id, 'audits', entity, 'forbidden', 'your role cannot audit');
  end if;

  if action = 'scan' then
    if audit.status = 'closed' then
      return app.rejected(op_id, 'audits', entity, 'audit_closed',
        format('the audit of %s was closed at %s; this scan was not counted', app.location_words(audit.location_id),
               to_char(audit.closed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')));
    end if;
    scanned := payload ->> 'code';
    if jsonb_typeof(payload -> 'code') is distinct from 'string' or scanned !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$' then
      return app.rejected(op_id, 'audits', entity, 'invalid_field',
        'payload.code must be the scanned code: 1 to 64 letters, digits and . _ / - (what a label holds)');
    end if;
    if exists (select 1 from public.locations l where l.org_id = audit.org_id and l.deleted_at is null and upper(l.code) = upper(scanned)) then
      return app.rejected(op_id, 'audits', entity, 'invalid_field', format('%s is a location''s code: it says where you scan, it is not counted',
        quote_literal(scanned)));
    end if;
    if payload ? 'location_id' and payload -> 'location_id' <> 'null'::jsonb then
      place := app.my_location(app.as_uuid(payload -> 'location_id'));
      if place.id is null or place.id not in (select app.location_subtree(audit.location_id)) then
        return app.rejected(op_id, 'audits', entity, 'invalid_field',
          format('payload.location_id is not inside %s, the place this audit counts', app.location_words(audit.location_id)));
      end if;
    else
      place := app.my_location(audit.location_id);
    end if;
    if place.id is null then
      return app.rejected(op_id, 'audits', entity, 'not_found', 'the place this stock-take counts was removed: start a new one');
    end if;
    -- The same scan sent again under another device id (a reinstalled app): counted once.
    if exists (select 1 from public.audit_scans x where x.id = op_id) then
      return app.result(op_id, 'applied', 'audits', entity, jsonb_build_object('code', 'noop', 'row', app.row_json('audits', entity)));
    end if;
    select * into judged from app.judge_scan(audit.org_id, scanned, place.id);
    if judged.bulk_item_id is not null then
      if jsonb_typeof(payload -> 'quantity') is distinct from 'number' or (payload ->> 'quantity') !~ '^[0-9]{1,8}$'
         or (payload ->> 'quantity')::integer > 10000000 then
        return app.rejected(op_id, 'audits', entity, 'invalid_field',
          'a bulk item is counted: payload.quantity must be a whole number from 0 to 10,000,000');
      end if;
      qty := (payload ->> 'quantity')::integer;
    elsif payload ? 'quantity' and payload -> 'quantity' <> 'null'::jsonb then
      return app.rejected(op_id, 'audits', entity, 'invalid_field', 'payload.quantity is for bulk items; an asset or a case is counted by its scan');
    end if;
    insert into public.audit_scans (id, org_id, audit_id, code, location_id, kind, asset_id, case_id, bulk_item_id, quantity,
                                    expected_location_id, scanned_by, device_id, scanned_at)
    values (op_id, audit.org_id, audit.id, scanned, place.id, judged.kind, judged.asset_id, judged.case_id, judged.bulk_item_id, qty,
            judged.expected_location_id, auth.uid(), device, occurred);
    update public.audits a set version = a.version + 1, updated_at = now() where a.id = audit.id;
    return app.applied(op_id, 'audits', entity, judged.kind::text);
  end if;

  -- close
  if payload ? 'adjust' and jsonb_typeof(payload -> 'adjust') <> 'boolean' then
    return app.rejected(op_id, 'audits', entity, 'invalid_field', 'payload.adjust must be true or false');
  end if;
  adjust := coalesce((payload ->> 'adjust')::boolean, false);
  if adjust and role = 'crew' and not (select o.crew_adjusts_audits from public.organizations o where o.id = audit.org_id) then
    return app.rejected(op_id, 'audits', entity, 'forbidden',
      'crew may audit but not move what the audit found; close it without adjusting, or ask a manager to');
  end if;
  if audit.status = 'closed' then
    return app.result(op_id, 'applied', 'audits', entity, jsonb_build_object('code', 'noop', 'row', app.row_json('audits', entity)));
  end if;
  update public.audits a
     set status = 'closed', closed_at = occurred, closed_by = auth.uid(), adjusted = adjust,
         version = a.version + 1, updated_at = now()
   where a.id = audit.id
  returning * into audit;
  -- The report says what the audit found, before its adjustments move anything.
  update public.audits a set report = app.audit_report(audit) where a.id = audit.id;
  if adjust then
    -- What was found in the wrong place goes where it was found (its latest scan).
    for line in
      select distinct on (coalesce(s.asset_id, s.case_id, s.bulk_item_id))
             case when s.asset_id is not null then 'assets' when s.case_id is not null then 'cases' else 'bulk_items' end as tbl,
             coalesce(s.asset_id, s.case_id, s.bulk_item_id) as id, s.kind, s.location_id, s.expected_location_id
        from public.audit_scans s
       where s.audit_id = audit.id and s.kind <> 'unknown'
       order by coalesce(s.asset_id, s.case_id, s.bulk_item_id), s.scanned_at desc, s.recorded_at desc
    loop
      -- Only what is still where the scan found it belonged: a thing put away since (or checked
      -- out) has moved on, and the adjustment must not undo that. The report still lists it.
      if line.kind = 'wrong_place'
         and (case line.tbl
                when 'assets' then (select a.location_id is not distinct from line.expected_location_id and a.status <> 'checked_out'
                                      from public.assets a where a.id = line.id)
                when 'cases' then (select c.location_id is not distinct from line.expected_location_id from public.cases c where c.id = line.id)
                else (select b.location_id is not distinct from line.expected_location_id from public.bulk_items b where b.id = line.id)
              end)
         and exists (select 1 from public.locations l where l.id = line.location_id and l.deleted_at is null) then
        perform app.relocate(line.tbl, line.id, line.location_id, false, audit.id, device, occurred);
      end if;
    end loop;
  end if;
  return app.applied(op_id, 'audits', entity);
end
$$;

-- A pre-printed label's code claimed for a new asset on its first scan (stations, managers).
create function app.op_asset_claim(op_id uuid, entity uuid, payload jsonb)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  target_org uuid := app.as_uuid(payload -> 'org_id');
  place public.locations;
  bad text;
begin
  if exists (select 1 from public.assets a where a.id = entity) then
    return app.rejected(op_id, 'assets', entity, 'id_unavailable', format('asset id %s cannot be used; claim the code with a new id', entity));
  end if;
  if target_org is null or app.my_role(target_org) is null then
    return app.rejected(op_id, 'assets', entity, 'missing_field', 'payload.org_id must be your company''s id');
  end if;
  if not app.op_allowed(app.my_role(target_org), 'assets', 'claim') then
    return app.rejected(op_id, 'assets', entity, 'forbidden', 'your role cannot add assets');
  end if;
  bad := app.missing_text_field(payload, array['code', 'name', 'category']);
  if bad is not null then
    return app.rejected(op_id, 'assets', entity, 'missing_field', format('payload.%s is required (a string)', bad));
  end if;
  if (payload ->> 'code') !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'
     or (payload ? 'serial_number' and coalesce(payload ->> 'serial_number', '') !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$') then
    return app.rejected(op_id, 'assets', entity, 'invalid_field',
      'a label''s code and a serial number are 1 to 64 letters, digits and . _ / - (what the scanners read)');
  end if;
  -- The words rules every item's name and category follow (control and bidi characters, lengths).
  bad := replace(app.asset_text_problem(jsonb_build_object('name', payload ->> 'name', 'category', payload ->> 'category')),
                 'payload.fields.', 'payload.');
  if bad is not null then
    return app.rejected(op_id, 'assets', entity, 'invalid_field', bad);
  end if;
  if exists (select 1 from public.assets a where a.org_id = target_org
               and (upper(a.barcode) in (upper(payload ->> 'code'), upper(coalesce(payload ->> 'serial_number', payload ->> 'code')))
                    or upper(a.serial_number) in (upper(payload ->> 'code'), upper(coalesce(payload ->> 'serial_number', payload ->> 'code')))))
     or exists (select 1 from public.cases c where c.org_id = target_org and upper(c.barcode) = upper(payload ->> 'code'))
     or exists (select 1 from public.bulk_items b where b.org_id = target_org and upper(b.barcode) = upper(payload ->> 'code'))
     or exists (select 1 from public.staff_profiles p where p.org_id = target_org and upper(p.badge_code) = upper(payload ->> 'code'))
     or exists (select 1 from public.locations l where l.org_id = target_org and l.deleted_at is null and upper(l.code) = upper(payload ->> 'code')) then
    return app.rejected(op_id, 'assets', entity, 'already_claimed', format('code %s is already on something; scan it to see what',
      quote_literal(payload ->> 'code')));
  end if;
  if payload ? 'location_id' and payload -> 'location_id' <> 'null'::jsonb then
    place := app.my_location(app.as_uuid(payload -> 'location_id'));
    if place.id is null or place.org_id <> target_org then
      return app.rejected(op_id, 'assets', entity, 'not_found', 'payload.location_id is not a place of your company');
    end if;
  end if;
  insert into public.assets (id, org_id, serial_number, barcode, name, category, home_location_id, location_id)
  values (entity, target_org, coalesce(payload ->> 'serial_number', payload ->> 'code'), payload ->> 'code', payload ->> 'name',
          payload ->> 'category', place.id, place.id);
  return app.applied(op_id, 'assets', entity);
end
$$;

revoke execute on function app.op_location_write(uuid, text, uuid, jsonb), app.op_put_away(uuid, text, uuid, jsonb, text, timestamptz),
  app.relocate(text, uuid, uuid, boolean, uuid, text, timestamptz), app.op_audit_write(uuid, text, uuid, jsonb, text, timestamptz),
  app.op_asset_claim(uuid, uuid, jsonb) from public, anon, authenticated;

-- The row as clients see it, with locations and audits (an audit without its frozen report:
-- that is read with audit_report).
create or replace function app.row_json(tbl text, entity uuid)
returns jsonb
language plpgsql stable set search_path = extensions
as $$
declare
  found jsonb;
begin
  case tbl
    when 'gigs' then select to_jsonb(g) - 'search_vector' into found from public.gigs g where g.id = entity;
    when 'assets' then select to_jsonb(a) - 'search_vector' into found from public.assets a where a.id = entity;
    when 'cases' then select to_jsonb(c) into found from public.cases c where c.id = entity;
    when 'kit_assignments' then select to_jsonb(k) into found from public.kit_assignments k where k.id = entity;
    when 'gig_staff' then select to_jsonb(s) into found from public.gig_staff s where s.id = entity;
    when 'bulk_items' then select app.bulk_item_json(b) into found from public.bulk_items b where b.id = entity;
    when 'locations' then select to_jsonb(l) into found from public.locations l where l.id = entity;
    when 'audits' then select to_jsonb(a) - 'report' into found from public.audits a where a.id = entity;
    else raise exception 'unknown table %', tbl;
  end case;
  return found;
end
$$;

-- apply_op as in …000600_planning_ops, with locations, put-aways, claims and audits.
create or replace function app.apply_op(op jsonb, device text)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  op_id uuid := app.as_uuid(op -> 'id');
  tbl text := op ->> 'table';
  action text := op ->> 'action';
  payload jsonb := op -> 'payload';
  entity uuid;
  base_version integer;
  occurred timestamptz := now();
begin
  if jsonb_typeof(op -> 'table') is distinct from 'string'
     or tbl not in ('gigs', 'assets', 'cases', 'bulk_items', 'kit_assignments', 'gig_staff', 'locations', 'audits') then
    return app.rejected(op_id, tbl, null, 'unknown_table',
      format('unknown table %s; ops may target gigs, assets, cases, bulk_items, kit_assignments, gig_staff, locations or audits',
             coalesce(quote_literal(left(tbl, 64)), '(missing)')));
  end if;
  if jsonb_typeof(op -> 'action') is distinct from 'string' or not (
       (tbl = 'gigs' and action in ('create', 'update', 'set_status', 'set_times', 'move', 'delete'))
    or (tbl = 'kit_assignments' and action in ('create', 'update', 'delete'))
    or (tbl = 'gig_staff' and action in ('create', 'update', 'delete'))
    or (tbl = 'assets' and action in ('check_out', 'check_in', 'update', 'put_away', 'claim'))
    or (tbl = 'cases' and action in ('check_out', 'check_in', 'put_away'))
    or (tbl = 'bulk_items' and action in ('check_out', 'check_in', 'put_away'))
    or (tbl = 'locations' and action in ('create', 'update', 'delete'))
    or (tbl = 'audits' and action in ('start', 'scan', 'close'))) then
    return app.rejected(op_id, tbl, null, 'unknown_action',
      format('unknown action %s for %s', coalesce(quote_literal(left(action, 64)), '(missing)'), tbl));
  end if;
  if jsonb_typeof(payload) is distinct from 'object' then
    return app.rejected(op_id, tbl, null, 'invalid_op', 'op.payload must be a JSON object');
  end if;
  if app.payload_too_large(payload) then
    return app.rejected(op_id, tbl, null, 'payload_too_large', 'op.payload is larger than 16384 bytes');
  end if;
  entity := app.as_uuid(payload -> 'id');
  if entity is null then
    return app.rejected(op_id, tbl, null, 'missing_field', 'payload.id is required (a UUID)');
  end if;
  if op ? 'base_version' and op -> 'base_version' <> 'null'::jsonb then
    if jsonb_typeof(op -> 'base_version') <> 'number' or (op ->> 'base_version') !~ '^[0-9]{1,9}$' then
      return app.rejected(op_id, tbl, entity, 'invalid_field', 'op.base_version must be a positive integer');
    end if;
    base_version := (op ->> 'base_version')::integer;
  end if;
  if jsonb_typeof(op -> 'created_at') = 'string' then
    if app.op_created_at(op) is null then
      return app.rejected(op_id, tbl, entity, 'invalid_field', 'op.created_at must be an ISO 8601 timestamp');
    end if;
    occurred := least(app.op_created_at(op), now());
  end if;

  if tbl = 'gigs' then
    return app.op_gig_write(op_id, action, entity, payload, base_version);
  end if;
  if tbl in ('kit_assignments', 'gig_staff') then
    return app.op_plan_write(op_id, tbl, action, entity, payload);
  end if;
  if tbl = 'locations' then
    return app.op_location_write(op_id, action, entity, payload);
  end if;
  if tbl = 'audits' then
    return app.op_audit_write(op_id, action, entity, payload, device, occurred);
  end if;
  if action = 'put_away' then
    return app.op_put_away(op_id, tbl, entity, payload, device, occurred);
  end if;
  if action = 'claim' then
    return app.op_asset_claim(op_id, entity, payload);
  end if;
  if tbl = 'bulk_items' then
    return app.op_bulk_write(op_id, action, entity, payload, device, occurred);
  end if;
  return app.op_stock_write(op_id, tbl, action, entity, payload, base_version, device, occurred);
end
$$;

-- An audit's report: the frozen one once closed, as it stands while open (devices merge their
-- scans on the server; this is what a manager's screen, the CSV and the PDF read).
create function public.audit_report(audit_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  audit public.audits;
begin
  if auth.uid() is null then
    raise exception 'audit_report needs a signed-in user' using errcode = '42501';
  end if;
  select * into audit from public.audits a where a.id = audit_id and a.org_id in (select app.my_org_ids());
  if audit.id is null then
    -- PostgREST answers PT404 as HTTP 404; another company's audit reads the same as none.
    raise exception 'the audit was not found' using errcode = 'PT404';
  end if;
  return coalesce(audit.report, app.audit_report(audit));
end
$$;
revoke execute on function public.audit_report(uuid) from public, anon;
grant execute on function public.audit_report(uuid) to authenticated;
