-- Extensions the domain needs, and `app`: a private schema for helpers and sync bookkeeping.
-- `app` is not in the API's exposed schemas, so nothing in it is reachable over HTTP; RLS
-- policies call its helpers, so signed-in users may use (not create in) it.
create extension if not exists ltree with schema extensions;
create extension if not exists pg_trgm with schema extensions;

create schema if not exists app;
revoke all on schema app from public;
grant usage on schema app to authenticated, service_role;

-- Clients reach data only through SQL functions; anon gets nothing from tables at all.
alter default privileges in schema public revoke all on tables from anon;
alter default privileges in schema public revoke all on sequences from anon;
