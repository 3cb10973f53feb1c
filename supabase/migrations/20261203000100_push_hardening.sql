-- Push path hardening (issue 15, items 1, 2, 3 and 5), on top of …002000_sync_push:
-- * One implementation of the stock write: `app.move_assets` (set-based) records movements and
--   moves assets for the per-op path, case ops and the set-based fast path alike, and one verdict
--   per action (`app.check_out_verdict`, `app.check_in_verdict`) decides what an op does on both
--   paths. The fast path reads entity and op ids as UUIDs (so "a" and "A" are one asset) and
--   leaves any entity that appears twice in a batch to the per-op path, which applies in order.
-- * A case checks out all of its contents or none: the case tree and its assets are locked in id
--   order first, then every content is judged on what is committed; a refusal names each blocking
--   item and where it is (`blocking`).
-- * app.sync_ops stays bounded: only members of an organization may push (`not_a_member`, nothing
--   stored), every echoed string is cut (table 64, code 64, message 500 characters), the payload
--   limit is 16,384 bytes (octet_length), and `app.prune_sync_ops` (pg_cron daily, where enabled)
--   forgets ops created more than 30 days ago. It first raises a watermark: an op created before
--   it that the server no longer remembers is answered `replay_expired` and never applied, so a
--   device replaying after the retention cannot apply anything twice.
-- * Role rules: stations may change only asset notes; set_status, move and update on a
--   soft-deleted gig are `deleted`; a move under a deleted parent is `not_found`; gigs.create with
--   an id already taken (in any organization) is `id_unavailable`, the same answer whoever owns it;
--   field values must be text (or null where the column allows it).

-- sync_ops: the op's own created_at (as sent, unclamped) decides when it may be forgotten.
alter table app.sync_ops add column op_created_at timestamptz;
create index sync_ops_op_created_idx on app.sync_ops (op_created_at) where op_created_at is not null;
create index sync_ops_undated_idx on app.sync_ops (recorded_at) where op_created_at is null;

-- Ops created before `pruned_before` may have been forgotten (one row; absent until a prune runs).
create table app.sync_ops_pruned (
  singleton boolean primary key default true check (singleton),
  pruned_before timestamptz not null
);
alter table app.sync_ops_pruned enable row level security;

-- Every result is built here; strings that can carry client input are cut so a stored result
-- stays small whatever the op held.
create or replace function app.result(op_id uuid, status text, tbl text, entity uuid, extra jsonb default '{}')
returns jsonb
language sql immutable set search_path = extensions
as $$
  select jsonb_build_object('op_id', op_id, 'status', status, 'table', left(tbl, 64), 'entity_id', entity)
      || extra
      || case when extra ? 'code' then jsonb_build_object('code', left(extra ->> 'code', 64)) else '{}'::jsonb end
      || case when extra ? 'message' then jsonb_build_object('message', left(extra ->> 'message', 500)) else '{}'::jsonb end
$$;

-- The payload limit, in bytes as stored and sent (UTF-8), not characters.
create function app.payload_too_large(payload jsonb)
returns boolean
language sql immutable set search_path = extensions
as $$
  select octet_length(payload::text) > 16384
$$;

-- The op's created_at as sent (null when absent or not a timestamp).
create function app.op_created_at(op jsonb)
returns timestamptz
language plpgsql stable set search_path = extensions
as $$
begin
  if jsonb_typeof(op -> 'created_at') is distinct from 'string' then
    return null;
  end if;
  return (op ->> 'created_at')::timestamptz;
exception when others then
  return null;
end
$$;

-- The first key of `obj` (among `keys`) whose value is not a string (JSON null allowed for
-- `nullable`), or null when all are fine.
create function app.non_text_field(obj jsonb, keys text[], nullable text[] default '{}')
returns text
language sql immutable set search_path = extensions
as $$
  select k from unnest(keys) k
   where obj ? k and jsonb_typeof(obj -> k) <> 'string' and not (k = any (nullable) and jsonb_typeof(obj -> k) = 'null')
   order by k limit 1
$$;

-- One rule for what a check-out does: move, noop, conflict, or a refusal code.
create function app.check_out_verdict(asset public.assets, gig public.gigs, base_version integer)
returns text
language sql stable set search_path = extensions
as $$
  select case
    when gig.id is null or gig.deleted_at is not null or gig.org_id <> asset.org_id then 'gig_not_found'
    when gig.status in ('completed', 'cancelled') then 'gig_closed'
    when asset.status = 'checked_out' and asset.current_gig_id = gig.id then 'noop'
    when base_version is null or asset.version <> base_version then 'conflict'
    when asset.status = 'checked_out' then 'checked_out_elsewhere'
    when asset.status <> 'available' then 'asset_' || asset.status
    else 'move'
  end
$$;

-- One rule for what a check-in does: always welcome (the condition decides where the item goes)
-- except for retired items; a good item already in is a noop.
create function app.check_in_verdict(asset public.assets, condition public.asset_condition)
returns text
language sql stable set search_path = extensions
as $$
  select case
    when asset.status = 'retired' then 'asset_retired'
    when asset.status in ('checked_out', 'lost') or condition <> 'ok' then 'move'
    else 'noop'
  end
$$;

-- The one stock write: records the movements (check_in then quarantine for a damaged item) and
-- moves the assets, for any number of assets, each at most once.
create type app.asset_move as (asset_id uuid, kind public.movement_kind, gig_id uuid, condition public.asset_condition,
                               op_id uuid, occurred timestamptz);

create function app.move_assets(moves app.asset_move[], device text)
returns void
language plpgsql set search_path = extensions
as $$
begin
  if (select count(distinct m.asset_id) from unnest(moves) m) <> cardinality(moves) then
    raise exception 'an asset moves at most once per write';
  end if;
  insert into public.asset_movements (org_id, asset_id, kind, gig_id, condition, actor_user_id, device_id, client_op_id, occurred_at)
  select a.org_id, a.id, k.kind, k.gig_id, k.condition, auth.uid(), device, m.op_id, m.occurred
    from unnest(moves) with ordinality as m(asset_id, kind, gig_id, condition, op_id, occurred, ord)
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

-- A case's contents, locked: the case tree, then its assets, each in id order (so two writers
-- never wait on each other in a cycle), then read again, so the answer is judged on what is
-- committed once nobody else can change it.
create function app.lock_case_contents(root uuid)
returns public.assets[]
language plpgsql set search_path = extensions
as $$
declare
  contents public.assets[];
begin
  perform 1 from public.cases c
   where c.id in (with recursive tree(id) as (
                    select root
                    union
                    select c2.id from public.cases c2 join tree on c2.parent_case_id = tree.id where c2.deleted_at is null)
                  select tree.id from tree)
   order by c.id for update;
  perform 1 from public.assets a where a.id in (select app.case_contents(root)) order by a.id for update;
  select coalesce(array_agg(a order by a.id), '{}') into contents
    from public.assets a where a.id in (select app.case_contents(root));
  return contents;
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
      perform app.move_assets(array[row(asset.id, 'check_out', gig_id, null, op_id, occurred)::app.asset_move], device);
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
    select coalesce(array_agg(row(c.id, 'check_out', gig_id, null, op_id, occurred)::app.asset_move order by c.id), '{}')
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
  if tbl = 'assets' then
    verdict := app.check_in_verdict(asset, condition);
    if verdict = 'move' then
      perform app.move_assets(array[row(asset.id, 'check_in', null, condition, op_id, occurred)::app.asset_move], device);
      return app.applied(op_id, tbl, entity);
    elsif verdict = 'noop' then
      return app.applied(op_id, tbl, entity, 'noop');
    end if;
    return app.rejected(op_id, tbl, entity, verdict, format('%s is retired', asset.serial_number));
  end if;
  contents := app.lock_case_contents(entity);
  select coalesce(array_agg(row(c.id, 'check_in', null, condition, op_id, occurred)::app.asset_move order by c.id), '{}')
    into moves
    from unnest(contents) c
   where app.check_in_verdict(c, condition) = 'move';
  if cardinality(moves) > 0 then
    perform app.move_assets(moves, device);
  end if;
  update public.cases c set updated_at = now() where c.id = entity;
  return app.applied(op_id, tbl, entity, case when cardinality(moves) = 0 then 'noop' end)
      || jsonb_build_object('assets_moved', cardinality(moves));
end
$$;

-- The per-asset writer above is the only one now.
drop function app.move_asset(public.assets, public.movement_kind, uuid, public.asset_condition, uuid, text, timestamptz);

-- Judged under a shared lock on the parent, so a parent deleted meanwhile is waited for and seen
-- (the race found by tests/adversarial/rpc-races.test.ts).
create or replace function app.op_gig_write(op_id uuid, action text, entity uuid, payload jsonb, base_version integer)
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
  violated text;
begin
  if action = 'create' then
    -- One answer for an id already taken, whoever owns it: the answer must not tell a caller
    -- whether another organization has a gig with that id.
    if exists (select 1 from public.gigs g where g.id = entity) then
      return app.rejected(op_id, 'gigs', entity, 'id_unavailable', format('gig id %s cannot be used; create the gig with a new id', entity));
    end if;
    parent_id := app.as_uuid(payload -> 'parent_gig_id');
    if payload ? 'parent_gig_id' and payload -> 'parent_gig_id' <> 'null'::jsonb and parent_id is null then
      return app.rejected(op_id, 'gigs', entity, 'invalid_field', 'payload.parent_gig_id must be a UUID or null');
    end if;
    if parent_id is not null then
      -- Locked (shared) so a delete of the parent committing meanwhile is waited for and seen.
      select * into new_parent from public.gigs g where g.id = parent_id and g.deleted_at is null for share;
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
    bad := app.non_text_field(payload, array['venue', 'notes', 'starts_at', 'ends_at', 'code'], array['venue', 'notes', 'starts_at', 'ends_at']);
    if bad is not null then
      return app.rejected(op_id, 'gigs', entity, 'invalid_field', format('payload.%s must be a string', bad));
    end if;
    begin
      insert into public.gigs (id, org_id, parent_gig_id, name, venue, notes, starts_at, ends_at, code)
      values (entity, target_org, parent_id, payload ->> 'name', payload ->> 'venue', payload ->> 'notes',
              (payload ->> 'starts_at')::timestamptz, (payload ->> 'ends_at')::timestamptz,
              coalesce(payload ->> 'code', 'GIG-' || upper(substr(replace(entity::text, '-', ''), 1, 10))));
    exception when unique_violation then
      get stacked diagnostics violated = constraint_name;
      if violated = 'gigs_pkey' then
        -- Taken by a writer that committed after the check above: the same answer.
        return app.rejected(op_id, 'gigs', entity, 'id_unavailable', format('gig id %s cannot be used; create the gig with a new id', entity));
      end if;
      raise;
    end;
    return app.applied(op_id, 'gigs', entity);
  end if;

  select * into gig from public.gigs g where g.id = entity for update;
  if not found or app.my_role(gig.org_id) is null then
    return app.rejected(op_id, 'gigs', entity, 'not_found', format('gig %s not found', entity));
  end if;
  if not app.op_allowed(app.my_role(gig.org_id), 'gigs', action) then
    return app.rejected(op_id, 'gigs', entity, 'forbidden', format('your role cannot %s gigs', action));
  end if;
  if action = 'delete' then
    if gig.deleted_at is not null then
      return app.applied(op_id, 'gigs', entity, 'noop');
    end if;
    update public.gigs g set deleted_at = now() where g.id = entity;
    return app.applied(op_id, 'gigs', entity);
  end if;
  -- Nothing but delete (a noop) touches a deleted gig.
  if gig.deleted_at is not null then
    return app.rejected(op_id, 'gigs', entity, 'deleted', format('gig %s was deleted', entity));
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
          format('gigs.update cannot change %s; allowed: name, venue, notes, starts_at, ends_at', left(bad, 200)));
      end if;
      bad := app.non_text_field(fields, array['name', 'venue', 'notes', 'starts_at', 'ends_at'], array['venue', 'notes', 'starts_at', 'ends_at']);
      if bad is not null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field',
          format('payload.fields.%s must be a string%s', bad, case when bad = 'name' then '' else ' or null' end));
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
        select * into new_parent from public.gigs g where g.id = parent_id and g.deleted_at is null for share;
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
  end case;
end
$$;

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
  if jsonb_typeof(op -> 'table') is distinct from 'string' or tbl not in ('gigs', 'assets', 'cases') then
    return app.rejected(op_id, tbl, null, 'unknown_table',
      format('unknown table %s; ops may target gigs, assets or cases', coalesce(quote_literal(left(tbl, 64)), '(missing)')));
  end if;
  if jsonb_typeof(op -> 'action') is distinct from 'string' or not (
       (tbl = 'gigs' and action in ('create', 'update', 'set_status', 'move', 'delete'))
    or (tbl = 'assets' and action in ('check_out', 'check_in', 'update'))
    or (tbl = 'cases' and action in ('check_out', 'check_in'))) then
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
  -- The station's clock says when the scan happened; a clock far ahead is not trusted.
  if jsonb_typeof(op -> 'created_at') = 'string' then
    if app.op_created_at(op) is null then
      return app.rejected(op_id, tbl, entity, 'invalid_field', 'op.created_at must be an ISO 8601 timestamp');
    end if;
    occurred := least(app.op_created_at(op), now());
  end if;

  if tbl = 'gigs' then
    return app.op_gig_write(op_id, action, entity, payload, base_version);
  end if;
  return app.op_stock_write(op_id, tbl, action, entity, payload, base_version, device, occurred);
end
$$;

-- The fast path: plain asset check-outs and check-ins, each asset once in the batch, judged by the
-- same verdicts and written by the same app.move_assets as the per-op path, for the whole batch
-- at once. Anything else (another entity twice, an op that would be refused or conflict, an op
-- older than the prune watermark, any error) goes through the per-op path.
alter type app.fast_op add attribute created_at timestamptz, add attribute condition public.asset_condition;

create or replace function app.push_fast(device text, ops jsonb)
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
  -- One statement (one snapshot) reads the ops already stored and the prune watermark together.
  select array_agg(row(t.idx, t.op_id, t.action, t.entity, t.gig_id, t.base_version, t.occurred, t.seq, t.created_at,
                       t.condition::public.asset_condition)::app.fast_op)
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
        ) p
    ) t
   where t.op_id is not null and t.entity is not null and t.per_entity = 1 and t.per_id = 1
     and (t.no_created_at or t.created_at is not null)
     and (t.no_base_version or t.base_version is not null)
     and jsonb_typeof(t.payload) = 'object' and not app.payload_too_large(t.payload)
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
     and case when c.action = 'check_out' then app.check_out_verdict(a, g, c.base_version)
              else app.check_in_verdict(a, c.condition) end = 'move';
  if taken is null then
    return '{}'::jsonb;
  end if;

  perform app.move_assets(array(
    select row(c.entity, c.action::public.movement_kind, c.gig_id,
               case when c.action = 'check_in' then c.condition end, c.op_id, c.occurred)::app.asset_move
      from unnest(taken) c order by c.idx), device);

  select jsonb_object_agg(c.idx::text, app.applied(c.op_id, 'assets', c.entity)) into results from unnest(taken) c;
  insert into app.sync_ops (device_id, op_id, user_id, seq, op_created_at, result)
  select device, c.op_id, auth.uid(), c.seq, c.created_at, results -> c.idx::text from unnest(taken) c;
  return results;
end
$$;

-- A twin of an op that committed first (a retried request racing the original) answers with the
-- first copy's stored result and its own effect is undone, instead of failing the batch on sync_ops_pkey.
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

    -- Not remembered and created before the prune watermark: it may have applied already (its
    -- record pruned), so it is never applied again. Read after the lookup above, so a prune
    -- committing in between is seen by one of the two.
    created := app.op_created_at(op);
    select w.pruned_before into expired_before from app.sync_ops_pruned w;
    if created < expired_before then
      results := results || (app.rejected(this_op, op ->> 'table', app.as_uuid(op -> 'payload' -> 'id'), 'replay_expired',
        format('op created at %s is older than the server remembers (ops created before %s are pruned); it may have been applied already, so it is not applied again',
               created, expired_before)));
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

-- Forgets ops created before `cutoff` (default: the 30-day retention; never later than now).
-- The watermark is raised first, in the same transaction, so every op the delete may forget is
-- answered replay_expired from then on. Ops sent without created_at cannot be judged by age:
-- once recorded before the cutoff, their stored answer is replaced by a small replay_expired one.
-- Returns how many rows were deleted or compacted.
create function app.prune_sync_ops(cutoff timestamptz default now() - interval '30 days')
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

do $$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('sync-ops-prune', '17 3 * * *', 'select app.prune_sync_ops()');
  end if;
end
$$;
