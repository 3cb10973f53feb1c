import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { composeSync, type SyncHost } from '../../core/host';
import { IdbQueueStore } from '../src/web/idb-queue-store';
import { browserClock, CHANNEL, exclusive, STORE_NAME, storeChanged } from '../src/web/pwa-station';
import { SYNC_TAG } from '../src/web/sw-client';
import { renewSubscription } from '../src/web/crew-push';
import { newestOf, notificationFor } from '../src/web/notification';
import { errorMessage } from '../../core/errors';

// The service worker's globals, named here: the project's web types are the DOM's, not a worker's.
interface ExtendableEventLike extends Event {
  waitUntil(work: Promise<unknown>): void;
  readonly tag?: string;
  readonly data?: unknown;
}
interface PushEventLike extends ExtendableEventLike {
  readonly data: { json(): unknown } | null;
}
interface NotificationEventLike extends ExtendableEventLike {
  readonly notification: Notification;
}
interface PushSubscriptionChangeEventLike extends ExtendableEventLike {
  readonly oldSubscription?: PushSubscription | null;
  readonly newSubscription?: PushSubscription | null;
}
interface WindowClientLike {
  readonly url: string;
  focus(): Promise<WindowClientLike>;
  postMessage(message: unknown): void;
}
declare global {
  interface Window {
    /** Replaced at build time by vite-plugin-pwa with the app shell's files and revisions. */
    __WB_MANIFEST: (string | PrecacheEntry)[];
  }
}
const worker = self as unknown as {
  skipWaiting(): Promise<void>;
  registration: ServiceWorkerRegistration;
  clients: {
    claim(): Promise<void>;
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<WindowClientLike | null>;
  };
  addEventListener(type: 'install' | 'activate' | 'sync' | 'message', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'push', listener: (event: PushEventLike) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEventLike) => void): void;
  addEventListener(type: 'pushsubscriptionchange', listener: (event: PushSubscriptionChangeEventLike) => void): void;
};

// The app shell, precached at install: the app opens with no network.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

worker.addEventListener('install', () => void worker.skipWaiting());
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

/**
 * The page's store, backend link (its session in IndexedDB) and engine — the host's sync core
 * (core/host.ts), not started — for as long as `work` runs.
 */
async function withSync<T>(work: (sync: SyncHost<IdbQueueStore>) => Promise<T>): Promise<T> {
  const store = await IdbQueueStore.open(STORE_NAME, { newId: () => crypto.randomUUID() });
  try {
    const sync = composeSync({
      store,
      backend: {
        saved: await store.settings.backend.get(),
        launchDefault: null,
        defaultStationName: 'Crew phone',
        autoRefreshToken: false,
      },
      clock: browserClock,
      random: Math.random,
      newId: () => crypto.randomUUID(),
      exclusive,
      log: (line) => console.error(line),
    });
    return await work(sync);
  } finally {
    store.close();
  }
}

/**
 * Drains the queue from the worker: the same store, engine and session the page uses, under the
 * same Web Lock, so a tab and the worker never push at once. A fresh token comes from the
 * session in IndexedDB (refreshed by supabase-js when expired), never from a stored request.
 */
async function drain(): Promise<void> {
  await withSync(async ({ engine, store }) => {
    const changed = new Set<string>();
    const off = store.onCacheChange((change) => change.forEach((key) => changed.add(key)));
    await engine.syncNow().finally(off);
    const status = await engine.status();
    new BroadcastChannel(CHANNEL).postMessage(storeChanged(changed));
    // Rejecting asks the browser to fire `sync` again later (with its own backoff).
    if (status.depth - status.held > 0 && !status.online) throw new Error(`still ${status.depth} queued: ${status.lastError ?? 'offline'}`);
  });
}

/** A failed drain is logged where developers look (the worker's console) and rethrown for the browser. */
function drainLogged(): Promise<void> {
  return drain().catch((error: unknown) => {
    console.error(`queue drain failed: ${errorMessage(error)}`);
    throw error;
  });
}

worker.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(drainLogged());
});
worker.addEventListener('message', (event) => {
  if (event.data === 'drain') event.waitUntil(drainLogged());
});

// A gig changed: one notification per gig (its tag), the newest text replacing the older one.
// Pushes are handled one after another, so each sees what the one before it put on screen.
let showing: Promise<void> = Promise.resolve();
worker.addEventListener('push', (event) => {
  let data: unknown = null;
  try {
    data = event.data?.json() ?? null;
  } catch {
    // not JSON: shown as the generic notification
  }
  const incoming = notificationFor(data, worker.registration.scope);
  showing = showing
    // Notifications are shown one after another; one that failed (and was logged where it
    // failed) must not stop the next.
    .catch(() => undefined)
    .then(async () => {
      const shown = await worker.registration.getNotifications({ tag: incoming.options.tag ?? '' });
      const { title, options } = newestOf(incoming, shown);
      await worker.registration.showNotification(title, options);
    });
  event.waitUntil(showing);
});

// A tap opens the gig: in the app window already open (focused, told which gig), else a new one.
worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown; gigId?: unknown } | null;
  const url = typeof data?.url === 'string' ? data.url : worker.registration.scope;
  const gigId = typeof data?.gigId === 'string' ? data.gigId : null;
  event.waitUntil(
    (async () => {
      const windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => client.url.startsWith(worker.registration.scope));
      if (open === undefined) {
        await worker.clients.openWindow(url);
        return;
      }
      if (gigId !== null) open.postMessage({ type: 'open-gig', gigId });
      await open.focus();
    })(),
  );
});

// The push service replaced the subscription (Firefox does; Chromium rarely): keep the server in step.
worker.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(
    withSync(({ store, backend }) =>
      renewSubscription({
        registration: worker.registration,
        backend,
        meta: store.settings,
        oldEndpoint: event.oldSubscription?.endpoint ?? null,
        newSubscription: event.newSubscription ?? null,
      }),
    ).catch((error: unknown) => console.error(`push subscription not renewed: ${errorMessage(error)}`)),
  );
});
