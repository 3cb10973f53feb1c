import { describe, expect, it } from 'vitest';
import { gigAppUrl, newestOf, notificationFor } from './notification';

const scope = 'https://crew.example/app/';
const gigId = '6f1c2d7e-0b1a-4c55-9d7e-2a9b7c1d0e11';
const payload = (outboxId: number, body: string): unknown => ({
  title: 'Headliner',
  body,
  url: `/gigs/${gigId}`,
  tag: `gig-${gigId}`,
  icon: 'icon.svg',
  gig_id: gigId,
  kind: 'schedule',
  outbox_id: outboxId,
});

describe('gig notifications in the service worker', () => {
  it('shows a change under the gig’s tag, renotifying, opening the app at the gig', () => {
    expect(notificationFor(payload(7, 'Now 21:30'), scope)).toEqual({
      title: 'Headliner',
      options: {
        body: 'Now 21:30',
        tag: `gig-${gigId}`,
        renotify: true,
        icon: 'https://crew.example/app/icon.svg',
        data: { url: `https://crew.example/app/#/gigs/${gigId}`, gigId, outboxId: 7 },
      },
    });
    expect(gigAppUrl(scope, gigId)).toBe(`https://crew.example/app/#/gigs/${gigId}`);
  });

  it('still shows something for a payload it cannot read (a push must show a notification)', () => {
    for (const bad of [null, 'text', { title: 'x' }, { ...(payload(1, 'b') as object), url: 'https://evil.example/' }]) {
      expect(notificationFor(bad, scope)).toMatchObject({
        title: 'GigManager',
        options: { tag: 'gigmanager-unknown', data: { url: scope, gigId: null } },
      });
    }
  });

  it('keeps the newest change on screen when an older one arrives later', () => {
    const newer = notificationFor(payload(9, 'Now 22:30'), scope);
    const older = notificationFor(payload(8, 'Now 22:15'), scope);
    const onScreen = [{ title: newer.title, body: newer.options.body ?? '', icon: newer.options.icon ?? '', data: newer.options.data }];
    expect(newestOf(older, onScreen)).toMatchObject({
      title: 'Headliner',
      options: { body: 'Now 22:30', renotify: false, data: { outboxId: 9 } },
    });
    expect(newestOf(newer, [{ ...onScreen[0]!, data: { outboxId: 8 }, body: 'Now 22:15' }])).toBe(newer);
    expect(newestOf(newer, [])).toBe(newer);
  });
});
