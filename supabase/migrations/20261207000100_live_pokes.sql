-- Live updates (issue 20): a committed change pokes the company's devices, which pull at once
-- instead of at their next poll. The poke carries nothing but "something changed": the pull stays
-- the source of truth (RLS, the commit-safe cursor, exactly-once application), and a device that
-- missed a poke still has its poll.
--
-- Delivered by Supabase Realtime's broadcast from the database: realtime.send() writes to
-- realtime.messages, which the Realtime service reads after commit and fans out to the sockets
-- joined to the private topic 'org:<company id>'. One poke per transaction and company, however
-- many rows it wrote (a push of 200 ops, a 40,000-row import): the devices' pulls, not the pokes,
-- are what costs, and one pull fetches the whole transaction.

-- Who may hear a company's pokes: its members. Realtime decides a private channel's join by RLS
-- on realtime.messages, as the joining user; clients hold no privilege on app's helpers or on
-- memberships (20261203000200), so this one check is callable by them (app is not an exposed
-- schema: it is reached through this policy only). A removed member or another company's admin
-- is refused; the topic must be exactly 'org:<id>'.
create function app.hears_topic(topic text)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m where m.user_id = auth.uid() and 'org:' || m.org_id::text = topic
  )
$$;
revoke all on function app.hears_topic(text) from public, anon;
grant execute on function app.hears_topic(text) to authenticated;

create policy "members hear their company's pokes"
  on realtime.messages
  for select
  to authenticated
  using (extension = 'broadcast' and app.hears_topic((select realtime.topic())));

create function app.poke_devices()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  poked text := coalesce(current_setting('app.live_poked', true), '');
  company uuid;
begin
  -- The companies this transaction already poked are kept in a transaction-local setting (rolled
  -- back with a savepoint, as the poke's own row is).
  for company in select distinct n.org_id from new_rows n loop
    if position(company::text in poked) = 0 then
      perform realtime.send('{}'::jsonb, 'changed', 'org:' || company::text, true);
      poked := poked || company::text || ' ';
    end if;
  end loop;
  perform set_config('app.live_poked', poked, true);
  return null;
end
$$;
revoke all on function app.poke_devices() from public;

create trigger sync_changes_poke after insert on app.sync_changes
  referencing new table as new_rows
  for each statement execute function app.poke_devices();
