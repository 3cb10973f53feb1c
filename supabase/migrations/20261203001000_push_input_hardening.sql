-- Push input hardening (issue 18, outside tester's defects 5–8):
-- * The scan time (op.created_at) is an ISO 8601 timestamp with a time zone, or the op is refused
--   `invalid_field`: PostgreSQL's special inputs ('epoch', 'today', '-infinity', …) no longer pass
--   the cast. app.op_created_at is the one reading of it (the fast path reads it too).
-- * A scan time older than the replay window (app.replay_window(), 30 days: what
--   app.prune_sync_ops forgets) is `replay_expired`, whether or not a prune has run yet: a station
--   whose clock reset to 1970 never records a movement in 1970. app.replay_horizon() is the one
--   rule (the later of the prune watermark and now − the window); an op the server still
--   remembers answers its stored result as before.
-- * A condition note (payload.note, payload.items[].note) is one short line: control characters
--   (C0, DEL, C1: bells, terminal escapes, backspaces, tabs and line breaks) are refused
--   `invalid_field` on every path that stores one (app.note_problem).
-- * Who may be named as operator (app.operator_refused): a staff profile of the organization
--   (else `staff_not_found`); a crew member records movements as themselves (a phone is personal),
--   so a crew op naming another staff profile is `forbidden`. Stations, managers and admins name
--   any staff profile (a shared station's badge scan). It replaces app.operator_problem.
-- op_stock_write and push_fast are …000600_movement_accountability's, op_bulk_write …000500_bulk_stock's,
-- push_changes and prune_sync_ops …000100_push_hardening's, with these rules in.

-- How long the server remembers sent ops, and so how old a scan time may be.
create function app.replay_window()
returns interval
language sql immutable set search_path = ''
as $$
  select interval '30 days'
$$;

-- Ops created before this are never applied: the prune watermark, or the replay window when no
-- prune has run (or it ran long ago).
create function app.replay_horizon()
returns timestamptz
language sql stable set search_path = ''
as $$
  select greatest(now() - app.replay_window(), (select w.pruned_before from app.sync_ops_pruned w))
$$;

-- The op's created_at as sent (null when absent or not an ISO 8601 timestamp with a time zone).
-- The pattern comes first: the cast alone accepts 'epoch', 'today', 'now', 'infinity', ….
create or replace function app.op_created_at(op jsonb)
returns timestamptz
language plpgsql stable set search_path = extensions
as $$
begin
  if jsonb_typeof(op -> 'created_at') is distinct from 'string'
     or (op ->> 'created_at') !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$' then
    return null;
  end if;
  return (op ->> 'created_at')::timestamptz;
exception when others then
  return null;
end
$$;

-- What is wrong with a condition note at `path` (null when it is fine: absent, JSON null, or one
-- line of at most 500 characters without control characters).
create function app.note_problem(note jsonb, path text)
returns text
language sql immutable set search_path = ''
as $$
  select case
    when note is null or note = 'null'::jsonb then null
    when jsonb_typeof(note) <> 'string' or length(note #>> '{}') > 500 then format('%s must be text of at most 500 characters', path)
    when (note #>> '{}') ~ '[\x01-\x1f\x7f-\x9f]' then format('%s: control characters are not allowed (a note is one line of text)', path)
  end
$$;

-- The refusal of an op naming an operator it may not name (null when it may): payload.staff_id
-- must be a staff profile of the organization, and a crew member's own (a phone is personal).
create function app.operator_refused(op_id uuid, tbl text, entity uuid, payload jsonb, org uuid)
returns jsonb
language sql stable set search_path = ''
as $$
  select case
    when coalesce(payload -> 'staff_id', 'null'::jsonb) = 'null'::jsonb then null
    when app.as_uuid(payload -> 'staff_id') is null
      then app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.staff_id must be the UUID of a staff profile')
    when not exists (select 1 from public.staff_profiles s where s.id = app.as_uuid(payload -> 'staff_id') and s.org_id = org)
      then app.rejected(op_id, tbl, entity, 'staff_not_found',
                        format('operator %s is not a staff member of this organization', left(payload ->> 'staff_id', 64)))
    when app.my_role(org) = 'crew'
         and not exists (select 1 from public.staff_profiles s
                          where s.id = app.as_uuid(payload -> 'staff_id') and s.org_id = org and s.user_id = auth.uid())
      then app.rejected(op_id, tbl, entity, 'forbidden',
                        'a crew member records movements as themselves: payload.staff_id must be your own staff profile')
  end
$$;
revoke execute on function app.replay_window(), app.replay_horizon(), app.note_problem(jsonb, text),
  app.operator_refused(uuid, text, uuid, jsonb, uuid)
  from public, anon, authenticated;

create or replace function app.op_stock_write(op_id uuid, tbl text, action text, entity uuid, payload jsonb, base_version integer,
                                              device text, occurred timestamptz)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  asset public.assets;
  box public.cases;
  org uuid;
  my_role public.member_role;
  gig public.gigs;
  gig_id uuid;
  condition public.asset_condition;
  fields jsonb;
  bad text;
  verdict text;
  contents public.assets[];
  blocking jsonb;
  reasons text[];
  blocked integer;
  moves app.asset_move[];
  staff uuid;
  refusal jsonb;
  note text;
  items jsonb;
  bad_item text;
  rest_condition public.asset_condition;
begin
  if tbl = 'assets' then
    select * into asset from public.assets a where a.id = entity and a.deleted_at is null for update;
    org := asset.org_id;
  else
    select * into box from public.cases c where c.id = entity and c.deleted_at is null for update;
    org := box.org_id;
  end if;
  my_role := app.my_role(org);
  if org is null or my_role is null then
    return app.rejected(op_id, tbl, entity, 'not_found', format('%s %s not found', left(tbl, -1), entity));
  end if;
  if not app.op_allowed(my_role, tbl, action) then
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
        format('assets.update cannot change %s; allowed: name, notes, category', left(bad, 200)));
    end if;
    -- Stations look after the kit; what it is called and how it is filed is planning.
    if my_role = 'station' and exists (select 1 from jsonb_object_keys(fields) k where k <> 'notes') then
      return app.rejected(op_id, tbl, entity, 'forbidden', 'your role can change only notes of assets');
    end if;
    bad := app.non_text_field(fields, array['name', 'notes', 'category'], array['notes']);
    if bad is not null then
      return app.rejected(op_id, tbl, entity, 'invalid_field',
        format('payload.fields.%s must be a string%s', bad, case when bad = 'notes' then ' or null' else '' end));
    end if;
    update public.assets a set
      name = case when fields ? 'name' then fields ->> 'name' else a.name end,
      notes = case when fields ? 'notes' then fields ->> 'notes' else a.notes end,
      category = case when fields ? 'category' then fields ->> 'category' else a.category end
    where a.id = entity;
    return app.applied(op_id, tbl, entity);
  end if;

  -- Who moved it: the operator the op names (a staff profile of this organization) or the caller's own.
  refusal := app.operator_refused(op_id, tbl, entity, payload, org);
  if refusal is not null then
    return refusal;
  end if;
  staff := app.operator_of(payload, org);

  if action = 'check_out' then
    gig_id := app.as_uuid(payload -> 'gig_id');
    if gig_id is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.gig_id is required (a UUID)');
    end if;
    if base_version is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', format('%s.check_out needs base_version', tbl));
    end if;
    select * into gig from public.gigs g where g.id = gig_id;

    if tbl = 'assets' then
      verdict := app.check_out_verdict(asset, gig, base_version);
    elsif gig.id is null or gig.deleted_at is not null or gig.org_id <> org then
      verdict := 'gig_not_found';
    elsif gig.status in ('completed', 'cancelled') then
      verdict := 'gig_closed';
    elsif box.version <> base_version then
      verdict := 'conflict';
    else
      verdict := 'move';
    end if;
    case verdict
      when 'gig_not_found' then
        return app.rejected(op_id, tbl, entity, 'not_found', format('gig %s not found', gig_id));
      when 'gig_closed' then
        return app.rejected(op_id, tbl, entity, 'gig_closed', format('gig %s is %s', gig.name, gig.status));
      when 'noop' then
        return app.applied(op_id, tbl, entity, 'noop');
      when 'conflict' then
        return app.conflict(op_id, tbl, entity, base_version,
          case when tbl = 'assets' then array['status', 'current_gig_id'] else array['contents'] end);
      when 'move' then
        null;
      else
        return app.rejected(op_id, tbl, entity, verdict, app.unavailable_reason(asset, gig_id));
    end case;

    if tbl = 'assets' then
      perform app.move_assets(array[row(asset.id, 'check_out', gig_id, null, op_id, occurred, staff, null)::app.asset_move], device);
      return app.applied(op_id, tbl, entity);
    end if;

    -- A case checks out its whole contents, or nothing: lock them all, then judge each.
    contents := app.lock_case_contents(entity);
    select count(*)::integer into blocked from unnest(contents) c where app.unavailable_reason(c, gig_id) is not null;
    if blocked > 0 then
      select jsonb_agg(jsonb_build_object('asset_id', b.id, 'serial_number', b.serial_number, 'status', b.status,
                                          'current_gig_id', b.current_gig_id) order by b.serial_number),
             array_agg(app.unavailable_reason(b, gig_id) order by b.serial_number)
        into blocking, reasons
        from (select c.* from unnest(contents) c
               where app.unavailable_reason(c, gig_id) is not null
               order by c.serial_number limit 20) b;
      return app.rejected(op_id, tbl, entity, 'case_contents_unavailable',
        format('case %s cannot go out: %s%s', box.barcode, array_to_string(reasons, '; '),
               case when blocked > 20 then format(' and %s more', blocked - 20) else '' end))
        || jsonb_build_object('blocking', blocking);
    end if;
    select coalesce(array_agg(row(c.id, 'check_out', gig_id, null, op_id, occurred, staff, null)::app.asset_move order by c.id), '{}')
      into moves
      from unnest(contents) c
     where c.status = 'available';
    if cardinality(moves) > 0 then
      perform app.move_assets(moves, device);
    end if;
    update public.cases c set updated_at = now() where c.id = entity;
    return app.applied(op_id, tbl, entity) || jsonb_build_object('assets_moved', cardinality(moves));
  end if;

  -- check_in
  begin
    condition := coalesce(payload ->> 'condition', 'ok')::public.asset_condition;
  exception when invalid_text_representation then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.condition must be ok, damaged or missing_parts');
  end;
  -- What is wrong with it, in a few words (kept on the movement, shown in history).
  bad := app.note_problem(payload -> 'note', 'payload.note');
  if bad is not null then
    return app.rejected(op_id, tbl, entity, 'invalid_field', bad);
  end if;
  note := nullif(btrim(payload ->> 'note'), '');
  if tbl = 'assets' then
    verdict := app.check_in_verdict(asset, condition);
    if verdict = 'move' then
      perform app.move_assets(array[row(asset.id, 'check_in', null, condition, op_id, occurred, staff, note)::app.asset_move], device);
      return app.applied(op_id, tbl, entity);
    elsif verdict = 'noop' then
      return app.applied(op_id, tbl, entity, 'noop');
    end if;
    return app.rejected(op_id, tbl, entity, verdict, format('%s is retired', asset.serial_number));
  end if;
  contents := app.lock_case_contents(entity);
  -- Conditions per item: payload.items [{asset_id, condition, note?}] name items of the case
  -- that come back otherwise; the rest come back with payload.condition (ok when absent).
  items := coalesce(payload -> 'items', '[]'::jsonb);
  if jsonb_typeof(items) <> 'array' then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.items must be a list of {asset_id, condition, note}');
  end if;
  select b into bad_item from (
    select case
             when jsonb_typeof(e.v) <> 'object' or app.as_uuid(e.v -> 'asset_id') is null
               then format('payload.items[%s].asset_id must be the UUID of an item in the case', e.i - 1)
             when not exists (select 1 from unnest(contents) c where c.id = app.as_uuid(e.v -> 'asset_id'))
               then format('payload.items[%s]: item %s is not in case %s', e.i - 1, left(e.v ->> 'asset_id', 64), box.barcode)
             when coalesce(e.v ->> 'condition', '') not in ('ok', 'damaged', 'missing_parts')
               then format('payload.items[%s].condition must be ok, damaged or missing_parts', e.i - 1)
             when app.note_problem(e.v -> 'note', format('payload.items[%s].note', e.i - 1)) is not null
               then app.note_problem(e.v -> 'note', format('payload.items[%s].note', e.i - 1))
             when (select count(*) from jsonb_array_elements(items) d where app.as_uuid(d -> 'asset_id') = app.as_uuid(e.v -> 'asset_id')) > 1
               then format('payload.items names item %s more than once', left(e.v ->> 'asset_id', 64))
           end as b, e.i
      from jsonb_array_elements(items) with ordinality e(v, i)) checked
   where checked.b is not null
   order by checked.i
   limit 1;
  if bad_item is not null then
    return app.rejected(op_id, tbl, entity, 'invalid_field', bad_item);
  end if;
  rest_condition := condition;
  select coalesce(array_agg(row(c.id, 'check_in', null, coalesce(i.item_condition, rest_condition), op_id, occurred, staff,
                                case when i.asset_id is null then note else i.item_note end)::app.asset_move order by c.id), '{}')
    into moves
    from unnest(contents) c
    left join (select app.as_uuid(e.v -> 'asset_id') as asset_id, (e.v ->> 'condition')::public.asset_condition as item_condition,
                      nullif(btrim(e.v ->> 'note'), '') as item_note
                 from jsonb_array_elements(items) e(v)) i on i.asset_id = c.id
   where app.check_in_verdict(c, coalesce(i.item_condition, rest_condition)) = 'move';
  if cardinality(moves) > 0 then
    perform app.move_assets(moves, device);
  end if;
  update public.cases c set updated_at = now() where c.id = entity;
  return app.applied(op_id, tbl, entity, case when cardinality(moves) = 0 then 'noop' end)
      || jsonb_build_object('assets_moved', cardinality(moves));
end
$$;

create or replace function app.op_bulk_write(op_id uuid, action text, entity uuid, payload jsonb, device text, occurred timestamptz)
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
  refusal jsonb;
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
  refusal := app.operator_refused(op_id, 'bulk_items', entity, payload, item.org_id);
  if refusal is not null then
    return refusal;
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

create or replace function app.push_fast(device text, ops jsonb)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  candidates app.fast_op[];
  taken app.fast_op[];
  results jsonb;
begin
  -- Bulk quantity ops touch no asset: a batch may mix them with asset ops (they go op by op).
  if exists (select 1 from jsonb_array_elements(ops) e
              where jsonb_typeof(e) <> 'object' or coalesce(e ->> 'table', '') not in ('assets', 'bulk_items')) then
    return '{}'::jsonb;
  end if;
  -- One statement (one snapshot) reads the ops already stored and the replay horizon together.
  select array_agg(row(t.idx, t.op_id, t.action, t.entity, t.gig_id, t.base_version, t.occurred, t.seq, t.created_at,
                       t.condition::public.asset_condition, t.payload)::app.fast_op)
    into candidates
    from (
      select p.*,
             count(*) over (partition by p.entity) as per_entity,
             count(*) over (partition by p.op_id) as per_id,
             least(p.created_at, now()) as occurred
        from (
          select (e.ordinality - 1)::integer as idx, app.as_uuid(e.value -> 'id') as op_id, e.value ->> 'action' as action,
                 app.as_uuid(e.value -> 'payload' -> 'id') as entity, app.as_uuid(e.value -> 'payload' -> 'gig_id') as gig_id,
                 case when (e.value ->> 'base_version') ~ '^[0-9]{1,9}$' and jsonb_typeof(e.value -> 'base_version') = 'number'
                      then (e.value ->> 'base_version')::integer end as base_version,
                 coalesce(e.value -> 'base_version', 'null'::jsonb) = 'null'::jsonb as no_base_version,
                 app.op_created_at(e.value) as created_at,
                 e.value -> 'created_at' is null as no_created_at,
                 case when (e.value ->> 'seq') ~ '^[0-9]{1,18}$' then (e.value ->> 'seq')::bigint end as seq,
                 case when coalesce(e.value -> 'payload' ->> 'condition', 'ok') in ('ok', 'damaged', 'missing_parts')
                      then coalesce(e.value -> 'payload' ->> 'condition', 'ok') end as condition,
                 e.value -> 'payload' as payload
            from jsonb_array_elements(ops) with ordinality e
           where e.value ->> 'table' = 'assets'
        ) p
    ) t
   where t.op_id is not null and t.entity is not null and t.per_entity = 1 and t.per_id = 1
     and (t.no_created_at or t.created_at is not null)
     and (t.no_base_version or t.base_version is not null)
     and jsonb_typeof(t.payload) = 'object' and not app.payload_too_large(t.payload)
     and app.note_problem(t.payload -> 'note', 'payload.note') is null
     and ((t.action = 'check_out' and t.gig_id is not null and t.base_version is not null)
          or (t.action = 'check_in' and t.condition is not null))
     and (t.created_at is null
          or t.created_at >= app.replay_horizon())
     and not exists (select 1 from app.sync_ops s where s.device_id = device and s.op_id = t.op_id);
  if candidates is null then
    return '{}'::jsonb;
  end if;

  perform 1 from public.assets a where a.id in (select c.entity from unnest(candidates) c) order by a.id for update;

  select array_agg(c order by c.idx)
    into taken
    from unnest(candidates) c
    join public.assets a on a.id = c.entity and a.deleted_at is null
    left join public.gigs g on g.id = c.gig_id
   where app.op_allowed(app.my_role(a.org_id), 'assets', c.action)
     and app.operator_refused(c.op_id, 'assets', c.entity, c.payload, a.org_id) is null
     and case when c.action = 'check_out' then app.check_out_verdict(a, g, c.base_version)
              else app.check_in_verdict(a, c.condition) end = 'move';
  if taken is null then
    return '{}'::jsonb;
  end if;

  perform app.move_assets(array(
    select row(c.entity, c.action::public.movement_kind, c.gig_id,
               case when c.action = 'check_in' then c.condition end, c.op_id, c.occurred,
               app.operator_of(c.payload, a.org_id),
               case when c.action = 'check_in' then nullif(btrim(c.payload ->> 'note'), '') end)::app.asset_move
      from unnest(taken) c join public.assets a on a.id = c.entity order by c.idx), device);

  select jsonb_object_agg(c.idx::text, app.applied(c.op_id, 'assets', c.entity)) into results from unnest(taken) c;
  insert into app.sync_ops (device_id, op_id, user_id, seq, op_created_at, result)
  select device, c.op_id, auth.uid(), c.seq, c.created_at, results -> c.idx::text from unnest(taken) c;
  return results;
end
$$;

create or replace function public.push_changes(device_id text, ops jsonb)
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
  created timestamptz;
  expired_before timestamptz;
  held text[] := '{}';
  results jsonb[] := '{}';
  seen uuid[] := '{}';
  fast jsonb := '{}'::jsonb;
  position integer := -1;
  stored boolean;
  violated text;
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
  -- Only members push: anyone else gets a refusal per op, and nothing is stored.
  if not exists (select 1 from public.memberships m where m.user_id = auth.uid()) then
    return jsonb_build_object('results', coalesce((
      select jsonb_agg(app.rejected(case when jsonb_typeof(e.value) = 'object' then app.as_uuid(e.value -> 'id') end, null, null,
                                    'not_a_member', 'you are not a member of any organization; nothing was stored')
                       order by e.ordinality)
        from jsonb_array_elements(ops) with ordinality e), '[]'::jsonb));
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

    -- Later ops on an entity wait behind an earlier one that did not apply (the entity read as
    -- a UUID, so the same id in another letter case is the same entity).
    entity_key := coalesce(op ->> 'table', '') || ':'
      || coalesce(app.as_uuid(op -> 'payload' -> 'id')::text, op -> 'payload' ->> 'id', '');
    if entity_key = any (held) then
      results := results || (app.result(this_op, 'retry', op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
        jsonb_build_object('code', 'held', 'message', 'an earlier op on this entity did not apply')));
      continue;
    end if;

    -- Not remembered and created before the replay horizon (the prune watermark, or the replay
    -- window when no prune has run): it may have applied already (its record pruned), or the
    -- device's clock is wrong, so it is never applied. Read after the lookup above, so a prune
    -- committing in between is seen by one of the two.
    created := app.op_created_at(op);
    expired_before := app.replay_horizon();
    if created < expired_before then
      results := results || (app.rejected(this_op, op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'), 'replay_expired',
        format('op created at %s is older than the server remembers (it keeps ops for %s; ops created before %s are not applied): it may have been applied already, or the device''s clock is wrong',
               created, app.replay_window(), expired_before)));
      held := held || entity_key;
      continue;
    end if;

    -- The op's effect and its record commit together. A twin of this op (the same device and op
    -- id: a retried request racing the original) that committed meanwhile makes the record
    -- collide; then this attempt's effect is undone with the block and the twin's answer stands.
    stored := false;
    begin
      outcome := app.apply_op(op, push_changes.device_id);
      if outcome ->> 'status' <> 'retry' then
        insert into app.sync_ops (device_id, op_id, user_id, seq, op_created_at, result)
        values (push_changes.device_id, this_op, auth.uid(),
                case when (op ->> 'seq') ~ '^[0-9]{1,18}$' then (op ->> 'seq')::bigint end, created, outcome);
        stored := true;
      end if;
    exception
      when unique_violation then
        get stacked diagnostics violated = constraint_name;
        if violated = 'sync_ops_pkey' then
          outcome := null;
        else
          outcome := app.rejected(this_op, op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'), 'already_exists', sqlerrm);
        end if;
      when serialization_failure or deadlock_detected or lock_not_available or query_canceled then
        outcome := app.result(this_op, 'retry', op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
          jsonb_build_object('code', 'transient', 'message', sqlerrm));
      when others then
        outcome := app.rejected(this_op, op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'),
          case
            when sqlstate in ('22P02', '22007', '22008', '22003', '22001') then 'invalid_field'
            when sqlstate = '23514' then 'constraint_violation'
            when sqlstate = '23503' then 'invalid_reference'
            else 'invalid'
          end,
          sqlerrm);
    end;
    -- A refusal that undid the op's effect is recorded now (unless a twin recorded its answer first).
    if outcome is not null and not stored and outcome ->> 'status' <> 'retry' then
      insert into app.sync_ops (device_id, op_id, user_id, seq, op_created_at, result)
      values (push_changes.device_id, this_op, auth.uid(),
              case when (op ->> 'seq') ~ '^[0-9]{1,18}$' then (op ->> 'seq')::bigint end, created, outcome)
      on conflict on constraint sync_ops_pkey do nothing;
      if not found then
        outcome := null;
      end if;
    end if;
    if outcome is null then
      select * into previous from app.sync_ops s where s.device_id = push_changes.device_id and s.op_id = this_op;
      outcome := case when previous.user_id is distinct from auth.uid()
                      then app.rejected(this_op, op ->> 'table', null, 'op_id_reused', 'this op id was used by another user')
                      else previous.result end;
    end if;

    if outcome ->> 'status' in ('conflict', 'rejected') then
      held := held || entity_key;
    end if;
    results := results || (outcome);
  end loop;

  return jsonb_build_object('results', to_jsonb(results));
end
$$;

-- Forgets ops created before `cutoff` (default: the replay window; never later than now).
create or replace function app.prune_sync_ops(cutoff timestamptz default now() - app.replay_window())
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  effective timestamptz;
  deleted integer;
  compacted integer;
begin
  insert into app.sync_ops_pruned as p (singleton, pruned_before) values (true, least(cutoff, now()))
  on conflict (singleton) do update set pruned_before = greatest(p.pruned_before, excluded.pruned_before)
  returning p.pruned_before into effective;
  delete from app.sync_ops s where s.op_created_at < effective;
  get diagnostics deleted = row_count;
  update app.sync_ops s
     set result = app.rejected(s.op_id, s.result ->> 'table', app.as_uuid(s.result -> 'entity_id'), 'replay_expired',
                               'this op is older than the server remembers; it may have been applied already, so it is not applied again')
   where s.recorded_at < effective and s.result ->> 'code' is distinct from 'replay_expired';
  get diagnostics compacted = row_count;
  return deleted + compacted;
end
$$;
revoke all on function app.prune_sync_ops(timestamptz) from public, anon, authenticated;

drop function app.operator_problem(jsonb, uuid);
