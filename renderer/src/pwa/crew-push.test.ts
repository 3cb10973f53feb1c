import { describe, expect, it } from 'vitest';
import type { PushSubscriptionRecord } from '../../../core/backend-link';
import type { Setting } from '../../../core/store/settings';
import { renewSubscription, type PushMeta } from './crew-push';

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
