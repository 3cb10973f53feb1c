import { describe, expect, it } from 'vitest';
import { BackendLink, type PushSubscriptionRecord, type SessionChange } from '../../../core/backend-link';
import { Observers } from '../../../core/observers';
import { MemoryStorage } from '../../../core/store/memory-storage';
import { Queue } from '../../../core/store/queue';
import type { Setting } from '../../../core/store/settings';
import { PushSessionService, renewSubscription, type PushMeta } from './crew-push';

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

/** A browser subscription as PushManager returns one (keys as ArrayBuffers). */
function subscription(endpoint: string, seed: number): PushSubscription {
  const key = (length: number): ArrayBuffer => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) % 256).buffer;
  return {
    endpoint,
    getKey: (name: string) => (name === 'p256dh' ? key(65) : key(16)),
    options: { applicationServerKey: null, userVisibleOnly: true },
  } as unknown as PushSubscription;
}

function harness(storedKey: string | null) {
  const saved: PushSubscriptionRecord[] = [];
  const deleted: string[] = [];
  const subscribedWith: string[] = [];
  const registration = {
    pushManager: {
      subscribe: (options: { applicationServerKey: Uint8Array }) => {
        subscribedWith.push(base64url(options.applicationServerKey));
        return Promise.resolve(subscription('https://push.example/renewed', 3));
      },
    },
  } as unknown as ServiceWorkerRegistration;
  const backend = {
    vapidPublicKey: () => Promise.resolve(storedKey ?? ''),
    savePushSubscription: (record: PushSubscriptionRecord) => {
      saved.push(record);
      return Promise.resolve();
    },
    deletePushSubscription: (endpoint: string) => {
      deleted.push(endpoint);
      return Promise.resolve();
    },
  };
  const setting = <T>(value: T | null): Setting<T> => ({
    get: () => Promise.resolve(value),
    set: () => Promise.resolve(),
    clear: () => Promise.resolve(),
  });
  const meta: PushMeta = { pushKey: setting(storedKey), pushPromptDismissed: setting<boolean>(null) };
  return { saved, deleted, subscribedWith, registration, backend, meta };
}

describe('pushsubscriptionchange', () => {
  const key = base64url(Uint8Array.from({ length: 65 }, (_, i) => i + 1));

  it('saves the browser’s new subscription and forgets the old endpoint on the server', async () => {
    const h = harness(key);
    await renewSubscription({
      ...h,
      oldEndpoint: 'https://push.example/old',
      newSubscription: subscription('https://push.example/new', 1),
    });
    expect(h.saved.map((s) => s.endpoint)).toEqual(['https://push.example/new']);
    expect(h.saved[0]?.p256dh).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(h.saved[0]?.auth).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(h.deleted).toEqual(['https://push.example/old']);
    expect(h.subscribedWith).toEqual([]);
  });

  it('subscribes again with the stored VAPID key when the browser dropped the subscription', async () => {
    const h = harness(key);
    await renewSubscription({ ...h, oldEndpoint: 'https://push.example/old', newSubscription: null });
    expect(h.subscribedWith).toEqual([key]);
    expect(h.saved.map((s) => s.endpoint)).toEqual(['https://push.example/renewed']);
    expect(h.deleted).toEqual(['https://push.example/old']);
  });

  it('does nothing for a device that never turned notifications on', async () => {
    const h = harness(null);
    await renewSubscription({ ...h, oldEndpoint: null, newSubscription: null });
    expect([h.saved, h.deleted, h.subscribedWith]).toEqual([[], [], []]);
  });
});

describe('PushSessionService: the subscription follows the session', () => {
  const OLD = { url: 'http://127.0.0.1:9/old', anonKey: 'old-key' };
  const NEW = { url: 'https://new-project.supabase.co', anonKey: 'new-key' };

  /** CrewPush's two session-facing calls, recorded with the backend current when each ran. */
  function recordingPush(current: () => string | null) {
    const calls: string[] = [];
    let release = (): void => undefined;
    let refreshGate: Promise<void> = Promise.resolve();
    return {
      calls,
      holdRefreshes: () => (refreshGate = new Promise<void>((resolve) => (release = resolve))),
      release: () => release(),
      push: {
        refresh: async () => {
          calls.push(`refresh at ${current() ?? 'none'}`);
          await refreshGate;
          calls.push('refresh done');
        },
        forget: () => {
          calls.push(`forget at ${current() ?? 'none'}`);
          return Promise.resolve();
        },
      },
    };
  }

  function link(stats: { depth?: number } = {}) {
    const store = new Queue(new MemoryStorage(), { newId: () => crypto.randomUUID(), clock: () => 0, devicePrefix: 'test-' });
    const events: string[] = [];
    const backend = new BackendLink(
      {
        settings: store.settings,
        session: store.session,
        stats: async () => ({ ...(await store.stats()), ...stats }),
        resetForNewBackend: async () => {
          events.push('reset');
          await store.resetForNewBackend();
        },
      },
      { saved: OLD, launchDefault: null, defaultStationName: 'Crew phone', autoRefreshToken: false },
    );
    return { backend, events };
  }

  it('refreshes at start and after a sign-in; forgets before a sign-out, waiting for nothing else', async () => {
    const changes = new Observers<SessionChange>();
    const rec = recordingPush(() => 'here');
    const logged: string[] = [];
    new PushSessionService(rec.push, (line) => logged.push(line)).start((listener) => changes.add(listener));
    await expect.poll(() => rec.calls).toEqual(['refresh at here', 'refresh done']);
    changes.emit({ kind: 'signed-in' });
    await expect.poll(() => rec.calls.length).toBe(4);
    await changes.emitAndWait({ kind: 'signing-out' });
    expect(rec.calls).toEqual(['refresh at here', 'refresh done', 'refresh at here', 'refresh done', 'forget at here']);
    expect(logged).toEqual([]);
  });

  it('on a backend switch, deletes the subscription on the old backend, after any refresh in flight and before its data goes', async () => {
    const { backend, events } = link();
    const rec = recordingPush(() => backend.url);
    void rec.holdRefreshes();
    new PushSessionService(rec.push, () => undefined).start((listener) => backend.changes.add(listener));
    const switching = backend.configure(NEW).then(() => events.push('switched'));
    // The start's refresh is still running: the switch waits for it rather than racing it.
    await expect.poll(() => rec.calls).toEqual([`refresh at ${OLD.url}`]);
    expect(events).toEqual([]);
    rec.release();
    await switching;
    expect(rec.calls).toEqual([`refresh at ${OLD.url}`, 'refresh done', `forget at ${OLD.url}`]);
    expect(events).toEqual(['reset', 'switched']);
    expect(backend.url).toBe(NEW.url);
  });

  it('a refused switch (work not synced) leaves the subscription alone; a sign-out forgets it first', async () => {
    const { backend } = link({ depth: 1 });
    const rec = recordingPush(() => backend.url);
    new PushSessionService(rec.push, () => undefined).start((listener) => backend.changes.add(listener));
    await expect.poll(() => rec.calls).toEqual([`refresh at ${OLD.url}`, 'refresh done']);
    await expect(backend.configure(NEW)).rejects.toThrow(/not synced yet/);
    expect(rec.calls).toEqual([`refresh at ${OLD.url}`, 'refresh done']);
    await backend.signOut();
    expect(rec.calls).toEqual([`refresh at ${OLD.url}`, 'refresh done', `forget at ${OLD.url}`]);
  });

  it('a failed refresh or forget is logged and never blocks the sign-out', async () => {
    const changes = new Observers<SessionChange>();
    const logged: string[] = [];
    const push = {
      refresh: () => Promise.reject(new Error('offline')),
      forget: () => Promise.reject(new Error('no service worker')),
    };
    new PushSessionService(push, (line) => logged.push(line)).start((listener) => changes.add(listener));
    await changes.emitAndWait({ kind: 'signing-out' });
    await expect
      .poll(() => logged)
      .toEqual(['push subscription not refreshed: offline', 'push subscription not removed: no service worker']);
  });
});
