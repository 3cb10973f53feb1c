-- Supabase compatibility bootstrap for the local stand-in stack (dev and test only).
--
-- A hosted project or `supabase start` already has all of this; every statement is guarded so
-- it only creates what is missing and never touches an object Supabase provides. Migrations
-- under supabase/migrations are written against the objects below, exactly as they exist in
-- Supabase: roles, the auth schema and its helper functions, the extensions schema, the
-- default privileges Supabase grants, and supabase_functions.http_request for webhooks.

-- Roles --------------------------------------------------------------------------------------
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;
grant anon, authenticated, service_role to authenticator;

-- Schemas and extensions --------------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- auth ---------------------------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text default null,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (lower(email)) where deleted_at is null;

create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  not_after timestamptz
);

create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) not null unique,
  user_id varchar(255),
  revoked boolean default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);

-- The same definitions GoTrue installs: PostgREST sets request.jwt.claims per request.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;

-- pg_net stand-in -----------------------------------------------------------------------------
-- Supabase webhooks call pg_net's net.http_post. pg_net is not available here, so when it is
-- absent the same functions queue the request in a table and NOTIFY; the local stack's relay
-- performs the HTTP call after commit (as pg_net does) and records the response.
do $$
begin
  if not exists (select from pg_extension where extname = 'pg_net')
     and not exists (select from pg_namespace where nspname = 'net') then
    create schema net;
    create table net.http_request_queue (
      id bigserial primary key,
      method text not null,
      url text not null,
      headers jsonb not null default '{}'::jsonb,
      body jsonb,
      timeout_milliseconds integer not null default 5000,
      created_at timestamptz not null default now()
    );
    create table net._http_response (
      id bigint primary key,
      status_code integer,
      content_type text,
      headers jsonb,
      content text,
      timed_out boolean,
      error_msg text,
      created timestamptz not null default now()
    );
    -- pg_net appends params as a URL-encoded query string.
    execute $fn$
      create function net._local_urlencode(value text) returns text
      language sql immutable
      as $body$
        select coalesce(string_agg(
          case when ch ~ '^[A-Za-z0-9_.~-]$' then ch
               else upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g'))
          end, '' order by ord), '')
        from regexp_split_to_table(value, '') with ordinality as t(ch, ord)
      $body$
    $fn$;
    execute $fn$
      create function net._local_url_with_params(url text, params jsonb) returns text
      language sql immutable
      as $body$
        select case
          when params is null or params = '{}'::jsonb then url
          else url || case when position('?' in url) > 0 then '&' else '?' end || (
            select string_agg(net._local_urlencode(key) || '=' || net._local_urlencode(value), '&' order by key)
            from jsonb_each_text(params)
          )
        end
      $body$
    $fn$;
    execute $fn$
      create function net.http_post(
        url text,
        body jsonb default '{}'::jsonb,
        params jsonb default '{}'::jsonb,
        headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
        timeout_milliseconds integer default 5000
      ) returns bigint
      language plpgsql security definer set search_path = net
      as $body$
      declare
        request_id bigint;
        full_url text := net._local_url_with_params(url, params);
      begin
        insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
        values ('POST', full_url, coalesce(headers, '{}'::jsonb), body, timeout_milliseconds)
        returning id into request_id;
        perform pg_notify('local_pg_net', request_id::text);
        return request_id;
      end
      $body$
    $fn$;
    execute $fn$
      create function net.http_get(
        url text,
        params jsonb default '{}'::jsonb,
        headers jsonb default '{}'::jsonb,
        timeout_milliseconds integer default 5000
      ) returns bigint
      language plpgsql security definer set search_path = net
      as $body$
      declare
        request_id bigint;
        full_url text := net._local_url_with_params(url, params);
      begin
        insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
        values ('GET', full_url, coalesce(headers, '{}'::jsonb), null, timeout_milliseconds)
        returning id into request_id;
        perform pg_notify('local_pg_net', request_id::text);
        return request_id;
      end
      $body$
    $fn$;
    revoke all on function net.http_post(text, jsonb, jsonb, jsonb, integer) from public;
    revoke all on function net.http_get(text, jsonb, jsonb, integer) from public;
    grant usage on schema net to postgres, anon, authenticated, service_role;
    grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) to postgres, anon, authenticated, service_role;
    grant execute on function net.http_get(text, jsonb, jsonb, integer) to postgres, anon, authenticated, service_role;
  end if;
end
$$;

-- Database webhooks: Supabase's own supabase_functions.http_request, over net.* -------------
do $$
begin
  if not exists (select from pg_namespace where nspname = 'supabase_functions') then
    create schema supabase_functions;
    grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
    create table supabase_functions.hooks (
      id bigserial primary key,
      hook_table_id integer not null,
      hook_name text not null,
      created_at timestamptz not null default now(),
      request_id bigint
    );
    create index supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
    execute $fn$
      create function supabase_functions.http_request() returns trigger
      language plpgsql security definer set search_path = supabase_functions
      as $body$
      declare
        request_id bigint;
        payload jsonb;
        url text := TG_ARGV[0]::text;
        method text := TG_ARGV[1]::text;
        headers jsonb default '{}'::jsonb;
        params jsonb default '{}'::jsonb;
        timeout_ms integer default 1000;
      begin
        if url is null or url = 'null' then
          raise exception 'url argument is missing';
        end if;
        if method is null or method = 'null' then
          raise exception 'method argument is missing';
        end if;
        if TG_ARGV[2] is null or TG_ARGV[2] = 'null' then
          headers = '{"Content-Type": "application/json"}'::jsonb;
        else
          headers = TG_ARGV[2]::jsonb;
        end if;
        if TG_ARGV[3] is null or TG_ARGV[3] = 'null' then
          params = '{}'::jsonb;
        else
          params = TG_ARGV[3]::jsonb;
        end if;
        if TG_ARGV[4] is null or TG_ARGV[4] = 'null' then
          timeout_ms = 1000;
        else
          timeout_ms = TG_ARGV[4]::integer;
        end if;
        case
          when method = 'GET' then
            select http_get into request_id from net.http_get(url, params, headers, timeout_ms);
          when method = 'POST' then
            payload = jsonb_build_object(
              'old_record', OLD, 'record', NEW, 'type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA
            );
            select http_post into request_id from net.http_post(url, payload, params, headers, timeout_ms);
          else
            raise exception 'method argument % is invalid', method;
        end case;
        insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
        values (TG_RELID, TG_NAME, request_id);
        return new;
      end
      $body$
    $fn$;
    revoke all on function supabase_functions.http_request() from public;
    grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;
  end if;
end
$$;

-- Realtime's schema stand-in ----------------------------------------------------------------
-- On Supabase the Realtime service owns the realtime schema: realtime.send() inserts a broadcast
-- into realtime.messages, the service reads it from the WAL after commit and fans it out to the
-- sockets joined to its topic; who may join a private topic is decided by RLS on
-- realtime.messages (a probe row read back as the joining user). Here the same functions and
-- table exist, and send() also NOTIFYs (delivered at commit, as the WAL is read after commit),
-- which the local stack's WebSocket stand-in (supabase/local/realtime.ts) listens for.
do $$
begin
  if not exists (select from pg_namespace where nspname = 'realtime') then
    create schema realtime;
    grant usage on schema realtime to postgres, anon, authenticated, service_role;
    create table realtime.messages (
      id uuid primary key default gen_random_uuid(),
      topic text not null,
      extension text not null,
      payload jsonb,
      event text,
      private boolean default false,
      updated_at timestamp not null default now(),
      inserted_at timestamp not null default now()
    );
    alter table realtime.messages enable row level security;
    grant select, insert on realtime.messages to anon, authenticated;
    grant all on realtime.messages to service_role;
    create function realtime.topic() returns text
    language sql stable
    as $fn$ select nullif(current_setting('realtime.topic', true), '')::text $fn$;
    grant execute on function realtime.topic() to postgres, anon, authenticated, service_role;
    -- Supabase's definition, plus the NOTIFY that stands in for the WAL.
    execute $fn$
      create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
      returns void
      language plpgsql
      as $body$
      declare
        sent uuid;
      begin
        begin
          execute format('set local realtime.topic to %L', topic);
          insert into realtime.messages (payload, event, topic, private, extension)
          values (payload, event, topic, private, 'broadcast')
          returning id into sent;
          perform pg_notify('realtime_local', sent::text);
        exception
          when others then
            raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
        end;
      end
      $body$
    $fn$;
  end if;
end
$$;

-- Migration history: `supabase db push` creates and keeps supabase_migrations.schema_migrations
-- itself (data folders from before the CLI already have the same table and are adopted as they are).
