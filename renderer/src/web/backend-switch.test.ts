import { describe, expect, it } from 'vitest';
import { BackendLink, type BackendStore } from '../../../core/backend-link';
import type { Setting } from '../../../core/store/settings';
import type { QueueStats } from '../../../core/sync/model';
import { NO_COPY_STATE } from '../../../core/sync/verify';

// A backend switch (Settings or an accepted invite link) in BackendLink.configure: refused while
// anything is unsynced — and then nothing else happens, notifications included — otherwise the
// link's session change lets the crew app's push service turn off the old backend's notifications
// before the old session goes.
function memoryStore(unsynced: Partial<QueueStats>) {
  const meta = new Map<string, string>();
  const events: string[] = [];
  const setting = <T>(key: string): Setting<T> => ({
    get: () => Promise.resolve(JSON.parse(meta.get(key) ?? 'null') as T | null),
    set: (value) => {
      events.push(`set ${key}`);
      meta.set(key, JSON.stringify(value));
      return Promise.resolve();
    },
    clear: () => {
      meta.delete(key);
      return Promise.resolve();
    },
  });
  const store: BackendStore = {
    settings: {
      backend: setting('backend'),
      stationName: setting('station_name'),
      memberRoles: setting('member_roles'),
      syncScope: setting('sync_scope'),
    },
    session: {
      getItem: (key) => Promise.resolve(meta.get(`auth:${key}`) ?? null),
      setItem: (key, value) => {
        meta.set(`auth:${key}`, value);
        return Promise.resolve();
      },
      removeItem: (key) => {
        meta.delete(`auth:${key}`);
        return Promise.resolve();
      },
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
        ...unsynced,
      }),
    resetForNewBackend: () => {
      events.push('reset');
      return Promise.resolve();
    },
  };
  return { store, events, meta };
}

const OLD = { url: 'http://127.0.0.1:9/old', anonKey: 'old-key' };
const NEW = { url: 'https://new-project.supabase.co', anonKey: 'new-key' };

describe('switching backend', () => {
  it.each([
    ['queued', { depth: 2 }],
    ['in conflict', { conflicts: 1 }],
    ['quarantined', { quarantined: 1 }],
  ])('is refused while anything is %s, and leaves notifications and settings alone', async (_label, stats) => {
    const { store, events } = memoryStore(stats);
    const link = new BackendLink(store, {
      saved: OLD,
      launchDefault: null,
      defaultStationName: 'Crew phone',
      autoRefreshToken: false,
    });
    link.changes.add((change) => {
      if (change.kind !== 'switching-backend') return;
      events.push('notifications off');
    });
    await expect(link.configure(NEW)).rejects.toThrow(/not synced yet/);
    expect(events).toEqual([]);
    expect(link.url).toBe(OLD.url);
  });

  it('turns off the old backend’s notifications first, then drops its data and saves the new one', async () => {
    const { store, events, meta } = memoryStore({});
    const link = new BackendLink(store, {
      saved: OLD,
      launchDefault: null,
      defaultStationName: 'Crew phone',
      autoRefreshToken: false,
    });
    link.changes.add((change) => {
      if (change.kind !== 'switching-backend') return;
      // Still the old backend: the subscription is deleted there, with the old session.
      events.push(`notifications off at ${link.url ?? 'none'}`);
    });
    await link.configure(NEW);
    expect(events).toEqual([`notifications off at ${OLD.url}`, 'reset', 'set backend']);
    expect(JSON.parse(meta.get('backend') ?? 'null')).toEqual(NEW);
    expect(link.url).toBe(NEW.url);
  });

  it('does nothing at all for the backend already in use', async () => {
    const { store, events } = memoryStore({});
    const link = new BackendLink(store, {
      saved: OLD,
      launchDefault: null,
      defaultStationName: 'Crew phone',
      autoRefreshToken: false,
    });
    link.changes.add((change) => {
      if (change.kind !== 'switching-backend') return;
      events.push('notifications off');
    });
    await link.configure(OLD);
    expect(events).toEqual([]);
  });
});
