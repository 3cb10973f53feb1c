-- Accountability (issue 18): every movement records who did it, from which station or phone, and
-- when it was scanned; a case comes back with conditions per item, and a condition carries a note.
-- * payload.staff_id on asset and case ops names the operator (the badge scanned at the station,
--   or the signed-in crew member's staff profile). It must be a staff profile of the item's
--   organization: another organization's or an unknown id is refused (`staff_not_found`), not
--   recorded. Without one, the caller's own staff profile in that organization (if any) is the
--   operator. asset_movements.staff_id references the staff profile (same organization).
-- * occurred_at is the scan time (op.created_at): clamped to now for a clock ahead (apply_op,
--   …000500), and an op older than the prune watermark is never applied (replay_expired).
-- * payload.note (at most 500 characters) on a check-in says what is wrong; it is kept on the
--   movement (asset_movements.note) and returned by get_asset_history with the staff name and
--   device.
-- * cases.check_in takes payload.items [{asset_id, condition, note?}]: the items named come back
--   with their own condition (a damaged one goes to quarantine), the rest with payload.condition
--   (ok when absent), each with one movement. An item not in the case is refused (invalid_field).
-- op_stock_write, move_assets and push_fast are …000100_push_hardening's definitions with the
-- operator and the note added.

alter table public.asset_movements add column note text check (length(note) <= 500);
alter table public.asset_movements
  add constraint asset_movements_staff_fkey foreign key (org_id, staff_id) references public.staff_profiles (org_id, id);
create index asset_movements_staff_idx on public.asset_movements (org_id, staff_id) where staff_id is not null;

alter type app.asset_move add attribute staff_id uuid, add attribute note text;
alter type app.fast_op add attribute payload jsonb;

-- The one stock write: records the movements (check_in then quarantine for a damaged item) with
-- the operator and note, and moves the assets, for any number of assets, each at most once.
create or replace function app.move_assets(moves app.asset_move[], device text)
returns void
language plpgsql set search_path = extensions
as $$
begin
  if (select count(distinct m.asset_id) from unnest(moves) m) <> cardinality(moves) then
    raise exception 'an asset moves at most once per write';
  end if;
  insert into public.asset_movements (org_id, asset_id, kind, gig_id, condition, actor_user_id, staff_id, device_id, client_op_id,
                                      occurred_at, note)
  select a.org_id, a.id, k.kind, k.gig_id, k.condition, auth.uid(), m.staff_id, device, m.op_id, m.occurred, m.note
    from unnest(moves) with ordinality as m(asset_id, kind, gig_id, condition, op_id, occurred, staff_id, note, ord)
    join public.assets a on a.id = m.asset_id
   cross join lateral (values
     (1, m.kind, case when m.kind = 'check_out' then m.gig_id else a.current_gig_id end, m.condition),
     (2, 'quarantine'::public.movement_kind, null::uuid, m.condition)) as k(step, kind, gig_id, condition)
   where k.step = 1 or (m.kind = 'check_in' and m.condition = 'damaged')
   order by m.ord, k.step;
  update public.assets a
     set status = case
                    when m.kind = 'check_out' then 'checked_out'::public.asset_status
                    when m.condition = 'damaged' then 'quarantined'::public.asset_status
                    when m.condition = 'missing_parts' then 'in_maintenance'::public.asset_status
                    else 'available'::public.asset_status
                  end,
         current_gig_id = case when m.kind = 'check_out' then m.gig_id end
    from unnest(moves) m
   where a.id = m.asset_id;
end
$$;

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
  problem text;
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
  problem := app.operator_problem(payload, org);
  if problem is not null then
    return app.rejected(op_id, tbl, entity, case when problem like 'payload.%' then 'invalid_field' else 'staff_not_found' end, problem);
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
  if coalesce(payload -> 'note', 'null'::jsonb) <> 'null'::jsonb
     and (jsonb_typeof(payload -> 'note') <> 'string' or length(payload ->> 'note') > 500) then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.note must be text of at most 500 characters');
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
             when coalesce(e.v -> 'note', 'null'::jsonb) <> 'null'::jsonb
                  and (jsonb_typeof(e.v -> 'note') <> 'string' or length(e.v ->> 'note') > 500)
               then format('payload.items[%s].note must be text of at most 500 characters', e.i - 1)
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
  -- One statement (one snapshot) reads the ops already stored and the prune watermark together.
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
                 case when (e.value ->> 'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$'
                      then (e.value ->> 'created_at')::timestamptz end as created_at,
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
     and (coalesce(t.payload -> 'note', 'null'::jsonb) = 'null'::jsonb
          or (jsonb_typeof(t.payload -> 'note') = 'string' and length(t.payload ->> 'note') <= 500))
     and ((t.action = 'check_out' and t.gig_id is not null and t.base_version is not null)
          or (t.action = 'check_in' and t.condition is not null))
     and (t.created_at is null
          or t.created_at >= coalesce((select w.pruned_before from app.sync_ops_pruned w), '-infinity'::timestamptz))
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
     and app.operator_problem(c.payload, a.org_id) is null
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

-- History names who moved the item, from which device, and what the condition's note said.
drop function public.get_asset_history(uuid, integer);
create function public.get_asset_history(p_asset_id uuid, p_limit integer default 500)
returns table (
  id bigint,
  kind public.movement_kind,
  occurred_at timestamptz,
  gig_id uuid,
  gig_name text,
  gig_code text,
  from_gig_id uuid,
  from_gig_name text,
  condition public.asset_condition,
  staff_id uuid,
  staff_name text,
  device_id text,
  note text
)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  asset_org uuid;
begin
  if p_asset_id is null then
    raise exception 'p_asset_id is required' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 5000 then
    raise exception 'p_limit must be between 1 and 5000, got %', p_limit using errcode = '22023';
  end if;
  select a.org_id into asset_org from public.assets a where a.id = p_asset_id;
  if asset_org is null or not app.can_read_org(asset_org) then
    return;
  end if;
  return query
    select m.id, m.kind, m.occurred_at, m.gig_id, g.name, g.code, m.from_gig_id, fg.name, m.condition, m.staff_id, s.display_name,
           m.device_id, m.note
      from public.asset_movements m
      left join public.gigs g on g.id = m.gig_id
      left join public.gigs fg on fg.id = m.from_gig_id
      left join public.staff_profiles s on s.id = m.staff_id and s.org_id = m.org_id
     where m.asset_id = p_asset_id and m.org_id = asset_org
     order by m.occurred_at desc, m.id desc
     limit p_limit;
end
$$;
revoke execute on function public.get_asset_history(uuid, integer) from public, anon;
grant execute on function public.get_asset_history(uuid, integer) to authenticated, service_role;
