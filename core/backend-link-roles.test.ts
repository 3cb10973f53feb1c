import { describe, expect, it } from 'vitest';
import { BackendLink, type BackendStore } from './backend-link';
import type { Setting } from './store/settings';
import { gigStatusChoices, roleIn, type KnownRoles } from './sync/roles';
import { NO_COPY_STATE } from './sync/verify';

// Role-aware screens offline (issue 18): the station keeps the roles it last read from the server
// and, with the server out of reach, the last known role applies — a station is still offered no
// gig status change. A sign-out forgets them (the next person's role is their own).
const ORG = '00000000-0000-4000-8000-00000000000e';
const NOW = Date.UTC(2027, 5, 12, 9);

function storeWith(roles: KnownRoles | null): BackendStore & { roles: () => KnownRoles | null } {
  const values = new Map<string, unknown>(roles === null ? [] : [['memberRoles', roles]]);
  const setting = <T>(name: string): Setting<T> => ({
    get: () => Promise.resolve((values.get(name) as T | undefined) ?? null),
    set: (value) => {
      values.set(name, value);
      return Promise.resolve();
    },
    clear: () => {
      values.delete(name);
      return Promise.resolve();
    },
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
    roles: () => (values.get('memberRoles') as KnownRoles | undefined) ?? null,
  };
}

// Nothing listens on port 9: the server cannot be reached.
const unreachable = { url: 'http://127.0.0.1:9', anonKey: 'anon-key-for-a-test-only-0123456789' };
const link = (store: BackendStore): BackendLink =>
  new BackendLink(store, {
    saved: unreachable,
    launchDefault: null,
    defaultStationName: 'Dock door 1',
    autoRefreshToken: false,
    now: () => NOW,
  });

describe('the last known role, offline', () => {
  it('applies when the server cannot be asked, however old', async () => {
    const known: KnownRoles = { email: 'station@northlight.test', roles: [{ orgId: ORG, role: 'station' }], readAt: NOW - 86_400_000 };
    const roles = await link(storeWith(known)).knownRoles();
    expect(roles).toEqual(known);
    expect(gigStatusChoices('confirmed', roleIn(roles, 'station@northlight.test', ORG)).statuses).toEqual([]);
  });

  it('is none when never learnt: nothing is offered until the server has said', async () => {
    const roles = await link(storeWith(null)).knownRoles();
    expect(roles).toBeNull();
    expect(gigStatusChoices('confirmed', roleIn(roles, 'manager@northlight.test', ORG))).toMatchObject({ statuses: [] });
  });

  it('is forgotten on sign-out', async () => {
    const store = storeWith({ email: 'manager@northlight.test', roles: [{ orgId: ORG, role: 'manager' }], readAt: NOW });
    await link(store).signOut();
    expect(store.roles()).toBeNull();
  });
});
