import { Agent } from 'node:https';
import webpush from 'web-push';

export interface PushTarget {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** Seconds the push service keeps the message for an offline device. */
  ttl: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  /** Replaces a message for the same topic still waiting at the push service (≤ 32 base64url chars). */
  topic?: string;
}

/** What the push service answered: 201 delivered, 404/410 gone (also: a subscription we will never send to), 0 no answer. */
export interface PushOutcome {
  subscription_id: string;
  status: number;
  error: string | null;
}

export interface VapidConfig {
  subject: string;
  publicKey: string;
  privateKey: string;
  timeoutMs?: number;
  /** Hosts (or ".suffix"es) notify-staff sends to: the browsers' push services, plus any configured. */
  allowedHosts: readonly string[];
}

/** Chrome/Edge/Android (FCM), Firefox (autopush), Windows (WNS), Safari/iOS (Apple). */
export const PUSH_SERVICE_HOSTS = ['fcm.googleapis.com', '.push.services.mozilla.com', '.notify.windows.com', '.push.apple.com'];

interface WebPushFailure {
  statusCode?: number;
  body?: string;
  message?: string;
}

function bytes(base64url: string): number {
  try {
    return atob(base64url.replaceAll('-', '+').replaceAll('_', '/')).length;
  } catch {
    return -1;
  }
}

/** Why this subscription can never be sent to (it is then pruned), or null. */
function unusable(target: PushTarget, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(target.endpoint);
  } catch {
    return 'the endpoint is not a URL';
  }
  const host = url.hostname;
  const allowed = url.protocol === 'https:' && allowedHosts.some((h) => (h.startsWith('.') ? host.endsWith(h) : host === h));
  // Sending to an arbitrary host would let a member make the backend call any URL.
  if (!allowed) return `${host} is not a push service this project sends to`;
  if (bytes(target.p256dh) !== 65) return 'p256dh is not a 65-byte P-256 public key';
  if (bytes(target.auth) !== 16) return 'auth is not a 16-byte secret';
  return null;
}

/**
 * Web Push over the `web-push` library: VAPID-signed, aes128gcm-encrypted (RFC 8291/8292). One
 * keep-alive agent per process, so a burst to one push service reuses its TLS connections.
 */
export function createPushSender(vapid: VapidConfig): (target: PushTarget, payload: string, options: PushOptions) => Promise<PushOutcome> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return async (target, payload, options) => {
    const problem = unusable(target, vapid.allowedHosts);
    if (problem !== null) return { subscription_id: target.id, status: 410, error: `not sent: ${problem}` };
    try {
      const response = await webpush.sendNotification(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        payload,
        {
          vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
          TTL: options.ttl,
          urgency: options.urgency,
          contentEncoding: 'aes128gcm',
          timeout: vapid.timeoutMs ?? 10_000,
          agent,
          ...(options.topic === undefined ? {} : { topic: options.topic }),
        },
      );
      return { subscription_id: target.id, status: response.statusCode, error: null };
    } catch (error) {
      const failure = error as WebPushFailure;
      const status = typeof failure.statusCode === 'number' ? failure.statusCode : 0;
      const detail = status === 0 ? (failure.message ?? String(error)) : `${failure.body ?? ''}`.trim() || (failure.message ?? 'refused');
      return { subscription_id: target.id, status, error: detail.slice(0, 200) };
    }
  };
}
