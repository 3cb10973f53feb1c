-- Who changed a gig last (issue 18: conflicts name "who changed the server side and when"). A
-- station whose status change met a newer one on the server says "Changed on the server at 14:32
-- by Mika Moreau" for a gig as it already does for an asset (whose movements record the operator).
--
-- updated_by is the staff profile, in the gig's organization, of the member whose request wrote
-- the row (auth.uid()), set by the database on every insert and update: whatever a client sends
-- for it is replaced, so nobody can put another person's name on a change. A write with nobody
-- signed in (SQL, the service role, seeding) or by a member without a staff profile names nobody
-- (null) rather than keeping the previous writer's name. The pull and a conflict's server row
-- carry it with the rest of the row (to_jsonb); devices name it from their cached staff.

-- No foreign key: only this trigger writes it (always a profile of the gig's own organization), and
-- a key with ON DELETE SET NULL would rewrite every gig a removed person last wrote — a new version
-- of each, pulled again by every device, and a false conflict for an op queued at the old one. A
-- removed person's changes stay unnamed instead: devices find no such profile and give the time alone.
alter table public.gigs add column updated_by uuid;

-- Security definer: the writer's own profile is read whatever the staff table's policies let a
-- role see; nothing else is read or returned.
create function app.gigs_changed_by()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  new.updated_by := (
    select s.id from public.staff_profiles s where s.org_id = new.org_id and s.user_id = auth.uid() and auth.uid() is not null
  );
  return new;
end
$$;
revoke all on function app.gigs_changed_by() from public;

create trigger gigs_changed_by before insert or update on public.gigs
  for each row execute function app.gigs_changed_by();
