-- Delivering the outbox (…002300): the notify-staff target, claims and outcomes, the sweep and
-- retention.
-- * The target (URL + shared secret) is kept where the sweep can read it, locked away (RLS, no
--   grants); it must be https unless on loopback. The webhook and the sweep wait 30 s (the
--   function's budget is 25 s).
-- * A claim carries a token and a 5-minute lease; only its holder completes it. Only current
--   members of the organization are notified. A retry goes only to the subscriptions not yet
--   reached, for 12 hours (the push TTL) at most, and is dropped once a newer change of the same
--   gig exists.
-- * Endpoints must look like a push service URL (a host, no spaces); members read their
--   subscriptions' bookkeeping, not what push services answered (last_error).
-- * The sweep re-drives anything a webhook missed (function down, network, timeout): pg_cron runs
--   it every minute where the extension is enabled; elsewhere a scheduler calls
--   `select app.sweep_notification_outbox()`. It also prunes delivered rows after a week;
--   undelivered rows are never pruned.

create table app.notify_staff_target (
  singleton boolean primary key default true check (singleton),
  function_url text not null,
  secret text not null,
  installed_at timestamptz not null default now()
);
alter table app.notify_staff_target enable row level security;
revoke all on app.notify_staff_target from public, anon, authenticated, service_role;

alter table app.notification_outbox add column delivered_to uuid[] not null default '{}';
alter table app.notification_outbox add column claim_token uuid;

create or replace function public.save_push_subscription(endpoint text, p256dh text, auth text, user_agent text default null)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  saved uuid;
begin
  if auth.uid() is null then
    raise exception 'sign in to receive notifications' using errcode = '42501';
  end if;
  if endpoint is null or endpoint !~ '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[!-~]*$' or length(endpoint) > 2048 then
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

revoke select on public.user_push_subscriptions from authenticated;
grant select (id, user_id, endpoint, user_agent, created_at, last_success_at, failure_count) on public.user_push_subscriptions to authenticated;

drop function public.claim_notification_outbox(integer, integer);
create function public.claim_notification_outbox(max_rows integer default 20, lease_seconds integer default 300)
returns jsonb
language plpgsql security definer set search_path = extensions
as $$
declare
  result jsonb;
  token uuid := gen_random_uuid();
begin
  if auth.role() <> 'service_role' then
    raise exception 'only the notify-staff function claims notifications' using errcode = '42501';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 500 then
    raise exception 'max_rows must be between 1 and 500, got %', max_rows using errcode = '22023';
  end if;
  if lease_seconds is null or lease_seconds < 5 or lease_seconds > 3600 then
    raise exception 'lease_seconds must be between 5 and 3600, got %', lease_seconds using errcode = '22023';
  end if;
  -- A retry that a newer change of the same gig has overtaken would show stale text: drop it.
  update app.notification_outbox o
     set delivered_at = now(), claimed_until = null, claim_token = null, last_error = 'superseded by a newer change of the gig'
   where o.delivered_at is null and o.attempts > 0
     and exists (select 1 from app.notification_outbox n where n.gig_id = o.gig_id and n.id > o.id);
  with claimed as (
      update app.notification_outbox o
         set claimed_until = now() + make_interval(secs => lease_seconds), attempts = o.attempts + 1, claim_token = token
       where o.id in (
         select d.id from app.notification_outbox d
          where d.delivered_at is null and d.next_attempt_at <= now() and (d.claimed_until is null or d.claimed_until < now())
          order by d.id
          for update skip locked
          limit max_rows)
      returning o.*
    )
    select jsonb_agg(jsonb_build_object(
             'id', c.id, 'claim_token', c.claim_token, 'gig_id', c.gig_id, 'kind', c.kind, 'title', c.title, 'body', c.body, 'url', c.url, 'tag', c.tag,
             'attempts', c.attempts,
             'subscriptions', coalesce((
               select jsonb_agg(jsonb_build_object('id', s.id, 'endpoint', s.endpoint, 'p256dh', s.p256dh, 'auth', s.auth) order by s.endpoint)
                 from public.user_push_subscriptions s
                where s.id <> all (c.delivered_to)
                  and s.user_id in (
                  select sp.user_id
                    from public.gigs target
                    join public.gigs g on g.org_id = target.org_id and g.path @> target.path and g.deleted_at is null
                    join public.gig_staff gs on gs.gig_id = g.id
                    join public.staff_profiles sp on sp.id = gs.staff_id and sp.user_id is not null
                    join public.memberships m on m.org_id = target.org_id and m.user_id = sp.user_id
                   where target.id = c.gig_id)), '[]'::jsonb))
           order by c.id)
    into result
    from claimed c;
  return coalesce(result, '[]'::jsonb);
end
$$;
revoke execute on function public.claim_notification_outbox(integer, integer) from public, anon, authenticated;
grant execute on function public.claim_notification_outbox(integer, integer) to service_role;

drop function public.complete_notification(bigint, jsonb);
-- Returns false (and changes nothing) when the caller no longer holds the claim.
create function public.complete_notification(outbox_id bigint, claim_token uuid, results jsonb)
returns boolean
language plpgsql security definer set search_path = ''
as $$
declare
  retry boolean;
  failures text;
  row_found app.notification_outbox;
begin
  if auth.role() <> 'service_role' then
    raise exception 'only the notify-staff function completes notifications' using errcode = '42501';
  end if;
  if jsonb_typeof(results) is distinct from 'array'
     or exists (select from jsonb_array_elements(results) r
                 where jsonb_typeof(r -> 'subscription_id') is distinct from 'string'
                    or (r ->> 'subscription_id') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    or jsonb_typeof(r -> 'status') is distinct from 'number') then
    raise exception 'results must be an array of {subscription_id: uuid, status: number, error}' using errcode = '22023';
  end if;
  select * into row_found from app.notification_outbox o where o.id = outbox_id for update;
  if not found then
    raise exception 'no outbox row %', outbox_id using errcode = 'PT404';
  end if;
  if row_found.claim_token is distinct from complete_notification.claim_token then
    return false;
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
  -- 429 and 5xx (and no answer, status 0) are worth another try — within the push TTL.
  select bool_or((r ->> 'status')::int = 0 or (r ->> 'status')::int = 429 or (r ->> 'status')::int >= 500),
         string_agg(r ->> 'status' || coalesce(': ' || (r ->> 'error'), ''), '; ')
            filter (where (r ->> 'status')::int not between 200 and 299)
    into retry, failures
    from jsonb_array_elements(results) r;
  if coalesce(retry, false) and row_found.created_at < now() - interval '12 hours' then
    retry := false;
    failures := failures || ' (gave up: older than the 12 h push TTL)';
  end if;
  update app.notification_outbox o
     set claimed_until = null,
         claim_token = null,
         last_error = failures,
         delivered_to = o.delivered_to || array(
           select (r ->> 'subscription_id')::uuid from jsonb_array_elements(results) r where (r ->> 'status')::int between 200 and 299),
         delivered_at = case when coalesce(retry, false) then null else now() end,
         next_attempt_at = case when coalesce(retry, false)
                                then now() + least(interval '1 hour', interval '1 minute' * power(2, greatest(o.attempts - 1, 0)))
                                else o.next_attempt_at end
   where o.id = outbox_id;
  return true;
end
$$;
revoke execute on function public.complete_notification(bigint, uuid, jsonb) from public, anon, authenticated;
grant execute on function public.complete_notification(bigint, uuid, jsonb) to service_role;

create or replace function app.install_notify_staff_webhook(function_url text, secret text)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  -- The secret travels in a header: plain http only to this machine. The function may take up to
  -- its 25 s budget, so the request waits 30 s.
  if function_url is null or function_url !~ '^(https://|http://(127\.0\.0\.1|localhost)(:[0-9]+)?/)' then
    raise exception 'function_url must be the notify-staff function''s https URL (http only on loopback)' using errcode = '22023';
  end if;
  if secret is null or length(secret) < 16 then
    raise exception 'secret must be at least 16 characters' using errcode = '22023';
  end if;
  insert into app.notify_staff_target (function_url, secret) values (install_notify_staff_webhook.function_url, install_notify_staff_webhook.secret)
  on conflict (singleton) do update set function_url = excluded.function_url, secret = excluded.secret, installed_at = now();
  execute 'drop trigger if exists notify_staff_webhook on app.notification_outbox';
  execute format(
    'create trigger notify_staff_webhook after insert on app.notification_outbox for each row
       execute function supabase_functions.http_request(%L, ''POST'', %L, ''{}'', ''30000'')',
    function_url,
    jsonb_build_object('Content-Type', 'application/json', 'x-notify-secret', secret)::text);
end
$$;
revoke execute on function app.install_notify_staff_webhook(text, text) from public;

create function app.prune_notification_outbox(keep interval default interval '7 days')
returns integer
language sql security definer set search_path = ''
as $$
  with gone as (
    delete from app.notification_outbox o
     where o.delivered_at is not null and o.delivered_at < now() - keep
    returning 1)
  select count(*)::integer from gone
$$;
revoke execute on function app.prune_notification_outbox(interval) from public;

-- Calls notify-staff once if any outbox row is due and unclaimed (after pruning); returns the
-- pg_net request id, or null when there was nothing to do (or no target installed yet).
create function app.sweep_notification_outbox()
returns bigint
language plpgsql security definer set search_path = ''
as $$
declare
  target app.notify_staff_target;
  due integer;
begin
  perform app.prune_notification_outbox();
  select * into target from app.notify_staff_target;
  if not found then
    return null;
  end if;
  select count(*) into due
    from app.notification_outbox o
   where o.delivered_at is null and o.next_attempt_at <= now() and (o.claimed_until is null or o.claimed_until < now());
  if due = 0 then
    return null;
  end if;
  return net.http_post(
    url := target.function_url,
    body := jsonb_build_object('type', 'SWEEP', 'due', due),
    headers := jsonb_build_object('Content-Type', 'application/json', 'x-notify-secret', target.secret),
    timeout_milliseconds := 30000);
end
$$;
revoke execute on function app.sweep_notification_outbox() from public;

do $$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('notify-staff-sweep', '* * * * *', 'select app.sweep_notification_outbox()');
  end if;
end
$$;
