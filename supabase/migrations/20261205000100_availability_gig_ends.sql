-- Availability without window locks (issue 19): 20261204000700 kept the figures; two outside
-- reviews then found five deadlocks and one slow read.
--
-- * Gig windows. 20261204000700 kept every gig's window end, inherited ones and buffers included,
--   refreshed under share locks on the organization and a changed gig's ancestors and descendants.
--   The reviews found planners deadlocking on those locks: one editing a festival and one a set of
--   it (each waited for the row the other had updated); a planner holding a festival (an op's `for
--   update`) and then touching a set whose dates another planner is changing; a planner holding a
--   set while another moves or deletes its festival (the path cascade locks every descendant) and
--   then changing the set's dates; an organization's delete waiting for a gig a planner holds while
--   the planner's date change waits for the organization. Locking ancestors only, root first, fixed
--   the first and none of the others. Now app.gig_ends holds, per gig, only its own end when it has
--   both dates (null: it inherits), written by the statement that inserts the gig or changes its
--   dates, on the row that statement already holds; get_availability adds the organization's return
--   buffer and computes the inherited windows of the few undated gigs with gear out when asked. No
--   lock, no refresh, no drift: buffers and ancestors are read as they are at the question.
-- * Deleting an organization while a station committed figures for it deadlocked: the commit-time
--   insert of a new tally or count row key-share-locked the organization (its foreign key), and the
--   delete, cascading to that station's assets, waited for the station. The shared figures have no
--   foreign key now; an organization's delete clears them, and deltas of an organization gone are
--   dropped at commit (20261204000700).
-- * get_availability read the assets of the subject's own lines twice (for the categories to list
--   and again in the answer, ~16 ms each for the largest festival root at scale 10): once now, into
--   an app.line_asset[]. Its subtree and the gigs above it are found by path alone (see there).

alter table app.asset_tallies drop constraint asset_tallies_org_id_fkey;
alter table app.out_counts drop constraint out_counts_org_id_fkey;

-- An organization deleted: its figures go (app.gig_ends go with its gigs).
create function app.organizations_deleted_drop_figures()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  delete from app.asset_tallies t where t.org_id in (select o.id from old_rows o);
  delete from app.out_counts c where c.org_id in (select o.id from old_rows o);
  return null;
end
$$;

create trigger organizations_deleted_drop_figures after delete on public.organizations
  referencing old table as old_rows for each statement execute function app.organizations_deleted_drop_figures();

revoke execute on function app.organizations_deleted_drop_figures() from public, anon, authenticated;

drop trigger gigs_inserted_keep_windows on public.gigs;
drop trigger gigs_updated_keep_windows on public.gigs;
drop trigger organizations_keep_windows on public.organizations;
drop function app.gigs_inserted_keep_windows(), app.gigs_updated_keep_windows(), app.organizations_keep_windows(),
  app.refresh_gig_window_ends(uuid[], boolean);
drop table app.gig_window_ends;

create table app.gig_ends (
  gig_id uuid primary key references public.gigs (id) on delete cascade,
  org_id uuid not null,
  -- The gig's own end when it has both dates; null when its window is inherited (or it has none).
  ends_at timestamptz
);
create index gig_ends_idx on app.gig_ends (org_id, ends_at);
alter table app.gig_ends enable row level security;
revoke all on app.gig_ends from public, anon, authenticated, service_role;

-- The one rule for what app.gig_ends holds (the triggers and the backfill below).
create function app.gig_own_end(starts_at timestamptz, ends_at timestamptz)
returns timestamptz
language sql immutable set search_path = ''
as $$ select case when starts_at is not null and ends_at is not null then ends_at end $$;
revoke execute on function app.gig_own_end(timestamptz, timestamptz) from public, anon, authenticated;

create function app.gigs_inserted_keep_ends()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into app.gig_ends (gig_id, org_id, ends_at)
  select n.id, n.org_id, app.gig_own_end(n.starts_at, n.ends_at) from new_rows n;
  return null;
end
$$;

create function app.gigs_updated_keep_ends()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  update app.gig_ends e
     set ends_at = x.ends_at
    from (select n.id, app.gig_own_end(n.starts_at, n.ends_at) as ends_at
            from new_rows n join old_rows o on o.id = n.id
           where (n.starts_at, n.ends_at) is distinct from (o.starts_at, o.ends_at)) x
   where e.gig_id = x.id and e.ends_at is distinct from x.ends_at;
  return null;
end
$$;

create trigger gigs_inserted_keep_ends after insert on public.gigs
  referencing new table as new_rows for each statement execute function app.gigs_inserted_keep_ends();
create trigger gigs_updated_keep_ends after update on public.gigs
  referencing old table as old_rows new table as new_rows for each statement execute function app.gigs_updated_keep_ends();
revoke execute on function app.gigs_inserted_keep_ends(), app.gigs_updated_keep_ends() from public, anon, authenticated;

insert into app.gig_ends (gig_id, org_id, ends_at)
select g.id, g.org_id, app.gig_own_end(g.starts_at, g.ends_at) from public.gigs g;

create type app.line_asset as (
  line_id uuid, gig_id uuid, asset_id uuid, category text, status public.asset_status, current_gig_id uuid
);

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
  -- The assets of the subject's lines, read once (the categories listed and the answer need them).
  own_rows app.line_asset[] := '{}';
  s_from timestamptz;
  s_to timestamptz;
  cats text[];
  opened text[] := coalesce(p_expand, '{}');
  max_prep integer;
  max_return integer;
  -- Each organization's return buffer, and the inherited window ends of undated gigs with gear out:
  -- looked up by position in the answer's statement (no join, no subquery per row).
  buffer_orgs uuid[];
  return_buffers interval[];
  undated_gigs uuid[];
  undated_ends timestamptz[];
  undated_bare_ends timestamptz[];
  -- For one organization (a gig's question always is): a dated gig's gear counts against the
  -- subject when the gig ends after due_after or before due_before (its buffer taken off).
  due_after timestamptz;
  due_before timestamptz;
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
    -- By path alone: a path is the chain of gig ids from the root, and a parent is always of the
    -- same organization (the foreign key), so the path selects the subtree. With the organization
    -- too, the generic plan AND-ed its 50k-entry index with the path's (~3 ms per array at scale 10).
    subtree := array(select g.id from public.gigs g
                      where g.path operator(extensions.<@) root.path and g.deleted_at is null);
    -- The subject's own event: its subtree and the gigs above it (as app.plan_clashes has it).
    own := subtree || array(select g.id from public.gigs g
                             where g.path operator(extensions.@>) root.path and g.id <> root.id);
    own_rows := array(select (l.*)::app.line_asset from app.kit_line_assets(subtree) l);
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
      select l.category from unnest(own_rows) l
      union
      select k.category from public.kit_assignments k where k.gig_id = any (subtree) and k.category is not null);
  else
    cats := array(
      select t.category from app.asset_tallies t where t.org_id = any (orgs) and t.live > 0
      union
      select b.category from public.bulk_items b where b.org_id = any (orgs));
  end if;
  cats := array(select distinct c from unnest(cats || opened) c);
  select max(o.prep_buffer_hours), max(o.return_buffer_hours), array_agg(o.id), array_agg(make_interval(hours => o.return_buffer_hours))
    into max_prep, max_return, buffer_orgs, return_buffers
    from public.organizations o where o.id = any (orgs);
  if cardinality(buffer_orgs) = 1 then
    due_after := coalesce(s_from - return_buffers[1], '-infinity');
    due_before := now() - return_buffers[1];
  end if;
  -- (With and without their organization's buffer: the second compares like a dated gig's end.)
  select array_agg(u.gig_id), array_agg(u.w_to), array_agg(u.w_to - make_interval(hours => o.return_buffer_hours))
    into undated_gigs, undated_ends, undated_bare_ends
    from app.gig_windows(array(
           select e.gig_id from app.gig_ends e
            where e.org_id = any (orgs) and e.ends_at is null
              and exists (select 1 from app.assets_out x where x.gig_id = e.gig_id))) u
    join public.gigs g on g.id = u.gig_id
    join public.organizations o on o.id = g.org_id;

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
    select l.line_id, l.gig_id, l.asset_id, l.category, l.status, l.current_gig_id from unnest(own_rows) l
  ),
  -- Gigs whose gear out counts against the subject: due back after its window starts, or overdue
  -- (or without any window). Due back: a dated gig's end plus its organization's return buffer; an
  -- undated gig's inherited end (computed above for the few undated gigs with gear out). Compared
  -- on the column against constants: one read of the narrow table, no join per row (the buffer is
  -- looked up by position only when the question spans several organizations).
  counted_gigs as not materialized (
    select e.gig_id
      from app.gig_ends e
     where e.org_id = any (orgs)
       and (e.ends_at > coalesce(due_after, s_from - return_buffers[array_position(buffer_orgs, e.org_id)])
            or e.ends_at < coalesce(due_before, now() - return_buffers[array_position(buffer_orgs, e.org_id)])
            or (e.ends_at is null
                and (coalesce(undated_bare_ends[array_position(undated_gigs, e.gig_id)], 'infinity')
                       > coalesce(due_after, s_from - return_buffers[array_position(buffer_orgs, e.org_id)])
                     or undated_bare_ends[array_position(undated_gigs, e.gig_id)]
                       < coalesce(due_before, now() - return_buffers[array_position(buffer_orgs, e.org_id)]))))
  ),
  -- Assets out that count against the subject (app.assets_out): not of its own event, and not
  -- back before its window starts (or overdue, or their gig has no window).
  out_counted as not materialized (
    select x.asset_id, x.category, x.gig_id
      from app.assets_out x
      join counted_gigs w on w.gig_id = x.gig_id
     where x.org_id = any (orgs) and x.category = any (cats)
       and x.gig_id not in (select og.gig_id from own_gigs og)
  ),
  -- The same per gig (app.out_counts), for the figures and the ranking.
  out_gigs as not materialized (
    select c.category, c.gig_id, c.n
      from app.out_counts c
      join counted_gigs w on w.gig_id = c.gig_id
     where c.org_id = any (orgs) and c.category = any (cats) and c.n > 0
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
          join counted_gigs w on w.gig_id = c.gig_id
         where c.org_id = g.org_id and c.category = k.category and c.n > 0
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
              -- (Per organization through the index: ended before now less its buffer.)
              from (select e.gig_id
                      from public.organizations o
                     cross join lateral (
                       select e.gig_id from app.gig_ends e
                        where e.org_id = o.id and e.ends_at < now() - make_interval(hours => o.return_buffer_hours)
                       offset 0) e
                     where o.id = any (orgs)
                    union all
                    select u.gig_id from unnest(undated_gigs, undated_ends) u (gig_id, w_to) where u.w_to < now()) w
              join app.assets_out x on x.gig_id = w.gig_id
             where x.category = any (cats)
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
