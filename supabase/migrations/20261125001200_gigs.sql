-- Gigs: an unbounded hierarchy (festival › stage › day › set › changeover › …) through
-- parent_gig_id, with an ltree path kept by triggers for fast subtree queries, a status state
-- machine, an integer version bumped on every change, and soft deletes (tombstones for sync).
create type public.gig_status as enum ('draft', 'confirmed', 'in_progress', 'completed', 'cancelled');

create table public.gigs (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  parent_gig_id uuid,
  path extensions.ltree not null,
  code text not null default ('GIG-' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 10)))
    check (code ~ '^[A-Z0-9][A-Z0-9-]{2,39}$'),
  name text not null check (length(btrim(name)) between 1 and 200),
  status public.gig_status not null default 'draft',
  starts_at timestamptz,
  ends_at timestamptz,
  venue text check (length(venue) <= 200),
  notes text check (length(notes) <= 10000),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  search_vector tsvector generated always as (
    to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(venue, '') || ' ' || coalesce(notes, ''))
  ) stored,
  unique (org_id, id),
  unique (org_id, code),
  -- A parent must be in the same organization: the key includes org_id.
  foreign key (org_id, parent_gig_id) references public.gigs (org_id, id),
  check (parent_gig_id <> id),
  check (ends_at is null or starts_at is null or ends_at >= starts_at)
);

create index gigs_parent_org_idx on public.gigs (parent_gig_id, org_id);
create index gigs_path_gist_idx on public.gigs using gist (path);
create index gigs_search_idx on public.gigs using gin (search_vector);
create index gigs_org_starts_idx on public.gigs (org_id, starts_at);

create function app.gig_label(gig_id uuid)
returns extensions.ltree
language sql immutable set search_path = extensions
as $$
  select extensions.text2ltree('g' || replace(gig_id::text, '-', ''))
$$;

create function app.gig_status_transition_allowed(from_status public.gig_status, to_status public.gig_status)
returns boolean
language sql immutable set search_path = extensions
as $$
  select (from_status, to_status) in (
    ('draft'::public.gig_status, 'confirmed'::public.gig_status),
    ('draft', 'cancelled'),
    ('confirmed', 'draft'),
    ('confirmed', 'in_progress'),
    ('confirmed', 'cancelled'),
    ('in_progress', 'completed'),
    ('in_progress', 'cancelled'),
    ('cancelled', 'draft')
  )
$$;

create function app.gigs_before_write()
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
      select g.path, g.org_id, g.deleted_at into parent from public.gigs g where g.id = new.parent_gig_id;
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

create trigger gigs_before_write before insert or update on public.gigs
  for each row execute function app.gigs_before_write();

-- Re-parenting moves the whole subtree; deleting a gig deletes its subtree.
create function app.gigs_after_update()
returns trigger
language plpgsql set search_path = extensions
as $$
begin
  -- Rows updated by the cascade below fire this trigger again (one level deeper): their
  -- descendants were already moved by the same statement.
  if pg_trigger_depth() > 1 then
    return null;
  end if;
  if new.path <> old.path then
    update public.gigs d
       set path = new.path operator(extensions.||) extensions.subpath(d.path, extensions.nlevel(old.path))
     where d.path operator(extensions.<@) old.path and d.id <> new.id;
  end if;
  if new.deleted_at is not null and old.deleted_at is null then
    update public.gigs d
       set deleted_at = new.deleted_at
     where d.path operator(extensions.<@) new.path and d.id <> new.id and d.deleted_at is null;
  end if;
  return null;
end
$$;

create trigger gigs_after_update after update on public.gigs
  for each row when (old.path::text is distinct from new.path::text or (old.deleted_at is null and new.deleted_at is not null))
  execute function app.gigs_after_update();
