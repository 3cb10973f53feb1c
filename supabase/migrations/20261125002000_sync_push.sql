-- push_changes(device_id, ops): applies a device's queued operations in order and answers one
-- result per op: applied | conflict (server row + fields that differ) | rejected (permanent:
-- machine-readable code + message) | retry (transient, or held behind an earlier failed op on
-- the same entity). Each op's (device_id, op id) is recorded with its result in the same
-- transaction as its effect, so replaying a batch returns the original results and changes
-- nothing. Simple fields are last-write-wins; critical fields (gig status and parent, asset
-- status / current gig) require base_version = the row's version.

create table app.sync_ops (
  device_id text not null,
  op_id uuid not null,
  user_id uuid,
  seq bigint,
  result jsonb not null,
  recorded_at timestamptz not null default now(),
  primary key (device_id, op_id)
);
alter table app.sync_ops enable row level security;

create function app.as_uuid(value jsonb)
returns uuid
language sql immutable set search_path = extensions
as $$
  select case
    when jsonb_typeof(value) = 'string'
     and value #>> '{}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then (value #>> '{}')::uuid
  end
$$;

create function app.result(op_id uuid, status text, tbl text, entity uuid, extra jsonb default '{}')
returns jsonb
language sql immutable set search_path = extensions
as $$
  select jsonb_build_object('op_id', op_id, 'status', status, 'table', tbl, 'entity_id', entity) || extra
$$;

create function app.rejected(op_id uuid, tbl text, entity uuid, code text, message text)
returns jsonb
language sql immutable set search_path = extensions
as $$
  select app.result(op_id, 'rejected', tbl, entity, jsonb_build_object('code', code, 'message', message))
$$;

-- The row as clients see it (everything but the search vector).
create function app.row_json(tbl text, entity uuid)
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
    else raise exception 'unknown table %', tbl;
  end case;
  return found;
end
$$;

create function app.applied(op_id uuid, tbl text, entity uuid, note text default null)
returns jsonb
language sql stable set search_path = extensions
as $$
  select app.result(op_id, 'applied', tbl, entity,
    jsonb_build_object('row', app.row_json(tbl, entity)) || case when note is null then '{}'::jsonb else jsonb_build_object('code', note) end)
$$;

create function app.conflict(op_id uuid, tbl text, entity uuid, base_version integer, changed text[])
returns jsonb
language sql stable set search_path = extensions
as $$
  select app.result(op_id, 'conflict', tbl, entity, jsonb_build_object(
    'code', 'version_mismatch',
    'message', format('%s %s changed on the server since version %s', tbl, entity, base_version),
    'base_version', base_version,
    'row', app.row_json(tbl, entity),
    'changed_fields', to_jsonb(changed)))
$$;

-- Who may do what, by membership role.
create function app.op_allowed(role public.member_role, tbl text, action text)
returns boolean
language sql immutable set search_path = extensions
as $$
  select case
    when role in ('admin', 'manager') then true
    when role in ('station', 'crew') then (tbl, action) in (
      ('assets', 'check_out'), ('assets', 'check_in'), ('cases', 'check_out'), ('cases', 'check_in'))
      or (role = 'station' and (tbl, action) = ('assets', 'update'))
    else false
  end
$$;

-- gigs ---------------------------------------------------------------------------------------

create function app.op_gig_write(op_id uuid, action text, entity uuid, payload jsonb, base_version integer)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  gig public.gigs;
  fields jsonb;
  bad text;
  target_org uuid;
  parent_id uuid;
  new_parent public.gigs;
  to_status public.gig_status;
begin
  if action = 'create' then
    if exists (select 1 from public.gigs g where g.id = entity) then
      return app.rejected(op_id, 'gigs', entity, 'already_exists', format('gig %s already exists', entity));
    end if;
    parent_id := app.as_uuid(payload -> 'parent_gig_id');
    if payload ? 'parent_gig_id' and payload -> 'parent_gig_id' <> 'null'::jsonb and parent_id is null then
      return app.rejected(op_id, 'gigs', entity, 'invalid_field', 'payload.parent_gig_id must be a UUID or null');
    end if;
    if parent_id is not null then
      select * into new_parent from public.gigs g where g.id = parent_id and g.deleted_at is null;
      if not found or app.my_role(new_parent.org_id) is null then
        return app.rejected(op_id, 'gigs', entity, 'not_found', format('parent gig %s not found', parent_id));
      end if;
      target_org := new_parent.org_id;
    end if;
    if payload ? 'org_id' then
      if app.as_uuid(payload -> 'org_id') is null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field', 'payload.org_id must be a UUID');
      end if;
      if target_org is not null and target_org <> app.as_uuid(payload -> 'org_id') then
        return app.rejected(op_id, 'gigs', entity, 'forbidden', 'payload.org_id differs from the parent gig''s organization');
      end if;
      target_org := app.as_uuid(payload -> 'org_id');
    end if;
    if target_org is null then
      return app.rejected(op_id, 'gigs', entity, 'missing_field', 'a root gig needs payload.org_id');
    end if;
    if app.my_role(target_org) is null or not app.op_allowed(app.my_role(target_org), 'gigs', 'create') then
      return app.rejected(op_id, 'gigs', entity, 'forbidden', 'you cannot create gigs in that organization');
    end if;
    if jsonb_typeof(payload -> 'name') is distinct from 'string' then
      return app.rejected(op_id, 'gigs', entity, 'missing_field', 'payload.name is required (a string)');
    end if;
    insert into public.gigs (id, org_id, parent_gig_id, name, venue, notes, starts_at, ends_at, code)
    values (entity, target_org, parent_id, payload ->> 'name', payload ->> 'venue', payload ->> 'notes',
            (payload ->> 'starts_at')::timestamptz, (payload ->> 'ends_at')::timestamptz,
            coalesce(payload ->> 'code', 'GIG-' || upper(substr(replace(entity::text, '-', ''), 1, 10))));
    return app.applied(op_id, 'gigs', entity);
  end if;

  select * into gig from public.gigs g where g.id = entity for update;
  if not found or app.my_role(gig.org_id) is null then
    return app.rejected(op_id, 'gigs', entity, 'not_found', format('gig %s not found', entity));
  end if;
  if not app.op_allowed(app.my_role(gig.org_id), 'gigs', action) then
    return app.rejected(op_id, 'gigs', entity, 'forbidden', format('your role cannot %s gigs', action));
  end if;

  case action
    when 'update' then
      fields := payload -> 'fields';
      if jsonb_typeof(fields) is distinct from 'object' or fields = '{}'::jsonb then
        return app.rejected(op_id, 'gigs', entity, 'missing_field', 'payload.fields must be an object with at least one field');
      end if;
      select string_agg(k, ', ') into bad from jsonb_object_keys(fields) k
       where k not in ('name', 'venue', 'notes', 'starts_at', 'ends_at');
      if bad is not null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field',
          format('gigs.update cannot change %s; allowed: name, venue, notes, starts_at, ends_at', bad));
      end if;
      if gig.deleted_at is not null then
        return app.rejected(op_id, 'gigs', entity, 'deleted', format('gig %s was deleted', entity));
      end if;
      update public.gigs g set
        name = case when fields ? 'name' then fields ->> 'name' else g.name end,
        venue = case when fields ? 'venue' then fields ->> 'venue' else g.venue end,
        notes = case when fields ? 'notes' then fields ->> 'notes' else g.notes end,
        starts_at = case when fields ? 'starts_at' then (fields ->> 'starts_at')::timestamptz else g.starts_at end,
        ends_at = case when fields ? 'ends_at' then (fields ->> 'ends_at')::timestamptz else g.ends_at end
      where g.id = entity;
      return app.applied(op_id, 'gigs', entity);

    when 'set_status' then
      begin
        to_status := (payload ->> 'to')::public.gig_status;
      exception when invalid_text_representation then
        to_status := null;
      end;
      if to_status is null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field',
          'payload.to must be one of draft, confirmed, in_progress, completed, cancelled');
      end if;
      if base_version is null then
        return app.rejected(op_id, 'gigs', entity, 'missing_field', 'gigs.set_status needs base_version');
      end if;
      if gig.status = to_status then
        return app.applied(op_id, 'gigs', entity, 'noop');
      end if;
      if gig.version <> base_version then
        return app.conflict(op_id, 'gigs', entity, base_version, array['status']);
      end if;
      if not app.gig_status_transition_allowed(gig.status, to_status) then
        return app.rejected(op_id, 'gigs', entity, 'invalid_transition',
          format('gig status cannot change from %s to %s', gig.status, to_status));
      end if;
      update public.gigs g set status = to_status where g.id = entity;
      return app.applied(op_id, 'gigs', entity);

    when 'move' then
      parent_id := app.as_uuid(payload -> 'parent_gig_id');
      if payload -> 'parent_gig_id' is null or (payload -> 'parent_gig_id' <> 'null'::jsonb and parent_id is null) then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field', 'payload.parent_gig_id must be a UUID or null');
      end if;
      if base_version is null then
        return app.rejected(op_id, 'gigs', entity, 'missing_field', 'gigs.move needs base_version');
      end if;
      if gig.parent_gig_id is not distinct from parent_id then
        return app.applied(op_id, 'gigs', entity, 'noop');
      end if;
      if gig.version <> base_version then
        return app.conflict(op_id, 'gigs', entity, base_version, array['parent_gig_id']);
      end if;
      if parent_id is not null then
        select * into new_parent from public.gigs g where g.id = parent_id;
        if not found or new_parent.org_id <> gig.org_id then
          return app.rejected(op_id, 'gigs', entity, 'not_found', format('parent gig %s not found', parent_id));
        end if;
        if new_parent.path operator(extensions.<@) gig.path then
          return app.rejected(op_id, 'gigs', entity, 'cycle',
            format('moving gig %s under %s would create a cycle in the hierarchy', entity, parent_id));
        end if;
      end if;
      update public.gigs g set parent_gig_id = parent_id where g.id = entity;
      return app.applied(op_id, 'gigs', entity);

    when 'delete' then
      if gig.deleted_at is not null then
        return app.applied(op_id, 'gigs', entity, 'noop');
      end if;
      update public.gigs g set deleted_at = now() where g.id = entity;
      return app.applied(op_id, 'gigs', entity);
  end case;
end
$$;

-- assets and cases ---------------------------------------------------------------------------

create function app.unavailable_reason(asset public.assets, gig_id uuid)
returns text
language sql stable set search_path = extensions
as $$
  select case asset.status
    when 'checked_out' then
      case when asset.current_gig_id = gig_id then null
           else format('%s is checked out to %s', asset.serial_number,
                       coalesce((select g.name from public.gigs g where g.id = asset.current_gig_id), 'another gig'))
      end
    when 'quarantined' then format('%s is quarantined', asset.serial_number)
    when 'lost' then format('%s is marked lost', asset.serial_number)
    when 'retired' then format('%s is retired', asset.serial_number)
    when 'in_maintenance' then format('%s is in maintenance', asset.serial_number)
    else null
  end
$$;

create function app.move_asset(asset public.assets, kind public.movement_kind, gig_id uuid, condition public.asset_condition,
                               op_id uuid, device text, occurred timestamptz)
returns void
language plpgsql set search_path = extensions
as $$
begin
  if kind = 'check_out' then
    update public.assets a set status = 'checked_out', current_gig_id = gig_id where a.id = asset.id;
    insert into public.asset_movements (org_id, asset_id, kind, gig_id, actor_user_id, device_id, client_op_id, occurred_at)
    values (asset.org_id, asset.id, 'check_out', gig_id, auth.uid(), device, op_id, occurred);
  else
    update public.assets a
       set status = case
                      when condition = 'damaged' then 'quarantined'::public.asset_status
                      when condition = 'missing_parts' then 'in_maintenance'::public.asset_status
                      else 'available'::public.asset_status
                    end,
           current_gig_id = null
     where a.id = asset.id;
    insert into public.asset_movements (org_id, asset_id, kind, gig_id, condition, actor_user_id, device_id, client_op_id, occurred_at)
    values (asset.org_id, asset.id, 'check_in', asset.current_gig_id, condition, auth.uid(), device, op_id, occurred);
    if condition = 'damaged' then
      insert into public.asset_movements (org_id, asset_id, kind, condition, actor_user_id, device_id, client_op_id, occurred_at)
      values (asset.org_id, asset.id, 'quarantine', condition, auth.uid(), device, op_id, occurred);
    end if;
  end if;
end
$$;

create function app.op_stock_write(op_id uuid, tbl text, action text, entity uuid, payload jsonb, base_version integer,
                                   device text, occurred timestamptz)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  asset public.assets;
  box public.cases;
  org uuid;
  gig public.gigs;
  gig_id uuid;
  condition public.asset_condition;
  fields jsonb;
  bad text;
  reason text;
  reasons text[];
  moved integer := 0;
begin
  if tbl = 'assets' then
    select * into asset from public.assets a where a.id = entity and a.deleted_at is null for update;
    org := asset.org_id;
  else
    select * into box from public.cases c where c.id = entity and c.deleted_at is null for update;
    org := box.org_id;
  end if;
  if org is null or app.my_role(org) is null then
    return app.rejected(op_id, tbl, entity, 'not_found', format('%s %s not found', left(tbl, -1), entity));
  end if;
  if not app.op_allowed(app.my_role(org), tbl, action) then
    return app.rejected(op_id, tbl, entity, 'forbidden', format('your role cannot %s %s', action, tbl));
  end if;

  if action = 'update' then
    fields := payload -> 'fields';
    if jsonb_typeof(fields) is distinct from 'object' or fields = '{}'::jsonb then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.fields must be an object with at least one field');
    end if;
    select string_agg(k, ', ') into bad from jsonb_object_keys(fields) k where k not in ('name', 'notes', 'category');
    if bad is not null then
      return app.rejected(op_id, tbl, entity, 'invalid_field',
        format('assets.update cannot change %s; allowed: name, notes, category', bad));
    end if;
    update public.assets a set
      name = case when fields ? 'name' then fields ->> 'name' else a.name end,
      notes = case when fields ? 'notes' then fields ->> 'notes' else a.notes end,
      category = case when fields ? 'category' then fields ->> 'category' else a.category end
    where a.id = entity;
    return app.applied(op_id, tbl, entity);
  end if;

  if action = 'check_out' then
    gig_id := app.as_uuid(payload -> 'gig_id');
    if gig_id is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.gig_id is required (a UUID)');
    end if;
    if base_version is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', format('%s.check_out needs base_version', tbl));
    end if;
    select * into gig from public.gigs g where g.id = gig_id and g.deleted_at is null;
    if not found or gig.org_id <> org then
      return app.rejected(op_id, tbl, entity, 'not_found', format('gig %s not found', gig_id));
    end if;
    if gig.status in ('completed', 'cancelled') then
      return app.rejected(op_id, tbl, entity, 'gig_closed', format('gig %s is %s', gig.name, gig.status));
    end if;

    if tbl = 'assets' then
      if asset.status = 'checked_out' and asset.current_gig_id = gig_id then
        return app.applied(op_id, tbl, entity, 'noop');
      end if;
      if asset.version <> base_version then
        return app.conflict(op_id, tbl, entity, base_version, array['status', 'current_gig_id']);
      end if;
      reason := app.unavailable_reason(asset, gig_id);
      if reason is not null then
        return app.rejected(op_id, tbl, entity,
          case when asset.status = 'checked_out' then 'checked_out_elsewhere' else 'asset_' || asset.status end, reason);
      end if;
      perform app.move_asset(asset, 'check_out', gig_id, null, op_id, device, occurred);
      return app.applied(op_id, tbl, entity);
    end if;

    -- A case checks out its whole contents, or nothing.
    if box.version <> base_version then
      return app.conflict(op_id, tbl, entity, base_version, array['contents']);
    end if;
    select array_agg(r.reason order by r.serial_number)
      into reasons
      from (select a.serial_number, app.unavailable_reason(a, gig_id) as reason
              from public.assets a
             where a.id in (select app.case_contents(entity))) as r
     where r.reason is not null;
    if reasons is not null then
      return app.rejected(op_id, tbl, entity, 'case_contents_unavailable',
        format('case %s cannot go out: %s', box.barcode, array_to_string(reasons, '; ')));
    end if;
    for asset in
      select a.* from public.assets a
       where a.id in (select app.case_contents(entity)) and a.status = 'available'
       order by a.id for update
    loop
      perform app.move_asset(asset, 'check_out', gig_id, null, op_id, device, occurred);
      moved := moved + 1;
    end loop;
    update public.cases c set updated_at = now() where c.id = entity;
    return app.applied(op_id, tbl, entity) || jsonb_build_object('assets_moved', moved);
  end if;

  -- check_in: always welcome; the condition decides where the item goes.
  begin
    condition := coalesce(payload ->> 'condition', 'ok')::public.asset_condition;
  exception when invalid_text_representation then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.condition must be ok, damaged or missing_parts');
  end;
  if tbl = 'assets' then
    if asset.status = 'retired' then
      return app.rejected(op_id, tbl, entity, 'asset_retired', format('%s is retired', asset.serial_number));
    end if;
    if asset.status = 'checked_out' or asset.status = 'lost' or condition <> 'ok' then
      perform app.move_asset(asset, 'check_in', null, condition, op_id, device, occurred);
      return app.applied(op_id, tbl, entity);
    end if;
    return app.applied(op_id, tbl, entity, 'noop');
  end if;
  for asset in
    select a.* from public.assets a
     where a.id in (select app.case_contents(entity)) and (a.status = 'checked_out' or condition <> 'ok')
       and a.status <> 'retired'
     order by a.id for update
  loop
    perform app.move_asset(asset, 'check_in', null, condition, op_id, device, occurred);
    moved := moved + 1;
  end loop;
  update public.cases c set updated_at = now() where c.id = entity;
  return app.applied(op_id, tbl, entity, case when moved = 0 then 'noop' end) || jsonb_build_object('assets_moved', moved);
end
$$;

-- One op: validate its envelope, then hand it to the table's writer. Raises only for
-- unexpected database errors, which the batch loop turns into a result.
create function app.apply_op(op jsonb, device text)
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
  if jsonb_typeof(op -> 'table') is distinct from 'string' or tbl not in ('gigs', 'assets', 'cases') then
    return app.rejected(op_id, tbl, null, 'unknown_table',
      format('unknown table %s; ops may target gigs, assets or cases', coalesce(quote_literal(tbl), '(missing)')));
  end if;
  if jsonb_typeof(op -> 'action') is distinct from 'string' or not (
       (tbl = 'gigs' and action in ('create', 'update', 'set_status', 'move', 'delete'))
    or (tbl = 'assets' and action in ('check_out', 'check_in', 'update'))
    or (tbl = 'cases' and action in ('check_out', 'check_in'))) then
    return app.rejected(op_id, tbl, null, 'unknown_action',
      format('unknown action %s for %s', coalesce(quote_literal(action), '(missing)'), tbl));
  end if;
  if jsonb_typeof(payload) is distinct from 'object' then
    return app.rejected(op_id, tbl, null, 'invalid_op', 'op.payload must be a JSON object');
  end if;
  if length(payload::text) > 16384 then
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
  -- The station's clock says when the scan happened; a clock far ahead is not trusted.
  if jsonb_typeof(op -> 'created_at') = 'string' then
    begin
      occurred := least((op ->> 'created_at')::timestamptz, now());
    exception when others then
      return app.rejected(op_id, tbl, entity, 'invalid_field', 'op.created_at must be an ISO 8601 timestamp');
    end;
  end if;

  if tbl = 'gigs' then
    return app.op_gig_write(op_id, action, entity, payload, base_version);
  end if;
  return app.op_stock_write(op_id, tbl, action, entity, payload, base_version, device, occurred);
end
$$;

-- The fast path for what stations send most: asset check-outs and plain check-ins, one op per
-- asset in the batch, in batches with nothing else. They are checked and applied set-based
-- (a handful of statements for the whole batch instead of a subtransaction and a dozen
-- statements per op). Only ops that apply cleanly are taken; anything that would conflict or be
-- refused — and any error — goes through the per-op path, so answers are the same either way.
create type app.fast_op as (idx integer, op_id uuid, action text, entity uuid, gig_id uuid, base_version integer,
                            occurred timestamptz, seq bigint);

create function app.push_fast(device text, ops jsonb)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  candidates app.fast_op[];
  taken app.fast_op[];
  results jsonb;
begin
  if exists (select 1 from jsonb_array_elements(ops) e where jsonb_typeof(e) <> 'object' or e ->> 'table' is distinct from 'assets') then
    return '{}'::jsonb;
  end if;
  select array_agg(row(t.idx, t.op_id, t.action, t.entity, t.gig_id, t.base_version, t.occurred, t.seq)::app.fast_op)
    into candidates
    from (
      select (e.ordinality - 1)::integer as idx, app.as_uuid(e.value -> 'id') as op_id, e.value ->> 'action' as action,
             app.as_uuid(e.value -> 'payload' -> 'id') as entity, app.as_uuid(e.value -> 'payload' -> 'gig_id') as gig_id,
             case when (e.value ->> 'base_version') ~ '^[0-9]{1,9}$' and jsonb_typeof(e.value -> 'base_version') = 'number'
                  then (e.value ->> 'base_version')::integer end as base_version,
             case when (e.value ->> 'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$'
                  then least((e.value ->> 'created_at')::timestamptz, now())
                  when e.value -> 'created_at' is null then now() end as occurred,
             case when (e.value ->> 'seq') ~ '^[0-9]{1,18}$' then (e.value ->> 'seq')::bigint end as seq,
             count(*) over (partition by e.value -> 'payload' ->> 'id') as per_entity,
             count(*) over (partition by e.value ->> 'id') as per_id,
             e.value -> 'payload' as payload
        from jsonb_array_elements(ops) with ordinality e
    ) t
   where t.op_id is not null and t.entity is not null and t.per_entity = 1 and t.per_id = 1 and t.occurred is not null
     and jsonb_typeof(t.payload) = 'object' and length(t.payload::text) <= 16384
     and ((t.action = 'check_out' and t.gig_id is not null and t.base_version is not null)
          or (t.action = 'check_in' and coalesce(t.payload ->> 'condition', 'ok') = 'ok'))
     and not exists (select 1 from app.sync_ops s where s.device_id = device and s.op_id = t.op_id);
  if candidates is null then
    return '{}'::jsonb;
  end if;

  perform 1 from public.assets a where a.id in (select c.entity from unnest(candidates) c) order by a.id for update;

  -- Keep only ops that apply cleanly (the per-op path words every refusal and conflict).
  select array_agg(c order by c.idx)
    into taken
    from unnest(candidates) c
    join public.assets a on a.id = c.entity and a.deleted_at is null
    join public.memberships m on m.org_id = a.org_id and m.user_id = auth.uid()
    left join public.gigs g on g.id = c.gig_id
   where app.op_allowed(m.role, 'assets', c.action)
     and ((c.action = 'check_out' and a.status = 'available' and a.version = c.base_version
           and g.org_id = a.org_id and g.deleted_at is null and g.status not in ('completed', 'cancelled'))
       or (c.action = 'check_in' and a.status in ('checked_out', 'lost')));
  if taken is null then
    return '{}'::jsonb;
  end if;

  insert into public.asset_movements (org_id, asset_id, kind, gig_id, condition, actor_user_id, device_id, client_op_id, occurred_at)
  select a.org_id, a.id, c.action::public.movement_kind,
         case when c.action = 'check_out' then c.gig_id else a.current_gig_id end,
         -- The fast path takes only check-ins in good condition; record it as the per-op path does.
         case when c.action = 'check_in' then 'ok'::public.asset_condition end,
         auth.uid(), device, c.op_id, c.occurred
    from unnest(taken) c join public.assets a on a.id = c.entity;
  update public.assets a
     set status = case when c.action = 'check_out' then 'checked_out'::public.asset_status else 'available'::public.asset_status end,
         current_gig_id = case when c.action = 'check_out' then c.gig_id end
    from unnest(taken) c
   where a.id = c.entity;

  select jsonb_object_agg(c.idx::text,
           jsonb_build_object('op_id', c.op_id, 'status', 'applied', 'table', 'assets', 'entity_id', c.entity,
                              'row', to_jsonb(a) - 'search_vector'))
    into results
    from unnest(taken) c join public.assets a on a.id = c.entity;
  insert into app.sync_ops (device_id, op_id, user_id, seq, result)
  select device, c.op_id, auth.uid(), c.seq, results -> c.idx::text from unnest(taken) c;
  return results;
end
$$;

create function public.push_changes(device_id text, ops jsonb)
returns jsonb
language plpgsql security definer set search_path = extensions
as $$
declare
  max_ops constant integer := 500;
  op jsonb;
  this_op uuid;
  previous app.sync_ops;
  outcome jsonb;
  entity_key text;
  held text[] := '{}';
  results jsonb[] := '{}';
  seen uuid[] := '{}';
  fast jsonb := '{}'::jsonb;
  position integer := -1;
begin
  if auth.uid() is null then
    raise exception 'push_changes needs a signed-in user' using errcode = '42501';
  end if;
  if device_id is null or device_id !~ '^[A-Za-z0-9._:-]{1,100}$' then
    raise exception 'device_id must be 1 to 100 letters, digits, ".", "_", ":" or "-"' using errcode = '22023';
  end if;
  if jsonb_typeof(ops) is distinct from 'array' then
    raise exception 'ops must be a JSON array of operations' using errcode = '22023';
  end if;
  if jsonb_array_length(ops) > max_ops then
    raise exception 'a batch holds at most % ops, got %', max_ops, jsonb_array_length(ops)
      using errcode = '54000', hint = 'split the queue into batches of 500 or fewer';
  end if;

  begin
    fast := app.push_fast(push_changes.device_id, ops);
  exception when others then
    -- Anything unexpected: the per-op path below handles every op and words the errors.
    fast := '{}'::jsonb;
  end;

  for op in select value from jsonb_array_elements(ops) loop
    position := position + 1;
    if fast ? position::text then
      results := results || (fast -> position::text);
      seen := seen || app.as_uuid(op -> 'id');
      continue;
    end if;
    if jsonb_typeof(op) <> 'object' then
      results := results || (app.rejected(null, null, null, 'invalid_op', 'each op must be a JSON object'));
      continue;
    end if;
    this_op := app.as_uuid(op -> 'id');
    if this_op is null then
      results := results || (app.rejected(null, op ->> 'table', null, 'invalid_op', 'op.id must be a UUID'));
      continue;
    end if;
    if this_op = any (seen) then
      results := results || (app.rejected(this_op, op ->> 'table', null, 'duplicate_op', 'the same op id appears twice in this batch'));
      continue;
    end if;
    seen := seen || this_op;

    select * into previous from app.sync_ops s where s.device_id = push_changes.device_id and s.op_id = this_op;
    if found then
      if previous.user_id is distinct from auth.uid() then
        results := results || (app.rejected(this_op, op ->> 'table', null, 'op_id_reused', 'this op id was used by another user'));
      else
        results := results || (previous.result);
      end if;
      continue;
    end if;

    -- Later ops on an entity wait behind an earlier one that did not apply.
    entity_key := coalesce(op ->> 'table', '') || ':' || coalesce(op -> 'payload' ->> 'id', '');
    if entity_key = any (held) then
      results := results || (app.result(this_op, 'retry', op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
        jsonb_build_object('code', 'held', 'message', 'an earlier op on this entity did not apply')));
      continue;
    end if;

    begin
      outcome := app.apply_op(op, push_changes.device_id);
    exception
      when serialization_failure or deadlock_detected or lock_not_available or query_canceled then
        outcome := app.result(this_op, 'retry', op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
          jsonb_build_object('code', 'transient', 'message', sqlerrm));
      when others then
        outcome := app.rejected(this_op, op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
          case
            when sqlstate in ('22P02', '22007', '22008', '22003', '22001') then 'invalid_field'
            when sqlstate = '23514' then 'constraint_violation'
            when sqlstate = '23505' then 'already_exists'
            when sqlstate = '23503' then 'invalid_reference'
            else 'invalid'
          end,
          sqlerrm);
    end;

    if outcome ->> 'status' in ('conflict', 'rejected') then
      held := held || entity_key;
    end if;
    if outcome ->> 'status' <> 'retry' then
      insert into app.sync_ops (device_id, op_id, user_id, seq, result)
      values (push_changes.device_id, this_op, auth.uid(),
              case when (op ->> 'seq') ~ '^[0-9]{1,18}$' then (op ->> 'seq')::bigint end, outcome);
    end if;
    results := results || (outcome);
  end loop;

  return jsonb_build_object('results', to_jsonb(results));
end
$$;

revoke all on function public.push_changes(text, jsonb) from public, anon;
grant execute on function public.push_changes(text, jsonb) to authenticated, service_role;
