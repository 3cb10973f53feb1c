-- Adversarial fixes (issue 15, "the same class of defect elsewhere"): what the RPC attack suite
-- (tests/adversarial/rpc-*.test.ts) found that the earlier hardening left open.
-- * Racing writers on the gig tree: a gig created or moved under a parent while another manager
--   deleted that parent stayed live under a deleted gig (invisible in the hierarchy, still found,
--   pulled and checked out to). The writer now takes a shared lock on the parent it judges (in
--   op_gig_write and in the gigs trigger, for any writer), so the delete is waited for and seen.
-- * Racing writers on stock: an asset checked out while its gig was being deleted or completed
--   ended up out to a deleted / closed gig. Setting an asset's current gig now locks that gig
--   (shared) and re-checks it on what is committed; a gig that changed meanwhile answers the push
--   `retry` (the next attempt gets the plain `not_found` / `gig_closed`).
-- * A retried push racing the original (same device, same op id, e.g. after a client timeout)
--   failed the whole batch with 23505 on sync_ops_pkey (HTTP 409). The late copy now gets the
--   first copy's stored answer and its own effect is undone.
-- (pull_changes' cursor checks are in …000500_pull_cursor_checks, after …000400 redefined it.)

-- 1. The gig tree: lock the parent being judged -------------------------------------------------
create or replace function app.gigs_before_write()
returns trigger
language plpgsql set search_path = extensions
as $$
declare
  parent record;
begin
  if tg_op = 'UPDATE' then
    if new.id <> old.id or new.org_id <> old.org_id then
      raise exception 'a gig''s id and organization cannot change' using errcode = '22023';
    end if;
    if new.status <> old.status and not app.gig_status_transition_allowed(old.status, new.status) then
      raise exception 'gig status cannot change from % to %', old.status, new.status
        using errcode = '22023', hint = 'allowed: draft→confirmed|cancelled, confirmed→draft|in_progress|cancelled, in_progress→completed|cancelled, cancelled→draft';
    end if;
    -- The path belongs to the database: only the re-parenting cascade (a nested trigger) sets it.
    if new.parent_gig_id is not distinct from old.parent_gig_id and new.path <> old.path and pg_trigger_depth() = 1 then
      new.path := old.path;
    end if;
    new.version := old.version + 1;
    new.updated_at := now();
  end if;

  if tg_op = 'INSERT' or new.parent_gig_id is distinct from old.parent_gig_id then
    if new.parent_gig_id is null then
      new.path := app.gig_label(new.id);
    else
      -- Shared lock: a delete (or move) of the parent committing meanwhile is waited for, and the
      -- checks below see it; the parent cannot be deleted until this write commits.
      select g.path, g.org_id, g.deleted_at into parent from public.gigs g where g.id = new.parent_gig_id for share;
      if not found then
        raise exception 'parent gig % does not exist', new.parent_gig_id using errcode = '23503';
      end if;
      if parent.org_id <> new.org_id then
        raise exception 'gig % cannot have a parent in another organization', new.id using errcode = '23514';
      end if;
      if tg_op = 'UPDATE' and parent.path operator(extensions.<@) old.path then
        raise exception 'moving gig % under % would create a cycle in the hierarchy', new.id, new.parent_gig_id
          using errcode = '23514';
      end if;
      if parent.deleted_at is not null and new.deleted_at is null then
        raise exception 'parent gig % is deleted', new.parent_gig_id using errcode = '23514';
      end if;
      new.path := parent.path operator(extensions.||) app.gig_label(new.id);
    end if;
  end if;
  return new;
end
$$;

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

-- 2. Stock: an asset goes out only to a live, open gig, judged under a lock ----------------------
-- The verdicts read the gig without locking it (the fast path for a whole batch at once); this
-- trigger is the one place every write that sets an asset's current gig passes through.
create function app.assets_check_out_target()
returns trigger
language plpgsql set search_path = ''
as $$
declare
  target record;
begin
  select g.deleted_at, g.status into target from public.gigs g where g.id = new.current_gig_id for share;
  if target.deleted_at is not null or target.status in ('completed', 'cancelled') then
    raise exception 'gig % changed while the asset was being checked out to it', new.current_gig_id
      using errcode = '40001', hint = 'send the op again: it is judged on the gig as it is now';
  end if;
  return new;
end
$$;
revoke all on function app.assets_check_out_target() from public, anon, authenticated;

create trigger assets_check_out_target before update of current_gig_id on public.assets
  for each row when (new.current_gig_id is not null and new.current_gig_id is distinct from old.current_gig_id)
  execute function app.assets_check_out_target();

-- 3. push_changes: a twin of an op that committed first answers for both ------------------------
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
