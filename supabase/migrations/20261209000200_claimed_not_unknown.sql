-- A label claimed during a stock-take (issue 21): its code was scanned unknown, claimed for a new
-- item, and scanned again (now found). The report listed it twice, once as an unknown code; an
-- unknown code is now left out once a later scan in the same audit found it as a thing.
-- app.audit_report as in 20261208000200_audits, with only the `unknown` part changed.
-- The report of an audit as it stands: one line per thing, counted once however many devices
-- scanned it (its latest scan decides), with places and gigs in words.
create or replace function app.audit_report(audit public.audits)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  with recursive
  area as (select app.location_subtree(audit.location_id) as id),
  scans as (select s.* from public.audit_scans s where s.audit_id = audit.id),
  last_asset as (select distinct on (s.asset_id) s.* from scans s where s.asset_id is not null order by s.asset_id, s.scanned_at desc, s.recorded_at desc),
  last_case as (select distinct on (s.case_id) s.* from scans s where s.case_id is not null order by s.case_id, s.scanned_at desc, s.recorded_at desc),
  -- A bulk item's latest count in each place it was counted; the places add up.
  last_count as (
    select distinct on (s.bulk_item_id, s.location_id) s.* from scans s where s.bulk_item_id is not null
     order by s.bulk_item_id, s.location_id, s.scanned_at desc, s.recorded_at desc),
  unknown as (
    select distinct on (upper(s.code)) s.* from scans s
     where s.kind = 'unknown'
       -- Claimed and scanned again: the thing's own line says where it was found.
       and not exists (select 1 from scans k where k.kind <> 'unknown' and upper(k.code) = upper(s.code) and k.scanned_at >= s.scanned_at)
     order by upper(s.code), s.scanned_at desc),
  -- What is in each scanned case, at any depth: counted with the nearest case above it that was
  -- scanned (a nested case scanned itself counts its own contents, so nothing is counted twice).
  in_case (root, id) as (
    select c.case_id, c.case_id from last_case c
    union
    select i.root, x.id from public.cases x join in_case i on x.parent_case_id = i.id
     where x.id not in (select l.case_id from last_case l)
  ),
  contents as (
    select a.id as asset_id, c.kind, c.location_id, c.scanned_by, c.scanned_at, c.case_id
      from last_case c
      join in_case i on i.root = c.case_id
      join public.assets a on a.case_id = i.id and a.deleted_at is null
     where not exists (select 1 from last_asset l where l.asset_id = a.id)),
  seen as (
    select l.asset_id, l.kind, l.location_id, l.scanned_by, l.scanned_at, null::uuid as via_case from last_asset l
    union all
    select c.asset_id,
           case when a.status = 'checked_out' then 'out_to_gig'::public.audit_scan_kind else c.kind end,
           c.location_id, c.scanned_by, c.scanned_at, c.case_id
      from contents c join public.assets a on a.id = c.asset_id),
  expected_assets as (
    select a.* from public.assets a
     where a.org_id = audit.org_id and a.deleted_at is null and a.status not in ('checked_out', 'retired')
       and a.location_id in (select id from area) and (audit.category is null or a.category = audit.category)),
  -- A case whose contents are out to a gig went with them: not expected on the shelf.
  expected_cases as (
    select c.* from public.cases c
     where audit.category is null and c.org_id = audit.org_id and c.deleted_at is null and c.location_id in (select id from area)
       and not exists (select 1 from public.assets a where a.case_id = c.id and a.status = 'checked_out')),
  expected_bulk as (
    select b.* from public.bulk_items b
     where b.org_id = audit.org_id and b.location_id in (select id from area) and (audit.category is null or b.category = audit.category)),
  lines as (
    select s.kind::text as kind, 'asset' as what, a.id, coalesce(a.barcode, a.serial_number) as code, a.name,
           app.location_words(a.location_id) as belongs, app.location_words(s.location_id) as seen_at,
           (select g.name from public.gigs g where g.id = a.current_gig_id) as gig,
           (select x.name from public.cases x where x.id = s.via_case) as in_case,
           null::integer as expected, null::integer as counted, s.scanned_at
      from seen s join public.assets a on a.id = s.asset_id
    union all
    select 'missing', 'asset', a.id, coalesce(a.barcode, a.serial_number), a.name, app.location_words(a.location_id), null, null, null,
           null, null, null
      from expected_assets a where not exists (select 1 from seen s where s.asset_id = a.id)
    union all
    select c.kind::text, 'case', x.id, x.barcode, x.name, app.location_words(x.location_id), app.location_words(c.location_id), null, null,
           null, null, c.scanned_at
      from last_case c join public.cases x on x.id = c.case_id
    union all
    select 'missing', 'case', x.id, x.barcode, x.name, app.location_words(x.location_id), null, null, null, null, null, null
      from expected_cases x where not exists (select 1 from in_case i where i.id = x.id)
    union all
    select case when t.counted is null then 'missing'
                when b.location_id is null or b.location_id not in (select id from area) then 'wrong_place'
                when t.counted < b.in_warehouse then 'missing'
                else 'found' end,
           'bulk', b.id, b.barcode, b.name, app.location_words(b.location_id), t.places, null, null,
           case when b.location_id in (select id from area) then b.in_warehouse else 0 end, coalesce(t.counted, 0), t.scanned_at
      -- What the place should hold (none when its stock is all out) and what was counted in it.
      from (select e.id from expected_bulk e where e.in_warehouse > 0 union select l.bulk_item_id from last_count l) ids
      join public.bulk_items b on b.id = ids.id
      left join (select l.bulk_item_id, sum(l.quantity)::integer as counted, max(l.scanned_at) as scanned_at,
                        string_agg(app.location_words(l.location_id), ', ' order by l.location_id) as places
                   from last_count l group by l.bulk_item_id) t on t.bulk_item_id = b.id
    union all
    select 'unknown', 'code', null, upper(u.code), null, null, app.location_words(u.location_id), null, null, null, null, u.scanned_at
      from unknown u
  )
  select jsonb_build_object(
    'audit_id', audit.id,
    'place', app.location_words(audit.location_id),
    'category', audit.category,
    'status', audit.status,
    'started_at', audit.started_at,
    'closed_at', audit.closed_at,
    'scans', (select count(*) from scans),
    'totals', (select coalesce(jsonb_object_agg(k.kind, k.n), '{}'::jsonb)
                 from (select l.kind, count(*) as n from lines l group by l.kind) k),
    'lines', coalesce((select jsonb_agg(to_jsonb(l) order by l.kind, l.what, l.code) from lines l), '[]'::jsonb))
$$;
revoke execute on function app.audit_report(public.audits) from public, anon, authenticated;
