-- Adversarial fixes (issue 15, "the same class of defect elsewhere"): what the RPC attack suite
-- (tests/adversarial/rpc-*.test.ts) found that the earlier hardening left open.
-- * Racing writers on the gig tree: a gig created or moved under a parent while another manager
--   deleted that parent stayed live under a deleted gig (invisible in the hierarchy, still found,
--   pulled and checked out to). The writer now takes a shared lock on the parent it judges (here in
--   the gigs trigger, for any writer; and in app.op_gig_write, whose one definition is in
--   …000100_push_hardening), so the delete is waited for and seen.
-- * Racing writers on stock: an asset checked out while its gig was being deleted or completed
--   ended up out to a deleted / closed gig. Setting an asset's current gig now locks that gig
--   (shared) and re-checks it on what is committed; a gig that changed meanwhile answers the push
--   `retry` (the next attempt gets the plain `not_found` / `gig_closed`).
-- * A retried push racing the original (same device, same op id, e.g. after a client timeout)
--   failed the whole batch with 23505 on sync_ops_pkey (HTTP 409). The late copy now gets the
--   first copy's stored answer and its own effect is undone (in …000100_push_hardening's
--   push_changes: neither file had landed, so each function is defined once).
-- (pull_changes' cursor checks are in …000400_pull_pages.)

-- 1. The gig tree: lock the parent being judged -------------------------------------------------
create or replace function app.gigs_before_write()
returns trigger
language plpgsql set search_path = extensions
as $$
declare
  parent record;
begin
  if tg_op = 'UPDATE' then
    if new.id <> old.id or new.org_id <> old.org_id then
      raise exception 'a gig''s id and organization cannot change' using errcode = '22023';
    end if;
    if new.status <> old.status and not app.gig_status_transition_allowed(old.status, new.status) then
      raise exception 'gig status cannot change from % to %', old.status, new.status
        using errcode = '22023', hint = 'allowed: draft→confirmed|cancelled, confirmed→draft|in_progress|cancelled, in_progress→completed|cancelled, cancelled→draft';
    end if;
    -- The path belongs to the database: only the re-parenting cascade (a nested trigger) sets it.
    if new.parent_gig_id is not distinct from old.parent_gig_id and new.path <> old.path and pg_trigger_depth() = 1 then
      new.path := old.path;
    end if;
    new.version := old.version + 1;
    new.updated_at := now();
  end if;

  if tg_op = 'INSERT' or new.parent_gig_id is distinct from old.parent_gig_id then
    if new.parent_gig_id is null then
      new.path := app.gig_label(new.id);
    else
      -- Shared lock: a delete (or move) of the parent committing meanwhile is waited for, and the
      -- checks below see it; the parent cannot be deleted until this write commits.
      select g.path, g.org_id, g.deleted_at into parent from public.gigs g where g.id = new.parent_gig_id for share;
      if not found then
        raise exception 'parent gig % does not exist', new.parent_gig_id using errcode = '23503';
      end if;
      if parent.org_id <> new.org_id then
        raise exception 'gig % cannot have a parent in another organization', new.id using errcode = '23514';
      end if;
      if tg_op = 'UPDATE' and parent.path operator(extensions.<@) old.path then
        raise exception 'moving gig % under % would create a cycle in the hierarchy', new.id, new.parent_gig_id
          using errcode = '23514';
      end if;
      if parent.deleted_at is not null and new.deleted_at is null then
        raise exception 'parent gig % is deleted', new.parent_gig_id using errcode = '23514';
      end if;
      new.path := parent.path operator(extensions.||) app.gig_label(new.id);
    end if;
  end if;
  return new;
end
$$;

-- 2. Stock: an asset goes out only to a live, open gig, judged under a lock ----------------------
-- The verdicts read the gig without locking it (the fast path for a whole batch at once); this
-- trigger is the one place every write that sets an asset's current gig passes through.
create function app.assets_check_out_target()
returns trigger
language plpgsql set search_path = ''
as $$
declare
  target record;
begin
  select g.deleted_at, g.status into target from public.gigs g where g.id = new.current_gig_id for share;
  if target.deleted_at is not null or target.status in ('completed', 'cancelled') then
    raise exception 'gig % changed while the asset was being checked out to it', new.current_gig_id
      using errcode = '40001', hint = 'send the op again: it is judged on the gig as it is now';
  end if;
  return new;
end
$$;
revoke all on function app.assets_check_out_target() from public, anon, authenticated;

create trigger assets_check_out_target before update of current_gig_id on public.assets
  for each row when (new.current_gig_id is not null and new.current_gig_id is distinct from old.current_gig_id)
  execute function app.assets_check_out_target();
