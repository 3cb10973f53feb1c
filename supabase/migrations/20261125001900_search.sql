-- search: assets, cases and gigs ranked by how they match. Rank 1 = exact serial / barcode /
-- code, 2 = prefix, 3 = infix on serials (the suffix index, queries of 3+ characters), 4 = full
-- text on names, categories, venues and notes (words of 3+ characters, as prefixes for
-- search-as-you-type; similarity ranks infix hits).
create index gigs_org_code_pattern_idx on public.gigs (org_id, code text_pattern_ops);

-- Plans are always custom (a generic plan cannot turn `like <param> || '%'` into an index
-- range), and the function reads through bitmap index scans only: under LIMIT the planner otherwise bets on walking a table (or an unselective
-- index) in order until matches turn up, which is a full scan — 40–100 ms at 200k assets — when
-- a word or fragment matches nothing. A bitmap scan costs the size of the match set instead.
create function public.search(query text, kinds text[] default array['asset', 'case', 'gig'], "limit" integer default 20)
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
  select string_agg(w || ':*', ' & ')
    into words
    from (select w from regexp_split_to_table(lower(q), '[^[:alnum:]]+') as w where length(w) >= 3 limit 8) as t;
  tsq := case when words is null then null else to_tsquery('simple'::regconfig, words) end;

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
    -- Cases: by barcode.
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

revoke all on function public.search(text, text[], integer) from public, anon;
grant execute on function public.search(text, text[], integer) to authenticated, service_role;
