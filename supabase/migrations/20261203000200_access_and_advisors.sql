-- Access and advisors (issue 15: items 4, 6, 7, 8, 9).
-- * Clients reach data through the RPCs only. On a hosted project PostgREST serves every table
--   of `public` at /rest/v1/<table>, and Supabase's default privileges had granted `authenticated`
--   everything on them (even TRUNCATE, which row level security does not govern): a manager could
--   PATCH an asset's status and current gig with no movement and no version check, a crew member
--   could truncate every organization's plans. Now no client role holds any privilege on any
--   table, sequence or app helper, and default privileges keep it so for objects created later.
--   The three functions that relied on the caller's row level security (get_asset_history,
--   list_push_subscriptions, delete_push_subscription) check the caller themselves.
-- * A push endpoint stays with its owner unless the same browser (same keys) saves it.
-- * get_gig_hierarchy counts items by one rule (app.gig_asset_counts): deleted assets and
--   everything reached through a deleted case count nowhere.
-- * search takes its words from the full-text parser (not an ASCII regex) and finds cases by name.
-- * Supabase's advisors (splinter): one permissive policy per table and action, auth.uid() as an
--   init plan, indexes for the foreign keys that deletes walk, a primary key on every table.

-- 1. Table access ---------------------------------------------------------------------------------
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
-- app holds helpers that only the RPCs (security definer, owned by postgres) call. (Functions in
-- public keep Supabase's default grants, as every migration states its own; the advisors test
-- fails on any security definer function anon may call, or authenticated beyond the RPC API.)
revoke execute on all functions in schema app from public, anon, authenticated;

-- Row level security stays on every table, each with one read policy: with no table privileges
-- they are never reached by clients; should a grant ever come back, reads stay inside the
-- caller's organizations. Write policies are gone (no client writes tables).
drop policy organizations_admin_update on public.organizations;
drop policy memberships_admin_write on public.memberships;
drop policy staff_profiles_manage on public.staff_profiles;
drop policy gigs_manage on public.gigs;
drop policy cases_manage on public.cases;
drop policy assets_manage on public.assets;
drop policy kit_assignments_manage on public.kit_assignments;
drop policy gig_staff_manage on public.gig_staff;
drop policy user_push_subscriptions_own_delete on public.user_push_subscriptions;
drop policy user_push_subscriptions_own_read on public.user_push_subscriptions;
create policy user_push_subscriptions_own_read on public.user_push_subscriptions for select to authenticated
  using (user_id = (select auth.uid()));

-- 2. The functions that used the caller's row level security ---------------------------------------
create or replace function public.get_asset_history(p_asset_id uuid, p_limit integer default 500)
returns table (
  id bigint,
  kind public.movement_kind,
  occurred_at timestamptz,
  gig_id uuid,
  gig_name text,
  gig_code text,
  from_gig_id uuid,
  from_gig_name text,
  condition public.asset_condition,
  staff_name text,
  device_id text
)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  asset_org uuid;
begin
  if p_asset_id is null then
    raise exception 'p_asset_id is required' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 5000 then
    raise exception 'p_limit must be between 1 and 5000, got %', p_limit using errcode = '22023';
  end if;
  -- Another organization's asset (or none) simply has no history for the caller.
  select a.org_id into asset_org from public.assets a where a.id = p_asset_id;
  if asset_org is null or not app.can_read_org(asset_org) then
    return;
  end if;
  return query
    select m.id, m.kind, m.occurred_at, m.gig_id, g.name, g.code, m.from_gig_id, fg.name, m.condition, s.display_name, m.device_id
      from public.asset_movements m
      left join public.gigs g on g.id = m.gig_id
      left join public.gigs fg on fg.id = m.from_gig_id
      left join public.staff_profiles s on s.id = m.staff_id
     where m.asset_id = p_asset_id and m.org_id = asset_org
     order by m.occurred_at desc, m.id desc
     limit p_limit;
end
$$;

create or replace function public.list_push_subscriptions()
returns table (endpoint text, user_agent text, created_at timestamptz, last_success_at timestamptz, failure_count integer)
language sql stable security definer set search_path = ''
as $$
  select s.endpoint, s.user_agent, s.created_at, s.last_success_at, s.failure_count
    from public.user_push_subscriptions s
   where s.user_id = auth.uid()
   order by s.created_at desc
$$;

create or replace function public.delete_push_subscription(endpoint text)
returns boolean
language sql security definer set search_path = ''
as $$
  with gone as (
    delete from public.user_push_subscriptions s
     where s.endpoint = delete_push_subscription.endpoint and s.user_id = auth.uid()
    returning 1)
  select exists (select 1 from gone)
$$;

-- 3. Push subscriptions: an endpoint is a capability of one browser --------------------------------
-- The same browser re-saves its endpoint with the same keys whoever signs in on it (the crew
-- PWA's subscription follows the signed-in member); the owner may refresh their own keys. Other
-- keys for an endpoint someone else owns are refused (PT409 → HTTP 409) and change nothing: the
-- caller knows the endpoint but is not that browser. Keys compare without base64 padding.
create or replace function public.save_push_subscription(endpoint text, p256dh text, auth text, user_agent text default null)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  saved uuid;
begin
  if auth.uid() is null then
    raise exception 'sign in to receive notifications' using errcode = '42501';
  end if;
  if endpoint is null or endpoint !~ '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[!-~]*$' or length(endpoint) > 2048 then
    raise exception 'endpoint must be the push service''s https URL' using errcode = '22023';
  end if;
  if p256dh is null or p256dh !~ '^[A-Za-z0-9_-]{86,88}={0,2}$' then
    raise exception 'p256dh must be the subscription''s base64url P-256 public key' using errcode = '22023';
  end if;
  if auth is null or auth !~ '^[A-Za-z0-9_-]{21,24}={0,2}$' then
    raise exception 'auth must be the subscription''s base64url 16-byte secret' using errcode = '22023';
  end if;
  insert into public.user_push_subscriptions as s (user_id, endpoint, p256dh, auth, user_agent)
  values (auth.uid(), save_push_subscription.endpoint, save_push_subscription.p256dh, save_push_subscription.auth, left(save_push_subscription.user_agent, 500))
  on conflict on constraint user_push_subscriptions_endpoint_key do update
    set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent,
        failure_count = 0, last_error = null
    where s.user_id = excluded.user_id
       or (rtrim(s.p256dh, '=') = rtrim(excluded.p256dh, '=') and rtrim(s.auth, '=') = rtrim(excluded.auth, '='))
  returning s.id into saved;
  if saved is null then
    raise exception 'this push endpoint is registered with other keys' using errcode = 'PT409',
      hint = 'an endpoint belongs to one browser: subscribe again in this browser to get an endpoint of its own';
  end if;
  return saved;
end
$$;

-- 4. What a gig counts ----------------------------------------------------------------------------
-- The one rule for get_gig_hierarchy's item counts, per gig: an asset counts while it is live;
-- reached through a planned case it counts only while that case and every case between them are
-- live too (a deleted case hides everything in it). Planned = assets planned directly + the
-- planned cases' countable contents + bulk quantities; checked out = countable assets out to the
-- gig now. (assets_returned is history — check-ins recorded at the gig — and is not recounted.)
create function app.gig_asset_counts(gig_ids uuid[])
returns table (gig_id uuid, planned bigint, checked_out bigint)
language sql stable set search_path = ''
as $$
  with recursive kit as (
    select k.gig_id, k.asset_id, k.case_id, k.quantity
      from public.kit_assignments k
     where k.gig_id = any (gig_ids)
  ),
  -- Each planned live case and the live cases nested in it, walked once per distinct case.
  case_tree (root_case, case_id) as (
    select c.id, c.id
      from public.cases c
     where c.id = any (array(select distinct k.case_id from kit k where k.case_id is not null)) and c.deleted_at is null
    union all
    select t.root_case, c.id from public.cases c join case_tree t on c.parent_case_id = t.case_id where c.deleted_at is null
  ),
  case_assets (root_case, deleted_at) as (
    select t.root_case, a.deleted_at
      from case_tree t join public.assets a on a.case_id = t.case_id
     where a.case_id = any (array(select case_id from case_tree))
  ),
  -- Every asset a gig counts, with how it is reached; liveness is judged once, below.
  reached (gig_id, planned, out, deleted_at) as (
    select k.gig_id, 1, 0, a.deleted_at from kit k join public.assets a on a.id = k.asset_id
    union all
    select k.gig_id, 1, 0, ca.deleted_at from kit k join case_assets ca on ca.root_case = k.case_id
    union all
    select a.current_gig_id, 0, 1, a.deleted_at from public.assets a where a.current_gig_id = any (gig_ids)
    union all
    select k.gig_id, k.quantity, 0, null from kit k where k.quantity is not null
  )
  select r.gig_id, sum(r.planned)::bigint, sum(r.out)::bigint
    from reached r
   where r.deleted_at is null
   group by r.gig_id
$$;

create or replace function public.get_gig_hierarchy(root_gig_id uuid)
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
  counted as (
    select c.gig_id, c.planned, c.checked_out from app.gig_asset_counts(array(select id from nodes)) c
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
    select n.id, coalesce(c.planned, 0) as planned, coalesce(c.checked_out, 0) as checked_out, coalesce(gc.returned_total, 0) as returned
      from nodes n
      left join counted c on c.gig_id = n.id
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

-- 5. Search ---------------------------------------------------------------------------------------
-- Query words come from the same parser and dictionary that built the documents ('simple'), in
-- the order typed: "Zürich" is one word (the old ASCII regex split it into "z" + "rich"), and case
-- folds as the database's UTF-8 ctype folds the documents. Hyphenated words count by their parts
-- (so "Rich-Club" finds "Rich Club"). Lexemes are quoted into the tsquery, so nothing typed is
-- read as tsquery syntax. Cases are found by name too (an expression index, so pulled case rows
-- keep their shape).
create index cases_name_search_idx on public.cases using gin (to_tsvector('simple'::regconfig, name));

create or replace function public.search(query text, kinds text[] default array['asset', 'case', 'gig'], "limit" integer default 20)
returns table (kind text, id uuid, label text, detail text, match text, rank integer, score real)
language plpgsql stable security definer
set search_path = '' set plan_cache_mode = force_custom_plan set enable_seqscan = off set enable_indexscan = off
as $$
declare
  q text := upper(btrim(coalesce(query, '')));
  pattern text;
  words text;
  tsq tsquery;
  orgs uuid[];
  max_rows integer := "limit";
begin
  if length(q) = 0 or length(q) > 100 then
    raise exception 'query must be 1 to 100 characters, got %', length(q) using errcode = '22023';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 100 then
    raise exception 'limit must be between 1 and 100, got %', max_rows using errcode = '22023';
  end if;
  if kinds is null or cardinality(kinds) = 0 or not kinds <@ array['asset', 'case', 'gig'] then
    raise exception 'kinds must be a non-empty subset of {asset, case, gig}, got %', kinds using errcode = '22023';
  end if;
  if auth.role() = 'service_role' then
    orgs := array(select o.id from public.organizations o);
  else
    orgs := array(select app.my_org_ids());
  end if;

  -- LIKE metacharacters in the query are literal.
  pattern := replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_');
  select string_agg('''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') || ''':*', ' & ' order by w.first_at)
    into words
    from (select l.lexeme, min(t.at) as first_at
            from pg_catalog.ts_debug('simple'::regconfig, btrim(query)) with ordinality as t (alias, description, token, dictionaries, dictionary, lexemes, at)
           cross join lateral unnest(t.lexemes) as u (lexeme)
           -- The parser reads "MIC-1000" as "mic" and the signed number "-1000": a sign is a separator here.
           cross join lateral (select case when t.alias in ('int', 'float', 'sfloat') then ltrim(u.lexeme, '+-') else u.lexeme end) as l (lexeme)
           where t.alias not in ('asciihword', 'hword', 'numhword') and length(l.lexeme) >= 3
           group by l.lexeme
           order by first_at
           limit 8) as w;
  tsq := case when words is null then null else words::tsquery end;

  return query
  with candidates as (
    -- Assets: exact, prefix, infix on serials and barcodes. Each branch is capped before
    -- ranking so a one-letter query cannot make the function sort the whole table.
    -- Serial and barcode are separate branches (an OR of the two makes the planner fall back
    -- to a sequential scan under LIMIT), and the barcode ones name `barcode is not null` so the
    -- partial barcode index applies.
    select 'asset'::text as kind, a.id, a.name as label, a.serial_number as detail, 'exact'::text as match,
           1 as rank, 1::real as score
      from public.assets a
     where 'asset' = any (kinds) and a.org_id = any (orgs) and a.deleted_at is null and upper(a.serial_number) = q
    union all
    select 'asset', a.id, a.name, a.serial_number, 'exact', 1, 1::real
      from public.assets a
     where 'asset' = any (kinds) and a.org_id = any (orgs) and a.deleted_at is null
       and a.barcode is not null and upper(a.barcode) = q
    union all
    select 'asset', t.id, t.name, t.serial_number, 'prefix', 2, 1::real
      from (select a.id, a.name, a.serial_number
              from public.assets a
             where 'asset' = any (kinds) and a.org_id = any (orgs) and a.deleted_at is null
               and upper(a.serial_number) like pattern || '%'
             limit 200) as t
    union all
    select 'asset', t.id, t.name, t.serial_number, 'prefix', 2, 1::real
      from (select a.id, a.name, a.serial_number
              from public.assets a
             where 'asset' = any (kinds) and a.org_id = any (orgs) and a.deleted_at is null
               and a.barcode is not null and upper(a.barcode) like pattern || '%'
             limit 200) as t
    union all
    select 'asset', a.id, a.name, a.serial_number, 'infix', 3, extensions.similarity(upper(a.serial_number), q)
      from public.assets a
     where a.id in (select s.asset_id
                      from app.asset_serial_suffixes s
                     where 'asset' = any (kinds) and length(q) >= 3 and s.org_id = any (orgs)
                       and s.suffix like pattern || '%'
                     limit 200)
       and a.deleted_at is null
    union all
    select 'asset', t.id, t.name, t.serial_number, 'text', 4, pg_catalog.ts_rank(t.search_vector, tsq)
      from (select a.id, a.name, a.serial_number, a.search_vector
              from public.assets a
             where 'asset' = any (kinds) and tsq is not null and a.org_id = any (orgs) and a.deleted_at is null
               and a.search_vector @@ tsq
             limit 200) as t
    union all
    -- Cases: by barcode, then by name.
    select 'case', t.id, t.name, t.barcode,
           case when upper(t.barcode) = q then 'exact' else 'prefix' end,
           case when upper(t.barcode) = q then 1 else 2 end, 1::real
      from (select c.id, c.name, c.barcode
              from public.cases c
             where 'case' = any (kinds) and c.org_id = any (orgs) and c.deleted_at is null
               and upper(c.barcode) like pattern || '%'
             order by upper(c.barcode) = q desc
             limit 200) as t
    union all
    select 'case', t.id, t.name, t.barcode, 'text', 4, pg_catalog.ts_rank(t.document, tsq)
      from (select c.id, c.name, c.barcode, pg_catalog.to_tsvector('simple'::regconfig, c.name) as document
              from public.cases c
             where 'case' = any (kinds) and tsq is not null and c.org_id = any (orgs) and c.deleted_at is null
               and pg_catalog.to_tsvector('simple'::regconfig, c.name) @@ tsq
             limit 200) as t
    union all
    -- Gigs: by code, then by name / venue / notes.
    select 'gig', t.id, t.name, t.code,
           case when t.code = q then 'exact' else 'prefix' end,
           case when t.code = q then 1 else 2 end, 1::real
      from (select g.id, g.name, g.code
              from public.gigs g
             where 'gig' = any (kinds) and g.org_id = any (orgs) and g.deleted_at is null
               and g.code like pattern || '%'
             order by g.code = q desc
             limit 200) as t
    union all
    select 'gig', t.id, t.name, t.code, 'text', 4, pg_catalog.ts_rank(t.search_vector, tsq)
      from (select g.id, g.name, g.code, g.search_vector
              from public.gigs g
             where 'gig' = any (kinds) and tsq is not null and g.org_id = any (orgs) and g.deleted_at is null
               and g.search_vector @@ tsq
             limit 200) as t
  ),
  best as (
    select distinct on (c.kind, c.id) c.*
      from candidates c
     order by c.kind, c.id, c.rank, c.score desc
  )
  select b.kind, b.id, b.label, b.detail, b.match, b.rank, b.score
    from best b
   order by b.rank, b.score desc, b.detail
   limit max_rows;
end
$$;

-- 6. Advisors: foreign keys that deletes walk, a primary key everywhere -------------------------------
-- Hard-deleting a gig checks asset_movements.from_gig_id; deleting a case cascades to the plans
-- naming it; deleting a user (auth.users) sets staff_profiles.user_id to null; deleting an
-- organization cascades to plans and gig staff. Each of those looked rows up by a full scan.
create index asset_movements_from_gig_idx on public.asset_movements (from_gig_id) where from_gig_id is not null;
create index kit_assignments_case_idx on public.kit_assignments (case_id) where case_id is not null;
create index kit_assignments_org_idx on public.kit_assignments (org_id);
create index gig_staff_org_idx on public.gig_staff (org_id);
create index staff_profiles_user_idx on public.staff_profiles (user_id) where user_id is not null;
-- Each suffix of a serial is a different length, so (asset, suffix) is a key; it also serves the
-- lookups by asset that the separate index did.
alter table app.asset_serial_suffixes add primary key (asset_id, suffix);
drop index app.asset_serial_suffixes_asset_idx;

-- Grants, restated for the functions this migration created or replaced (a replaced function keeps
-- its grants; the new helper is for the RPCs only).
revoke all on function app.gig_asset_counts(uuid[]) from public, anon, authenticated;
revoke all on function public.get_asset_history(uuid, integer), public.list_push_subscriptions(),
  public.delete_push_subscription(text), public.save_push_subscription(text, text, text, text),
  public.get_gig_hierarchy(uuid), public.search(text, text[], integer) from public, anon;
grant execute on function public.get_asset_history(uuid, integer), public.list_push_subscriptions(),
  public.delete_push_subscription(text), public.save_push_subscription(text, text, text, text),
  public.get_gig_hierarchy(uuid), public.search(text, text[], integer) to authenticated, service_role;
