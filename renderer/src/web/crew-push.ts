import type { BackendLink, PushSubscriptionRecord, SessionChange } from '../../../core/backend-link';
import type { Settings } from '../../../core/store/settings';
import { errorMessage } from '../../../core/errors';

/** What the dashboard shows: nothing to offer, blocked in the browser, off (asked or not yet), or on. */
export type PushState =
  { state: 'unsupported'; reason: string } | { state: 'blocked' } | { state: 'off'; dismissed: boolean } | { state: 'on' };

/** Where the crew app keeps its push settings: the key its subscription was made with (the worker re-subscribes with it), and the prompt's state. */
export type PushMeta = Pick<Settings, 'pushKey' | 'pushPromptDismissed'>;

type PushBackend = Pick<BackendLink, 'vapidPublicKey' | 'savePushSubscription' | 'deletePushSubscription'>;

function toBase64url(buffer: ArrayBuffer | null): string {
  if (buffer === null) throw new Error('the browser returned a push subscription without keys');
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64url(value: string): Uint8Array<ArrayBuffer> {
  const binary = atob(value.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function subscriptionRecord(subscription: PushSubscription): PushSubscriptionRecord {
  return {
    endpoint: subscription.endpoint,
    p256dh: toBase64url(subscription.getKey('p256dh')),
    auth: toBase64url(subscription.getKey('auth')),
    userAgent: typeof navigator === 'undefined' ? null : navigator.userAgent.slice(0, 500),
  };
}

function subscribe(registration: ServiceWorkerRegistration, key: string): Promise<PushSubscription> {
  // userVisibleOnly: every push shows a notification (browsers require the promise).
  return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(key) });
}

/**
 * The crew member's choice to be told about changes to their gigs: the browser's permission is
 * asked only when they tap "Turn on" (never on load), the subscription is made with the backend's
 * VAPID key and saved through an RPC; turning off removes it on both ends.
 */
export class CrewPush {
  constructor(
    private readonly deps: {
      backend: PushBackend;
      meta: PushMeta;
      registration: () => Promise<ServiceWorkerRegistration>;
    },
  ) {}

  private async current(): Promise<PushSubscription | null> {
    return (await this.deps.registration()).pushManager.getSubscription();
  }

  private supported(): string | null {
    if (!('serviceWorker' in navigator)) return 'this browser has no service workers';
    if (!('PushManager' in window) || !('Notification' in window))
      return 'this browser cannot receive push notifications (on iPhone: add the app to the home screen first)';
    return null;
  }

  async state(): Promise<PushState> {
    const unsupported = this.supported();
    if (unsupported !== null) return { state: 'unsupported', reason: unsupported };
    if (Notification.permission === 'denied') return { state: 'blocked' };
    const subscription = await this.current();
    if (subscription !== null && Notification.permission === 'granted') return { state: 'on' };
    return { state: 'off', dismissed: (await this.deps.meta.pushPromptDismissed.get()) === true };
  }

  /** Call from a tap: browsers only show the permission prompt for a user gesture. */
  async enable(): Promise<PushState> {
    const unsupported = this.supported();
    if (unsupported !== null) return { state: 'unsupported', reason: unsupported };
    const permission = await Notification.requestPermission();
    if (permission === 'denied') return { state: 'blocked' };
    if (permission !== 'granted') return { state: 'off', dismissed: false };
    const key = await this.deps.backend.vapidPublicKey();
    const registration = await this.deps.registration();
    let subscription = await registration.pushManager.getSubscription();
    // Made with another backend's key: that project could never reach it.
    const current = subscription?.options.applicationServerKey ?? null;
    if (subscription !== null && (current === null || toBase64url(current) !== key)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await subscribe(registration, key);
    await this.deps.meta.pushKey.set(key);
    try {
      await this.deps.backend.savePushSubscription(subscriptionRecord(subscription));
    } catch (error) {
      // Not saved means nobody would ever push to it: do not leave the browser half-subscribed.
      // Best effort on the way out: the save's own failure is what the caller is told.
      await subscription.unsubscribe().catch(() => undefined);
      throw error;
    }
    return { state: 'on' };
  }

  /** Removes the subscription on the server (if reachable) and in the browser. */
  async disable(): Promise<PushState> {
    const subscription = await this.current();
    if (subscription !== null) {
      // Offline, the server keeps it until the push service answers 410 for it; it is pruned then.
      // A delete that fails leaves an endpoint nobody answers for: the server prunes it at its next
      // failed delivery (see notify-staff), so forgetting locally is never blocked by it.
      await this.deps.backend.deletePushSubscription(subscription.endpoint).catch(() => undefined);
      await subscription.unsubscribe();
    }
    await this.deps.meta.pushPromptDismissed.set(true);
    return this.state();
  }

  /**
   * Signing out (or switching backend): this phone must not keep showing the last member's gigs.
   * The server forgets the subscription while the session still allows it, the browser drops it,
   * and the next person gets the ask afresh.
   */
  async forget(): Promise<void> {
    if (this.supported() !== null) return;
    const subscription = await this.current();
    if (subscription !== null) {
      // A delete that fails leaves an endpoint nobody answers for: the server prunes it at its next
      // failed delivery (see notify-staff), so forgetting locally is never blocked by it.
      await this.deps.backend.deletePushSubscription(subscription.endpoint).catch(() => undefined);
      await subscription.unsubscribe();
    }
    await this.deps.meta.pushPromptDismissed.set(false);
  }

  async dismiss(): Promise<PushState> {
    await this.deps.meta.pushPromptDismissed.set(true);
    return this.state();
  }

  /** On start: the server learns this device again (a new sign-in on the phone takes it over). */
  async refresh(): Promise<void> {
    if (this.supported() !== null || Notification.permission !== 'granted') return;
    const subscription = await this.current();
    if (subscription !== null) await this.deps.backend.savePushSubscription(subscriptionRecord(subscription));
  }
}

/**
 * `pushsubscriptionchange` in the worker: the push service replaced or dropped the subscription.
 * Subscribe again with the same key where the browser did not already, save the new one, and
 * forget the old endpoint on the server.
 */
export async function renewSubscription(input: {
  registration: ServiceWorkerRegistration;
  backend: PushBackend;
  meta: PushMeta;
  oldEndpoint: string | null;
  newSubscription: PushSubscription | null;
}): Promise<void> {
  const key = await input.meta.pushKey.get();
  if (input.newSubscription === null && key === null) return;
  const subscription = input.newSubscription ?? (await subscribe(input.registration, key ?? ''));
  await input.backend.savePushSubscription(subscriptionRecord(subscription));
  if (input.oldEndpoint !== null && input.oldEndpoint !== subscription.endpoint) {
    // A delete that fails leaves an endpoint nobody answers for: the server prunes it at its next
    // failed delivery (see notify-staff), so forgetting locally is never blocked by it.
    await input.backend.deletePushSubscription(input.oldEndpoint).catch(() => undefined);
  }
}

/** Where session changes come from (the host's backend link). */
export type SessionChanges = (listener: (change: SessionChange) => unknown) => () => void;

/**
 * A phone's notifications belong to whoever is signed in, on the backend they signed in to. This
 * service follows the session: at start and after each sign-in the server learns this device
 * again (a new member takes it over); before a sign-out, and before a backend switch once the
 * switch is allowed, the subscription is deleted on the current backend while its session still
 * allows it, and the browser drops it.
 */
export class PushSessionService {
  /** The latest refresh: a switch waits for it, so it cannot save the subscription back afterwards. */
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly push: Pick<CrewPush, 'refresh' | 'forget'>,
    private readonly log: (line: string) => void,
  ) {}

  /** Refreshes now and follows the session from here on; returns the unsubscribe. */
  start(changes: SessionChanges): () => void {
    this.refresh();
    return changes((change) => this.follow(change));
  }

  private refresh(): void {
    this.refreshing = this.push.refresh().catch((error: unknown) =>
      // Offline or signed out: nothing to tell the server now; the next start or sign-in tries again.
      this.log(`push subscription not refreshed: ${errorMessage(error)}`),
    );
  }

  private async follow(change: SessionChange): Promise<void> {
    if (change.kind === 'signed-in') {
      this.refresh();
      return;
    }
    if (change.kind === 'switching-backend') await this.refreshing;
    await this.push.forget().catch((error: unknown) =>
      // The browser could not drop it (no service worker yet, storage refused): the sign-out or
      // switch still goes ahead, and the server prunes the endpoint once the push service answers 410.
      this.log(`push subscription not removed: ${errorMessage(error)}`),
    );
  }
}
