import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createOrg, failure, insertGig, type Org } from '../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { startPushService, type Arrival, type LocalPushService, type TestSubscription } from '../../tests/helpers/push-service';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../../tests/helpers/supabase-client';

// The whole Web Push path on real parts: a gig change commits → outbox row → database webhook
// (pg_net stand-in) → the notify-staff Deno function → web-push → a local HTTPS push service that
// verifies VAPID and decrypts like a browser.
let push: LocalPushService;
let stack: TestStack;
let org: Org;
let counter = 0;

interface Person {
  userId: string;
  client: NodeSupabaseClient;
  subscription: TestSubscription;
}

const gigs: Record<'festival' | 'day' | 'stage' | 'set' | 'otherSet' | 'club', string> = {} as never;
const people: Record<'festivalLead' | 'dayLead' | 'stageHand' | 'setTech' | 'otherSetTech' | 'clubTech' | 'unassigned', Person> =
  {} as never;

/** A crew member with a staff profile, signed in, whose phone saved a subscription through the RPC. */
async function person(name: string): Promise<Person> {
  counter += 1;
  const email = `${name.toLowerCase()}.${counter}@push.example`;
  const password = `pw-${name}-push-secret`;
  const userId = await stack.createUser(email, password);
  await stack.db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'crew')", [org.id, userId]);
  await stack.db.query(
    "insert into public.staff_profiles (org_id, user_id, display_name, email, badge_code) values ($1, $2, $3, $4, 'P-' || $5)",
    [org.id, userId, name, email, String(counter).padStart(6, '0')],
  );
  const client = nodeSupabaseClient(stack.url, stack.anonKey);
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error !== null) throw error;
  const subscription = push.subscribe();
  const saved = await client.rpc('save_push_subscription', {
    endpoint: subscription.endpoint,
    p256dh: subscription.p256dh,
    auth: subscription.auth,
    user_agent: 'push-service test',
  });
  if (saved.error !== null) throw new Error(saved.error.message);
  return { userId, client, subscription };
}

async function assign(gigId: string, who: Person): Promise<void> {
  await stack.db.query(
    "insert into public.gig_staff (org_id, gig_id, staff_id, role) select $1, $2, sp.id, 'Crew' from public.staff_profiles sp where sp.user_id = $3",
    [org.id, gigId, who.userId],
  );
}

async function outboxRow(
  gigId: string,
): Promise<{ id: number; attempts: number; delivered: boolean; claimed: boolean; next_due: boolean; last_error: string | null }> {
  const { rows } = await stack.db.query(
    `select id, attempts, delivered_at is not null as delivered, claimed_until is not null as claimed,
            next_attempt_at <= now() as next_due, last_error
       from app.notification_outbox where gig_id = $1 order by id desc limit 1`,
    [gigId],
  );
  return rows[0] as never;
}

async function delivered(gigId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await outboxRow(gigId))?.delivered) {
    if (Date.now() > deadline) throw new Error(`outbox row for ${gigId} not delivered: ${JSON.stringify(await outboxRow(gigId))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function arrivalsFor(gigId: string, since: number): Arrival[] {
  return push.arrivals.slice(since).filter((a) => (a.payload as { gig_id?: string }).gig_id === gigId);
}

function recipients(list: Arrival[]): string[] {
  return [...new Set(list.map((a) => a.subscriptionId))].sort();
}

function ids(...who: Person[]): string[] {
  return who.map((p) => p.subscription.id).sort();
}

async function moveStart(gigId: string, startsAt: string): Promise<void> {
  await stack.db.query('update public.gigs set starts_at = $2 where id = $1', [gigId, startsAt]);
}

async function callFunction(headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.url}/functions/v1/notify-staff`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: '{}',
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  push = await startPushService();
  // The function trusts the push service's throwaway certificate; the sweep runs when a test says.
  stack = await startTestStack({ functionEnv: { NODE_EXTRA_CA_CERTS: push.caFile, PUSH_SERVICE_HOSTS: '127.0.0.1' }, sweepIntervalMs: 0 });
  org = await createOrg(stack, 'push-e2e');
  gigs.festival = await insertGig(stack.db, org.id, { name: 'Harbour Festival', status: 'confirmed', startsAt: '2027-07-01T10:00:00Z' });
  gigs.day = await insertGig(stack.db, org.id, {
    name: 'Friday',
    parent: gigs.festival,
    status: 'confirmed',
    startsAt: '2027-07-01T10:00:00Z',
  });
  gigs.stage = await insertGig(stack.db, org.id, {
    name: 'Main stage',
    parent: gigs.day,
    status: 'confirmed',
    startsAt: '2027-07-01T12:00:00Z',
  });
  gigs.set = await insertGig(stack.db, org.id, {
    name: 'Headliner',
    parent: gigs.stage,
    status: 'confirmed',
    startsAt: '2027-07-01T21:00:00Z',
  });
  gigs.otherSet = await insertGig(stack.db, org.id, {
    name: 'Opener',
    parent: gigs.stage,
    status: 'confirmed',
    startsAt: '2027-07-01T18:00:00Z',
  });
  gigs.club = await insertGig(stack.db, org.id, { name: 'Club night', status: 'confirmed', startsAt: '2027-07-02T21:00:00Z' });
  people.festivalLead = await person('FestivalLead');
  people.dayLead = await person('DayLead');
  people.stageHand = await person('StageHand');
  people.setTech = await person('SetTech');
  people.otherSetTech = await person('OtherSetTech');
  people.clubTech = await person('ClubTech');
  people.unassigned = await person('Unassigned');
  await assign(gigs.festival, people.festivalLead);
  await assign(gigs.day, people.dayLead);
  await assign(gigs.stage, people.stageHand);
  await assign(gigs.set, people.setTech);
  await assign(gigs.otherSet, people.otherSetTech);
  await assign(gigs.club, people.clubTech);
});

afterAll(async () => {
  await stack?.stop();
  await push?.stop();
});

describe('notify-staff', () => {
  it('sends a moved set time to the staff of the set and of every gig above it, and to no one else', async () => {
    const since = push.arrivals.length;
    await moveStart(gigs.set, '2027-07-01T21:30:00Z');
    await stack.drainWebhooks();
    await delivered(gigs.set);

    const arrivals = arrivalsFor(gigs.set, since);
    expect(recipients(arrivals)).toEqual(ids(people.festivalLead, people.dayLead, people.stageHand, people.setTech));
    expect(arrivals).toHaveLength(4);
    expect(push.arrivals.slice(since)).toHaveLength(4);
    expect(push.rejections).toEqual([]);
    for (const arrival of arrivals) {
      expect(arrival.payload).toMatchObject({
        title: 'Headliner',
        body: 'Now Thu 01 Jul 21:30 UTC',
        url: `/gigs/${gigs.set}`,
        tag: `gig-${gigs.set}`,
        kind: 'schedule',
        gig_id: gigs.set,
      });
      expect(arrival).toMatchObject({ ttl: 43_200, urgency: 'high', topic: gigs.set.replaceAll('-', '') });
    }
    const subscription = await people.setTech.client.rpc('list_push_subscriptions');
    expect((subscription.data as { last_success_at: string | null }[])[0]?.last_success_at).not.toBeNull();
  });

  it('gives three rapid updates of one gig the same tag, each text delivered once to every recipient', async () => {
    const since = push.arrivals.length;
    for (const time of ['22:00', '22:15', '22:30']) await moveStart(gigs.set, `2027-07-01T${time}:00Z`);
    await stack.drainWebhooks();
    await push.waitFor(() => arrivalsFor(gigs.set, since).length === 12, '3 updates × 4 recipients');

    const forSetTech = arrivalsFor(gigs.set, since).filter((a) => a.subscriptionId === people.setTech.subscription.id);
    expect(forSetTech.map((a) => (a.payload as { tag: string }).tag)).toEqual(Array(3).fill(`gig-${gigs.set}`));
    const outbox = await stack.db.query<{ body: string }>(
      'select body from app.notification_outbox where gig_id = $1 order by id desc limit 3',
      [gigs.set],
    );
    expect(new Set(forSetTech.map((a) => (a.payload as { body: string }).body))).toEqual(new Set(outbox.rows.map((r) => r.body)));
    expect(outbox.rows[0]?.body).toBe('Now Thu 01 Jul 22:30 UTC');
  });

  it('removes a subscription its push service answers 410 Gone, and still delivers to the others', async () => {
    push.answer(people.dayLead.subscription.id, [410]);
    const since = push.arrivals.length;
    await moveStart(gigs.day, '2027-07-01T09:00:00Z');
    await stack.drainWebhooks();
    await delivered(gigs.day);

    expect(recipients(arrivalsFor(gigs.day, since))).toEqual(ids(people.festivalLead));
    const left = await stack.db.query('select 1 from public.user_push_subscriptions where endpoint = $1', [
      people.dayLead.subscription.endpoint,
    ]);
    expect(left.rowCount).toBe(0);
    expect((await outboxRow(gigs.day)).last_error).toContain('410');
  });

  it('retries a 503 later, to that subscription only, and then delivers', async () => {
    push.answer(people.stageHand.subscription.id, [503]);
    const since = push.arrivals.length;
    await moveStart(gigs.stage, '2027-07-01T11:30:00Z');
    await stack.drainWebhooks();
    await push.waitFor(() => arrivalsFor(gigs.stage, since).length === 1, 'the festival lead’s copy');
    const deadline = Date.now() + 10_000;
    while ((await outboxRow(gigs.stage)).claimed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));

    const waiting = await outboxRow(gigs.stage);
    expect(waiting).toMatchObject({ delivered: false, claimed: false, attempts: 1, next_due: false });
    expect(waiting.last_error).toContain('503');
    const failing = await stack.db.query<{ failure_count: number }>(
      'select failure_count from public.user_push_subscriptions where endpoint = $1',
      [people.stageHand.subscription.endpoint],
    );
    expect(failing.rows[0]?.failure_count).toBe(1);

    // The backoff (1 minute) has passed: the sweep re-drives the row.
    await stack.db.query('update app.notification_outbox set next_attempt_at = now() where id = $1', [waiting.id]);
    await stack.sweepNotifications();
    await delivered(gigs.stage);

    expect(recipients(arrivalsFor(gigs.stage, since))).toEqual(ids(people.festivalLead, people.stageHand));
    expect(arrivalsFor(gigs.stage, since)).toHaveLength(2);
    expect(push.attempts.get(people.stageHand.subscription.id)).toBeGreaterThanOrEqual(2);
    expect((await outboxRow(gigs.stage)).attempts).toBe(2);
  });

  it('loses nothing while the function is down: the sweep drains the outbox once it is back', async () => {
    await stack.stopFunction('notify-staff');
    const since = push.arrivals.length;
    try {
      await moveStart(gigs.club, '2027-07-02T22:00:00Z');
      await moveStart(gigs.otherSet, '2027-07-01T18:30:00Z');
      await stack.drainWebhooks();
      const failed = await stack.db.query<{ status_code: number | null }>(
        'select status_code from net._http_response order by id desc limit 2',
      );
      expect(failed.rows.map((r) => r.status_code)).toEqual([502, 502]);
      expect(await outboxRow(gigs.club)).toMatchObject({ delivered: false, attempts: 0 });
      await stack.sweepNotifications();
      expect(await outboxRow(gigs.club)).toMatchObject({ delivered: false, attempts: 0 });
    } finally {
      await stack.startFunction('notify-staff');
    }
    await stack.sweepNotifications();
    await delivered(gigs.club);
    await delivered(gigs.otherSet);

    expect(recipients(arrivalsFor(gigs.club, since))).toEqual(ids(people.clubTech));
    expect(recipients(arrivalsFor(gigs.otherSet, since))).toEqual(ids(people.festivalLead, people.stageHand, people.otherSetTech));
  });

  it('refuses calls without the shared secret and touches nothing; two calls with it deliver once', async () => {
    await stack.db.query('alter table app.notification_outbox disable trigger notify_staff_webhook');
    try {
      await stack.db.query("update public.gigs set venue = 'Pier 4' where id = $1", [gigs.club]);
    } finally {
      await stack.db.query('alter table app.notification_outbox enable trigger notify_staff_webhook');
    }
    const pending = await outboxRow(gigs.club);
    expect(pending).toMatchObject({ delivered: false, attempts: 0 });

    expect(await callFunction({})).toMatchObject({ status: 401, body: { error: { code: 'missing_secret' } } });
    expect(await callFunction({ 'x-notify-secret': 'not-the-secret-at-all' })).toMatchObject({
      status: 403,
      body: { error: { code: 'wrong_secret' } },
    });
    expect(await callFunction({ Authorization: `Bearer ${stack.serviceRoleKey}` })).toMatchObject({ status: 401 });
    expect(await outboxRow(gigs.club)).toMatchObject({ delivered: false, attempts: 0, claimed: false });

    const since = push.arrivals.length;
    const both = await Promise.all([
      callFunction({ 'x-notify-secret': stack.push.notifySecret }),
      callFunction({ 'x-notify-secret': stack.push.notifySecret }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.map((r) => (r.body as { rows: number }).rows).sort()).toEqual([0, 1]);
    await delivered(gigs.club);
    const venue = arrivalsFor(gigs.club, since);
    expect(venue).toHaveLength(1);
    expect(venue[0]).toMatchObject({ urgency: 'normal', payload: { body: 'Venue: Pier 4', kind: 'venue' } });
  });

  it('prunes delivered notifications after a week with the sweep, never undelivered ones', async () => {
    const old = await stack.db.query<{ id: number }>(
      `insert into app.notification_outbox (org_id, gig_id, kind, title, body, url, tag, delivered_at, next_attempt_at)
       values ($1, $2::uuid, 'status', 'Old', 'Status: confirmed', '/gigs/' || $2::text, 'gig-' || $2::text, now() - interval '8 days', now() + interval '1 hour'),
              ($1, $2::uuid, 'status', 'Recent', 'Status: confirmed', '/gigs/' || $2::text, 'gig-' || $2::text, now() - interval '6 days', now() + interval '1 hour'),
              ($1, $2::uuid, 'status', 'Stuck', 'Status: confirmed', '/gigs/' || $2::text, 'gig-' || $2::text, null, now() + interval '1 hour')
       returning id`,
      [org.id, gigs.club],
    );
    await stack.db.query("update app.notification_outbox set created_at = now() - interval '9 days' where id = any($1)", [
      old.rows.map((r) => r.id),
    ]);
    await stack.sweepNotifications();
    const left = await stack.db.query<{ title: string }>('select title from app.notification_outbox where id = any($1) order by id', [
      old.rows.map((r) => r.id),
    ]);
    expect(left.rows.map((r) => r.title)).toEqual(['Recent', 'Stuck']);
  });

  it('never sends to a host that is not a push service, and prunes such a subscription', async () => {
    const probe = await person('Prober');
    await assign(gigs.club, probe);
    const internal = 'https://169.254.169.254/latest/meta-data/iam';
    const saved = await probe.client.rpc('save_push_subscription', {
      endpoint: internal,
      p256dh: probe.subscription.p256dh,
      auth: probe.subscription.auth,
    });
    expect(saved.error).toBeNull();
    await stack.db.query('delete from public.user_push_subscriptions where endpoint = $1', [probe.subscription.endpoint]);
    const before = push.arrivals.length;
    await moveStart(gigs.club, '2027-07-02T23:00:00Z');
    await stack.drainWebhooks();
    await delivered(gigs.club);
    expect(recipients(arrivalsFor(gigs.club, before))).toEqual(ids(people.clubTech));
    expect((await stack.db.query('select 1 from public.user_push_subscriptions where endpoint = $1', [internal])).rowCount).toBe(0);
    expect((await outboxRow(gigs.club)).last_error).toContain('169.254.169.254 is not a push service this project sends to');
    // And what push services answer stays with the backend: members cannot read last_error.
    const read = await asUser(stack, { userId: people.setTech.userId }, (db) =>
      failure(db, 'select last_error from public.user_push_subscriptions'),
    );
    expect(read.code).toBe('42501');
  });

  it('notifies only current members: someone who left the company is skipped', async () => {
    await stack.db.query('delete from public.memberships where user_id = $1', [people.clubTech.userId]);
    const before = push.arrivals.length;
    await moveStart(gigs.club, '2027-07-03T00:30:00Z');
    await stack.drainWebhooks();
    await delivered(gigs.club);
    expect(arrivalsFor(gigs.club, before)).toEqual([]);
  });

  it('serves the VAPID public key the PWA subscribes with', async () => {
    const response = await fetch(`${stack.url}/functions/v1/notify-staff`);
    expect(await response.json()).toEqual({ vapid_public_key: stack.push.vapidPublicKey });
  });

  it('lets a member see and remove only their own subscriptions', async () => {
    const others = await people.setTech.client.rpc('list_push_subscriptions');
    expect((others.data as { endpoint: string }[]).map((s) => s.endpoint)).toEqual([people.setTech.subscription.endpoint]);
    const removed = await people.setTech.client.rpc('delete_push_subscription', { endpoint: people.clubTech.subscription.endpoint });
    expect(removed.data).toBe(false);
    const direct = await asUser(stack, { userId: people.setTech.userId }, (db) =>
      failure(db, 'update public.user_push_subscriptions set user_id = $1 where endpoint = $2', [
        people.setTech.userId,
        people.clubTech.subscription.endpoint,
      ]),
    );
    expect(direct.code).toBe('42501');
    const still = await stack.db.query<{ user_id: string }>('select user_id from public.user_push_subscriptions where endpoint = $1', [
      people.clubTech.subscription.endpoint,
    ]);
    expect(still.rows[0]?.user_id).toBe(people.clubTech.userId);
  });
});
