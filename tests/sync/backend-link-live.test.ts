import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendLink, type BackendStore, type LiveEvent } from '../../core/backend-link';
import type { Setting } from '../../core/store/settings';
import { NO_COPY_STATE } from '../../core/sync/verify';
import { createOrg, insertGig, waitFor, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The backend link's Realtime channels (issue 20) against the local stack: a second sign-in while
// listening joins each company once, a channel the server closes is joined again once the member
// may, and stopping closes the socket.
let stack: TestStack;
let x: Org;
let y: Org;

beforeAll(async () => {
  stack = await startTestStack();
  x = await createOrg(stack, 'link-live-x');
  y = await createOrg(stack, 'link-live-y');
  // X's manager is also crew in Y: two companies.
  await stack.db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'crew')", [y.id, x.members.manager.userId]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

function memoryStore(): BackendStore {
  const values = new Map<string, unknown>();
  const setting = <T>(name: string): Setting<T> => ({
    get: () => Promise.resolve((values.get(name) as T | undefined) ?? null),
    set: (value) => Promise.resolve(void values.set(name, value)),
    clear: () => Promise.resolve(void values.delete(name)),
  });
  const session = new Map<string, string>();
  return {
    settings: {
      backend: setting('backend'),
      stationName: setting('stationName'),
      memberRoles: setting('memberRoles'),
      syncScope: setting('syncScope'),
    },
    session: {
      getItem: (key) => Promise.resolve(session.get(key) ?? null),
      setItem: (key, value) => Promise.resolve(void session.set(key, value)),
      removeItem: (key) => Promise.resolve(void session.delete(key)),
    },
    stats: () =>
      Promise.resolve({
        depth: 0,
        pending: 0,
        syncing: 0,
        failed: 0,
        held: 0,
        conflicts: 0,
        quarantined: 0,
        oldestPendingAt: null,
        copy: NO_COPY_STATE,
      }),
    resetForNewBackend: () => Promise.resolve(),
  };
}

function linkTo(): { link: BackendLink; live: () => boolean; pokes: () => number } {
  const link = new BackendLink(memoryStore(), {
    saved: { url: stack.url, anonKey: stack.anonKey },
    launchDefault: null,
    defaultStationName: 'test',
    autoRefreshToken: false,
  });
  const events: LiveEvent[] = [];
  link.live.add((event) => void events.push(event));
  const live = (): boolean => {
    const last = events.findLast((e) => e.kind === 'live');
    return last?.kind === 'live' && last.live;
  };
  return { link, live, pokes: () => events.filter((e) => e.kind === 'poke').length };
}

describe('the backend link’s live channels', () => {
  it('a sign-in as someone with other companies while listening joins each company once and hears each poke once', async () => {
    const { link, live, pokes } = linkTo();
    await link.signIn(x.members.crew.email, x.members.crew.password);
    await link.listen();
    await waitFor(() => Promise.resolve(live()), 20_000, 'live as X crew');
    // The Settings sign-in form used while signed in: the new roles and the sign-in both listen again.
    await link.signIn(x.members.manager.email, x.members.manager.password);
    await waitFor(() => Promise.resolve(live()), 20_000, 'live as X manager (X and Y)');
    const before = pokes();
    await insertGig(stack.db, x.id, { name: 'after the second sign-in' });
    await insertGig(stack.db, y.id, { name: 'in the other company' });
    await waitFor(() => Promise.resolve(pokes() >= before + 2), 20_000, 'the pokes of X and Y');
    // A marker commit: nothing heard twice meanwhile.
    await insertGig(stack.db, x.id, { name: 'marker' });
    await waitFor(() => Promise.resolve(pokes() >= before + 3), 20_000, "the marker's poke");
    expect(pokes()).toBe(before + 3);
    await link.unlisten();
  }, 90_000);

  it('a channel the server closes (member removed, token refreshed) is joined again by itself once the member is back', async () => {
    const team = await createOrg(stack, 'link-live-back');
    const { link, live } = linkTo();
    await link.signIn(team.members.crew.email, team.members.crew.password);
    await link.listen();
    await waitFor(() => Promise.resolve(live()), 20_000, 'live');
    await stack.db.query('delete from public.memberships where user_id = $1', [team.members.crew.userId]);
    expect(await link.transport.refreshSession()).toBe(true);
    await waitFor(() => Promise.resolve(!live()), 20_000, 'no longer live');
    await stack.db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'crew')", [
      team.id,
      team.members.crew.userId,
    ]);
    await waitFor(() => Promise.resolve(live()), 60_000, 'live again');
    await link.unlisten();
  }, 120_000);

  it('unlisten (the host stopping) closes the WebSocket', async () => {
    const { link, live } = linkTo();
    await link.signIn(y.members.crew.email, y.members.crew.password);
    const baseline = stack.realtimeConnections();
    await link.listen();
    await waitFor(() => Promise.resolve(live()), 20_000, 'live');
    expect(stack.realtimeConnections()).toBe(baseline + 1);
    await link.unlisten();
    // supabase-js alone would keep it for two heartbeats (50 s).
    await waitFor(() => Promise.resolve(stack.realtimeConnections() === baseline), 10_000, 'the socket closed');
  }, 60_000);
});
