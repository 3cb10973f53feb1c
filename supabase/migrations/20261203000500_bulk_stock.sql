-- Bulk and consumable stock (issue 18, "Quantities"). Cables, ramps, clamps and tape are not
-- serialized: a bulk item is one product of an organization counted in units (as Current RMS and
-- Rentman model bulk stock), found by its category/shelf barcode, matched to a pick list's bulk
-- line (kit_assignments.category) by its category.
-- * public.bulk_items: the product and how many units are in the warehouse now (in_warehouse).
-- * public.bulk_stock: how many units are out to each gig now (one row per item and gig; a row
--   that reaches 0 is removed). Owned = in_warehouse + what is out.
-- * public.bulk_movements: append-only history of quantity movements (who, device, when, how
--   many, which gig), read by history and by the gig counters (returned totals).
-- * Ops bulk_items.check_out / check_in {id, gig_id, quantity, staff_id?} in push_changes: the
--   same guarantees as asset ops (idempotent per op id, RLS by the item's organization, role
--   rules), judged on the quantity under a row lock: taking out more than the warehouse holds,
--   or returning more than is out to the gig, is a conflict whose message states what is there.
-- * Consumables (consumable = true) go out like any bulk item but are not expected back: the
--   pick list's expected returns leave them out. A check-in of a consumable is accepted as a
--   return of unused units, bounded like any check-in by what is out to that gig.
-- * The synced row (pull_changes, push answers) is the bulk item with `out_to`: {gig id: units}
--   for the gigs holding some now, so a station's cache answers "how many are out to this gig"
--   and an op's optimistic effect is on one row (core/sync/ops.ts).
-- * app.gig_asset_counts follows the one count definition (core/views/counts.ts).

-- 1. Tables ---------------------------------------------------------------------------------------
create table public.bulk_items (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  category text not null check (length(btrim(category)) between 1 and 80),
  name text not null check (length(btrim(name)) between 1 and 200),
  barcode text not null check (barcode ~ '^[A-Z0-9][A-Z0-9._-]{2,63}$'),
  unit text not null default 'pcs' check (length(btrim(unit)) between 1 and 20),
  consumable boolean not null default false,
  in_warehouse integer not null default 0 check (in_warehouse between 0 and 10000000),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  unique (org_id, barcode),
  unique (org_id, category)
);

create table public.bulk_stock (
  org_id uuid not null,
  bulk_item_id uuid not null,
  gig_id uuid not null,
  quantity integer not null check (quantity between 1 and 10000000),
  primary key (bulk_item_id, gig_id),
  foreign key (org_id, bulk_item_id) references public.bulk_items (org_id, id) on delete cascade,
  foreign key (org_id, gig_id) references public.gigs (org_id, id) on delete cascade
);
create index bulk_stock_gig_idx on public.bulk_stock (gig_id);
create index bulk_stock_org_idx on public.bulk_stock (org_id);

create table public.bulk_movements (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  bulk_item_id uuid not null,
  kind public.movement_kind not null check (kind in ('check_out', 'check_in')),
  gig_id uuid not null,
  quantity integer not null check (quantity between 1 and 100000),
  actor_user_id uuid,
  staff_id uuid,
  device_id text check (length(device_id) <= 100),
  client_op_id uuid,
  occurred_at timestamptz not null default now(),
  recorded_at timestamptz not null default now(),
  foreign key (org_id, bulk_item_id) references public.bulk_items (org_id, id) on delete cascade,
  foreign key (org_id, gig_id) references public.gigs (org_id, id) on delete cascade,
  foreign key (org_id, staff_id) references public.staff_profiles (org_id, id)
);
create index bulk_movements_item_idx on public.bulk_movements (bulk_item_id, occurred_at desc);
create index bulk_movements_gig_idx on public.bulk_movements (org_id, gig_id);
create index bulk_movements_staff_idx on public.bulk_movements (org_id, staff_id) where staff_id is not null;

create trigger bulk_items_versioned before update on public.bulk_items
  for each row execute function app.versioned_before_update();

create function app.bulk_movements_append_only()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  raise exception 'bulk_movements is append-only: record a new movement instead of changing history'
    using errcode = '42501';
end
$$;
create trigger bulk_movements_no_update before update or delete on public.bulk_movements
  for each row execute function app.bulk_movements_append_only();
create trigger bulk_movements_no_truncate before truncate on public.bulk_movements
  for each statement execute function app.bulk_movements_append_only();

-- Gig counters count units: a bulk movement of 10 cables counts 10 (the one count definition).
create function app.count_bulk_movements()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.gig_counters as c (gig_id, org_id, checked_out_total, returned_total)
  select m.gig_id, m.org_id,
         coalesce(sum(m.quantity) filter (where m.kind = 'check_out'), 0),
         coalesce(sum(m.quantity) filter (where m.kind = 'check_in'), 0)
    from moved m
   group by m.gig_id, m.org_id
  on conflict (gig_id) do update
    set checked_out_total = c.checked_out_total + excluded.checked_out_total,
        returned_total = c.returned_total + excluded.returned_total;
  return null;
end
$$;
create trigger bulk_movements_count after insert on public.bulk_movements
  referencing new table as moved for each statement execute function app.count_bulk_movements();

-- Row level security: members read their organizations' rows; no client writes tables.
alter table public.bulk_items enable row level security;
alter table public.bulk_stock enable row level security;
alter table public.bulk_movements enable row level security;
create policy bulk_items_read on public.bulk_items for select to authenticated using (org_id in (select app.my_org_ids()));
create policy bulk_stock_read on public.bulk_stock for select to authenticated using (org_id in (select app.my_org_ids()));
create policy bulk_movements_read on public.bulk_movements for select to authenticated using (org_id in (select app.my_org_ids()));
revoke all on public.bulk_items, public.bulk_stock, public.bulk_movements from anon, authenticated;
revoke insert, update, delete, truncate on public.bulk_movements from service_role;
revoke execute on function app.bulk_movements_append_only(), app.count_bulk_movements() from public, anon, authenticated;

-- 2. Sync: the change log and the row clients see ----------------------------------------------
alter table app.sync_changes drop constraint sync_changes_entity_check;
alter table app.sync_changes add constraint sync_changes_entity_check
  check (entity in ('gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles', 'bulk_items'));

create trigger bulk_items_log_insert after insert on public.bulk_items referencing new table as new_rows
  for each statement execute function app.log_changes();
create trigger bulk_items_log_update after update on public.bulk_items referencing new table as new_rows
  for each statement execute function app.log_changes();
create trigger bulk_items_log_delete after delete on public.bulk_items referencing old table as old_rows
  for each statement execute function app.log_changes();

-- A change of what is out (bulk_stock) is a change of the bulk item's synced row (its out_to).
create function app.log_bulk_stock_changes()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    insert into app.sync_changes (org_id, entity, entity_id) select distinct o.org_id, 'bulk_items', o.bulk_item_id from old_rows o;
  else
    insert into app.sync_changes (org_id, entity, entity_id) select distinct n.org_id, 'bulk_items', n.bulk_item_id from new_rows n;
  end if;
  return null;
end
$$;
revoke execute on function app.log_bulk_stock_changes() from public, anon, authenticated;
create trigger bulk_stock_log_insert after insert on public.bulk_stock referencing new table as new_rows
  for each statement execute function app.log_bulk_stock_changes();
create trigger bulk_stock_log_update after update on public.bulk_stock referencing new table as new_rows
  for each statement execute function app.log_bulk_stock_changes();
create trigger bulk_stock_log_delete after delete on public.bulk_stock referencing old table as old_rows
  for each statement execute function app.log_bulk_stock_changes();

-- The bulk item as clients see it: its columns and out_to ({gig id: units out there now}).
create function app.bulk_item_json(item public.bulk_items)
returns jsonb
language sql stable set search_path = ''
as $$
  select to_jsonb(item) || jsonb_build_object('out_to', coalesce(
    (select jsonb_object_agg(s.gig_id, s.quantity order by s.gig_id) from public.bulk_stock s where s.bulk_item_id = item.id),
    '{}'::jsonb))
$$;
revoke execute on function app.bulk_item_json(public.bulk_items) from public, anon, authenticated;

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
    else raise exception 'unknown table %', tbl;
  end case;
  return found;
end
$$;

-- pull_changes as in …000400_pull_pages, with bulk items among the synced tables.
create or replace function public.pull_changes(cursor text default null, "limit" integer default 500)
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  max_rows integer := "limit";
  after_txid xid8 := '0'::xid8;
  after_seq bigint := 0;
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  orgs uuid[];
  next_cursor text;
  taken integer;
  rows_by_table jsonb;
  tombstones jsonb;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'pull_changes needs a signed-in user' using errcode = '42501';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', max_rows using errcode = '22023';
  end if;
  if cursor is not null and cursor <> '' then
    if cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$'
       or split_part(cursor, ':', 1)::numeric > 18446744073709551615
       or split_part(cursor, ':', 2)::numeric > 9223372036854775807 then
      raise exception 'cursor % is not one this server issued', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
    after_txid := split_part(cursor, ':', 1)::xid8;
    after_seq := split_part(cursor, ':', 2)::bigint;
    if after_txid >= pg_snapshot_xmax(pg_current_snapshot()) then
      raise exception 'cursor % is ahead of this server''s change log', quote_literal(left(cursor, 60)) using errcode = '22023',
        hint = 'pull from the start (cursor null)';
    end if;
  end if;
  orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
               else array(select app.my_org_ids()) end;

  with pulled as (
    select c.seq, c.txid, c.entity, c.entity_id
      from unnest(orgs) as o (id)
     cross join lateral (
       select l.seq, l.txid, l.entity, l.entity_id
         from app.sync_changes l
        where l.org_id = o.id
          and (l.txid, l.seq) > (after_txid, after_seq)
          and l.txid < horizon
        order by l.txid, l.seq
        limit max_rows
     ) as c
     order by c.txid, c.seq
     limit max_rows
  ),
  latest as (
    select distinct p.entity, p.entity_id from pulled p
  ),
  found as (
    select 'gigs'::text as entity, g.id as entity_id, to_jsonb(g) - 'search_vector' as row, g.deleted_at
      from public.gigs g where g.id = any (array(select l.entity_id from latest l where l.entity = 'gigs'))
    union all
    select 'assets', a.id, to_jsonb(a) - 'search_vector', a.deleted_at
      from public.assets a where a.id = any (array(select l.entity_id from latest l where l.entity = 'assets'))
    union all
    select 'cases', c.id, to_jsonb(c), c.deleted_at
      from public.cases c where c.id = any (array(select l.entity_id from latest l where l.entity = 'cases'))
    union all
    select 'kit_assignments', k.id, to_jsonb(k), null
      from public.kit_assignments k where k.id = any (array(select l.entity_id from latest l where l.entity = 'kit_assignments'))
    union all
    select 'gig_staff', s.id, to_jsonb(s), null
      from public.gig_staff s where s.id = any (array(select l.entity_id from latest l where l.entity = 'gig_staff'))
    union all
    select 'staff_profiles', p.id, to_jsonb(p) - 'user_id', null
      from public.staff_profiles p where p.id = any (array(select l.entity_id from latest l where l.entity = 'staff_profiles'))
    union all
    select 'bulk_items', b.id, app.bulk_item_json(b), null
      from public.bulk_items b where b.id = any (array(select l.entity_id from latest l where l.entity = 'bulk_items'))
  ),
  flagged as (
    select l.entity, l.entity_id, f.row, f.deleted_at, f.row is null or f.deleted_at is not null as gone
      from latest l left join found f on f.entity = l.entity and f.entity_id = l.entity_id
  )
  select (select count(*) from pulled),
         (select p.txid::text || ':' || p.seq::text from pulled p order by p.txid desc, p.seq desc limit 1),
         coalesce((select jsonb_object_agg(t.entity, t.rows)
                     from (select entity, jsonb_agg(row order by entity_id) as rows from flagged where not gone group by entity) t),
                  '{}'::jsonb),
         coalesce((select jsonb_agg(jsonb_build_object('table', entity, 'id', entity_id, 'deleted_at', deleted_at)
                                    order by entity, entity_id)
                     from flagged where gone), '[]'::jsonb)
    into taken, next_cursor, rows_by_table, tombstones;

  return jsonb_build_object(
    'changes', rows_by_table,
    'tombstones', tombstones,
    'cursor', coalesce(next_cursor, nullif(cursor, ''), '0:0'),
    'has_more', taken = max_rows);
end
$$;

-- 3. Who did it: the operator an op names -------------------------------------------------------
-- payload.staff_id names the operator (a badge scanned at the station, or the signed-in crew
-- member's staff profile). It must be a staff profile of the row's organization; absent, the
-- caller's own staff profile there (if any) is the operator.
create function app.operator_problem(payload jsonb, org uuid)
returns text
language sql stable set search_path = ''
as $$
  select case
    when coalesce(payload -> 'staff_id', 'null'::jsonb) = 'null'::jsonb then null
    when app.as_uuid(payload -> 'staff_id') is null then 'payload.staff_id must be the UUID of a staff profile'
    when not exists (select 1 from public.staff_profiles s where s.id = app.as_uuid(payload -> 'staff_id') and s.org_id = org)
      then format('operator %s is not a staff member of this organization', left(payload ->> 'staff_id', 64))
  end
$$;

create function app.operator_of(payload jsonb, org uuid)
returns uuid
language sql stable set search_path = ''
as $$
  select case
    when coalesce(payload -> 'staff_id', 'null'::jsonb) <> 'null'::jsonb
      then (select s.id from public.staff_profiles s where s.id = app.as_uuid(payload -> 'staff_id') and s.org_id = org)
    else (select s.id from public.staff_profiles s where s.org_id = org and s.user_id = auth.uid())
  end
$$;
revoke execute on function app.operator_problem(jsonb, uuid), app.operator_of(jsonb, uuid) from public, anon, authenticated;

-- 4. The op ---------------------------------------------------------------------------------------
create or replace function app.op_allowed(role public.member_role, tbl text, action text)
returns boolean
language sql immutable set search_path = extensions
as $$
  select case
    when role in ('admin', 'manager') then true
    when role in ('station', 'crew') then (tbl, action) in (
      ('assets', 'check_out'), ('assets', 'check_in'), ('cases', 'check_out'), ('cases', 'check_in'),
      ('bulk_items', 'check_out'), ('bulk_items', 'check_in'))
      or (role = 'station' and (tbl, action) = ('assets', 'update'))
    else false
  end
$$;

create function app.op_bulk_write(op_id uuid, action text, entity uuid, payload jsonb, device text, occurred timestamptz)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  item public.bulk_items;
  my_role public.member_role;
  gig public.gigs;
  target uuid;
  qty integer;
  held integer;
  problem text;
begin
  -- Locked: every quantity op on this item is judged on what the ones before it left.
  select * into item from public.bulk_items b where b.id = entity for update;
  my_role := app.my_role(item.org_id);
  if item.id is null or my_role is null then
    return app.rejected(op_id, 'bulk_items', entity, 'not_found', format('bulk item %s not found', entity));
  end if;
  if not app.op_allowed(my_role, 'bulk_items', action) then
    return app.rejected(op_id, 'bulk_items', entity, 'forbidden', format('your role cannot %s bulk items', action));
  end if;
  if jsonb_typeof(payload -> 'quantity') is distinct from 'number' or (payload ->> 'quantity') !~ '^[0-9]{1,6}$'
     or (payload ->> 'quantity')::integer not between 1 and 100000 then
    return app.rejected(op_id, 'bulk_items', entity, 'invalid_quantity',
      format('payload.quantity must be a whole number from 1 to 100000, got %s', coalesce(left(payload ->> 'quantity', 40), 'nothing')));
  end if;
  qty := (payload ->> 'quantity')::integer;
  target := app.as_uuid(payload -> 'gig_id');
  if target is null then
    return app.rejected(op_id, 'bulk_items', entity, 'missing_field', 'payload.gig_id is required (a UUID)');
  end if;
  -- Shared lock: a gig being deleted or closed meanwhile is waited for and seen.
  select * into gig from public.gigs g where g.id = target for share;
  if gig.id is null or gig.deleted_at is not null or gig.org_id <> item.org_id then
    return app.rejected(op_id, 'bulk_items', entity, 'not_found', format('gig %s not found', target));
  end if;
  problem := app.operator_problem(payload, item.org_id);
  if problem is not null then
    return app.rejected(op_id, 'bulk_items', entity, case when problem like 'payload.%' then 'invalid_field' else 'staff_not_found' end, problem);
  end if;
  select s.quantity into held from public.bulk_stock s where s.bulk_item_id = entity and s.gig_id = gig.id for update;
  held := coalesce(held, 0);

  if action = 'check_out' then
    if gig.status in ('completed', 'cancelled') then
      return app.rejected(op_id, 'bulk_items', entity, 'gig_closed', format('gig %s is %s', gig.name, gig.status));
    end if;
    if item.in_warehouse < qty then
      return app.result(op_id, 'conflict', 'bulk_items', entity, jsonb_build_object(
        'code', 'insufficient_stock',
        'message', format('only %s %s of %s in the warehouse, %s asked', item.in_warehouse, item.unit, item.name, qty),
        'available', item.in_warehouse,
        'row', app.row_json('bulk_items', entity),
        'changed_fields', to_jsonb(array['in_warehouse'])));
    end if;
    update public.bulk_items b set in_warehouse = b.in_warehouse - qty where b.id = entity;
    insert into public.bulk_stock as s (org_id, bulk_item_id, gig_id, quantity) values (item.org_id, entity, gig.id, qty)
    on conflict (bulk_item_id, gig_id) do update set quantity = s.quantity + excluded.quantity;
  else
    if held < qty then
      return app.result(op_id, 'conflict', 'bulk_items', entity, jsonb_build_object(
        'code', 'more_than_out',
        'message', format('only %s %s of %s are out to %s, %s returned', held, item.unit, item.name, gig.name, qty),
        'available', held,
        'row', app.row_json('bulk_items', entity),
        'changed_fields', to_jsonb(array['out_to'])));
    end if;
    update public.bulk_items b set in_warehouse = b.in_warehouse + qty where b.id = entity;
    if held = qty then
      delete from public.bulk_stock s where s.bulk_item_id = entity and s.gig_id = gig.id;
    else
      update public.bulk_stock s set quantity = s.quantity - qty where s.bulk_item_id = entity and s.gig_id = gig.id;
    end if;
  end if;
  insert into public.bulk_movements (org_id, bulk_item_id, kind, gig_id, quantity, actor_user_id, staff_id, device_id, client_op_id, occurred_at)
  values (item.org_id, entity, action::public.movement_kind, gig.id, qty, auth.uid(), app.operator_of(payload, item.org_id), device, op_id, occurred);
  return app.applied(op_id, 'bulk_items', entity);
end
$$;

-- apply_op as in …000100_push_hardening, with bulk_items among the op tables. The scan time
-- (op.created_at) is when a movement occurred: never later than now (a clock ahead is clamped),
-- and never older than the prune watermark (push_changes answers replay_expired).
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
  if jsonb_typeof(op -> 'table') is distinct from 'string' or tbl not in ('gigs', 'assets', 'cases', 'bulk_items') then
    return app.rejected(op_id, tbl, null, 'unknown_table',
      format('unknown table %s; ops may target gigs, assets, cases or bulk_items', coalesce(quote_literal(left(tbl, 64)), '(missing)')));
  end if;
  if jsonb_typeof(op -> 'action') is distinct from 'string' or not (
       (tbl = 'gigs' and action in ('create', 'update', 'set_status', 'move', 'delete'))
    or (tbl = 'assets' and action in ('check_out', 'check_in', 'update'))
    or (tbl = 'cases' and action in ('check_out', 'check_in'))
    or (tbl = 'bulk_items' and action in ('check_out', 'check_in'))) then
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
  if tbl = 'bulk_items' then
    return app.op_bulk_write(op_id, action, entity, payload, device, occurred);
  end if;
  return app.op_stock_write(op_id, tbl, action, entity, payload, base_version, device, occurred);
end
$$;
revoke execute on function app.op_bulk_write(uuid, text, uuid, jsonb, text, timestamptz) from public, anon, authenticated;

-- 5. The one count definition (core/views/counts.ts) --------------------------------------------
-- Per gig: planned = each planned live asset once (an asset line, or reached through a planned
-- live case and live cases between) + each bulk line's quantity. Out = live assets out to the
-- gig + bulk units out to it. A planned asset that is out is scanned; what is out and not planned
-- by its own line (an unplanned serialized asset or bulk units) fills the bulk lines of its
-- category up to their quantity (scanned); the rest is extra. missing = planned - scanned;
-- checked_out = everything out = scanned + extra.
drop function app.gig_asset_counts(uuid[]);
create function app.gig_asset_counts(gig_ids uuid[])
returns table (gig_id uuid, planned bigint, scanned bigint, missing bigint, extra bigint, checked_out bigint)
language sql stable set search_path = ''
as $$
  with recursive kit as (
    select k.gig_id, k.asset_id, k.case_id, k.category, k.quantity
      from public.kit_assignments k
     where k.gig_id = any (gig_ids)
  ),
  case_tree (root_case, case_id) as (
    select c.id, c.id
      from public.cases c
     where c.id = any (array(select distinct k.case_id from kit k where k.case_id is not null)) and c.deleted_at is null
    union all
    select t.root_case, c.id from public.cases c join case_tree t on c.parent_case_id = t.case_id where c.deleted_at is null
  ),
  specific as (
    select k.gig_id, a.id as asset_id from kit k join public.assets a on a.id = k.asset_id where a.deleted_at is null
    union
    select k.gig_id, a.id
      from kit k join case_tree t on t.root_case = k.case_id join public.assets a on a.case_id = t.case_id
     where a.deleted_at is null and a.case_id = any (array(select case_id from case_tree))
  ),
  out_assets as (
    select a.current_gig_id as gig_id, a.id as asset_id, a.category
      from public.assets a where a.current_gig_id = any (gig_ids) and a.deleted_at is null
  ),
  per_specific as (
    select s.gig_id, count(*) as planned, count(o.asset_id) as scanned
      from specific s left join out_assets o on o.gig_id = s.gig_id and o.asset_id = s.asset_id
     group by s.gig_id
  ),
  loose as (
    select o.gig_id, o.category, count(*) as n
      from out_assets o
     where not exists (select 1 from specific s where s.gig_id = o.gig_id and s.asset_id = o.asset_id)
     group by o.gig_id, o.category
    union all
    select s.gig_id, b.category, sum(s.quantity)
      from public.bulk_stock s join public.bulk_items b on b.id = s.bulk_item_id
     where s.gig_id = any (gig_ids)
     group by s.gig_id, b.category
  ),
  loose_by_category as (
    select l.gig_id, l.category, sum(l.n) as n from loose l group by l.gig_id, l.category
  ),
  bulk_lines as (
    select k.gig_id, k.category, sum(k.quantity) as quantity from kit k where k.category is not null group by k.gig_id, k.category
  ),
  per_category as (
    select coalesce(b.gig_id, l.gig_id) as gig_id,
           coalesce(b.quantity, 0) as planned,
           least(coalesce(b.quantity, 0), coalesce(l.n, 0)) as scanned,
           greatest(coalesce(l.n, 0) - coalesce(b.quantity, 0), 0) as extra
      from bulk_lines b full join loose_by_category l on l.gig_id = b.gig_id and l.category = b.category
  ),
  together as (
    select p.gig_id, p.planned, p.scanned, 0::numeric as extra from per_specific p
    union all
    select c.gig_id, c.planned, c.scanned, c.extra from per_category c
  )
  select t.gig_id, sum(t.planned)::bigint, sum(t.scanned)::bigint, (sum(t.planned) - sum(t.scanned))::bigint,
         sum(t.extra)::bigint, (sum(t.scanned) + sum(t.extra))::bigint
    from together t
   group by t.gig_id
$$;
revoke execute on function app.gig_asset_counts(uuid[]) from public, anon, authenticated;

-- get_gig_hierarchy as in …000200_access_and_advisors, its counts from the definition above:
-- assets_planned (planned), assets_checked_out (everything out now: assets and bulk units),
-- assets_returned (history: check-ins recorded at the gig, bulk units counted), and scanned,
-- missing, extra.
create or replace function public.get_gig_hierarchy(root_gig_id uuid)
returns json
language plpgsql stable security definer set search_path = extensions set jit = off
as $$
declare
  root record;
  tree text;
begin
  if root_gig_id is null then
    raise exception 'root_gig_id is required' using errcode = '22023';
  end if;
  select g.id, g.org_id, g.path, extensions.nlevel(g.path) as lvl into root
    from public.gigs g
   where g.id = root_gig_id and g.deleted_at is null;
  if not found or not app.can_read_org(root.org_id) then
    raise exception 'gig % not found', root_gig_id using errcode = 'PT404';
  end if;

  with recursive nodes as (
    select g.id, g.parent_gig_id, g.path, extensions.nlevel(g.path) as lvl, g.code, g.name, g.status,
           g.starts_at, g.ends_at, g.venue, g.version,
           row_number() over (partition by g.parent_gig_id order by g.starts_at nulls last, g.name, g.id) as sibling_rank
      from public.gigs g
     where g.path operator(extensions.<@) root.path and g.deleted_at is null
  ),
  counted as (
    select c.gig_id, c.planned, c.scanned, c.missing, c.extra, c.checked_out from app.gig_asset_counts(array(select id from nodes)) c
  ),
  walk (id, sort_key, ancestors) as (
    select root.id, array[1::bigint], array[root.id]
    union all
    select n.id, w.sort_key || n.sibling_rank, w.ancestors || n.id
      from nodes n join walk w on n.parent_gig_id = w.id
  ),
  lineage as (
    select w.id, unnest(w.ancestors) as ancestor_id from walk w
  ),
  own as (
    select n.id, coalesce(c.planned, 0) as planned, coalesce(c.checked_out, 0) as checked_out, coalesce(gc.returned_total, 0) as returned,
           coalesce(c.scanned, 0) as scanned, coalesce(c.missing, 0) as missing, coalesce(c.extra, 0) as extra
      from nodes n
      left join counted c on c.gig_id = n.id
      left join public.gig_counters gc on gc.gig_id = n.id
  ),
  rolled as (
    select l.ancestor_id, sum(o.planned) as planned, sum(o.checked_out) as checked_out, sum(o.returned) as returned,
           sum(o.scanned) as scanned, sum(o.missing) as missing, sum(o.extra) as extra
      from lineage l join own o on o.id = l.id
     group by l.ancestor_id
  ),
  staff as (
    select pairs.ancestor_id, count(*) as n
      from (select distinct l.ancestor_id, s.staff_id
              from public.gig_staff s
              join lineage l on l.id = s.gig_id
             where s.gig_id = any (array(select id from nodes))) as pairs
     group by pairs.ancestor_id
  ),
  ordered as (
    select w.sort_key, n.*, r.planned, r.checked_out, r.returned, r.scanned, r.missing, r.extra, coalesce(s.n, 0) as staff
      from walk w
      join nodes n on n.id = w.id
      join rolled r on r.ancestor_id = n.id
      left join staff s on s.ancestor_id = n.id
  ),
  rendered as (
    select o.sort_key,
           concat('{"id":"', o.id,
                  '","parent_gig_id":', coalesce('"' || o.parent_gig_id::text || '"', 'null'),
                  ',"code":', to_json(o.code),
                  ',"name":', to_json(o.name),
                  ',"status":"', o.status,
                  '","starts_at":', coalesce(to_json(o.starts_at)::text, 'null'),
                  ',"ends_at":', coalesce(to_json(o.ends_at)::text, 'null'),
                  ',"venue":', coalesce(to_json(o.venue)::text, 'null'),
                  ',"version":', o.version,
                  ',"depth":', o.lvl - root.lvl,
                  ',"counts":{"assets_planned":', o.planned,
                  ',"assets_checked_out":', o.checked_out,
                  ',"assets_returned":', o.returned,
                  ',"scanned":', o.scanned,
                  ',"missing":', o.missing,
                  ',"extra":', o.extra,
                  ',"staff_assigned":', o.staff,
                  '},"children":[') as head,
           o.lvl,
           lead(o.lvl) over (order by o.sort_key) as next_lvl
      from ordered o
  )
  select string_agg(
           r.head ||
           case
             when r.next_lvl is null then repeat(']}', r.lvl - root.lvl + 1)
             when r.next_lvl > r.lvl then ''
             else repeat(']}', r.lvl - r.next_lvl + 1) || ','
           end,
           '' order by r.sort_key)
    into tree
    from rendered r;

  return tree::json;
end
$$;
