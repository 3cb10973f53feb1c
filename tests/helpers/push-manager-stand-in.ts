/** What the stand-in recorded in the page (window.__pushProbe), across reloads of the page. */
export interface PushProbe {
  requestPermission: number;
  subscribedWith: string[];
  unsubscribed: number;
}

/**
 * An init script that replaces PushManager in the page with one that hands out a subscription at
 * the local push service: headless Chromium cannot register with a real push service (Google's
 * FCM). The page's code, the backend and the service worker stay the real ones. The subscription
 * and the probe live in localStorage, so they survive a reload as a browser's subscription does.
 */
export function pushManagerStandIn(sub: { endpoint: string; p256dh: string; auth: string }): string {
  return `(() => {
    const sub = ${JSON.stringify(sub)};
    const STATE = '__pushStandIn';
    let storage = null;
    try { storage = window.localStorage; } catch { return; }
    if (storage === null || typeof PushManager === 'undefined') return;
    const load = () => JSON.parse(storage.getItem(STATE) ?? 'null') ?? { key: null, probe: { requestPermission: 0, subscribedWith: [], unsubscribed: 0 } };
    const save = (state) => storage.setItem(STATE, JSON.stringify(state));
    const bytes = (value) => Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const b64url = (key) => btoa(String.fromCharCode(...key)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    Object.defineProperty(window, '__pushProbe', { get: () => load().probe });
    const requestPermission = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = () => { const s = load(); s.probe.requestPermission += 1; save(s); return requestPermission(); };
    const subscription = (key) => ({
      endpoint: sub.endpoint,
      expirationTime: null,
      options: { applicationServerKey: bytes(key).buffer, userVisibleOnly: true },
      getKey: (name) => bytes(name === 'p256dh' ? sub.p256dh : sub.auth).buffer,
      unsubscribe: () => { const s = load(); s.probe.unsubscribed += 1; s.key = null; save(s); return Promise.resolve(true); },
      toJSON: () => ({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }),
    });
    PushManager.prototype.getSubscription = () => { const s = load(); return Promise.resolve(s.key === null ? null : subscription(s.key)); };
    PushManager.prototype.subscribe = (options) => {
      const key = b64url(new Uint8Array(options.applicationServerKey));
      const s = load();
      s.probe.subscribedWith.push(key);
      s.key = key;
      save(s);
      return Promise.resolve(subscription(key));
    };
  })();`;
}
