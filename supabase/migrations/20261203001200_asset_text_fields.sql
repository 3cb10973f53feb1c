-- An item's name, category and notes as people and attackers type them (issue 18, left from the
-- outside tester's pass): assets.update stored anything the table's checks let through — terminal
-- escapes, bells, C1 controls in notes (shown later on every station and phone, written into
-- exports), line breaks in a name, and a name or category over the table's limit aborted the whole
-- push with a constraint error instead of refusing the one op.
-- * app.asset_text_problem(fields): the one rule, in words per field. name (1–200 after trimming)
--   and category (1–80) are one line: no control characters at all. notes (at most 10,000) may
--   hold line breaks and tabs, no other control character (C0, DEL, C1). The lengths are the
--   table's own checks, now refused as invalid_field for the op instead of failing the batch.
-- * app.op_stock_write is …001000_push_input_hardening's definition with that check added to the
--   assets.update branch (push_fast does not take updates: they always come through here).

create function app.asset_text_problem(fields jsonb)
returns text
language sql immutable set search_path = ''
as $$
  select coalesce(
    case
      when fields ? 'name' and length(btrim(fields ->> 'name')) not between 1 and 200
        then format('payload.fields.name must be 1–200 characters, got %s', length(btrim(fields ->> 'name')))
      when fields ? 'name' and (fields ->> 'name') ~ '[\x01-\x1f\x7f-\x9f]'
        then 'payload.fields.name: control characters and line breaks are not allowed (one line of text)'
    end,
    case
      when fields ? 'category' and length(btrim(fields ->> 'category')) not between 1 and 80
        then format('payload.fields.category must be 1–80 characters, got %s', length(btrim(fields ->> 'category')))
      when fields ? 'category' and (fields ->> 'category') ~ '[\x01-\x1f\x7f-\x9f]'
        then 'payload.fields.category: control characters and line breaks are not allowed (one line of text)'
    end,
    case
      when fields ->> 'notes' is null then null
      when length(fields ->> 'notes') > 10000
        then format('payload.fields.notes must be at most 10000 characters, got %s', length(fields ->> 'notes'))
      when (fields ->> 'notes') ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]'
        then 'payload.fields.notes: control characters are not allowed (line breaks and tabs are)'
    end);
$$;
revoke execute on function app.asset_text_problem(jsonb) from public, anon, authenticated;

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
    bad := app.asset_text_problem(fields);
    if bad is not null then
      return app.rejected(op_id, tbl, entity, 'invalid_field', bad);
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
