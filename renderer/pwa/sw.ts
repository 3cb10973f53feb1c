import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { BackendLink } from '../../core/backend-link';
import { SyncEngine } from '../../core/sync/engine';
import { IdbQueueStore } from '../src/pwa/idb-queue-store';
import { browserClock, CHANNEL, exclusive, STORE_NAME } from '../src/pwa/pwa-station';
import { SYNC_TAG } from '../src/pwa/sw-client';

// The service worker's globals, named here: the project's web types are the DOM's, not a worker's.
interface ExtendableEventLike extends Event {
  waitUntil(work: Promise<unknown>): void;
  readonly tag?: string;
  readonly data?: unknown;
}
declare global {
  interface Window {
    /** Replaced at build time by vite-plugin-pwa with the app shell's files and revisions. */
    __WB_MANIFEST: (string | PrecacheEntry)[];
  }
}
const worker = self as unknown as {
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate' | 'sync' | 'message', listener: (event: ExtendableEventLike) => void): void;
};

// The app shell, precached at install: the app opens with no network.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

worker.addEventListener('install', () => void worker.skipWaiting());
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

/**
 * Drains the queue from the worker: the same store, engine and session the page uses, under the
 * same Web Lock, so a tab and the worker never push at once. A fresh token comes from the
 * session in IndexedDB (refreshed by supabase-js when expired), never from a stored request.
 */
async function drain(): Promise<void> {
  const store = await IdbQueueStore.open(STORE_NAME, { newId: () => crypto.randomUUID() });
  try {
    const backend = new BackendLink(store, { saved: await store.getMeta('backend'), launchDefault: null, defaultStationName: 'Crew phone', autoRefreshToken: false });
    const engine = new SyncEngine({ store, transport: backend.transport, clock: browserClock, random: Math.random, newId: () => crypto.randomUUID(), exclusive });
    await engine.syncNow();
    const status = await engine.status();
    new BroadcastChannel(CHANNEL).postMessage('changed');
    // Rejecting asks the browser to fire `sync` again later (with its own backoff).
    if (status.depth - status.held > 0 && !status.online) throw new Error(`still ${status.depth} queued: ${status.lastError ?? 'offline'}`);
  } finally {
    store.close();
  }
}

/** A failed drain is logged where developers look (the worker's console) and rethrown for the browser. */
function drainLogged(): Promise<void> {
  return drain().catch((error: unknown) => {
    console.error(`queue drain failed: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
}

worker.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(drainLogged());
});
worker.addEventListener('message', (event) => {
  if (event.data === 'drain') event.waitUntil(drainLogged());
});
