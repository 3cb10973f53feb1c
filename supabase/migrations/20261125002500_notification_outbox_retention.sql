-- Delivered notifications are kept a week (support can see what was sent and when), then pruned
-- by the sweep; rows still undelivered are never pruned, however old.

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

create or replace function app.sweep_notification_outbox()
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
    timeout_milliseconds := 5000);
end
$$;
revoke execute on function app.sweep_notification_outbox() from public;
