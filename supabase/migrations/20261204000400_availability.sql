-- Availability that explains itself (issue 19). For a gig (its subtree's pick lists are its demand)
-- or a date range (supply only): per category what is owned, in maintenance, out, planned on
-- other gigs, available, demanded and short; behind out and planned the gigs holding most, with
-- counts; the subject's lines with why each asset behind them is not free; overdue returns. The
-- categories asked to expand (p_expand, at most 10) open every number into all its gigs and the
-- asset ids behind it.
--
-- The one definition is written in core/views/availability.ts (the station computes the same
-- answer offline from its cached rows); this file mirrors it, and
-- supabase/tests/domain/availability.test.ts checks both against a plain-SQL reference.
--
-- * Organizations get prep and return buffers (hours, 0–720, default 24): a gig's window is
--   [start − prep, end + return), its dates or its nearest dated ancestor's (app.gig_window).
-- * get_availability is security definer like the other RPCs (clients hold no table privileges)
--   and checks the caller itself: a gig outside the caller's organizations is "not found" (PT404),
--   exactly like an id that exists nowhere; a range covers the caller's organizations only (a
--   removed member sees nothing). Read-only: every member role may ask. Bad input is 22023.
-- * Cost (tests/bench/availability.ts, figures in docs/performance.md): every aggregate reads only
--   the listed categories; windows are computed for an array of gigs at once; the default answer
--   holds counts, not ids. At scale 10 a gig still takes ~0.4 s at p95 (the goal is 20 ms).

-- 1. Buffers ------------------------------------------------------------------------------------
alter table public.organizations
  add column prep_buffer_hours integer not null default 24
    constraint organizations_prep_buffer_hours_range check (prep_buffer_hours between 0 and 720),
  add column return_buffer_hours integer not null default 24
    constraint organizations_return_buffer_hours_range check (return_buffer_hours between 0 and 720);

-- 2. Indexes ------------------------------------------------------------------------------------
-- Gigs that may hold gear in a window: live, open, dated, found by their dates ('[]' so a gig that
-- starts and ends at once still has a range; the exact window is checked after).
create index gigs_holding_dates_idx on public.gigs using gist (tstzrange(starts_at, ends_at, '[]'))
  where deleted_at is null and starts_at is not null and ends_at is not null
    and status in ('draft', 'confirmed', 'in_progress');
-- Gigs missing a date take their window from an ancestor: few, read all at once per organization.
create index gigs_undated_idx on public.gigs (org_id)
  where deleted_at is null and (starts_at is null or ends_at is null);
-- Per category: owned counts, maintenance and out lists readable from the index (index-only once
-- the visibility map is set).
create index assets_availability_idx on public.assets (org_id, category, status) include (id, current_gig_id)
  where deleted_at is null;

-- 3. Windows ------------------------------------------------------------------------------------
-- Each gig's window: its own dates when it has both, else its nearest ancestor's that has both,
-- widened by its organization's buffers. Gigs without one are left out.
create function app.gig_windows(gig_ids uuid[])
returns table (gig_id uuid, w_from timestamptz, w_to timestamptz)
language sql stable set search_path = ''
as $$
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
   where g.id = any (gig_ids)
$$;

-- One gig's window as a range (null: no dates anywhere above it). For other server code, such as
-- overbooking checks.
create function app.gig_window(gig_id uuid)
returns tstzrange
language sql stable set search_path = ''
as $$
  select tstzrange(w.w_from, w.w_to, '[)') from app.gig_windows(array[gig_id]) w
$$;

-- The live assets behind the asset and case lines of some gigs (a case: its live contents, nested
-- live cases included; a deleted case holds nothing), as core/views/counts.ts counts them.
create function app.kit_line_assets(gig_ids uuid[])
returns table (line_id uuid, gig_id uuid, asset_id uuid, category text)
language sql stable set search_path = '' rows 100
as $$
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
  select k.id, k.gig_id, a.id, a.category from kit k join public.assets a on a.id = k.asset_id where a.deleted_at is null
  union all
  select k.id, k.gig_id, a.id, a.category
    from kit k
    join case_tree t on t.root_case = k.case_id
    join public.assets a on a.case_id = t.case_id
   where a.deleted_at is null
$$;

revoke execute on function app.gig_windows(uuid[]), app.gig_window(uuid), app.kit_line_assets(uuid[]) from public, anon, authenticated;

-- 4. The answer -----------------------------------------------------------------------------------
create function public.get_availability(
  p_gig_id uuid default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_categories text[] default null,
  p_expand text[] default null
)
returns jsonb
language plpgsql stable security definer
set search_path = '' set jit = off
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
      select a.category from public.assets a where a.org_id = any (orgs) and a.deleted_at is null
      union
      select b.category from public.bulk_items b where b.org_id = any (orgs));
  end if;
  cats := array(select distinct c from unnest(cats || opened) c);
  select max(o.prep_buffer_hours), max(o.return_buffer_hours) into max_prep, max_return
    from public.organizations o where o.id = any (orgs);

  with holding as materialized (
    select w.gig_id, w.w_from, w.w_to
      from app.gig_windows(array(
             select g.id from public.gigs g
              where s_from is not null and g.org_id = any (orgs)
                and g.deleted_at is null and g.starts_at is not null and g.ends_at is not null
                and g.status in ('draft', 'confirmed', 'in_progress')
                and tstzrange(g.starts_at, g.ends_at, '[]') operator(pg_catalog.&&)
                    tstzrange(s_from - make_interval(hours => max_return), s_to + make_interval(hours => max_prep), '[)')
             union all
             select g.id from public.gigs g
              where s_from is not null and g.org_id = any (orgs)
                and g.deleted_at is null and (g.starts_at is null or g.ends_at is null)
                and g.status in ('draft', 'confirmed', 'in_progress'))) w
     where not (w.gig_id = any (own))
       and w.w_from < w.w_to and s_from < s_to and w.w_from < s_to and s_from < w.w_to
  ),
  hold_assets as materialized (
    select l.gig_id, l.asset_id, l.category from app.kit_line_assets(array(select h.gig_id from holding h)) l
  ),
  -- A planned asset of the listed categories is charged to the earliest holding gig that plans it.
  planned_by as materialized (
    select distinct on (ha.asset_id) ha.asset_id, ha.gig_id
      from hold_assets ha join holding h on h.gig_id = ha.gig_id
     where ha.category = any (cats)
     order by ha.asset_id, h.w_from, ha.gig_id
  ),
  own_assets as materialized (
    select l.line_id, l.gig_id, l.asset_id, l.category from app.kit_line_assets(subtree) l
  ),
  -- Assets out, per category and gig, from the index alone (a checked-out asset has a gig).
  out_groups as materialized (
    select a.category, a.current_gig_id as gig_id, count(*)::integer as n,
           case when a.category = any (opened) then array_agg(a.id order by a.id) end as ids
      from public.assets a
     where a.org_id = any (orgs) and a.category = any (cats) and a.deleted_at is null and a.status = 'checked_out'
     group by a.category, a.current_gig_id
  ),
  bulk as (
    select b.id, b.category, b.in_warehouse from public.bulk_items b where b.org_id = any (orgs) and b.category = any (cats)
  ),
  stock as materialized (
    select s.gig_id, b.category, s.quantity from public.bulk_stock s join bulk b on b.id = s.bulk_item_id
  ),
  -- The windows of the gigs holding something out: dated ones from their own dates, the few
  -- undated ones through app.gig_windows (one call for all).
  away_gigs as materialized (
    select o.gig_id from out_groups o union select st.gig_id from stock st
  ),
  away_windows as materialized (
    select g.id as gig_id, g.starts_at - make_interval(hours => o.prep_buffer_hours) as w_from,
           g.ends_at + make_interval(hours => o.return_buffer_hours) as w_to
      from away_gigs x
      join public.gigs g on g.id = x.gig_id
      join public.organizations o on o.id = g.org_id
     where g.starts_at is not null and g.ends_at is not null
    union all
    select w.gig_id, w.w_from, w.w_to
      from app.gig_windows(array(
             select g.id from away_gigs x join public.gigs g on g.id = x.gig_id where g.starts_at is null or g.ends_at is null)) w
  ),
  -- Where each gig holding something out stands: overdue (its window ended before now), and not
  -- back before the subject's window starts (gigs of the subject's own event never count).
  away as materialized (
    select x.gig_id,
           coalesce(w.w_to < now(), false) as overdue,
           (s_from is null or w.gig_id is null or w.w_to > s_from or w.w_to < now()) and not (x.gig_id = any (own)) as counts_out
      from away_gigs x
      left join away_windows w on w.gig_id = x.gig_id
  ),
  -- The assets whose reason is told one by one: planned elsewhere, or on the subject's lines
  -- (a full join: hashed or merged, never a loop over one side per row of the other).
  cand as materialized (
    select a.id, a.category, a.status, a.current_gig_id, x.planned_gig
      from (select coalesce(p.asset_id, o.asset_id) as asset_id, p.gig_id as planned_gig
              from planned_by p
              full join (select distinct o.asset_id from own_assets o where o.category = any (cats)) o on o.asset_id = p.asset_id) x
      join public.assets a on a.id = x.asset_id
  ),
  reasons as materialized (
    select c.id, c.category,
           case when c.status in ('in_maintenance', 'quarantined') then 'maintenance'
                when c.status = 'checked_out' and aw.counts_out then 'out'
                when c.status in ('lost', 'retired') then 'written_off'
                when c.planned_gig is not null then 'planned' end as reason,
           case when c.status in ('in_maintenance', 'quarantined') then null
                when c.status = 'checked_out' and aw.counts_out then c.current_gig_id
                when c.status in ('lost', 'retired') then null
                else c.planned_gig end as gig_id
      from cand c
      left join away aw on aw.gig_id = c.current_gig_id
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
      from (select 'out' as kind, o.category, o.gig_id, o.n, 0 as units, o.ids
              from out_groups o join away aw on aw.gig_id = o.gig_id where aw.counts_out
            union all
            select 'out', st.category, st.gig_id, 0, st.quantity, null from stock st join away aw on aw.gig_id = st.gig_id where aw.counts_out
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
           sum(r.n + r.units)::integer as n,
           count(*) filter (where not r.expanded and r.rank > 10)::integer as more
      from ranked r
     group by r.category, r.kind
  ),
  owned as (
    select o.category, sum(o.n)::integer as n
      from (select a.category, count(*) as n
              from public.assets a
             where a.org_id = any (orgs) and a.category = any (cats) and a.deleted_at is null and a.status not in ('lost', 'retired')
             group by a.category
            union all
            select b.category, b.in_warehouse from bulk b
            union all
            select st.category, st.quantity from stock st) o
     group by o.category
  ),
  maintenance as (
    select a.category, count(*)::integer as n,
           case when a.category = any (opened) then jsonb_agg(a.id order by a.id) end as list
      from public.assets a
     where a.org_id = any (orgs) and a.category = any (cats) and a.deleted_at is null and a.status in ('in_maintenance', 'quarantined')
     group by a.category
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
    select c.category, coalesce(ow.n, 0) as owned, coalesce(m.n, 0) as maintenance, coalesce(o.n, 0) as out_n,
           coalesce(p.n, 0) as planned_n, coalesce(dm.n, 0) as demand, c.category = any (opened) as expanded,
           case when c.category = any (opened) then coalesce(m.list, '[]') end as maintenance_list,
           coalesce(o.list, '[]') as out_list, coalesce(o.more, 0) as out_more,
           coalesce(p.list, '[]') as planned_list, coalesce(p.more, 0) as planned_more
      from unnest(cats) c (category)
      left join owned ow on ow.category = c.category
      left join demand dm on dm.category = c.category
      left join maintenance m on m.category = c.category
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
      from (select o.gig_id, o.category, o.n, 0 as units, o.ids from out_groups o join away aw on aw.gig_id = o.gig_id where aw.overdue
            union all
            select st.gig_id, st.category, 0, st.quantity, null from stock st join away aw on aw.gig_id = st.gig_id where aw.overdue) x
     group by x.gig_id, x.category
  ),
  named as (
    select r.gig_id from ranked r where r.expanded or r.rank <= 10
    union select l.gig_id from lines l
    union select r.gig_id from reasons r join own_assets o on o.asset_id = r.id where r.gig_id is not null
    union select o.gig_id from overdue o
  ),
  -- Windows are known for every gig holding or away; only the subtree's lines' gigs need theirs.
  known_windows as (
    select h.gig_id, h.w_from, h.w_to from holding h
    union
    select w.gig_id, w.w_from, w.w_to from away_windows w where w.gig_id in (select n.gig_id from named n)
    union
    select w.gig_id, w.w_from, w.w_to from app.gig_windows(array(select distinct l.gig_id from lines l)) w
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
