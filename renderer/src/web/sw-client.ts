import type { SyncEngine } from '../../../core/sync/engine';

export const SYNC_TAG = 'gigmanager-drain';

interface SyncManagerLike {
  register(tag: string): Promise<void>;
}

/** Jittered polling while the queue is non-empty: 20–40 s, so phones do not poll in step. */
function pollDelay(): number {
  return 20_000 + Math.random() * 20_000;
}

/**
 * Registers the service worker and the ways a queue gets drained: Background Sync where the
 * browser has it (Chromium), and — because Safari and Firefox do not — `online`, the page
 * becoming visible or focused, and jittered polling while anything is queued. Every path goes
 * through the engine's Web Lock, so they never push twice at once.
 */
export function registerServiceWorker(engine: SyncEngine): void {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker
      .register('./sw.js', { type: 'module', scope: './' })
      .catch((error: unknown) => console.warn(`service worker not registered: ${String(error)}`));
  }
  const requestBackgroundSync = async (): Promise<void> => {
    if (!('serviceWorker' in navigator)) return;
    const registration = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { sync?: SyncManagerLike };
    // Background Sync is a speed-up: without it the page's polling and the online event drain the
    // queue, so a refused registration (permissions, an old browser) loses nothing.
    await registration.sync?.register(SYNC_TAG).catch(() => undefined);
  };
  const drain = (): void => void engine.syncNow();
  // The browser's word on connectivity: no push attempt per scan while it says offline.
  engine.setPlatformOnline(navigator.onLine);
  window.addEventListener('offline', () => engine.setPlatformOnline(false));
  window.addEventListener('online', () => {
    engine.setPlatformOnline(true);
    drain();
  });
  window.addEventListener('focus', drain);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') drain();
  });
  let timer: number | null = null;
  let lastDepth = 0;
  // One registration while ops pile up (each is a round trip to the browser, and the tag is one);
  // asked again once something drained, which may have used the registration up.
  let registered = false;
  engine.subscribe((status) => {
    const waiting = status.depth - status.held;
    if (waiting < lastDepth) registered = false;
    if (waiting > lastDepth && !registered) {
      registered = true;
      void requestBackgroundSync();
    }
    lastDepth = waiting;
    if (waiting > 0 && timer === null) {
      timer = window.setTimeout(() => {
        timer = null;
        // A poll is not an operator's "sync now": backoffs stand, and the browser's word counts.
        if (navigator.onLine) void engine.drain();
      }, pollDelay());
    }
  });
}
