-- A gig's time zone (issue 18: "times show their time zone — venue local time where the gig has
-- one, else the phone's"). A set at a venue in Lisbon starts at 20:00 Lisbon time whichever zone
-- the touring laptop or the crew member's phone is set to. An IANA name ("Europe/Lisbon"), or null
-- (the device's own zone is shown). The pull sends it with the rest of the row (to_jsonb); editing
-- it from the app comes with gig editing (issue 19), until then it is set with the gig's data.
--
-- The name is checked against the server's zone database (pg_timezone_names) by a trigger, as a
-- check constraint cannot read a catalog view: a misspelt zone ("Europe/Lisbonn") or an
-- abbreviation ("CET", which names no place's rules) is refused with 23514 and the zone's name.
-- The station and the phone fall back to their own zone for a name their Intl does not know.

alter table public.gigs add column time_zone text
  constraint gigs_time_zone_shape check (time_zone is null or (length(time_zone) between 1 and 64 and time_zone ~ '^[A-Za-z][A-Za-z0-9_+/-]*$'));

-- The zone names this server knows, copied once: pg_timezone_names reads the whole zone database
-- on every query (~15 ms here), which made seeding 5,000 gigs with zones take 75 s instead of 2 s.
-- A name missing from the copy (a zone a newer PostgreSQL added) is still looked up there.
create table app.time_zone_names (name text primary key);
insert into app.time_zone_names (name) select z.name from pg_catalog.pg_timezone_names z on conflict do nothing;
grant select on app.time_zone_names to authenticated, service_role;

create function app.gigs_time_zone_known()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  -- The shape first, without echoing the value (it may hold anything a client sent).
  if new.time_zone !~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$' then
    raise exception using errcode = '23514',
      message = 'a time zone is a place''s IANA name such as Europe/Lisbon: letters, digits and _ + - /, up to 64 characters';
  end if;
  if position('/' in new.time_zone) = 0 and new.time_zone <> 'UTC' then
    null; -- an abbreviation such as CET: refused below
  elsif exists (select 1 from app.time_zone_names z where z.name = new.time_zone) then
    return new;
  elsif exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
    return new;
  end if;
  raise exception using errcode = '23514',
    message = format('unknown time zone %s: use a place''s zone such as Europe/Lisbon or America/New_York (or UTC)', quote_literal(new.time_zone));
end;
$$;

create trigger gigs_time_zone_known
  before insert or update of time_zone on public.gigs
  for each row when (new.time_zone is not null)
  execute function app.gigs_time_zone_known();
