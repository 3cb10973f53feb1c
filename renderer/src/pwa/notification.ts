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
});
export type GigNotification = z.infer<typeof gigNotificationSchema>;

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
    return { title: 'GigManager', options: { body: 'One of your gigs changed. Open the app for details.', tag: 'gigmanager-unknown', data: { url: scope, gigId: null } } };
  }
  const message = parsed.data;
  return {
    title: message.title,
    options: {
      body: message.body,
      tag: message.tag,
      renotify: true,
      icon: new URL(message.icon ?? 'icon.svg', scope).href,
      data: { url: gigAppUrl(scope, message.gig_id), gigId: message.gig_id },
    },
  };
}

/** What notificationclick tells an open page (and the page checks). */
export const openGigMessageSchema = z.object({ type: z.literal('open-gig'), gigId: z.uuid() });
