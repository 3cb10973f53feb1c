-- Planning offline (issue 19): a gig's pick list (kit_assignments) and crew (gig_staff) change by
-- queued ops like everything else — create / update / delete through push_changes, idempotent by
-- op id (push_changes' sync_ops), refused for roles that do not plan (app.op_allowed: admins and
-- managers) and for rows of another organization (the same answer as a row that does not exist).
-- A gig's start and end become their own version-checked op (`set_times`): moving a set time is
-- a critical change (crew are told), so one decided on an old version is a conflict, while
-- `update` stays last-write-wins for names, venue, notes and the venue's time zone.

-- Words for rows in refusals: names, never ids.
create function app.gig_words(gig public.gigs)
returns text
language sql immutable set search_path = extensions
as $$
  select format('"%s"', left(gig.name, 80))
$$;

create function app.asset_words(asset_id uuid)
returns text
language sql stable set search_path = extensions
as $$
  select format('%s · %s', left(a.name, 80), a.serial_number) from public.assets a where a.id = asset_id
$$;

-- A device computes availability from its own copy, so it needs its organizations' prep and
-- return buffers (…000400): they come with the memberships it already reads at sign-in.
create or replace function public.my_memberships()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('org_id', m.org_id, 'role', m.role,
                                               'prep_buffer_hours', o.prep_buffer_hours,
                                               'return_buffer_hours', o.return_buffer_hours) order by m.org_id), '[]'::jsonb)
    from public.memberships m
    join public.organizations o on o.id = m.org_id
   where m.user_id = (select auth.uid())
$$;

-- Overbooking (issue 19): a pick list line for an item (or a case holding it) that another gig
-- holds at the same time is a conflict in words unless the planner confirms it, and a confirmed
-- one is recorded on the line (who, when). "Holds" as core/views/availability.ts defines it: a
-- live draft / confirmed / in-progress gig that is neither inside nor above this one, whose
-- window (dates, an ancestor's when it has none, widened by the buffers) overlaps this gig's,
-- plans the item by an asset line or a case line; or the item is out to such a gig (any window)
-- and that gig is not back before this one starts. A gig without dates clashes with nothing.
alter table public.kit_assignments
  add column overbooking_confirmed_at timestamptz,
  add column overbooking_confirmed_by uuid;

-- The other gigs holding any of `wanted` during `gig`'s window: [{gig_id, name, code, reason, items}].
create function app.plan_clashes(gig public.gigs, wanted uuid[])
returns jsonb
language sql stable set search_path = ''
as $$
  with recursive subject as (
    select w from app.gig_window(gig.id) w where w is not null
  ),
  holding_cases (case_id) as (
    select a.case_id from public.assets a where a.id = any (wanted) and a.case_id is not null
    union
    select c.parent_case_id from public.cases c join holding_cases h on c.id = h.case_id where c.parent_case_id is not null
  ),
  candidates as (
    select distinct k.gig_id from public.kit_assignments k
     where k.org_id = gig.org_id and (k.asset_id = any (wanted) or k.case_id in (select case_id from holding_cases))
    union
    select distinct a.current_gig_id from public.assets a where a.id = any (wanted) and a.current_gig_id is not null
  ),
  others as (
    select g.id, g.name, g.code, g.status, w.w_from, w.w_to
      from public.gigs g
      left join app.gig_windows(array(select gig_id from candidates)) w on w.gig_id = g.id
     where g.id in (select gig_id from candidates) and g.org_id = gig.org_id and g.deleted_at is null
       and not (g.path operator(extensions.<@) gig.path) and not (g.path operator(extensions.@>) gig.path)
  ),
  clashes as (
    select o.id, o.name, o.code, 'planned' as reason, l.asset_id
      from others o
      join app.kit_line_assets(array(select id from others)) l on l.gig_id = o.id
      cross join subject s
     where l.asset_id = any (wanted) and o.status in ('draft', 'confirmed', 'in_progress')
       and o.w_from is not null and tstzrange(o.w_from, o.w_to, '[)') && s.w
    union
    select o.id, o.name, o.code, 'out', a.id
      from others o
      join public.assets a on a.current_gig_id = o.id and a.id = any (wanted) and a.deleted_at is null
      cross join subject s
     where o.w_to is null or o.w_to > lower(s.w)
  )
  select coalesce(jsonb_agg(jsonb_build_object('gig_id', c.id, 'name', c.name, 'code', c.code, 'reason', c.reason,
                                               'items', c.items) order by c.name, c.id, c.reason), '[]'::jsonb)
    from (select id, name, code, reason, array_agg(app.asset_words(asset_id) order by asset_id) as items
            from clashes group by id, name, code, reason) c
$$;

-- A gig a pick list or crew op names, locked (shared) so a delete committing meanwhile is waited
-- for; null when it does not exist or the caller is no member of its organization.
create function app.plan_gig(gig_id uuid)
returns public.gigs
language plpgsql set search_path = extensions
as $$
declare
  gig public.gigs;
begin
  select * into gig from public.gigs g where g.id = gig_id for share;
  if not found or app.my_role(gig.org_id) is null then
    return null;
  end if;
  return gig;
end
$$;

-- Why a gig's plan cannot change now (null: it can).
create function app.plan_closed(tbl text, gig public.gigs)
returns text
language sql stable set search_path = extensions
as $$
  select case
    when gig.deleted_at is not null then format('the gig %s was deleted', app.gig_words(gig))
    when gig.status in ('completed', 'cancelled') then
      format('the gig %s is %s; its %s no longer changes', app.gig_words(gig), gig.status,
             case when tbl = 'kit_assignments' then 'pick list' else 'crew' end)
  end
$$;

create function app.op_plan_write(op_id uuid, tbl text, action text, entity uuid, payload jsonb)
returns jsonb
language plpgsql set search_path = extensions
as $$
declare
  gig public.gigs;
  line public.kit_assignments;
  crew public.gig_staff;
  fields jsonb;
  bad text;
  closed text;
  kinds integer;
  member_name text;
  violated text;
  wanted uuid[];
  planned_words text;
  clashes jsonb;
  confirmed boolean;
  what text := case when tbl = 'kit_assignments' then 'pick list line' else 'crew assignment' end;
begin
  if action = 'create' then
    -- One answer for an id already taken, whoever owns it (as for gigs).
    if (tbl = 'kit_assignments' and exists (select 1 from public.kit_assignments k where k.id = entity))
       or (tbl = 'gig_staff' and exists (select 1 from public.gig_staff s where s.id = entity)) then
      return app.rejected(op_id, tbl, entity, 'id_unavailable', format('%s id %s cannot be used; add it with a new id', what, entity));
    end if;
    if app.as_uuid(payload -> 'gig_id') is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.gig_id is required (the UUID of a gig)');
    end if;
    gig := app.plan_gig(app.as_uuid(payload -> 'gig_id'));
    if gig.id is null then
      return app.rejected(op_id, tbl, entity, 'not_found', 'the gig was not found');
    end if;
  else
    if tbl = 'kit_assignments' then
      select * into line from public.kit_assignments k where k.id = entity for update;
      if found then gig := app.plan_gig(line.gig_id); end if;
    else
      select * into crew from public.gig_staff s where s.id = entity for update;
      if found then gig := app.plan_gig(crew.gig_id); end if;
    end if;
    if gig.id is null then
      -- Gone (another device removed it) or never visible to the caller: a delete has nothing
      -- left to do either way, and says the same in both cases (no row, nothing changed).
      if action = 'delete' then
        return app.result(op_id, 'applied', tbl, entity, jsonb_build_object('code', 'noop', 'row', null));
      end if;
      return app.rejected(op_id, tbl, entity, 'not_found', format('the %s was not found (it may have been removed)', what));
    end if;
  end if;

  if not app.op_allowed(app.my_role(gig.org_id), tbl, action) then
    return app.rejected(op_id, tbl, entity, 'forbidden',
      format('your role cannot change a gig''s %s', case when tbl = 'kit_assignments' then 'pick list' else 'crew' end));
  end if;
  closed := app.plan_closed(tbl, gig);
  if closed is not null then
    return app.rejected(op_id, tbl, entity, case when gig.deleted_at is not null then 'deleted' else 'gig_closed' end, closed);
  end if;

  if action = 'delete' then
    if tbl = 'kit_assignments' then
      delete from public.kit_assignments k where k.id = entity;
    else
      delete from public.gig_staff s where s.id = entity;
    end if;
    return app.result(op_id, 'applied', tbl, entity, jsonb_build_object('row', null));
  end if;

  if tbl = 'kit_assignments' then
    if action = 'create' then
      -- Lines added to one gig at the same moment are judged one after the other, so two planners
      -- adding the same item make one line (the gig's row itself is not locked: check-outs to it go on).
      perform pg_advisory_xact_lock(hashtextextended('kit_assignments:' || gig.id::text, 0));
      kinds := (case when payload ? 'asset_id' and payload -> 'asset_id' <> 'null'::jsonb then 1 else 0 end)
             + (case when payload ? 'case_id' and payload -> 'case_id' <> 'null'::jsonb then 1 else 0 end)
             + (case when payload ? 'category' and payload -> 'category' <> 'null'::jsonb then 1 else 0 end);
      if kinds <> 1 then
        return app.rejected(op_id, tbl, entity, 'invalid_field',
          'a pick list line is exactly one of payload.asset_id, payload.case_id, or payload.category with payload.quantity');
      end if;
      bad := app.non_text_field(payload, array['notes'], array['notes']);
      if bad is not null or length(payload ->> 'notes') > 2000 then
        return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.notes must be text of at most 2000 characters');
      end if;
      if payload ? 'asset_id' and payload -> 'asset_id' <> 'null'::jsonb then
        if not exists (select 1 from public.assets a where a.id = app.as_uuid(payload -> 'asset_id') and a.org_id = gig.org_id
                          and a.deleted_at is null) then
          return app.rejected(op_id, tbl, entity, 'not_found', 'the item was not found (or was retired)');
        end if;
        if exists (select 1 from public.kit_assignments k where k.gig_id = gig.id and k.asset_id = app.as_uuid(payload -> 'asset_id')) then
          return app.rejected(op_id, tbl, entity, 'already_planned',
            format('%s is already on the pick list of %s', app.asset_words(app.as_uuid(payload -> 'asset_id')), app.gig_words(gig)));
        end if;
      elsif payload ? 'case_id' and payload -> 'case_id' <> 'null'::jsonb then
        if not exists (select 1 from public.cases c where c.id = app.as_uuid(payload -> 'case_id') and c.org_id = gig.org_id
                          and c.deleted_at is null) then
          return app.rejected(op_id, tbl, entity, 'not_found', 'the case was not found (or was retired)');
        end if;
        if exists (select 1 from public.kit_assignments k where k.gig_id = gig.id and k.case_id = app.as_uuid(payload -> 'case_id')) then
          return app.rejected(op_id, tbl, entity, 'already_planned',
            format('case %s is already on the pick list of %s',
                   (select left(c.name, 80) from public.cases c where c.id = app.as_uuid(payload -> 'case_id')), app.gig_words(gig)));
        end if;
      else
        if jsonb_typeof(payload -> 'category') <> 'string' or length(btrim(payload ->> 'category')) not between 1 and 80 then
          return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.category must be a category name of 1 to 80 characters');
        end if;
        if jsonb_typeof(payload -> 'quantity') is distinct from 'number' or (payload ->> 'quantity') !~ '^[0-9]{1,6}$'
           or (payload ->> 'quantity')::integer not between 1 and 100000 then
          return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.quantity must be a whole number from 1 to 100000');
        end if;
      end if;
      -- Held by another gig at the same time: a conflict unless the planner confirmed it.
      if payload ? 'confirm_overbooking' and jsonb_typeof(payload -> 'confirm_overbooking') <> 'boolean' then
        return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.confirm_overbooking must be true or false');
      end if;
      if payload ? 'asset_id' and payload -> 'asset_id' <> 'null'::jsonb then
        wanted := array[app.as_uuid(payload -> 'asset_id')];
        planned_words := app.asset_words(app.as_uuid(payload -> 'asset_id'));
      elsif payload ? 'case_id' and payload -> 'case_id' <> 'null'::jsonb then
        wanted := array(
          with recursive tree (id) as (
            select c.id from public.cases c where c.id = app.as_uuid(payload -> 'case_id') and c.deleted_at is null
            union
            select c.id from public.cases c join tree t on c.parent_case_id = t.id where c.deleted_at is null
          )
          select a.id from public.assets a where a.case_id in (select id from tree) and a.deleted_at is null);
        planned_words := format('case %s', (select left(c.name, 80) from public.cases c where c.id = app.as_uuid(payload -> 'case_id')));
      end if;
      -- The same items planned on two gigs at the same moment are judged one after the other
      -- (locks taken in id order, after the gig's, so two planners never wait on each other in a circle).
      perform pg_advisory_xact_lock(hashtextextended('plan-asset:' || w.id::text, 0))
         from (select distinct unnest(wanted) as id order by 1) w;
      clashes := case when wanted is null then '[]'::jsonb else app.plan_clashes(gig, wanted) end;
      confirmed := coalesce((payload ->> 'confirm_overbooking')::boolean, false);
      if clashes <> '[]'::jsonb and not confirmed then
        select string_agg(format(case when c ->> 'reason' = 'planned' then 'planned on "%s" (%s) at the same time'
                                      else 'out to "%s" (%s), not back in time' end,
                                 left(c ->> 'name', 80), c ->> 'code'), '; ')
          into bad from jsonb_array_elements(clashes) c;
        return app.result(op_id, 'conflict', tbl, entity, jsonb_build_object(
          'code', 'overbooked',
          'message', format('%s is also %s; confirm to plan it anyway', planned_words, bad),
          'row', null,
          'changed_fields', jsonb_build_array('gig_id'),
          'gigs', clashes));
      end if;
      insert into public.kit_assignments (id, org_id, gig_id, asset_id, case_id, category, quantity, notes,
                                          overbooking_confirmed_at, overbooking_confirmed_by)
      values (entity, gig.org_id, gig.id, app.as_uuid(payload -> 'asset_id'), app.as_uuid(payload -> 'case_id'),
              btrim(payload ->> 'category'), (payload ->> 'quantity')::integer, payload ->> 'notes',
              case when clashes <> '[]'::jsonb then now() end,
              case when clashes <> '[]'::jsonb then
                (select p.id from public.staff_profiles p where p.user_id = auth.uid() and p.org_id = gig.org_id) end);
      return app.applied(op_id, tbl, entity);
    end if;
    -- update: a quantity line's quantity, any line's notes (last write wins).
    fields := payload -> 'fields';
    if jsonb_typeof(fields) is distinct from 'object' or fields = '{}'::jsonb then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.fields must be an object with quantity and/or notes');
    end if;
    select string_agg(k, ', ') into bad from jsonb_object_keys(fields) k where k not in ('quantity', 'notes');
    if bad is not null then
      return app.rejected(op_id, tbl, entity, 'invalid_field',
        format('a pick list line''s %s cannot change; allowed: quantity, notes', left(bad, 200)));
    end if;
    if fields ? 'quantity' then
      if line.category is null then
        return app.rejected(op_id, tbl, entity, 'invalid_field', 'only a quantity line (a category) has a quantity to change');
      end if;
      if jsonb_typeof(fields -> 'quantity') is distinct from 'number' or (fields ->> 'quantity') !~ '^[0-9]{1,6}$'
         or (fields ->> 'quantity')::integer not between 1 and 100000 then
        return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.fields.quantity must be a whole number from 1 to 100000');
      end if;
    end if;
    bad := app.non_text_field(fields, array['notes'], array['notes']);
    if bad is not null or length(fields ->> 'notes') > 2000 then
      return app.rejected(op_id, tbl, entity, 'invalid_field', 'payload.fields.notes must be text of at most 2000 characters');
    end if;
    update public.kit_assignments k set
      quantity = case when fields ? 'quantity' then (fields ->> 'quantity')::integer else k.quantity end,
      notes = case when fields ? 'notes' then fields ->> 'notes' else k.notes end
    where k.id = entity;
    return app.applied(op_id, tbl, entity);
  end if;

  -- gig_staff
  if action = 'create' then
    if app.as_uuid(payload -> 'staff_id') is null then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.staff_id is required (the UUID of a staff profile)');
    end if;
    select p.display_name into member_name from public.staff_profiles p
     where p.id = app.as_uuid(payload -> 'staff_id') and p.org_id = gig.org_id;
    if not found then
      return app.rejected(op_id, tbl, entity, 'not_found', 'that person is not on this organization''s staff');
    end if;
    fields := jsonb_build_object('role', payload -> 'role');
  else
    fields := payload -> 'fields';
    if jsonb_typeof(fields) is distinct from 'object' or fields = '{}'::jsonb then
      return app.rejected(op_id, tbl, entity, 'missing_field', 'payload.fields must be an object with the role');
    end if;
    select string_agg(k, ', ') into bad from jsonb_object_keys(fields) k where k <> 'role';
    if bad is not null then
      return app.rejected(op_id, tbl, entity, 'invalid_field', format('a crew assignment''s %s cannot change; allowed: role', left(bad, 200)));
    end if;
  end if;
  if jsonb_typeof(fields -> 'role') is distinct from 'string' or length(btrim(fields ->> 'role')) not between 1 and 80 then
    return app.rejected(op_id, tbl, entity, 'invalid_field', 'the role must be text of 1 to 80 characters (such as "Stage manager")');
  end if;
  if action = 'create' then
    begin
      insert into public.gig_staff (id, org_id, gig_id, staff_id, role)
      values (entity, gig.org_id, gig.id, app.as_uuid(payload -> 'staff_id'), btrim(fields ->> 'role'));
    exception when unique_violation then
      get stacked diagnostics violated = constraint_name;
      if violated = 'gig_staff_pkey' then
        return app.rejected(op_id, tbl, entity, 'id_unavailable', format('%s id %s cannot be used; add it with a new id', what, entity));
      end if;
      return app.rejected(op_id, tbl, entity, 'already_assigned',
        format('%s is already on the crew of %s', left(member_name, 80), app.gig_words(gig)));
    end;
  else
    update public.gig_staff s set role = btrim(fields ->> 'role') where s.id = entity;
  end if;
  return app.applied(op_id, tbl, entity);
end
$$;
revoke execute on function app.op_plan_write(uuid, text, text, uuid, jsonb) from public, anon, authenticated;
revoke execute on function app.plan_gig(uuid) from public, anon, authenticated;

-- gigs: as in …000100_push_hardening, with set_times (version-checked) and update's fields
-- without the times (and with the venue's time zone).
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
    bad := app.non_text_field(payload, array['venue', 'notes', 'starts_at', 'ends_at', 'code', 'time_zone'], array['venue', 'notes', 'starts_at', 'ends_at', 'time_zone']);
    if bad is not null then
      return app.rejected(op_id, 'gigs', entity, 'invalid_field', format('payload.%s must be a string', bad));
    end if;
    begin
      insert into public.gigs (id, org_id, parent_gig_id, name, venue, notes, time_zone, starts_at, ends_at, code)
      values (entity, target_org, parent_id, payload ->> 'name', payload ->> 'venue', payload ->> 'notes', payload ->> 'time_zone',
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
       where k not in ('name', 'venue', 'notes', 'time_zone');
      if bad is not null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field',
          format('gigs.update cannot change %s; allowed: name, venue, notes, time_zone (start and end change with set_times)', left(bad, 200)));
      end if;
      bad := app.non_text_field(fields, array['name', 'venue', 'notes', 'time_zone'], array['venue', 'notes', 'time_zone']);
      if bad is not null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field',
          format('payload.fields.%s must be a string%s', bad, case when bad = 'name' then '' else ' or null' end));
      end if;
      update public.gigs g set
        name = case when fields ? 'name' then fields ->> 'name' else g.name end,
        venue = case when fields ? 'venue' then fields ->> 'venue' else g.venue end,
        notes = case when fields ? 'notes' then fields ->> 'notes' else g.notes end,
        time_zone = case when fields ? 'time_zone' then fields ->> 'time_zone' else g.time_zone end
      where g.id = entity;
      return app.applied(op_id, 'gigs', entity);

    when 'set_times' then
      -- Both ends as they should be (a string each, or null for "not set"), decided on a version.
      if not (payload ? 'starts_at' and payload ? 'ends_at') then
        return app.rejected(op_id, 'gigs', entity, 'missing_field', 'gigs.set_times needs payload.starts_at and payload.ends_at (null clears one)');
      end if;
      bad := app.non_text_field(payload, array['starts_at', 'ends_at'], array['starts_at', 'ends_at']);
      if bad is not null then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field', format('payload.%s must be a timestamp or null', bad));
      end if;
      if base_version is null then
        return app.rejected(op_id, 'gigs', entity, 'missing_field', 'gigs.set_times needs base_version');
      end if;
      if gig.starts_at is not distinct from (payload ->> 'starts_at')::timestamptz
         and gig.ends_at is not distinct from (payload ->> 'ends_at')::timestamptz then
        return app.applied(op_id, 'gigs', entity, 'noop');
      end if;
      if gig.version <> base_version then
        return app.conflict(op_id, 'gigs', entity, base_version, array['starts_at', 'ends_at']);
      end if;
      if (payload ->> 'ends_at')::timestamptz < (payload ->> 'starts_at')::timestamptz then
        return app.rejected(op_id, 'gigs', entity, 'invalid_field', 'the end is before the start');
      end if;
      update public.gigs g set starts_at = (payload ->> 'starts_at')::timestamptz, ends_at = (payload ->> 'ends_at')::timestamptz
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

-- apply_op as in …000500_bulk_stock, with the planning tables and gigs.set_times.
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
  if jsonb_typeof(op -> 'table') is distinct from 'string' or tbl not in ('gigs', 'assets', 'cases', 'bulk_items', 'kit_assignments', 'gig_staff') then
    return app.rejected(op_id, tbl, null, 'unknown_table',
      format('unknown table %s; ops may target gigs, assets, cases, bulk_items, kit_assignments or gig_staff', coalesce(quote_literal(left(tbl, 64)), '(missing)')));
  end if;
  if jsonb_typeof(op -> 'action') is distinct from 'string' or not (
       (tbl = 'gigs' and action in ('create', 'update', 'set_status', 'set_times', 'move', 'delete'))
    or (tbl = 'kit_assignments' and action in ('create', 'update', 'delete'))
    or (tbl = 'gig_staff' and action in ('create', 'update', 'delete'))
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
  if tbl in ('kit_assignments', 'gig_staff') then
    return app.op_plan_write(op_id, tbl, action, entity, payload);
  end if;
  if tbl = 'bulk_items' then
    return app.op_bulk_write(op_id, action, entity, payload, device, occurred);
  end if;
  return app.op_stock_write(op_id, tbl, action, entity, payload, base_version, device, occurred);
end
$$;

-- A moved set time reaches the crew in the venue's time, as the screens show it: "Now Sat 03 Jul
-- 22:00 Lisbon time – 23:30" (a gig without a zone keeps "… UTC"). As in …002300 otherwise.
create or replace function app.announce_gig_change()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  kind text;
  body text;
  zone text := coalesce(new.time_zone, 'UTC');
  zone_words text := case when new.time_zone is null or new.time_zone in ('UTC', 'Etc/UTC') then 'UTC'
                          else replace(regexp_replace(new.time_zone, '^.*/', ''), '_', ' ') || ' time' end;
begin
  if new.deleted_at is not null then
    return new;
  end if;
  if new.starts_at is distinct from old.starts_at or new.ends_at is distinct from old.ends_at then
    kind := 'schedule';
    body := case when new.starts_at is null then 'No start time set'
                 else 'Now ' || to_char(new.starts_at at time zone zone, 'Dy DD Mon HH24:MI') || ' ' || zone_words
                      || coalesce(' – ' || to_char(new.ends_at at time zone zone, 'HH24:MI'), '') end;
  elsif new.status is distinct from old.status then
    kind := 'status';
    body := 'Status: ' || replace(new.status::text, '_', ' ');
  elsif new.venue is distinct from old.venue then
    kind := 'venue';
    body := 'Venue: ' || coalesce(new.venue, 'none');
  else
    return new;
  end if;
  insert into app.notification_outbox (org_id, gig_id, kind, title, body, url, tag)
  values (new.org_id, new.id, kind, new.name, body, '/gigs/' || new.id, 'gig-' || new.id);
  return new;
end
$$;
