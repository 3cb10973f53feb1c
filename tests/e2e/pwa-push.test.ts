import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { startPushService, type Arrival, type LocalPushService, type TestSubscription } from '../helpers/push-service';
import { signInOnPhone } from '../helpers/crew-sign-in';

// Crew notifications in Chromium, from the dashboard's ask to a tapped notification. Headless
// Chromium cannot register with a real push service (Google's FCM), so the page's PushManager
// hands out a subscription at the local push service instead — the one stand-in here; the
// backend, notify-staff, encryption and the service worker are the real ones, and pushes reach
// the worker through CDP's ServiceWorker.deliverPushMessage.
let push: LocalPushService;
let stack: TestStack;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let registrationId = '';
let subscription: TestSubscription;
let gig: { id: string; name: string };
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');

interface PushProbe {
  requestPermission: number;
  subscribedWith: string[];
  unsubscribed: number;
}

/** Replaces PushManager in the page with one that subscribes at the local push service. */
function pushManagerStandIn(sub: { endpoint: string; p256dh: string; auth: string }): string {
  return `(() => {
    const sub = ${JSON.stringify(sub)};
    const bytes = (value) => Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const probe = { requestPermission: 0, subscribedWith: [], unsubscribed: 0 };
    Object.defineProperty(window, '__pushProbe', { value: probe });
    const requestPermission = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = () => { probe.requestPermission += 1; return requestPermission(); };
    let current = null;
    PushManager.prototype.getSubscription = () => Promise.resolve(current);
    PushManager.prototype.subscribe = (options) => {
      const key = new Uint8Array(options.applicationServerKey);
      probe.subscribedWith.push(btoa(String.fromCharCode(...key)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''));
      current = {
        endpoint: sub.endpoint,
        expirationTime: null,
        options: { applicationServerKey: key.buffer, userVisibleOnly: true },
        getKey: (name) => bytes(name === 'p256dh' ? sub.p256dh : sub.auth).buffer,
        unsubscribe: () => { probe.unsubscribed += 1; current = null; return Promise.resolve(true); },
        toJSON: () => ({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }),
      };
      return Promise.resolve(current);
    };
  })();`;
}

async function probe(): Promise<PushProbe> {
  return page.evaluate<PushProbe>('window.__pushProbe');
}

async function tab(name: 'My gigs' | 'Gigs' | 'Settings'): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await page.locator(`main[data-screen="${name === 'My gigs' ? 'mine' : name.toLowerCase()}"]`).waitFor();
}

async function moveStart(minutes: number): Promise<void> {
  const at = "'2027-07-01T20:00:00Z'::timestamptz + $2 * interval '1 minute'";
  await stack.db.query(`update public.gigs set starts_at = ${at}, ends_at = ${at} + interval '1 hour' where id = $1`, [gig.id, minutes]);
}

function arrivalsForMe(since: number): Arrival[] {
  return push.arrivals.slice(since).filter((a) => a.subscriptionId === subscription.id);
}

async function shownNotifications(tag: string): Promise<{ title: string; body: string }[]> {
  return page.evaluate<{ title: string; body: string }[]>(
    `navigator.serviceWorker.ready.then((r) => r.getNotifications({ tag: ${JSON.stringify(tag)} })).then((list) => list.map((n) => ({ title: n.title, body: n.body })))`,
  );
}

beforeAll(async () => {
  push = await startPushService();
  stack = await startTestStack({ functionEnv: { NODE_EXTRA_CA_CERTS: push.caFile, PUSH_SERVICE_HOSTS: '127.0.0.1' }, sweepIntervalMs: 0 });
  await seedDemoIfEmpty(stack.dbUrl);
  web = await serveWeb();
  browser = await launchChromium();
  // The crew member's deepest assigned gig: its change must reach them (and its ancestors' staff).
  const row = (
    await stack.db.query<{ id: string; name: string }>(
      `select g.id, g.name from public.gig_staff gs join public.staff_profiles sp on sp.id = gs.staff_id join public.gigs g on g.id = gs.gig_id
        where sp.email = 'crew@northlight.test' and g.deleted_at is null order by extensions.nlevel(g.path) desc, g.name limit 1`,
    )
  ).rows[0];
  if (row === undefined) throw new Error('the demo crew member has no gigs');
  gig = row;
  subscription = push.subscribe();
  context = await browser.newContext({ viewport: { width: 420, height: 860 } });
  await context.grantPermissions(['notifications'], { origin: web.url });
  await context.addInitScript(
    pushManagerStandIn({ endpoint: subscription.endpoint, p256dh: subscription.p256dh, auth: subscription.auth }),
  );
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
    const found = event.registrations.find((r) => r.scopeURL.startsWith(web.url) && !r.isDeleted);
    if (found !== undefined) registrationId = found.registrationId;
  });
  await cdp.send('ServiceWorker.enable');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await stack?.stop();
  await push?.stop();
});

describe('crew notifications', () => {
  it('asks only when tapped on the dashboard, subscribes with the backend’s key and saves it for the member', async () => {
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
    await tab('Settings');
    await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 15_000 }).toBe('Signed in as crew@northlight.test');
    await tab('My gigs');
    const turnOn = page.getByRole('button', { name: 'Turn on notifications' });
    await turnOn.waitFor({ timeout: 30_000 });
    expect((await probe()).requestPermission).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'pwa-notifications-ask.png') });

    await turnOn.click();
    await page.getByText('Notifications are on for this device.').waitFor({ timeout: 15_000 });
    const after = await probe();
    expect(after.requestPermission).toBe(1);
    expect(after.subscribedWith).toEqual([stack.push.vapidPublicKey]);
    const saved = await stack.db.query<{ email: string; p256dh: string; auth: string }>(
      'select u.email, s.p256dh, s.auth from public.user_push_subscriptions s join auth.users u on u.id = s.user_id where s.endpoint = $1',
      [subscription.endpoint],
    );
    expect(saved.rows).toEqual([{ email: 'crew@northlight.test', p256dh: subscription.p256dh, auth: subscription.auth }]);
  });

  it('delivers a moved start time to the member’s device, encrypted for it', async () => {
    const since = push.arrivals.length;
    await moveStart(30);
    await stack.drainWebhooks();
    await push.waitFor(() => arrivalsForMe(since).length === 1, 'the crew member’s push');
    // In the venue's time: the demo festival is in Europe/Amsterdam (20:30 UTC is 22:30 there in July).
    expect(arrivalsForMe(since)[0]?.payload).toMatchObject({
      title: gig.name,
      body: 'Now Thu 01 Jul 22:30 Amsterdam time – 23:30',
      url: `/gigs/${gig.id}`,
      tag: `gig-${gig.id}`,
      gig_id: gig.id,
    });
    expect(push.rejections).toEqual([]);
  });

  it('shows one notification per gig with the latest text, whatever order three rapid updates arrive in', async () => {
    const since = push.arrivals.length;
    for (const minutes of [40, 50, 60]) await moveStart(minutes);
    await stack.drainWebhooks();
    await push.waitFor(() => arrivalsForMe(since).length === 3, 'three pushes');
    const payloads = arrivalsForMe(since)
      .map((a) => a.payload as { tag: string; body: string; outbox_id: number })
      .sort((a, b) => a.outbox_id - b.outbox_id);
    expect(new Set(payloads.map((p) => p.tag))).toEqual(new Set([`gig-${gig.id}`]));
    expect(registrationId).not.toBe('');
    // Newest in the middle: the worker must still end on the newest text.
    for (const payload of [payloads[0], payloads[2], payloads[1]]) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: web.url, registrationId, data: JSON.stringify(payload) });
    }
    await expect
      .poll(() => shownNotifications(`gig-${gig.id}`), { timeout: 10_000 })
      .toEqual([{ title: gig.name, body: 'Now Thu 01 Jul 23:00 Amsterdam time – 00:00' }]);
  });

  it('opens the gig in the app when the notification is tapped', async () => {
    await tab('My gigs');
    const worker = context.serviceWorkers().find((w) => w.url().startsWith(web.url));
    if (worker === undefined) throw new Error('no service worker');
    // A synthetic click on the notification on screen runs the worker's own notificationclick handler.
    await worker.evaluate(
      `registration.getNotifications().then(([n]) => { try { self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n })); } catch {} })`,
    );
    await page.locator('main[data-screen="gigs"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[aria-selected="true"]').first().innerText(), { timeout: 15_000 }).toContain(gig.name);
    await page.screenshot({ path: join(SHOTS, 'pwa-notification-opened-gig.png') });
  });

  it('turns off: the server forgets this device and the ask stays away', async () => {
    await tab('My gigs');
    await page.getByRole('button', { name: 'Turn off' }).click();
    await expect
      .poll(
        async () =>
          (await stack.db.query('select 1 from public.user_push_subscriptions where endpoint = $1', [subscription.endpoint])).rowCount,
        { timeout: 15_000 },
      )
      .toBe(0);
    // The browser's subscription goes right after the server forgot it (crew-push.ts: server first).
    await expect.poll(async () => (await probe()).unsubscribed, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.getByRole('region', { name: 'Notifications' }).count()).toBe(0);
    // Turning off is not for ever: the dashboard keeps a way back.
    await page.getByText('Notifications are off.').waitFor();
    expect(await page.getByRole('button', { name: 'Turn on', exact: true }).count()).toBe(1);
  });

  it('exports diagnostics from Settings as a download, without keys or the session', async () => {
    await tab('Settings');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export diagnostics' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^gigmanager-diagnostics-.+\.json$/);
    const text = readFileSync(await download.path(), 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      info: { host: 'pwa', appName: 'GigManager Station' },
      settings: { signedInAs: 'crew@northlight.test', backendUrl: stack.url },
      sync: { online: true },
    });
    for (const secret of [stack.anonKey, 'access_token', 'refresh_token', 'eyJ']) expect(text).not.toContain(secret);
  });

  it('forgets this device’s subscription when the member signs out', async () => {
    await tab('My gigs');
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByText('Notifications are on for this device.').waitFor({ timeout: 15_000 });
    const saved = async (): Promise<number | null> =>
      (await stack.db.query('select 1 from public.user_push_subscriptions where endpoint = $1', [subscription.endpoint])).rowCount;
    expect(await saved()).toBe(1);
    await tab('Settings');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(saved, { timeout: 15_000 }).toBe(0);
    // The browser's subscription goes once the server's delete has answered (crew-push.ts: server first).
    await expect.poll(async () => (await probe()).unsubscribed, { timeout: 15_000 }).toBe(2);
  });
});
