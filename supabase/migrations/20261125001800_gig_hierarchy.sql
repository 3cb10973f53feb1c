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
language plpgsql stable security definer set search_path = extensions set jit = off
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

  with recursive nodes as (
    select g.id, g.parent_gig_id, g.path, extensions.nlevel(g.path) as lvl, g.code, g.name, g.status,
           g.starts_at, g.ends_at, g.venue, g.version,
           row_number() over (partition by g.parent_gig_id order by g.starts_at nulls last, g.name, g.id) as sibling_rank
      from public.gigs g
     where g.path operator(extensions.<@) root.path and g.deleted_at is null
  ),
  kit as (
    select k.gig_id, k.asset_id, k.case_id, k.quantity
      from public.kit_assignments k
     where k.gig_id = any (array(select id from nodes))
  ),
  -- Planned cases count their contents, nested cases included: sized once, set-based.
  case_tree (root_case, case_id) as (
    select distinct k.case_id, k.case_id from kit k where k.case_id is not null
    union all
    select t.root_case, c.id from public.cases c join case_tree t on c.parent_case_id = t.case_id where c.deleted_at is null
  ),
  case_sizes as (
    select t.root_case, count(a.id) as n
      from case_tree t join public.assets a on a.case_id = t.case_id
     where a.case_id = any (array(select case_id from case_tree)) and a.deleted_at is null
     group by t.root_case
  ),
  planned as (
    select k.gig_id,
           sum(case when k.asset_id is not null then 1 when k.quantity is not null then k.quantity else coalesce(cs.n, 0) end) as n
      from kit k left join case_sizes cs on cs.root_case = k.case_id
     group by k.gig_id
  ),
  checked_out as (
    select a.current_gig_id as gig_id, count(*) as n
      from public.assets a
     where a.current_gig_id = any (array(select id from nodes))
     group by a.current_gig_id
  ),
  -- Depth-first sort keys, and each node's ancestors inside this subtree (itself included).
  walk (id, sort_key, ancestors) as (
    select root.id, array[1::bigint], array[root.id]
    union all
    select n.id, w.sort_key || n.sibling_rank, w.ancestors || n.id
      from nodes n join walk w on n.parent_gig_id = w.id
  ),
  lineage as (
    select w.id, unnest(w.ancestors) as ancestor_id from walk w
  ),
  own as (
    select n.id, coalesce(p.n, 0) as planned, coalesce(c.n, 0) as checked_out, coalesce(gc.returned_total, 0) as returned
      from nodes n
      left join planned p on p.gig_id = n.id
      left join checked_out c on c.gig_id = n.id
      left join public.gig_counters gc on gc.gig_id = n.id
  ),
  rolled as (
    select l.ancestor_id, sum(o.planned) as planned, sum(o.checked_out) as checked_out, sum(o.returned) as returned
      from lineage l join own o on o.id = l.id
     group by l.ancestor_id
  ),
  staff as (
    select pairs.ancestor_id, count(*) as n
      from (select distinct l.ancestor_id, s.staff_id
              from public.gig_staff s
              join lineage l on l.id = s.gig_id
             where s.gig_id = any (array(select id from nodes))) as pairs
     group by pairs.ancestor_id
  ),
  ordered as (
    select w.sort_key, n.*, r.planned, r.checked_out, r.returned, coalesce(s.n, 0) as staff
      from walk w
      join nodes n on n.id = w.id
      join rolled r on r.ancestor_id = n.id
      left join staff s on s.ancestor_id = n.id
  ),
  -- Depth-first order lets the nesting be written out directly: open a node's "children"
  -- array, then close as many arrays as the next node climbs back up. Nodes are written with
  -- concat (to_json escapes the free-text fields): json_build_object costs ~3x more per node.
  rendered as (
    select o.sort_key,
           concat('{"id":"', o.id,
                  '","parent_gig_id":', coalesce('"' || o.parent_gig_id::text || '"', 'null'),
                  ',"code":', to_json(o.code),
                  ',"name":', to_json(o.name),
                  ',"status":"', o.status,
                  '","starts_at":', coalesce(to_json(o.starts_at)::text, 'null'),
                  ',"ends_at":', coalesce(to_json(o.ends_at)::text, 'null'),
                  ',"venue":', coalesce(to_json(o.venue)::text, 'null'),
                  ',"version":', o.version,
                  ',"depth":', o.lvl - root.lvl,
                  ',"counts":{"assets_planned":', o.planned,
                  ',"assets_checked_out":', o.checked_out,
                  ',"assets_returned":', o.returned,
                  ',"staff_assigned":', o.staff,
                  '},"children":[') as head,
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
