/** The station database's first schema: queue, caches, conflicts, quarantine, state. */
export const version = 1;
export const sql = `
create table pending_sync (
  id text primary key,
  seq integer not null unique,
  timestamp integer not null,
  action text not null,
  "table" text not null,
  payload text not null,
  base_version integer,
  status text not null check (status in ('pending', 'syncing', 'failed')),
  retry_count integer not null default 0,
  next_attempt_at integer not null default 0,
  last_error text
);
-- row: what the station shows (the server's row with still-queued ops applied on top);
-- server_row: what the server last said, so a refused op can be taken back out.
create table gig_cache (id text primary key, row text, server_row text, updated_at integer not null);
create table asset_cache (id text primary key, row text, server_row text, updated_at integer not null);
create table entity_cache (
  entity text not null,
  id text not null,
  row text,
  server_row text,
  updated_at integer not null,
  primary key (entity, id)
);
create table conflicts (
  id text primary key,
  entity_key text not null,
  op text not null,
  server_row text,
  changed_fields text not null,
  message text not null,
  detected_at integer not null
);
create table quarantine (
  id text primary key,
  entity_key text not null,
  op text not null,
  code text not null,
  message text not null,
  quarantined_at integer not null
);
create table sync_state (key text primary key, value text not null);
`;
