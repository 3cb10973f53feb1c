-- Web Push: crew members' browser subscriptions, and a durable outbox of gig changes to announce.
-- A gig's schedule, status or venue change writes its outbox row in the same transaction (no
-- change can be lost); a database webhook on the outbox calls the notify-staff edge function,
-- which claims rows with SKIP LOCKED, sends, and records the outcome.

create table public.user_push_subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  endpoint text not null unique check (endpoint ~ '^https://' and length(endpoint) <= 2048),
  -- The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
  p256dh text not null check (p256dh ~ '^[A-Za-z0-9_-]{86,88}={0,2}$'),
  auth text not null check (auth ~ '^[A-Za-z0-9_-]{21,24}={0,2}$'),
  user_agent text check (length(user_agent) <= 500),
  created_at timestamptz not null default now(),
  last_success_at timestamptz,
  failure_count integer not null default 0,
  last_failure_at timestamptz,
  last_error text check (length(last_error) <= 1000)
);
create index user_push_subscriptions_user_idx on public.user_push_subscriptions (user_id);

alter table public.user_push_subscriptions enable row level security;
-- Members read and remove their own subscriptions; writes go through save_push_subscription.
create policy user_push_subscriptions_own_read on public.user_push_subscriptions for select to authenticated
  using (user_id = auth.uid());
create policy user_push_subscriptions_own_delete on public.user_push_subscriptions for delete to authenticated
  using (user_id = auth.uid());
revoke all on public.user_push_subscriptions from anon;
revoke insert, update, truncate on public.user_push_subscriptions from authenticated;

-- Saves (or refreshes) the caller's subscription. An endpoint belongs to one browser profile: if
-- someone else signs in on that phone, the subscription follows them.
create function public.save_push_subscription(endpoint text, p256dh text, auth text, user_agent text default null)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  saved uuid;
begin
  if auth.uid() is null then
    raise exception 'sign in to receive notifications' using errcode = '42501';
  end if;
  if endpoint is null or endpoint !~ '^https://' or length(endpoint) > 2048 then
    raise exception 'endpoint must be the push service''s https URL' using errcode = '22023';
  end if;
  if p256dh is null or p256dh !~ '^[A-Za-z0-9_-]{86,88}={0,2}$' then
    raise exception 'p256dh must be the subscription''s base64url P-256 public key' using errcode = '22023';
  end if;
  if auth is null or auth !~ '^[A-Za-z0-9_-]{21,24}={0,2}$' then
    raise exception 'auth must be the subscription''s base64url 16-byte secret' using errcode = '22023';
  end if;
  insert into public.user_push_subscriptions as s (user_id, endpoint, p256dh, auth, user_agent)
  values (auth.uid(), save_push_subscription.endpoint, save_push_subscription.p256dh, save_push_subscription.auth, left(save_push_subscription.user_agent, 500))
  on conflict on constraint user_push_subscriptions_endpoint_key do update
    set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent,
        failure_count = 0, last_error = null
  returning s.id into saved;
  return saved;
end
$$;

create function public.delete_push_subscription(endpoint text)
returns boolean
language sql security invoker set search_path = ''
as $$
  with gone as (delete from public.user_push_subscriptions s where s.endpoint = delete_push_subscription.endpoint returning 1)
  select exists (select 1 from gone)
$$;

-- The caller's subscriptions (their devices), newest first.
create function public.list_push_subscriptions()
returns table (endpoint text, user_agent text, created_at timestamptz, last_success_at timestamptz, failure_count integer)
language sql stable security invoker set search_path = ''
as $$
  select s.endpoint, s.user_agent, s.created_at, s.last_success_at, s.failure_count
    from public.user_push_subscriptions s
   where s.user_id = auth.uid()
   order by s.created_at desc
$$;

revoke execute on function public.list_push_subscriptions() from public, anon;
grant execute on function public.list_push_subscriptions() to authenticated;
revoke execute on function public.save_push_subscription(text, text, text, text) from public, anon;
revoke execute on function public.delete_push_subscription(text) from public, anon;
grant execute on function public.save_push_subscription(text, text, text, text) to authenticated;
grant execute on function public.delete_push_subscription(text) to authenticated;

-- The outbox: one row per announced change, delivered by notify-staff.
create table app.notification_outbox (
  id bigint generated always as identity primary key,
  org_id uuid not null,
  gig_id uuid not null,
  kind text not null check (kind in ('schedule', 'status', 'venue')),
  title text not null,
  body text not null,
  url text not null,
  tag text not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  claimed_until timestamptz,
  delivered_at timestamptz,
  last_error text
);
create index notification_outbox_due_idx on app.notification_outbox (next_attempt_at) where delivered_at is null;

create function app.announce_gig_change()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  kind text;
  body text;
begin
  if new.deleted_at is not null then
    return new;
  end if;
  if new.starts_at is distinct from old.starts_at or new.ends_at is distinct from old.ends_at then
    kind := 'schedule';
    body := case when new.starts_at is null then 'No start time set'
                 else 'Now ' || to_char(new.starts_at at time zone 'UTC', 'Dy DD Mon HH24:MI') || ' UTC'
                      || coalesce(' – ' || to_char(new.ends_at at time zone 'UTC', 'HH24:MI'), '') end;
  elsif new.status is distinct from old.status then
    kind := 'status';
    body := 'Status: ' || replace(new.status::text, '_', ' ');
  elsif new.venue is distinct from old.venue then
    kind := 'venue';
    body := 'Venue: ' || coalesce(new.venue, 'none');
  else
    return new;
  end if;
  insert into app.notification_outbox (org_id, gig_id, kind, title, body, url, tag)
  values (new.org_id, new.id, kind, new.name, body, '/gigs/' || new.id, 'gig-' || new.id);
  return new;
end
$$;

create trigger gigs_announce_change after update of starts_at, ends_at, status, venue on public.gigs
  for each row execute function app.announce_gig_change();

-- Claims due outbox rows (SKIP LOCKED: concurrent senders never share one) for a lease, with
-- every subscription of staff assigned to the gig or to any gig above it.
create function public.claim_notification_outbox(max_rows integer default 50, lease_seconds integer default 60)
returns jsonb
language plpgsql security definer set search_path = extensions
as $$
declare
  result jsonb;
begin
  if auth.role() <> 'service_role' then
    raise exception 'only the notify-staff function claims notifications' using errcode = '42501';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 500 then
    raise exception 'max_rows must be between 1 and 500, got %', max_rows using errcode = '22023';
  end if;
  with claimed as (
      update app.notification_outbox o
         set claimed_until = now() + make_interval(secs => lease_seconds), attempts = o.attempts + 1
       where o.id in (
         select d.id from app.notification_outbox d
          where d.delivered_at is null and d.next_attempt_at <= now() and (d.claimed_until is null or d.claimed_until < now())
          order by d.id
          for update skip locked
          limit max_rows)
      returning o.*
    )
    select jsonb_agg(jsonb_build_object(
             'id', c.id, 'gig_id', c.gig_id, 'kind', c.kind, 'title', c.title, 'body', c.body, 'url', c.url, 'tag', c.tag,
             'attempts', c.attempts,
             'subscriptions', coalesce((
               select jsonb_agg(jsonb_build_object('id', s.id, 'endpoint', s.endpoint, 'p256dh', s.p256dh, 'auth', s.auth) order by s.endpoint)
                 from public.user_push_subscriptions s
                where s.user_id in (
                  select sp.user_id
                    from public.gigs target
                    join public.gigs g on g.org_id = target.org_id and g.path @> target.path and g.deleted_at is null
                    join public.gig_staff gs on gs.gig_id = g.id
                    join public.staff_profiles sp on sp.id = gs.staff_id and sp.user_id is not null
                   where target.id = c.gig_id)), '[]'::jsonb))
           order by c.id)
    into result
    from claimed c;
  return coalesce(result, '[]'::jsonb);
end
$$;

-- Records what the push service said for each subscription and settles the row: delivered, or
-- due again after a backoff (1 min, 2, 4 … capped at 1 h). 404/410 mean the subscription is gone.
create function public.complete_notification(outbox_id bigint, results jsonb)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  retry boolean;
  failures text;
begin
  if auth.role() <> 'service_role' then
    raise exception 'only the notify-staff function completes notifications' using errcode = '42501';
  end if;
  if jsonb_typeof(results) is distinct from 'array' then
    raise exception 'results must be an array of {subscription_id, status, error}' using errcode = '22023';
  end if;
  delete from public.user_push_subscriptions s
   using jsonb_array_elements(results) r
   where s.id = (r ->> 'subscription_id')::uuid and (r ->> 'status')::int in (404, 410);
  update public.user_push_subscriptions s
     set last_success_at = now(), failure_count = 0, last_error = null
    from jsonb_array_elements(results) r
   where s.id = (r ->> 'subscription_id')::uuid and (r ->> 'status')::int between 200 and 299;
  update public.user_push_subscriptions s
     set failure_count = s.failure_count + 1, last_failure_at = now(), last_error = left(r ->> 'error', 1000)
    from jsonb_array_elements(results) r
   where s.id = (r ->> 'subscription_id')::uuid and ((r ->> 'status')::int not between 200 and 299) and (r ->> 'status')::int not in (404, 410);
  -- 429 and 5xx (and no answer, status 0) are worth another try; other 4xx are not.
  select bool_or((r ->> 'status')::int = 0 or (r ->> 'status')::int = 429 or (r ->> 'status')::int >= 500),
         string_agg(r ->> 'status' || coalesce(': ' || (r ->> 'error'), ''), '; ')
            filter (where (r ->> 'status')::int not between 200 and 299)
    into retry, failures
    from jsonb_array_elements(results) r;
  update app.notification_outbox o
     set claimed_until = null,
         last_error = failures,
         delivered_at = case when coalesce(retry, false) then null else now() end,
         next_attempt_at = case when coalesce(retry, false)
                                then now() + least(interval '1 hour', interval '1 minute' * power(2, greatest(o.attempts - 1, 0)))
                                else o.next_attempt_at end
   where o.id = outbox_id;
  if not found then
    raise exception 'no outbox row %', outbox_id using errcode = 'PT404';
  end if;
end
$$;

revoke execute on function public.claim_notification_outbox(integer, integer) from public, anon, authenticated;
revoke execute on function public.complete_notification(bigint, jsonb) from public, anon, authenticated;
grant execute on function public.claim_notification_outbox(integer, integer) to service_role;
grant execute on function public.complete_notification(bigint, jsonb) to service_role;

-- The Database Webhook, as Supabase defines one (supabase_functions.http_request on insert). Its
-- URL and secret differ per project, so a deployment installs it once:
--   select app.install_notify_staff_webhook('https://<ref>.supabase.co/functions/v1/notify-staff', '<secret>');
create function app.install_notify_staff_webhook(function_url text, secret text)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if function_url !~ '^https?://' then
    raise exception 'function_url must be the notify-staff function''s URL' using errcode = '22023';
  end if;
  if secret is null or length(secret) < 16 then
    raise exception 'secret must be at least 16 characters' using errcode = '22023';
  end if;
  execute 'drop trigger if exists notify_staff_webhook on app.notification_outbox';
  execute format(
    'create trigger notify_staff_webhook after insert on app.notification_outbox for each row
       execute function supabase_functions.http_request(%L, ''POST'', %L, ''{}'', ''5000'')',
    function_url,
    jsonb_build_object('Content-Type', 'application/json', 'x-notify-secret', secret)::text);
end
$$;
revoke execute on function app.install_notify_staff_webhook(text, text) from public;
