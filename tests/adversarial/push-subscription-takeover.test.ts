import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertGig, type Member, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { nodeSupabaseClient } from '../helpers/supabase-client';

// A push endpoint is a capability of one browser profile, and its p256dh/auth keys are that
// browser's secret. The crew PWA relies on "a subscription follows whoever signs in on that
// browser": the same browser re-saves the same endpoint with the SAME keys under the new user.
// Someone who only learned the endpoint (another company's admin, a leaked log line) cannot know
// the keys, and must not be able to take the row from its owner with keys of their own.
let stack: TestStack;
let org: Org;
let rival: Org;
let gig: string;

const keysOf = (c: string): { p256dh: string; auth: string } => ({ p256dh: c.repeat(87), auth: c.repeat(22) });

async function save(member: Member, endpoint: string, keys: { p256dh: string; auth: string }) {
  return member.client.rpc('save_push_subscription', { endpoint, ...keys, user_agent: `browser of ${member.role}` });
}

async function row(endpoint: string): Promise<{ user_id: string; p256dh: string; auth: string } | undefined> {
  const { rows } = await stack.db.query<{ user_id: string; p256dh: string; auth: string }>(
    'select user_id, p256dh, auth from public.user_push_subscriptions where endpoint = $1',
    [endpoint],
  );
  return rows[0];
}

beforeAll(async () => {
  // No edge functions and no sweep: the outbox rows stay for the test's own claim, instead of
  // racing the stack's notify-staff webhook for them.
  stack = await startTestStack({ functionsDirs: [], sweepIntervalMs: 0 });
  org = await createOrg(stack, 'takeover');
  rival = await createOrg(stack, 'takeover-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Takeover gig', status: 'confirmed' });
  const { rows } = await stack.db.query<{ id: string }>(
    "insert into public.staff_profiles (org_id, user_id, display_name, badge_code) values ($1, $2, 'Crew', 'TAKEOVER-CREW') returning id",
    [org.id, org.members.crew.userId],
  );
  await stack.db.query("insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, 'Tech')", [
    org.id,
    gig,
    rows[0]?.id,
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('saving an endpoint someone else owns', () => {
  it('refuses another company’s admin who knows the endpoint but not the keys, and changes nothing', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    expect((await save(org.members.crew, endpoint, keysOf('A'))).error).toBeNull();
    await stack.db.query('update public.user_push_subscriptions set failure_count = 2 where endpoint = $1', [endpoint]);

    const attack = await save(rival.members.admin, endpoint, keysOf('Z'));
    expect(attack.status).toBe(409);
    expect(attack.error?.code).toBe('PT409');
    expect(attack.error?.message).toBe('this push endpoint is registered with other keys');

    expect(await row(endpoint)).toEqual({ user_id: org.members.crew.userId, ...keysOf('A') });
    expect((await stack.db.query('select failure_count from public.user_push_subscriptions where endpoint = $1', [endpoint])).rows).toEqual(
      [{ failure_count: 2 }],
    );
    expect(
      ((await org.members.crew.client.rpc('list_push_subscriptions')).data as { endpoint: string }[]).map((s) => s.endpoint),
    ).toContain(endpoint);
    expect((await rival.members.admin.client.rpc('list_push_subscriptions')).data).toEqual([]);
  });

  it('refuses a colleague in the same organization with other keys as well', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    expect((await save(org.members.crew, endpoint, keysOf('B'))).error).toBeNull();
    const attack = await save(org.members.manager, endpoint, { p256dh: keysOf('B').p256dh, auth: keysOf('Y').auth });
    expect(attack.error?.code).toBe('PT409');
    expect((await row(endpoint))?.user_id).toBe(org.members.crew.userId);
  });

  it('keeps the owner’s notifications flowing to the owner after an attempted takeover', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    expect((await save(org.members.crew, endpoint, keysOf('C'))).error).toBeNull();
    expect((await save(rival.members.admin, endpoint, keysOf('X'))).error?.code).toBe('PT409');
    await stack.db.query("update public.gigs set venue = 'Hall 2' where id = $1", [gig]);
    const claimed = await nodeSupabaseClient(stack.url, stack.serviceRoleKey).rpc('claim_notification_outbox', { max_rows: 50 });
    const mine = (claimed.data as { gig_id: string; subscriptions: { endpoint: string; p256dh: string }[] }[]).find(
      (c) => c.gig_id === gig,
    );
    expect(mine?.subscriptions.find((s) => s.endpoint === endpoint)?.p256dh).toBe(keysOf('C').p256dh);
  });
});

describe('the same browser, another user', () => {
  it('hands the subscription over when the same browser (same endpoint, same keys) saves it for whoever signed in', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    expect((await save(org.members.crew, endpoint, keysOf('D'))).error).toBeNull();
    await stack.db.query(
      "update public.user_push_subscriptions set failure_count = 3, last_error = 'gone for a while' where endpoint = $1",
      [endpoint],
    );
    // The crew member signed out offline (the delete never reached the server); a colleague from
    // another company signs in on the same phone and turns notifications on.
    const handOver = await save(rival.members.crew, endpoint, keysOf('D'));
    expect(handOver.error).toBeNull();
    expect(await row(endpoint)).toEqual({ user_id: rival.members.crew.userId, ...keysOf('D') });
    expect(
      (await stack.db.query('select failure_count, last_error from public.user_push_subscriptions where endpoint = $1', [endpoint])).rows,
    ).toEqual([{ failure_count: 0, last_error: null }]);
    expect(
      ((await org.members.crew.client.rpc('list_push_subscriptions')).data as { endpoint: string }[]).map((s) => s.endpoint),
    ).not.toContain(endpoint);
    expect(
      ((await rival.members.crew.client.rpc('list_push_subscriptions')).data as { endpoint: string }[]).map((s) => s.endpoint),
    ).toEqual([endpoint]);
  });

  it('treats base64url keys with and without padding as the same keys', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    expect((await save(org.members.station, endpoint, { p256dh: `${'E'.repeat(86)}==`, auth: `${'e'.repeat(22)}==` })).error).toBeNull();
    expect((await save(org.members.admin, endpoint, { p256dh: 'E'.repeat(86), auth: 'e'.repeat(22) })).error).toBeNull();
    expect((await row(endpoint))?.user_id).toBe(org.members.admin.userId);
  });

  it('lets the owner refresh their own subscription’s keys', async () => {
    const endpoint = `https://push.example/send/${randomUUID()}`;
    const first = await save(org.members.crew, endpoint, keysOf('F'));
    const again = await save(org.members.crew, endpoint, keysOf('G'));
    expect(again.error).toBeNull();
    expect(again.data).toBe(first.data);
    expect(await row(endpoint)).toEqual({ user_id: org.members.crew.userId, ...keysOf('G') });
  });
});
