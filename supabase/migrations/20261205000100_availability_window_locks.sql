-- Availability figures: planners lock ancestors only, root first; no foreign key from shared figures
-- to organizations (issue 19; 20261204000700 kept the figures, an outside review found two deadlocks).
--
-- * Two planners, one editing a festival and one a set of it, deadlocked: a window refresh
--   share-locked the changed gig's ancestors and descendants in id order, so each waited for the
--   row the other had updated. A refresh now locks the changed gigs' ancestors (themselves included,
--   old and new paths for a move) from the root down, one organization at a time. Descendants need
--   no lock: whoever changes one refreshes it after share-locking its ancestors, this gig among them,
--   so that refresh follows this commit and reads it.
-- * Deleting an organization while a station committed figures for it deadlocked: the commit-time
--   insert of a new tally or count row key-share-locked the organization (its foreign key), and the
--   delete, cascading to that station's assets, waited for the station. The shared figures have no
--   foreign key now; an organization's delete clears them, and deltas of an organization gone are
--   dropped at commit (20261204000700).

alter table app.asset_tallies drop constraint asset_tallies_org_id_fkey;
alter table app.out_counts drop constraint out_counts_org_id_fkey;

-- The old refresh (id-ordered locks on ancestors and descendants) goes; the triggers below call the new one.
drop function app.refresh_gig_window_ends(uuid[], boolean);

-- Gig windows, written only by the statements that move them. Before reading, a refresh takes a
-- share lock on the organization (its buffers) and on the changed gigs and their ancestors, root
-- first (their dates, parents and paths), and then reads in a new statement: a concurrent change to
-- any of them is waited for and seen. Descendants are not locked: whoever changes one refreshes it
-- after share-locking its ancestors, which include the gig changed here, so it follows this commit.
-- Share locks do not block each other: planners editing different gigs, and stations (which never
-- write these rows), do not wait on one another here.
create function app.refresh_gig_window_ends(gig_ids uuid[], changed_paths extensions.ltree[], p_org uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  perform 1 from public.organizations o where o.id = p_org for share;
  perform 1
    from public.gigs a
   where a.org_id = p_org and a.path operator(extensions.@>) any (changed_paths)
   order by extensions.nlevel(a.path), a.id
     for share;
  insert into app.gig_window_ends as e (gig_id, org_id, window_to)
  select g.id, g.org_id, coalesce(w.w_to, 'infinity')
    from public.gigs g
    left join app.gig_windows(gig_ids) w on w.gig_id = g.id
   where g.id = any (gig_ids)
   order by g.id
  on conflict (gig_id) do update set window_to = excluded.window_to where e.window_to <> excluded.window_to;
end
$$;

create or replace function app.gigs_inserted_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  org uuid;
begin
  for org in select distinct n.org_id from new_rows n order by 1 loop
    perform app.refresh_gig_window_ends(array(select n.id from new_rows n where n.org_id = org),
                                        array(select n.path from new_rows n where n.org_id = org), org);
  end loop;
  return null;
end
$$;

-- A gig's window moves with its dates, its parent (an undated gig inherits) and its path (a move,
-- whose old ancestors are locked too); its undated descendants' windows may move with it.
create or replace function app.gigs_updated_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  org uuid;
begin
  for org in
    select distinct n.org_id from new_rows n join old_rows o on o.id = n.id
     where (n.starts_at, n.ends_at, n.parent_gig_id, n.path::text) is distinct from (o.starts_at, o.ends_at, o.parent_gig_id, o.path::text)
     order by 1
  loop
    perform app.refresh_gig_window_ends(
      array(select distinct d.id
              from new_rows n
              join old_rows o on o.id = n.id
              join public.gigs d on d.org_id = n.org_id and d.path operator(extensions.<@) n.path
             where n.org_id = org
               and (n.starts_at, n.ends_at, n.parent_gig_id, n.path::text) is distinct from (o.starts_at, o.ends_at, o.parent_gig_id, o.path::text)),
      array(select p
              from new_rows n
              join old_rows o on o.id = n.id
             cross join lateral (values (n.path), (o.path)) v (p)
             where n.org_id = org
               and (n.starts_at, n.ends_at, n.parent_gig_id, n.path::text) is distinct from (o.starts_at, o.ends_at, o.parent_gig_id, o.path::text)),
      org);
  end loop;
  return null;
end
$$;


-- New buffers: every gig of the organization. Its row is already held by this update, so gig
-- refreshes (which share-lock it first) wait, or are waited for; the gigs need no lock of their own.
create or replace function app.organizations_keep_windows()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  org uuid;
begin
  for org in
    select n.id from new_rows n join old_rows o on o.id = n.id
     where (n.prep_buffer_hours, n.return_buffer_hours) is distinct from (o.prep_buffer_hours, o.return_buffer_hours)
     order by 1
  loop
    perform app.refresh_gig_window_ends(array(select g.id from public.gigs g where g.org_id = org), '{}', org);
  end loop;
  return null;
end
$$;

-- An organization deleted: its figures go (gig_window_ends go with its gigs).
create function app.organizations_deleted_drop_figures()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  delete from app.asset_tallies t where t.org_id in (select o.id from old_rows o);
  delete from app.out_counts c where c.org_id in (select o.id from old_rows o);
  return null;
end
$$;

create trigger organizations_deleted_drop_figures after delete on public.organizations
  referencing old table as old_rows for each statement execute function app.organizations_deleted_drop_figures();

revoke execute on function app.refresh_gig_window_ends(uuid[], extensions.ltree[], uuid),
  app.gigs_inserted_keep_windows(), app.gigs_updated_keep_windows(), app.organizations_keep_windows(),
  app.organizations_deleted_drop_figures()
  from public, anon, authenticated;
