import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createOrg, failure, insertGig, type Org } from '../../../tests/helpers/domain';
import { FIXTURES, startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// Push subscriptions, the gig-change outbox, claiming and completing deliveries, the webhook.
let stack: TestStack;
let org: Org;
let other: Org;
let festival: string;
let day: string;
let set: string;
let elsewhere: string;

const key = (c: string): string => c.repeat(87);
const secret = (c: string): string => c.repeat(22);

async function subscribe(who: Org['members'][keyof Org['members']], endpoint: string, c = 'A'): Promise<string> {
  const { data, error } = await who.client.rpc('save_push_subscription', { endpoint, p256dh: key(c), auth: secret(c), user_agent: 'test' });
  if (error !== null) throw new Error(error.message);
  return data as string;
}

async function assign(gigId: string, userId: string, role = 'Stagehand'): Promise<void> {
  await stack.db.query(
    `insert into public.gig_staff (org_id, gig_id, staff_id, role)
     select $1, $2, sp.id, $4 from public.staff_profiles sp where sp.user_id = $3 and sp.org_id = $1`,
    [org.id, gigId, userId, role],
  );
}

async function outbox(gigId: string): Promise<{ kind: string; title: string; body: string; tag: string }[]> {
  return (await stack.db.query('select kind, title, body, tag from app.notification_outbox where gig_id = $1 order by id', [gigId]))
    .rows as never;
}

interface Claimed {
  id: number;
  gig_id: string;
  tag: string;
  subscriptions: { id: string; endpoint: string }[];
}

let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: unknown }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as unknown });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/functions/v1/notify-staff`;
  // SQL only: without notify-staff no webhook is installed, so the test claims the rows itself.
  stack = await startTestStack({ functionsDirs: [join(FIXTURES, 'functions')] });
  org = await createOrg(stack, 'notify');
  other = await createOrg(stack, 'notify-rival');
  for (const member of Object.values(org.members)) {
    await stack.db.query(
      "insert into public.staff_profiles (org_id, user_id, display_name, email, badge_code) values ($1, $2::uuid, $3, $4, 'B-' || upper(substr(md5($2::text), 1, 10))) on conflict do nothing",
      [org.id, member.userId, member.email, member.email],
    );
  }
  festival = await insertGig(stack.db, org.id, { name: 'Harbour Festival', status: 'confirmed', startsAt: '2027-07-01T10:00:00Z' });
  day = await insertGig(stack.db, org.id, { name: 'Friday', parent: festival, status: 'confirmed', startsAt: '2027-07-01T10:00:00Z' });
  set = await insertGig(stack.db, org.id, { name: 'Headliner', parent: day, status: 'confirmed', startsAt: '2027-07-01T21:00:00Z' });
  elsewhere = await insertGig(stack.db, org.id, { name: 'Club night', status: 'confirmed', startsAt: '2027-07-02T21:00:00Z' });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

describe('push subscriptions', () => {
  it('saves a subscription for the caller, refreshes it, and lets only its owner see or remove it', async () => {
    const id = await subscribe(org.members.crew, 'https://push.example/crew-1');
    expect(await subscribe(org.members.crew, 'https://push.example/crew-1', 'B')).toBe(id);
    const mine = await org.members.crew.client.rpc('list_push_subscriptions');
    expect((mine.data as { endpoint: string }[]).map((r) => r.endpoint)).toEqual(['https://push.example/crew-1']);
    expect((await stack.db.query('select p256dh from public.user_push_subscriptions where id = $1', [id])).rows).toEqual([
      { p256dh: key('B') },
    ]);
    // Another organization's admin reaching the table directly: no client reads it (issue 15 #4).
    const seen = await asUser(stack, { userId: other.members.admin.userId }, (db) =>
      failure(db, 'select count(*)::int as n from public.user_push_subscriptions'),
    );
    expect(seen.code).toBe('42501');
    expect((await other.members.admin.client.rpc('list_push_subscriptions')).data).toEqual([]);
    const removeOthers = await other.members.admin.client.rpc('delete_push_subscription', { endpoint: 'https://push.example/crew-1' });
    expect(removeOthers.data).toBe(false);
    const write = await asUser(stack, { userId: other.members.admin.userId }, (db) =>
      failure(db, 'insert into public.user_push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)', [
        other.members.admin.userId,
        'https://push.example/x',
        key('C'),
        secret('C'),
      ]),
    );
    expect(write.code).toBe('42501');
  });

  it('refuses bad input with a specific error', async () => {
    const bad = async (args: Record<string, unknown>): Promise<string | undefined> =>
      (
        await org.members.crew.client.rpc('save_push_subscription', {
          endpoint: 'https://push.example/ok',
          p256dh: key('A'),
          auth: secret('A'),
          ...args,
        })
      ).error?.message;
    expect(await bad({ endpoint: 'http://push.example/plain' })).toBe("endpoint must be the push service's https URL");
    expect(await bad({ endpoint: 'https://x y/' })).toBe("endpoint must be the push service's https URL");
    expect(await bad({ endpoint: 'https:///no-host' })).toBe("endpoint must be the push service's https URL");
    expect(await bad({ p256dh: 'short' })).toBe("p256dh must be the subscription's base64url P-256 public key");
    expect(await bad({ auth: 'x'.repeat(40) })).toBe("auth must be the subscription's base64url 16-byte secret");
    const anon = await nodeSupabaseClient(stack.url, stack.anonKey).rpc('save_push_subscription', {
      endpoint: 'https://push.example/a',
      p256dh: key('A'),
      auth: secret('A'),
    });
    expect(anon.status).toBe(401);
  });
});

describe('the outbox', () => {
  it('announces schedule, status and venue changes in the same transaction, and nothing else', async () => {
    await stack.db.query("update public.gigs set starts_at = '2027-07-01T21:30:00Z' where id = $1", [set]);
    await stack.db.query("update public.gigs set status = 'in_progress' where id = $1", [set]);
    await stack.db.query("update public.gigs set venue = 'Main Stage' where id = $1", [set]);
    await stack.db.query("update public.gigs set notes = 'bring ear plugs' where id = $1", [set]);
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      await client.query("update public.gigs set venue = 'Tent' where id = $1", [set]);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await outbox(set)).toEqual([
      { kind: 'schedule', title: 'Headliner', body: 'Now Thu 01 Jul 21:30 UTC', tag: `gig-${set}` },
      { kind: 'status', title: 'Headliner', body: 'Status: in progress', tag: `gig-${set}` },
      { kind: 'venue', title: 'Headliner', body: 'Venue: Main Stage', tag: `gig-${set}` },
    ]);
  });

  it('claims due rows once (SKIP LOCKED) with the subscriptions of staff on the gig and every gig above it', async () => {
    await assign(set, org.members.crew.userId);
    await assign(festival, org.members.manager.userId, 'Production manager');
    await assign(elsewhere, org.members.station.userId);
    await subscribe(org.members.manager, 'https://push.example/manager-1');
    await subscribe(org.members.station, 'https://push.example/station-1');
    const service = nodeSupabaseClient(stack.url, stack.serviceRoleKey);
    const [first, second] = await Promise.all([
      service.rpc('claim_notification_outbox', { max_rows: 2 }),
      service.rpc('claim_notification_outbox', { max_rows: 2 }),
    ]);
    expect([first.error, second.error]).toEqual([null, null]);
    const claimed = [...(first.data as Claimed[]), ...(second.data as Claimed[])];
    expect(claimed.map((c) => c.id).sort()).toHaveLength(3);
    expect(new Set(claimed.map((c) => c.id)).size).toBe(3);
    for (const row of claimed) {
      expect(row.subscriptions.map((s) => s.endpoint)).toEqual(['https://push.example/crew-1', 'https://push.example/manager-1']);
    }
    const again = await service.rpc('claim_notification_outbox', { max_rows: 10 });
    expect(again.data).toEqual([]);
    const crew = await org.members.crew.client.rpc('claim_notification_outbox', {});
    expect(crew.error?.message).toBe('permission denied for function claim_notification_outbox');
  });

  it('records outcomes: 410 prunes the subscription, 5xx retries later with backoff, success delivers', async () => {
    const service = nodeSupabaseClient(stack.url, stack.serviceRoleKey);
    const rows = (
      await stack.db.query<{ id: string }>('select id from app.notification_outbox where gig_id = $1 order by id', [set])
    ).rows.map((r) => Number(r.id));
    const subs = (
      await stack.db.query<{ id: string; endpoint: string }>('select id, endpoint from public.user_push_subscriptions order by endpoint')
    ).rows;
    const crew = subs.find((s) => s.endpoint.endsWith('crew-1'))?.id;
    const manager = subs.find((s) => s.endpoint.endsWith('manager-1'))?.id;
    const [ok, flaky, gone] = rows as [number, number, number];
    const tokens = new Map(
      (
        await stack.db.query<{ id: string; claim_token: string }>(
          'select id, claim_token from app.notification_outbox where id = any($1)',
          [rows],
        )
      ).rows.map((r) => [Number(r.id), r.claim_token]),
    );
    const complete = async (outboxId: number, results: unknown[], token = tokens.get(outboxId)): Promise<unknown> => {
      const answer = await service.rpc('complete_notification', { outbox_id: outboxId, claim_token: token, results });
      if (answer.error !== null) throw new Error(answer.error.message);
      return answer.data;
    };
    // A sender whose lease was taken over changes nothing.
    expect(await complete(ok, [{ subscription_id: crew, status: 410 }], '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(
      await complete(ok, [
        { subscription_id: crew, status: 201 },
        { subscription_id: manager, status: 201 },
      ]),
    ).toBe(true);
    expect(
      await complete(flaky, [
        { subscription_id: crew, status: 503, error: 'busy' },
        { subscription_id: manager, status: 201 },
      ]),
    ).toBe(true);
    expect(await complete(gone, [{ subscription_id: manager, status: 410 }])).toBe(true);
    const state = (
      await stack.db.query(
        'select id, delivered_at is not null as delivered, next_attempt_at > now() as later, last_error from app.notification_outbox where id = any($1) order by id',
        [rows],
      )
    ).rows;
    expect(state).toEqual([
      { id: String(ok), delivered: true, later: false, last_error: null },
      { id: String(flaky), delivered: false, later: true, last_error: '503: busy' },
      { id: String(gone), delivered: true, later: false, last_error: '410' },
    ]);
    const left = (
      await stack.db.query(
        'select endpoint, failure_count, last_success_at is not null as succeeded from public.user_push_subscriptions order by endpoint',
      )
    ).rows;
    expect(left).toEqual([
      { endpoint: 'https://push.example/crew-1', failure_count: 1, succeeded: true },
      { endpoint: 'https://push.example/station-1', failure_count: 0, succeeded: false },
    ]);
  });

  it('calls notify-staff through the database webhook with the shared secret on every outbox insert', async () => {
    await stack.db.query('select app.install_notify_staff_webhook($1, $2)', [receiverUrl, 'a-long-shared-secret']);
    await expect(stack.db.query("select app.install_notify_staff_webhook('ftp://x', 'a-long-shared-secret')")).rejects.toThrow(
      "function_url must be the notify-staff function's https URL (http only on loopback)",
    );
    await expect(
      stack.db.query("select app.install_notify_staff_webhook('http://push.example/notify-staff', 'a-long-shared-secret')"),
    ).rejects.toThrow('http only on loopback');
    await stack.db.query("update public.gigs set starts_at = '2027-07-02T22:00:00Z' where id = $1", [elsewhere]);
    await stack.drainWebhooks();
    const hit = received.at(-1);
    expect(hit?.headers['x-notify-secret']).toBe('a-long-shared-secret');
    expect(hit?.body).toMatchObject({
      type: 'INSERT',
      table: 'notification_outbox',
      schema: 'app',
      record: { gig_id: elsewhere, kind: 'schedule' },
    });
  });
});
