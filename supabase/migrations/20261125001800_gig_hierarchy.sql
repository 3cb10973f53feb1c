-- get_gig_hierarchy: a gig's whole subtree as nested JSON, each node with rolled-up counts
-- (assets planned / checked out now / returned, distinct staff assigned), siblings ordered by
-- start time then name. get_gig_ancestors: the breadcrumb from the root down to a gig.

create function app.can_read_org(org uuid)
returns boolean
language sql stable security definer set search_path = extensions
as $$
  select auth.role() = 'service_role' or org in (select app.my_org_ids())
$$;
revoke all on function app.can_read_org(uuid) from public;
grant execute on function app.can_read_org(uuid) to authenticated, service_role;

create function public.get_gig_hierarchy(root_gig_id uuid)
returns json
language plpgsql stable security definer set search_path = extensions
as $$
declare
  root record;
  tree text;
begin
  if root_gig_id is null then
    raise exception 'root_gig_id is required' using errcode = '22023';
  end if;
  select g.id, g.org_id, g.path, extensions.nlevel(g.path) as lvl into root
    from public.gigs g
   where g.id = root_gig_id and g.deleted_at is null;
  if not found or not app.can_read_org(root.org_id) then
    raise exception 'gig % not found', root_gig_id using errcode = 'PT404';
  end if;

  with nodes as (
    select g.id, g.parent_gig_id, g.path, extensions.nlevel(g.path) as lvl, g.code, g.name, g.status,
           g.starts_at, g.ends_at, g.venue, g.version, g.updated_at,
           row_number() over (partition by g.parent_gig_id order by g.starts_at nulls last, g.name, g.id) as sibling_rank
      from public.gigs g
     where g.path operator(extensions.<@) root.path and g.deleted_at is null
  ),
  -- What each gig itself contributes, before rolling up.
  planned as (
    select k.gig_id,
           sum(case
                 when k.asset_id is not null then 1
                 when k.quantity is not null then k.quantity
                 else (select count(*) from app.case_contents(k.case_id))
               end) as n
      from public.kit_assignments k
     where k.gig_id in (select id from nodes)
     group by k.gig_id
  ),
  checked_out as (
    select a.current_gig_id as gig_id, count(*) as n
      from public.assets a
     where a.current_gig_id in (select id from nodes)
     group by a.current_gig_id
  ),
  own as (
    select n.path,
           coalesce(p.n, 0) as planned,
           coalesce(c.n, 0) as checked_out,
           coalesce(gc.returned_total, 0) as returned
      from nodes n
      left join planned p on p.gig_id = n.id
      left join checked_out c on c.gig_id = n.id
      left join public.gig_counters gc on gc.gig_id = n.id
  ),
  -- Every node adds its own figures to each of its ancestors inside this subtree.
  rolled as (
    select extensions.subpath(o.path, 0, k) as path,
           sum(o.planned) as planned, sum(o.checked_out) as checked_out, sum(o.returned) as returned
      from own o
     cross join lateral generate_series(root.lvl, extensions.nlevel(o.path)) as k
     group by 1
  ),
  staff as (
    select extensions.subpath(n.path, 0, k) as path, count(distinct s.staff_id) as n
      from public.gig_staff s
      join nodes n on n.id = s.gig_id
     cross join lateral generate_series(root.lvl, n.lvl) as k
     group by 1
  ),
  ordered as (
    with recursive walk as (
      select n.id, array[1::bigint] as sort_key from nodes n where n.id = root.id
      union all
      select n.id, w.sort_key || n.sibling_rank from nodes n join walk w on n.parent_gig_id = w.id
    )
    select w.sort_key, n.*, r.planned, r.checked_out, r.returned, coalesce(s.n, 0) as staff
      from walk w
      join nodes n on n.id = w.id
      join rolled r on r.path = n.path
      left join staff s on s.path = n.path
  ),
  -- Depth-first order lets the nesting be written out directly: open a node's "children"
  -- array, then close as many arrays as the next node climbs back up.
  rendered as (
    select o.sort_key,
           left(json_build_object(
             'id', o.id, 'parent_gig_id', o.parent_gig_id, 'code', o.code, 'name', o.name, 'status', o.status,
             'starts_at', o.starts_at, 'ends_at', o.ends_at, 'venue', o.venue, 'version', o.version,
             'updated_at', o.updated_at, 'depth', o.lvl - root.lvl,
             'counts', json_build_object(
               'assets_planned', o.planned, 'assets_checked_out', o.checked_out,
               'assets_returned', o.returned, 'staff_assigned', o.staff)
           )::text, -1) || ', "children" : [' as head,
           o.lvl,
           lead(o.lvl) over (order by o.sort_key) as next_lvl
      from ordered o
  )
  select string_agg(
           r.head ||
           case
             when r.next_lvl is null then repeat(']}', r.lvl - root.lvl + 1)
             when r.next_lvl > r.lvl then ''
             else repeat(']}', r.lvl - r.next_lvl + 1) || ','
           end,
           '' order by r.sort_key)
    into tree
    from rendered r;

  return tree::json;
end
$$;

create function public.get_gig_ancestors(gig_id uuid)
returns json
language plpgsql stable security definer set search_path = extensions
as $$
declare
  target record;
begin
  select g.org_id, g.path into target from public.gigs g where g.id = gig_id and g.deleted_at is null;
  if not found or not app.can_read_org(target.org_id) then
    raise exception 'gig % not found', gig_id using errcode = 'PT404';
  end if;
  return (
    select json_agg(json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'status', a.status,
                                      'depth', extensions.nlevel(a.path) - 1)
                    order by extensions.nlevel(a.path))
      from public.gigs a
     where a.path operator(extensions.@>) target.path
  );
end
$$;

revoke all on function public.get_gig_hierarchy(uuid), public.get_gig_ancestors(uuid) from public, anon;
grant execute on function public.get_gig_hierarchy(uuid), public.get_gig_ancestors(uuid) to authenticated, service_role;
