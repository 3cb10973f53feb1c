-- Proof that a device's copy is complete (issue 20). sync_verify(cursor) states, for the caller's
-- organizations at the device's pull cursor, how many live rows of each synced table there are and
-- a checksum of which version of each row: the sum, modulo 2^32, of each row's hash, which mixes
-- the id's four 32-bit words, the version (0 for staff profiles, which have none) and the two
-- words of updated_at in microseconds since 1970 as h = h * 16777619 + word (mod 2^32).
-- core/sync/verify.ts computes the same over the rows a device holds (integer arithmetic: cheap
-- on both sides, where MD5 cost a phone 4–9 µs a row). Sums do not depend on order, so neither
-- side sorts.
--
-- The statement holds only at that cursor: when the change log holds an entry the caller could
-- pull after it (a commit since the device's last pull), the answer is {moved: true} and the
-- device pulls before it verifies. The check and the counts read one snapshot, so a commit
-- between them cannot make a complete copy look incomplete.

create function public.sync_verify(cursor text)
returns json
language plpgsql stable security definer set search_path = ''
as $$
declare
  after_txid xid8;
  after_seq bigint;
  orgs uuid[];
  answer jsonb := '{}'::jsonb;
  tbl text;
  soft_deleted boolean;
  n bigint;
  total numeric;
  row_hash text;
  word text;
begin
  if auth.uid() is null and auth.role() <> 'service_role' then
    raise exception 'sync_verify needs a signed-in user' using errcode = '42501';
  end if;
  if cursor is null or cursor !~ '^[0-9]{1,20}:[0-9]{1,19}$'
     or split_part(cursor, ':', 1)::numeric > 18446744073709551615
     or split_part(cursor, ':', 2)::numeric > 9223372036854775807 then
    raise exception 'cursor % is not one this server issued', quote_literal(left(coalesce(cursor, 'null'), 60)) using errcode = '22023',
      hint = 'verify after a pull, with the cursor it answered';
  end if;
  after_txid := split_part(cursor, ':', 1)::xid8;
  after_seq := split_part(cursor, ':', 2)::bigint;
  orgs := case when auth.role() = 'service_role' then array(select o.id from public.organizations o)
               else array(select app.my_org_ids()) end;

  if exists (select 1 from app.sync_changes l
              where l.org_id = any (orgs) and (l.txid, l.seq) > (after_txid, after_seq)) then
    return json_build_object('moved', true, 'cursor', cursor);
  end if;

  foreach tbl in array array['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles', 'bulk_items'] loop
    soft_deleted := tbl in ('gigs', 'assets', 'cases');
    row_hash := '0';
    foreach word in array array[
      '(''x'' || substr(p.hex, 1, 8))::bit(32)::bigint', '(''x'' || substr(p.hex, 9, 8))::bit(32)::bigint',
      '(''x'' || substr(p.hex, 17, 8))::bit(32)::bigint', '(''x'' || substr(p.hex, 25, 8))::bit(32)::bigint',
      case when tbl = 'staff_profiles' then '0' else 't.version::bigint' end,
      '(p.us & 4294967295)', '((p.us >> 32) & 4294967295)'] loop
      row_hash := format('((%s) * 16777619 + %s) %% 4294967296', row_hash, word);
    end loop;
    execute format(
      $q$
        select count(*), coalesce(sum(%1$s), 0) %% 4294967296
          from public.%2$I t
         cross join lateral (select replace(t.id::text, '-', '') as hex,
                                    (extract(epoch from t.updated_at) * 1000000)::bigint as us) p
         where t.org_id = any ($1) %3$s
      $q$,
      row_hash, tbl, case when soft_deleted then 'and t.deleted_at is null' else '' end)
      into n, total
      using orgs;
    answer := answer || jsonb_build_object(tbl, jsonb_build_object('count', n, 'checksum', total::bigint));
  end loop;
  return json_build_object('moved', false, 'cursor', cursor, 'tables', answer);
end
$$;
revoke execute on function public.sync_verify(text) from public, anon;
grant execute on function public.sync_verify(text) to authenticated, service_role;
