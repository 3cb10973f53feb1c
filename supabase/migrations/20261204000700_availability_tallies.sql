-- Availability at scale (issue 19): get_availability's figures kept as the data changes instead of
-- counted per question. At scale 10 (200k assets in 7 categories, 16k of them out) a gig's answer
-- spent ~150 ms counting each category's owned assets (a parallel seq scan), ~50–90 ms finding
-- the windows of the ~4–11k gigs holding gear out and ~60 ms grouping and ranking them; the goal
-- is 20 ms.
--
-- * app.asset_tallies: per organization and category, live assets, those owned (not lost or
--   retired) and those in maintenance (in maintenance or quarantined).
-- * app.assets_out: one row per live checked-out asset with its gig; app.out_counts: how many per
--   gig and category, so the ten gigs holding most are read in index order.
-- * app.gig_window_ends: every gig's window end (app.gig_windows; 'infinity' when it has none).
--
-- Who writes what, so that stations and planners neither deadlock nor leave a figure stale:
-- * An asset's own statement writes its assets_out row (the asset's row lock already orders those).
-- * Shared rows (tallies, per-gig counts) are never written by a statement: it appends deltas (rows
--   of its own), and each transaction adds its deltas up once, at commit, in key order (a deferred
--   constraint trigger, the only one in the schema, so these locks are its last): two stations
--   loading one truck, or quarantining returns, never take two such rows crosswise, and increments
--   commute, so none is lost.
-- * Windows belong to gigs, not to the gear out: only a gig's dates, parent or path and the
--   organization's buffers change them, and only those statements write gig_window_ends, after
--   share-locking what the windows are computed from (app.refresh_gig_window_ends). A check-out
--   never computes a window, so none can come from a snapshot a concurrent date change made stale.
-- get_availability is the same answer (core/views/availability.ts and the plain-SQL reference in
-- supabase/tests/domain/availability.test.ts check it), read from these.

-- 1. What is kept ---------------------------------------------------------------------------------
create table app.asset_tallies (
  org_id uuid not null references public.organizations (id) on delete cascade,
  category text not null,
  live integer not null default 0,
  owned integer not null default 0,
  maintenance integer not null default 0,
  primary key (org_id, category)
);

create table app.assets_out (
  asset_id uuid primary key references public.assets (id) on delete cascade,
  org_id uuid not null,
  category text not null,
  gig_id uuid not null
);
create index assets_out_gig_idx on app.assets_out (gig_id);
create index assets_out_category_idx on app.assets_out (org_id, category);

-- Rows that fall to 0 stay (a few per gig that ever held gear) and are skipped by the index.
create table app.out_counts (
  org_id uuid not null references public.organizations (id) on delete cascade,
  category text not null,
  gig_id uuid not null,
  n integer not null,
  primary key (org_id, category, gig_id)
);
create index out_counts_rank_idx on app.out_counts (org_id, category, n desc, gig_id) where n > 0;

create table app.gig_window_ends (
  gig_id uuid primary key references public.gigs (id) on delete cascade,
  org_id uuid not null,
  window_to timestamptz not null
);
create index gig_window_ends_idx on app.gig_window_ends (org_id, window_to);

-- A transaction's changes to the shared figures, added up at its commit. gig_id null: a tally
-- delta (live, owned, maintenance); otherwise assets out to that gig (out).
create table app.figure_deltas (
  id bigint generated always as identity primary key,
  xact xid8 not null default pg_current_xact_id(),
  org_id uuid not null,
  category text not null,
  gig_id uuid,
  live integer not null default 0,
  owned integer not null default 0,
  maintenance integer not null default 0,
  out integer not null default 0
);
create index figure_deltas_xact_idx on app.figure_deltas (xact);
-- One row per transaction that has deltas: inserting it queues the transaction's one application.
create table app.figure_flush (xact xid8 primary key default pg_current_xact_id());

alter table app.asset_tallies enable row level security;
alter table app.assets_out enable row level security;
alter table app.out_counts enable row level security;
alter table app.gig_window_ends enable row level security;
alter table app.figure_deltas enable row level security;
alter table app.figure_flush enable row level security;
revoke all on app.asset_tallies, app.assets_out, app.out_counts, app.gig_window_ends, app.figure_deltas, app.figure_flush
  from public, anon, authenticated, service_role;

-- 2. Keeping them ---------------------------------------------------------------------------------
create function app.queue_figure_flush()
returns void
language sql security definer set search_path = ''
as $$
  insert into app.figure_flush (xact) values (pg_current_xact_id()) on conflict (xact) do nothing
$$;

-- A live asset's share of its category's tallies: +1 coming in, -1 going out.
create type app.asset_share as (org_id uuid, category text, status public.asset_status, sign integer);

create function app.add_asset_shares(shares app.asset_share[])
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  insert into app.figure_deltas (org_id, category, live, owned, maintenance)
  select d.org_id, d.category, d.live, d.owned, d.maintenance
    from (select s.org_id, s.category, sum(s.sign)::integer as live,
                 coalesce(sum(s.sign) filter (where s.status not in ('lost', 'retired')), 0)::integer as owned,
                 coalesce(sum(s.sign) filter (where s.status in ('in_maintenance', 'quarantined')), 0)::integer as maintenance
            from unnest(shares) s
           group by s.org_id, s.category) d
   where d.live <> 0 or d.owned <> 0 or d.maintenance <> 0;
  if found then
    perform app.queue_figure_flush();
  end if;
end
$$;

-- Brings the assets_out rows of some assets in line with the assets as they now are.
create function app.sync_assets_out(asset_ids uuid[])
returns void
language sql security definer set search_path = ''
as $$
  delete from app.assets_out x
   where x.asset_id = any (asset_ids)
     and not exists (select 1 from public.assets a
                      where a.id = x.asset_id and a.deleted_at is null and a.status = 'checked_out' and a.current_gig_id is not null);
  insert into app.assets_out as x (asset_id, org_id, category, gig_id)
  select a.id, a.org_id, a.category, a.current_gig_id
    from public.assets a
   where a.id = any (asset_ids) and a.deleted_at is null and a.status = 'checked_out' and a.current_gig_id is not null
   order by a.id
  on conflict (asset_id) do update
    set org_id = excluded.org_id, category = excluded.category, gig_id = excluded.gig_id
    where (x.org_id, x.category, x.gig_id) is distinct from (excluded.org_id, excluded.category, excluded.gig_id)
$$;

-- Statement triggers (transition tables: a seed's COPY of 200k assets is one call). Updates that
-- touch none of the columns involved (names, notes, a case) cost one comparison per row.
create function app.assets_inserted_keep_tallies()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_asset_shares(array(
    select (n.org_id, n.category, n.status, 1)::app.asset_share from new_rows n where n.deleted_at is null));
  perform app.sync_assets_out(array(
    select n.id from new_rows n where n.deleted_at is null and n.status = 'checked_out' and n.current_gig_id is not null));
  return null;
end
$$;

create function app.assets_updated_keep_tallies()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_asset_shares(array(
    select s.share
      from old_rows o
      join new_rows n on n.id = o.id
     cross join lateral (select (o.org_id, o.category, o.status, -1)::app.asset_share where o.deleted_at is null
                         union all
                         select (n.org_id, n.category, n.status, 1)::app.asset_share where n.deleted_at is null) s (share)
     where (n.org_id, n.category, n.status, n.deleted_at) is distinct from (o.org_id, o.category, o.status, o.deleted_at)));
  perform app.sync_assets_out(array(
    select n.id
      from old_rows o
      join new_rows n on n.id = o.id
     where (n.org_id, n.category, n.status, n.deleted_at, n.current_gig_id)
           is distinct from (o.org_id, o.category, o.status, o.deleted_at, o.current_gig_id)));
  return null;
end
$$;

-- (assets_out rows go with their asset: on delete cascade.)
create function app.assets_deleted_keep_tallies()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_asset_shares(array(
    select (o.org_id, o.category, o.status, -1)::app.asset_share from old_rows o where o.deleted_at is null));
  return null;
end
$$;

create trigger assets_tallies_insert after insert on public.assets
  referencing new table as new_rows for each statement execute function app.assets_inserted_keep_tallies();
create trigger assets_tallies_update after update on public.assets
  referencing old table as old_rows new table as new_rows for each statement execute function app.assets_updated_keep_tallies();
create trigger assets_tallies_delete after delete on public.assets
  referencing old table as old_rows for each statement execute function app.assets_deleted_keep_tallies();

-- Assets out per gig: whatever changed app.assets_out (an asset's statement, a cascade), as deltas.
create function app.add_out_deltas(gone app.assets_out[], came app.assets_out[])
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  insert into app.figure_deltas (org_id, category, gig_id, out)
  select d.org_id, d.category, d.gig_id, sum(d.delta)::integer
    from (select g.org_id, g.category, g.gig_id, -1 as delta from unnest(gone) g
          union all
          select c.org_id, c.category, c.gig_id, 1 from unnest(came) c) d
   group by d.org_id, d.category, d.gig_id
  having sum(d.delta) <> 0;
  if found then
    perform app.queue_figure_flush();
  end if;
end
$$;

create function app.assets_out_inserted()
returns trigger language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_out_deltas('{}', array(select n::app.assets_out from new_rows n));
  return null;
end
$$;

create function app.assets_out_updated()
returns trigger language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_out_deltas(array(select o::app.assets_out from old_rows o), array(select n::app.assets_out from new_rows n));
  return null;
end
$$;

create function app.assets_out_deleted()
returns trigger language plpgsql security definer set search_path = ''
as $$
begin
  perform app.add_out_deltas(array(select o::app.assets_out from old_rows o), '{}');
  return null;
end
$$;

create trigger assets_out_counts_insert after insert on app.assets_out
  referencing new table as new_rows for each statement execute function app.assets_out_inserted();
create trigger assets_out_counts_update after update on app.assets_out
  referencing old table as old_rows new table as new_rows for each statement execute function app.assets_out_updated();
create trigger assets_out_counts_delete after delete on app.assets_out
  referencing old table as old_rows for each statement execute function app.assets_out_deleted();

-- At commit: the transaction's deltas, tallies first and then counts, each in key order. Rows of
-- an organization deleted meanwhile (by this transaction: its assets' deltas) are dropped.
create function app.apply_figure_deltas()
returns trigger language plpgsql security definer set search_path = ''
as $$
begin
  with d as (
    delete from app.figure_deltas x where x.xact = pg_current_xact_id() and x.gig_id is null
    returning x.org_id, x.category, x.live, x.owned, x.maintenance
  )
  insert into app.asset_tallies as t (org_id, category, live, owned, maintenance)
  select d.org_id, d.category, sum(d.live)::integer, sum(d.owned)::integer, sum(d.maintenance)::integer
    from d
   where exists (select 1 from public.organizations o where o.id = d.org_id)
   group by d.org_id, d.category
  having sum(d.live) <> 0 or sum(d.owned) <> 0 or sum(d.maintenance) <> 0
   order by d.org_id, d.category
  on conflict (org_id, category) do update
    set live = t.live + excluded.live, owned = t.owned + excluded.owned, maintenance = t.maintenance + excluded.maintenance;
  with d as (
    delete from app.figure_deltas x where x.xact = pg_current_xact_id() and x.gig_id is not null
    returning x.org_id, x.category, x.gig_id, x.out
  )
  insert into app.out_counts as c (org_id, category, gig_id, n)
  select d.org_id, d.category, d.gig_id, sum(d.out)::integer
    from d
   where exists (select 1 from public.organizations o where o.id = d.org_id)
   group by d.org_id, d.category, d.gig_id
  having sum(d.out) <> 0
   order by d.org_id, d.category, d.gig_id
  on conflict (org_id, category, gig_id) do update set n = c.n + excluded.n;
  delete from app.figure_flush f where f.xact = pg_current_xact_id();
  return null;
end
$$;

create constraint trigger figure_flush_at_commit after insert on app.figure_flush
  deferrable initially deferred for each row execute function app.apply_figure_deltas();

-- Gig windows, written only by the statements that move them. Before reading, a refresh takes a
-- share lock on the organization (its buffers) and on each refreshed gig and its ancestors (their
-- dates, parents and paths), and then reads in a new statement: a concurrent change to any of them
-- is waited for and seen, and a concurrent change that starts later waits for this one and then
-- refreshes what it moved itself. Share locks do not block each other: planners editing different
-- gigs, and stations (which never write these rows), do not wait on one another here.
create function app.refresh_gig_window_ends(gig_ids uuid[], lock_gigs boolean)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  perform 1 from public.organizations o
   where o.id in (select g.org_id from public.gigs g where g.id = any (gig_ids))
   order by o.id for share;
  if lock_gigs then
    perform 1
      from public.gigs a
     where a.id in (select a2.id from public.gigs g join public.gigs a2 on a2.org_id = g.org_id and a2.path operator(extensions.@>) g.path
                     where g.id = any (gig_ids))
     order by a.id for share;
  end if;
  insert into app.gig_window_ends as e (gig_id, org_id, window_to)
  select g.id, g.org_id, coalesce(w.w_to, 'infinity')
    from public.gigs g
    left join app.gig_windows(gig_ids) w on w.gig_id = g.id
   where g.id = any (gig_ids)
   order by g.id
  on conflict (gig_id) do update set window_to = excluded.window_to where e.window_to <> excluded.window_to;
end
$$;

create function app.gigs_inserted_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.refresh_gig_window_ends(array(select n.id from new_rows n), true);
  return null;
end
$$;

-- A gig's window moves with its dates, its parent (an undated gig inherits) and its path (a move);
-- its undated descendants' windows may move with it.
create function app.gigs_updated_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.refresh_gig_window_ends(array(
    select distinct d.id
      from new_rows n
      join old_rows o on o.id = n.id
      join public.gigs d on d.org_id = n.org_id and d.path operator(extensions.<@) n.path
     where (n.starts_at, n.ends_at, n.parent_gig_id, n.path::text) is distinct from (o.starts_at, o.ends_at, o.parent_gig_id, o.path::text)), true);
  return null;
end
$$;

create trigger gigs_inserted_keep_windows after insert on public.gigs
  referencing new table as new_rows for each statement execute function app.gigs_inserted_keep_windows();
create trigger gigs_updated_keep_windows after update on public.gigs
  referencing old table as old_rows new table as new_rows for each statement execute function app.gigs_updated_keep_windows();

-- New buffers: every gig of the organization. Its row is already held by this update, so gig
-- refreshes (which share-lock it) wait, or are waited for; the gigs need no lock of their own.
create function app.organizations_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform app.refresh_gig_window_ends(array(
    select g.id
      from new_rows n
      join old_rows o on o.id = n.id
      join public.gigs g on g.org_id = n.id
     where (n.prep_buffer_hours, n.return_buffer_hours) is distinct from (o.prep_buffer_hours, o.return_buffer_hours)), false);
  return null;
end
$$;

create trigger organizations_keep_windows after update on public.organizations
  referencing old table as old_rows new table as new_rows for each statement execute function app.organizations_keep_windows();

revoke execute on function app.queue_figure_flush(), app.add_asset_shares(app.asset_share[]), app.sync_assets_out(uuid[]),
  app.assets_inserted_keep_tallies(), app.assets_updated_keep_tallies(), app.assets_deleted_keep_tallies(),
  app.add_out_deltas(app.assets_out[], app.assets_out[]), app.assets_out_inserted(), app.assets_out_updated(),
  app.assets_out_deleted(), app.apply_figure_deltas(), app.refresh_gig_window_ends(uuid[], boolean),
  app.gigs_inserted_keep_windows(), app.gigs_updated_keep_windows(), app.organizations_keep_windows()
  from public, anon, authenticated;

-- 3. What is there already -------------------------------------------------------------------------
select app.add_asset_shares(array(
  select (a.org_id, a.category, a.status, 1)::app.asset_share from public.assets a where a.deleted_at is null));
select app.sync_assets_out(array(
  select a.id from public.assets a where a.deleted_at is null and a.status = 'checked_out' and a.current_gig_id is not null));
select app.refresh_gig_window_ends(array(select g.id from public.gigs g), false);

-- 4. Cached plans ---------------------------------------------------------------------------------
-- The same two helpers in PL/pgSQL: a SQL function with a SET clause is planned again on every
-- call (~1–3 ms each, three to four calls per answer); PL/pgSQL keeps its plans per session.
create or replace function app.gig_windows(gig_ids uuid[])
returns table (gig_id uuid, w_from timestamptz, w_to timestamptz)
language plpgsql stable set search_path = ''
as $$
begin
  return query
  select g.id,
         d.starts_at - make_interval(hours => o.prep_buffer_hours),
         d.ends_at + make_interval(hours => o.return_buffer_hours)
    from public.gigs g
    join public.organizations o on o.id = g.org_id
   cross join lateral (
     select g.starts_at, g.ends_at where g.starts_at is not null and g.ends_at is not null
     union all
     (select a.starts_at, a.ends_at
        from public.gigs a
       where (g.starts_at is null or g.ends_at is null)
         and a.org_id = g.org_id and a.path operator(extensions.@>) g.path and a.id <> g.id
         and a.starts_at is not null and a.ends_at is not null
       order by extensions.nlevel(a.path) desc
       limit 1)
   ) d
   where g.id = any (gig_ids);
end
$$;

-- (It also returns each asset's status and gig, so that the answer does not look the assets up again.)
drop function app.kit_line_assets(uuid[]);
create function app.kit_line_assets(gig_ids uuid[])
returns table (line_id uuid, gig_id uuid, asset_id uuid, category text, status public.asset_status, current_gig_id uuid)
language plpgsql stable set search_path = '' rows 100
as $$
begin
  return query
  with recursive kit as (
    select k.id, k.gig_id, k.asset_id, k.case_id
      from public.kit_assignments k
     where k.gig_id = any (gig_ids) and k.category is null
  ),
  case_tree (root_case, case_id) as (
    select c.id, c.id
      from public.cases c
     where c.id = any (array(select distinct k.case_id from kit k where k.case_id is not null)) and c.deleted_at is null
    union
    select t.root_case, c.id from public.cases c join case_tree t on c.parent_case_id = t.case_id where c.deleted_at is null
  )
  select k.id, k.gig_id, a.id, a.category, a.status, a.current_gig_id
    from kit k join public.assets a on a.id = k.asset_id where a.deleted_at is null
  union all
  select k.id, k.gig_id, a.id, a.category, a.status, a.current_gig_id
    from kit k
    join case_tree t on t.root_case = k.case_id
    -- Per case through its index (offset 0 keeps it a loop): a cached generic plan does not know
    -- how many cases there are and would otherwise hash all the organization's assets.
    cross join lateral (
      select a.id, a.category, a.status, a.current_gig_id
        from public.assets a where a.case_id = t.case_id and a.deleted_at is null offset 0
    ) a;
end
$$;
revoke execute on function app.kit_line_assets(uuid[]) from public, anon, authenticated;

-- 5. The answer, from them ------------------------------------------------------------------------
create or replace function public.get_availability(
  p_gig_id uuid default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_categories text[] default null,
  p_expand text[] default null
)
returns jsonb
language plpgsql stable security definer
-- Generic plans: left to choose, PL/pgSQL planned the answer's statements again on every call
-- (custom plans, ~5 ms of a small gig's ~6 ms); their shapes do not depend on the values.
set search_path = '' set jit = off set plan_cache_mode = force_generic_plan
as $$
declare
  root record;
  orgs uuid[];
  subtree uuid[] := '{}';
  own uuid[] := '{}';
  s_from timestamptz;
  s_to timestamptz;
  cats text[];
  opened text[] := coalesce(p_expand, '{}');
  max_prep integer;
  max_return integer;
  answer jsonb;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'get_availability needs a signed-in user' using errcode = '42501';
  end if;
  if p_gig_id is null and p_from is null and p_to is null then
    raise exception 'give a gig (p_gig_id) or a date range (p_from and p_to)' using errcode = '22023';
  end if;
  if p_gig_id is not null and (p_from is not null or p_to is not null) then
    raise exception 'give a gig or a date range, not both' using errcode = '22023';
  end if;
  if cardinality(p_categories) > 50 then
    raise exception 'ask for at most 50 categories at once, not %', cardinality(p_categories) using errcode = '22023';
  end if;
  if cardinality(p_expand) > 10 then
    raise exception 'expand at most 10 categories at once, not %', cardinality(p_expand) using errcode = '22023';
  end if;
  if array_ndims(p_categories) > 1 or array_position(p_categories, null) is not null
     or exists (select 1 from unnest(p_categories) c where length(c) > 80)
     or array_ndims(p_expand) > 1 or array_position(p_expand, null) is not null
     or exists (select 1 from unnest(p_expand) c where length(c) > 80) then
    raise exception 'categories are a flat list of names of at most 80 characters' using errcode = '22023';
  end if;

  if p_gig_id is not null then
    select g.id, g.org_id, g.path into root from public.gigs g where g.id = p_gig_id and g.deleted_at is null;
    if not found or not app.can_read_org(root.org_id) then
      raise exception 'gig % not found', p_gig_id using errcode = 'PT404';
    end if;
    orgs := array[root.org_id];
    subtree := array(select g.id from public.gigs g
                      where g.org_id = root.org_id and g.path operator(extensions.<@) root.path and g.deleted_at is null);
    -- The subject's own event: its subtree and the gigs above it (as app.plan_clashes has it).
    own := subtree || array(select g.id from public.gigs g
                             where g.org_id = root.org_id and g.path operator(extensions.@>) root.path and g.id <> root.id);
    select w.w_from, w.w_to into s_from, s_to from app.gig_windows(array[root.id]) w;
  else
    if p_from is null or p_to is null then
      raise exception 'a date range needs both p_from and p_to' using errcode = '22023';
    end if;
    if not isfinite(p_from) or not isfinite(p_to) then
      raise exception 'a date range needs finite dates' using errcode = '22023';
    end if;
    if p_from >= p_to then
      raise exception 'the date range must start before it ends' using errcode = '22023';
    end if;
    if p_to - p_from > interval '366 days' then
      raise exception 'a date range covers at most 366 days' using errcode = '22023';
    end if;
    orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
                 else array(select app.my_org_ids()) end;
    s_from := p_from;
    s_to := p_to;
  end if;

  -- The categories listed: those asked; a gig's demand; or everything the organizations hold;
  -- and those asked to expand.
  if p_categories is not null then
    cats := p_categories;
  elsif p_gig_id is not null then
    cats := array(
      select l.category from app.kit_line_assets(subtree) l
      union
      select k.category from public.kit_assignments k where k.gig_id = any (subtree) and k.category is not null);
  else
    cats := array(
      select t.category from app.asset_tallies t where t.org_id = any (orgs) and t.live > 0
      union
      select b.category from public.bulk_items b where b.org_id = any (orgs));
  end if;
  cats := array(select distinct c from unnest(cats || opened) c);
  select max(o.prep_buffer_hours), max(o.return_buffer_hours) into max_prep, max_return
    from public.organizations o where o.id = any (orgs);

  with own_gigs as materialized (
    select unnest(own) as gig_id
  ),
  -- Gigs holding gear against the subject: dated ones with their windows computed here, the few
  -- undated ones through app.gig_windows.
  holding as materialized (
    select w.gig_id, w.w_from, w.w_to
      from (select g.id as gig_id,
                   g.starts_at - make_interval(hours => o.prep_buffer_hours) as w_from,
                   g.ends_at + make_interval(hours => o.return_buffer_hours) as w_to
              from public.gigs g
              join public.organizations o on o.id = g.org_id
             where s_from is not null and cardinality(cats) > 0 and g.org_id = any (orgs)
               and g.deleted_at is null and g.starts_at is not null and g.ends_at is not null
               and g.status in ('draft', 'confirmed', 'in_progress')
               and tstzrange(g.starts_at, g.ends_at, '[]') operator(pg_catalog.&&)
                   tstzrange(s_from - make_interval(hours => max_return), s_to + make_interval(hours => max_prep), '[)')
            union all
            select u.gig_id, u.w_from, u.w_to
              from app.gig_windows(array(
                     select g.id from public.gigs g
                      where s_from is not null and cardinality(cats) > 0 and g.org_id = any (orgs)
                        and g.deleted_at is null and (g.starts_at is null or g.ends_at is null)
                        and g.status in ('draft', 'confirmed', 'in_progress'))) u) w
     where w.gig_id not in (select og.gig_id from own_gigs og)
       and w.w_from < w.w_to and s_from < s_to and w.w_from < s_to and s_from < w.w_to
  ),
  hold_assets as materialized (
    select l.gig_id, l.asset_id, l.category, l.status, l.current_gig_id
      from app.kit_line_assets(array(select h.gig_id from holding h)) l
  ),
  -- A planned asset of the listed categories is charged to the earliest holding gig that plans it.
  planned_by as materialized (
    select distinct on (ha.asset_id) ha.asset_id, ha.gig_id, ha.category, ha.status, ha.current_gig_id
      from hold_assets ha join holding h on h.gig_id = ha.gig_id
     where ha.category = any (cats)
     order by ha.asset_id, h.w_from, ha.gig_id
  ),
  own_assets as materialized (
    select l.line_id, l.gig_id, l.asset_id, l.category, l.status, l.current_gig_id from app.kit_line_assets(subtree) l
  ),
  -- Assets out that count against the subject (app.assets_out): not of its own event, and not
  -- back before its window starts (or overdue, or their gig has no window).
  out_counted as not materialized (
    select x.asset_id, x.category, x.gig_id
      from app.assets_out x
      join app.gig_window_ends w on w.gig_id = x.gig_id
     where x.org_id = any (orgs) and x.category = any (cats)
       and (s_from is null or w.window_to > s_from or w.window_to < now())
       and x.gig_id not in (select og.gig_id from own_gigs og)
  ),
  -- The same per gig (app.out_counts), for the figures and the ranking.
  out_gigs as not materialized (
    select c.category, c.gig_id, c.n
      from app.out_counts c
      join app.gig_window_ends w on w.gig_id = c.gig_id
     where c.org_id = any (orgs) and c.category = any (cats) and c.n > 0
       and (s_from is null or w.window_to > s_from or w.window_to < now())
       and c.gig_id not in (select og.gig_id from own_gigs og)
  ),
  out_totals as (
    select o.category, sum(o.n)::integer as n, count(*)::integer as gigs from out_gigs o group by o.category
  ),
  bulk as (
    select b.id, b.category, b.in_warehouse from public.bulk_items b where b.org_id = any (orgs) and b.category = any (cats)
  ),
  stock as materialized (
    select s.gig_id, b.category, s.quantity from public.bulk_stock s join bulk b on b.id = s.bulk_item_id
  ),
  -- Bulk units out, judged the same way (few gigs: their windows computed here).
  stock_away as materialized (
    select st.gig_id, st.category, st.quantity,
           coalesce(w.w_to < now(), false) as overdue,
           (s_from is null or w.w_to is null or w.w_to > s_from or w.w_to < now())
             and st.gig_id not in (select og.gig_id from own_gigs og) as counts_out
      from stock st
      left join app.gig_windows(array(select distinct st2.gig_id from stock st2)) w on w.gig_id = st.gig_id
  ),
  -- The assets whose reason is told one by one: planned elsewhere, or on the subject's lines
  -- (a full join: hashed or merged, never a loop over one side per row of the other).
  cand as materialized (
    select coalesce(p.asset_id, o.asset_id) as id, coalesce(p.category, o.category) as category,
           coalesce(p.status, o.status) as status, coalesce(p.current_gig_id, o.current_gig_id) as current_gig_id,
           p.gig_id as planned_gig
      from planned_by p
      full join (select distinct on (o.asset_id) o.asset_id, o.category, o.status, o.current_gig_id
                   from own_assets o where o.category = any (cats)) o on o.asset_id = p.asset_id
  ),
  reasons as materialized (
    select c.id, c.category,
           case when c.status in ('in_maintenance', 'quarantined') then 'maintenance'
                when c.status = 'checked_out' and aw.counts_out is not null then 'out'
                when c.status in ('lost', 'retired') then 'written_off'
                when c.planned_gig is not null then 'planned' end as reason,
           case when c.status in ('in_maintenance', 'quarantined') then null
                when c.status = 'checked_out' and aw.counts_out is not null then c.current_gig_id
                when c.status in ('lost', 'retired') then null
                else c.planned_gig end as gig_id
      from cand c
      left join (select oc.asset_id, true as counts_out from out_counted oc) aw on aw.asset_id = c.id
  ),
  -- Category lines on holding gigs, less what already fills them there (counts.ts: bulk units out
  -- to the gig and its loose serialized assets of the category).
  hold_lines as (
    select k.gig_id, k.category, sum(k.quantity) as quantity
      from public.kit_assignments k
     where k.gig_id = any (array(select h.gig_id from holding h)) and k.category = any (cats)
     group by k.gig_id, k.category
  ),
  filled as (
    select f.gig_id, f.category, sum(f.n) as n
      from (select a.current_gig_id as gig_id, a.category, 1 as n
              from public.assets a
             where a.current_gig_id = any (array(select distinct hl.gig_id from hold_lines hl)) and a.deleted_at is null
               and a.category = any (cats)
               and not exists (select 1 from hold_assets ha where ha.gig_id = a.current_gig_id and ha.asset_id = a.id)
            union all
            select st.gig_id, st.category, st.quantity from stock st) f
     group by f.gig_id, f.category
  ),
  open_units as (
    select hl.gig_id, hl.category, hl.quantity - coalesce(f.n, 0) as units
      from hold_lines hl left join filled f on f.gig_id = hl.gig_id and f.category = hl.category
     where hl.quantity - coalesce(f.n, 0) > 0
  ),
  -- The gigs listed for gear out: in a category opened, every one with its assets; otherwise the
  -- ten holding most assets per organization (read in index order) and those holding bulk units —
  -- enough to rank by assets plus units, since a gig in neither is beaten by ten that are.
  out_listed as (
    select o.category, o.gig_id, count(*)::integer as n, array_agg(o.asset_id order by o.asset_id) as ids
      from out_counted o
     where o.category = any (opened)
     group by o.category, o.gig_id
    union all
    (select k.category, t.gig_id, t.n, null::uuid[]
       from unnest(orgs) g (org_id)
      cross join unnest(cats) k (category)
      cross join lateral (
        select c.gig_id, c.n
          from app.out_counts c
          join app.gig_window_ends w on w.gig_id = c.gig_id
         where c.org_id = g.org_id and c.category = k.category and c.n > 0
           and (s_from is null or w.window_to > s_from or w.window_to < now())
           and c.gig_id not in (select og.gig_id from own_gigs og)
         order by c.n desc, c.gig_id
         limit 10) t
      where not (k.category = any (opened))
     union
     select c.category, c.gig_id, c.n, null
       from out_gigs c
      where not (c.category = any (opened))
        and (c.category, c.gig_id) in (select st.category, st.gig_id from stock_away st where st.counts_out))
  ),
  -- Gear out per category: assets and units, and how many gigs hold it.
  out_figures as (
    select k.category,
           coalesce(t.n, 0) + coalesce((select sum(st.quantity) from stock_away st where st.counts_out and st.category = k.category), 0) as n,
           coalesce(t.gigs, 0) + (select count(distinct st.gig_id)
                                    from stock_away st
                                   where st.counts_out and st.category = k.category
                                     and not exists (select 1 from out_gigs c where c.category = st.category and c.gig_id = st.gig_id)) as gigs
      from unnest(cats) k (category)
      left join out_totals t on t.category = k.category
  ),
  planned_assets as (
    select r.category, r.gig_id, count(*)::integer as n,
           case when r.category = any (opened) then array_agg(r.id order by r.id) end as ids
      from reasons r
     where r.reason = 'planned'
     group by r.category, r.gig_id
  ),
  -- Per category and figure, each gig with its assets (a count, ids when expanded: one row at most
  -- carries them) and units.
  held as (
    select x.kind, x.category, x.gig_id, sum(x.n)::integer as n, sum(x.units)::integer as units,
           case when x.category = any (opened) then coalesce(max(x.ids), '{}') end as ids
      -- (collate "C": grouped and ranked by code point, as the answer orders categories, not by locale)
      from (select 'out' collate "C" as kind, o.category collate "C" as category, o.gig_id, o.n, 0 as units, o.ids from out_listed o
            union all
            select 'out', st.category, st.gig_id, 0, st.quantity, null from stock_away st where st.counts_out
            union all
            select 'planned', p.category, p.gig_id, p.n, 0, p.ids from planned_assets p
            union all
            select 'planned', o.category, o.gig_id, 0, o.units, null from open_units o) x
     group by x.kind, x.category, x.gig_id
  ),
  ranked as (
    select h.*, row_number() over (partition by h.kind, h.category order by h.n + h.units desc, h.gig_id) as rank,
           h.category = any (opened) as expanded
      from held h
  ),
  held_json as (
    select r.category, r.kind,
           coalesce(jsonb_agg(jsonb_build_object('gigId', r.gig_id, 'assets', r.n, 'units', r.units, 'assetIds', r.ids) order by r.rank)
                      filter (where r.expanded or r.rank <= 10), '[]') as list,
           count(*) filter (where r.expanded or r.rank <= 10)::integer as shown,
           -- (planned: every gig is among the rows; out: see out_figures)
           sum(r.n + r.units)::integer as n,
           count(*)::integer as gigs
      from ranked r
     group by r.category, r.kind
  ),
  tallies as (
    select t.category, sum(t.owned)::integer as owned, sum(t.maintenance)::integer as maintenance
      from app.asset_tallies t
     where t.org_id = any (orgs) and t.category = any (cats)
     group by t.category
  ),
  owned as (
    select o.category, sum(o.n)::integer as n
      from (select t.category, t.owned as n from tallies t
            union all
            select b.category, b.in_warehouse from bulk b
            union all
            select st.category, st.quantity from stock st) o
     group by o.category
  ),
  -- In maintenance: the count kept; the asset ids read only for the categories opened.
  maintenance as (
    select t.category, t.maintenance as n,
           case when t.category = any (opened)
                then (select coalesce(jsonb_agg(a.id order by a.id), '[]')
                        from public.assets a
                       where a.org_id = any (orgs) and a.category = t.category and a.deleted_at is null
                         and a.status in ('in_maintenance', 'quarantined')) end as list
      from tallies t
  ),
  demand as (
    select d.category, sum(d.n)::integer as n
      from (select o.category, count(distinct o.asset_id) as n
              from own_assets o
             group by o.category
            union all
            select k.category, sum(k.quantity) from public.kit_assignments k where k.gig_id = any (subtree) and k.category is not null
             group by k.category) d
     group by d.category
  ),
  figures as (
    select c.category, coalesce(ow.n, 0) as owned, coalesce(m.n, 0) as maintenance, coalesce(of.n, 0) as out_n,
           coalesce(p.n, 0) as planned_n, coalesce(dm.n, 0) as demand, c.category = any (opened) as expanded,
           case when c.category = any (opened) then coalesce(m.list, '[]') end as maintenance_list,
           coalesce(o.list, '[]') as out_list, coalesce(of.gigs, 0) - coalesce(o.shown, 0) as out_more,
           coalesce(p.list, '[]') as planned_list, coalesce(p.gigs, 0) - coalesce(p.shown, 0) as planned_more
      from unnest(cats) c (category)
      left join owned ow on ow.category = c.category
      left join demand dm on dm.category = c.category
      left join maintenance m on m.category = c.category
      left join out_figures of on of.category = c.category
      left join held_json o on o.category = c.category and o.kind = 'out'
      left join held_json p on p.category = c.category and p.kind = 'planned'
  ),
  line_items as (
    select o.line_id,
           jsonb_agg(jsonb_build_object('assetId', r.id, 'category', r.category, 'reason', r.reason, 'gigId', r.gig_id) order by r.id) as items
      from own_assets o join reasons r on r.id = o.asset_id
     group by o.line_id
  ),
  lines as (
    select k.id, k.gig_id, k.asset_id, k.case_id, k.category, k.quantity, coalesce(li.items, '[]') as items
      from public.kit_assignments k
      left join line_items li on li.line_id = k.id
     where k.gig_id = any (subtree)
       and (p_categories is null or li.items is not null or k.category = any (cats))
  ),
  overdue as (
    select x.gig_id, x.category, sum(x.n)::integer as n, sum(x.units)::integer as units,
           case when x.category = any (opened) then coalesce(max(x.ids), '{}') end as ids
      from (select x.gig_id, x.category, count(*)::integer as n, 0 as units,
                   case when x.category = any (opened) then array_agg(x.asset_id order by x.asset_id) end as ids
              from app.gig_window_ends w
              join app.assets_out x on x.gig_id = w.gig_id
             where w.org_id = any (orgs) and w.window_to < now() and x.category = any (cats)
             group by x.gig_id, x.category
            union all
            select st.gig_id, st.category, 0, st.quantity, null from stock_away st where st.overdue) x
     group by x.gig_id, x.category
  ),
  named as (
    select r.gig_id from ranked r where r.expanded or r.rank <= 10
    union select l.gig_id from lines l
    union select r.gig_id from reasons r join own_assets o on o.asset_id = r.id where r.gig_id is not null
    union select o.gig_id from overdue o
  ),
  -- Windows are known for the holding gigs; the other named gigs' are computed in one call.
  known_windows as (
    select h.gig_id, h.w_from, h.w_to from holding h
    union
    select w.gig_id, w.w_from, w.w_to
      from app.gig_windows(array(select n.gig_id from named n where n.gig_id not in (select h.gig_id from holding h))) w
  ),
  named_gigs as (
    select g.id, g.name, g.code, w.w_from, w.w_to
      from public.gigs g
      left join known_windows w on w.gig_id = g.id
     where g.id = any (array(select n.gig_id from named n))
  )
  select jsonb_build_object(
    'subject', jsonb_build_object(
      'gigId', p_gig_id,
      'window', case when s_from is null then null else jsonb_build_object('from', s_from, 'to', s_to) end),
    'categories', coalesce((
      select jsonb_agg(jsonb_build_object(
               'category', f.category,
               'owned', f.owned,
               'maintenance', f.maintenance,
               'out', f.out_n,
               'planned', f.planned_n,
               'available', f.owned - f.maintenance - f.out_n - f.planned_n,
               'demand', f.demand,
               'shortage', greatest(f.demand - (f.owned - f.maintenance - f.out_n - f.planned_n), 0),
               'expanded', f.expanded,
               'maintenanceAssets', f.maintenance_list,
               'outGigs', f.out_list,
               'moreOutGigs', f.out_more,
               'plannedGigs', f.planned_list,
               'morePlannedGigs', f.planned_more)
             order by f.category collate "C")
        from figures f), '[]'),
    'lines', coalesce((
      select jsonb_agg(jsonb_build_object('id', l.id, 'gigId', l.gig_id, 'assetId', l.asset_id, 'caseId', l.case_id,
                                          'category', l.category, 'quantity', l.quantity, 'items', l.items) order by l.id)
        from lines l), '[]'),
    'overdue', coalesce((
      select jsonb_agg(jsonb_build_object('gigId', o.gig_id, 'category', o.category, 'assets', o.n, 'units', o.units,
                                          'assetIds', o.ids)
                       order by o.gig_id, o.category collate "C")
        from overdue o), '[]'),
    'gigs', coalesce((
      select jsonb_agg(jsonb_build_object('id', n.id, 'name', n.name, 'code', n.code,
                                          'window', case when n.w_from is null then null else jsonb_build_object('from', n.w_from, 'to', n.w_to) end)
                       order by n.id)
        from named_gigs n), '[]'))
    into answer;
  return answer;
end
$$;

revoke execute on function public.get_availability(uuid, timestamptz, timestamptz, text[], text[]) from public, anon;
grant execute on function public.get_availability(uuid, timestamptz, timestamptz, text[], text[]) to authenticated, service_role;
