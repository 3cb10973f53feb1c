-- The change log that pull_changes reads. Every write to a synced table records (transaction
-- id, sequence) per changed row. A puller only reads entries whose transaction id is below the
-- oldest transaction still in flight, so a long transaction that commits late can never be
-- skipped: its entries stay ahead of every cursor until it ends.
create table app.sync_changes (
  seq bigint generated always as identity primary key,
  txid xid8 not null default pg_current_xact_id(),
  org_id uuid not null,
  entity text not null check (entity in ('gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles')),
  entity_id uuid not null,
  hard_deleted boolean not null default false
);
create index sync_changes_org_cursor_idx on app.sync_changes (org_id, txid, seq);
alter table app.sync_changes enable row level security;

create function app.log_changes()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    insert into app.sync_changes (org_id, entity, entity_id, hard_deleted)
    select o.org_id, tg_table_name, o.id, true from old_rows o;
  else
    insert into app.sync_changes (org_id, entity, entity_id)
    select n.org_id, tg_table_name, n.id from new_rows n;
  end if;
  return null;
end
$$;

do $$
declare
  synced text;
begin
  foreach synced in array array['gigs', 'assets', 'cases', 'kit_assignments', 'gig_staff', 'staff_profiles'] loop
    execute format(
      'create trigger %1$s_log_insert after insert on public.%1$I referencing new table as new_rows
         for each statement execute function app.log_changes()', synced);
    execute format(
      'create trigger %1$s_log_update after update on public.%1$I referencing new table as new_rows
         for each statement execute function app.log_changes()', synced);
    execute format(
      'create trigger %1$s_log_delete after delete on public.%1$I referencing old table as old_rows
         for each statement execute function app.log_changes()', synced);
  end loop;
end
$$;
