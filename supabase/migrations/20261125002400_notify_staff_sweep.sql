-- The notify-staff target (URL and shared secret) kept where the sweep can read it, and the
-- sweep itself: a webhook that failed (function down, network, timeout) leaves its outbox rows
-- due, and the sweep calls the function again while any are. pg_cron runs it every minute where
-- the extension is enabled; elsewhere a scheduler calls `select app.sweep_notification_outbox()`.

create table app.notify_staff_target (
  singleton boolean primary key default true check (singleton),
  function_url text not null,
  secret text not null,
  installed_at timestamptz not null default now()
);
revoke all on app.notify_staff_target from public;

create or replace function app.install_notify_staff_webhook(function_url text, secret text)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if function_url is null or function_url !~ '^https?://' then
    raise exception 'function_url must be the notify-staff function''s URL' using errcode = '22023';
  end if;
  if secret is null or length(secret) < 16 then
    raise exception 'secret must be at least 16 characters' using errcode = '22023';
  end if;
  insert into app.notify_staff_target (function_url, secret) values (install_notify_staff_webhook.function_url, install_notify_staff_webhook.secret)
  on conflict (singleton) do update set function_url = excluded.function_url, secret = excluded.secret, installed_at = now();
  execute 'drop trigger if exists notify_staff_webhook on app.notification_outbox';
  execute format(
    'create trigger notify_staff_webhook after insert on app.notification_outbox for each row
       execute function supabase_functions.http_request(%L, ''POST'', %L, ''{}'', ''5000'')',
    function_url,
    jsonb_build_object('Content-Type', 'application/json', 'x-notify-secret', secret)::text);
end
$$;
revoke execute on function app.install_notify_staff_webhook(text, text) from public;

-- Calls notify-staff once if any outbox row is due and unclaimed; returns the pg_net request id,
-- or null when there was nothing to do (or no target installed yet).
create function app.sweep_notification_outbox()
returns bigint
language plpgsql security definer set search_path = ''
as $$
declare
  target app.notify_staff_target;
  due integer;
begin
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
    timeout_milliseconds := 5000);
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

-- A retry goes only to the subscriptions that have not had the message yet: a 503 from one
-- phone's push service must not buzz everyone else's phone twice.
alter table app.notification_outbox add column delivered_to uuid[] not null default '{}';

create or replace function public.claim_notification_outbox(max_rows integer default 50, lease_seconds integer default 60)
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
  if lease_seconds is null or lease_seconds < 5 or lease_seconds > 3600 then
    raise exception 'lease_seconds must be between 5 and 3600, got %', lease_seconds using errcode = '22023';
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
                where s.id <> all (c.delivered_to)
                  and s.user_id in (
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

create or replace function public.complete_notification(outbox_id bigint, results jsonb)
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
  if jsonb_typeof(results) is distinct from 'array'
     or exists (select from jsonb_array_elements(results) r
                 where jsonb_typeof(r -> 'subscription_id') is distinct from 'string'
                    or (r ->> 'subscription_id') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    or jsonb_typeof(r -> 'status') is distinct from 'number') then
    raise exception 'results must be an array of {subscription_id: uuid, status: number, error}' using errcode = '22023';
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
         delivered_to = o.delivered_to || array(
           select (r ->> 'subscription_id')::uuid from jsonb_array_elements(results) r where (r ->> 'status')::int between 200 and 299),
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
