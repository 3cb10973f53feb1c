import { z } from 'zod';

/** What notify-staff sends (supabase/functions/notify-staff): one gig's change. */
export const gigNotificationSchema = z.object({
  title: z.string().min(1).max(200),
  body: z.string().max(500),
  url: z.string().regex(/^\/gigs\/[0-9a-f-]{36}$/),
  tag: z.string().min(1).max(100),
  icon: z.string().max(200).optional(),
  gig_id: z.uuid(),
  kind: z.enum(['schedule', 'status', 'venue']),
  /** Increases with every change: pushes may arrive out of order, the newest must win. */
  outbox_id: z.number().int().positive(),
});

export interface NotificationToShow {
  title: string;
  options: NotificationOptions & { renotify?: boolean };
}

/** The app's address for a gig: the app shell with a hash route (works under any base path). */
export function gigAppUrl(scope: string, gigId: string): string {
  return new URL(`#/gigs/${gigId}`, scope).href;
}

/**
 * A push becomes one notification per gig: the tag makes a newer change replace the older one,
 * and renotify makes the replacement buzz again. A payload that does not parse still shows a
 * notification (a push must), pointing at the app.
 */
export function notificationFor(data: unknown, scope: string): NotificationToShow {
  const parsed = gigNotificationSchema.safeParse(data);
  if (!parsed.success) {
    return {
      title: 'GigManager',
      options: {
        body: 'One of your gigs changed. Open the app for details.',
        tag: 'gigmanager-unknown',
        data: { url: scope, gigId: null },
      },
    };
  }
  const message = parsed.data;
  return {
    title: message.title,
    options: {
      body: message.body,
      tag: message.tag,
      renotify: true,
      icon: new URL(message.icon ?? 'icon.svg', scope).href,
      data: { url: gigAppUrl(scope, message.gig_id), gigId: message.gig_id, outboxId: message.outbox_id },
    },
  };
}

/** What notificationclick tells an open page (and the page checks). */
export const openGigMessageSchema = z.object({ type: z.literal('open-gig'), gigId: z.uuid() });

/** A notification on screen, as getNotifications() lists it. */
export interface ShownNotification {
  title: string;
  body: string;
  icon: string;
  data: unknown;
}

function outboxId(data: unknown): number {
  const value = (data as { outboxId?: unknown } | null)?.outboxId;
  return typeof value === 'number' ? value : 0;
}

/**
 * Two changes of one gig can reach the phone in either order. When the one on screen for the
 * tag is newer, it is shown again unchanged (quietly: no renotify) instead of the older text —
 * a push must still show something.
 */
export function newestOf(incoming: NotificationToShow, shown: readonly ShownNotification[]): NotificationToShow {
  const newer = shown
    .filter((n) => outboxId(n.data) > outboxId(incoming.options.data))
    .sort((a, b) => outboxId(b.data) - outboxId(a.data))[0];
  if (newer === undefined) return incoming;
  return {
    title: newer.title,
    options: { body: newer.body, icon: newer.icon, tag: incoming.options.tag ?? '', data: newer.data, renotify: false },
  };
}
