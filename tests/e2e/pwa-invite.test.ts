import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationSettings } from '../../core/station-views';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { pushManagerStandIn, type PushProbe } from '../helpers/push-manager-stand-in';
import { startPushService, type LocalPushService, type TestSubscription } from '../helpers/push-service';
import { signInOnPhone } from '../helpers/crew-sign-in';

// An invite link (`#backend=…&anon=…`) opened on a crew phone, in Chromium on the production web
// build: a phone never set up takes it at once; a signed-in phone is asked first, with the new host
// shown, and nothing changes until "Switch" — which goes through the Settings path (refused while
// anything is unsynced, the old backend forgets this phone's push subscription, signed out).
let push: LocalPushService;
let stack: TestStack;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let subscription: TestSubscription;
let elsewhere: Recorder;
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
const PHONES = [
  { name: '360', viewport: { width: 360, height: 740 } },
  { name: '414', viewport: { width: 414, height: 896 } },
];

/** The backend an invite points at: it records what reaches it and answers nothing useful. */
interface Recorder {
  url: string;
  host: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const requests: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    res.writeHead(503, { 'Access-Control-Allow-Origin': '*' }).end();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

const hostOf = (url: string): string => new URL(url).host;
const inviteFor = (backend: string, anon: string): string =>
  `${web.url}/#backend=${encodeURIComponent(backend)}&anon=${encodeURIComponent(anon)}`;

/** A fresh load of the app at `url` (a change of hash alone would not start the app again). */
async function open(url: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(url);
}

async function tab(name: 'My gigs' | 'Scan' | 'Assets' | 'Settings'): Promise<void> {
  // The tab's name, with its F-key where one is shown ("Scan" alone would also match "Scanners").
  await page.getByRole('button', { name: new RegExp(`^${name}( ?F\\d)?$`) }).click();
  await page.locator(`main[data-screen="${name === 'My gigs' ? 'mine' : name.toLowerCase()}"]`).waitFor();
}

async function settings(): Promise<StationSettings> {
  return page.evaluate<StationSettings>('window.station.getSettings()');
}

async function probe(): Promise<PushProbe> {
  return page.evaluate<PushProbe>('window.__pushProbe');
}

async function subscribedOnServer(): Promise<string[]> {
  const rows = await stack.db.query<{ email: string }>(
    'select u.email from public.user_push_subscriptions s join auth.users u on u.id = s.user_id where s.endpoint = $1',
    [subscription.endpoint],
  );
  return rows.rows.map((r) => r.email);
}

async function unsynced(): Promise<number> {
  return Number(await page.evaluate('window.station.getSyncStatus().then((s) => s.depth + s.conflicts + s.quarantined)'));
}

/** Screenshots at both phone sizes (no sideways scrolling on either), kept for the docs. */
async function shoot(name: string): Promise<void> {
  const original = page.viewportSize();
  for (const phone of PHONES) {
    await page.setViewportSize(phone.viewport);
    await expect.poll(() => page.evaluate('document.scrollingElement.scrollWidth <= window.innerWidth')).toBe(true);
    const file = join(SHOTS, `${name}-${phone.name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    copyFileSync(file, join(PROJECT_ROOT, 'docs', 'screenshots', `${name}-${phone.name}.png`));
  }
  if (original !== null) await page.setViewportSize(original);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  push = await startPushService();
  stack = await startTestStack({ functionEnv: { NODE_EXTRA_CA_CERTS: push.caFile, PUSH_SERVICE_HOSTS: '127.0.0.1' }, sweepIntervalMs: 0 });
  await seedDemoIfEmpty(stack.dbUrl);
  // CREW_WEB_DIR: a web build elsewhere than out/web (the default, `npm run build:web`).
  web = await serveWeb(process.env['CREW_WEB_DIR'] === undefined ? {} : { dir: process.env['CREW_WEB_DIR'] });
  browser = await launchChromium();
  elsewhere = await startRecorder();
  subscription = push.subscribe();
  context = await browser.newContext({ viewport: PHONES[0]?.viewport ?? null, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await context.grantPermissions(['notifications'], { origin: web.url });
  await context.addInitScript(
    pushManagerStandIn({ endpoint: subscription.endpoint, p256dh: subscription.p256dh, auth: subscription.auth }),
  );
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await elsewhere?.close();
  await stack?.stop();
  await push?.stop();
});

describe('invite links on the crew phone', { timeout: 120_000 }, () => {
  it('sets up a phone that has no backend at once, and says which host it now syncs with', async () => {
    await open(inviteFor(stack.url, stack.anonKey));
    const notice = page.getByRole('status', { name: 'Invite link' });
    await expect.poll(() => notice.innerText(), { timeout: 30_000 }).toContain(`this app now syncs with ${hostOf(stack.url)}`);
    expect(await page.evaluate('window.location.hash')).toBe('');
    expect(await settings()).toMatchObject({ backendUrl: stack.url, signedInAs: null });
    await shoot('crew-invite-first-time');

    // Signed in, with notifications on: the phone the rest of this file protects.
    // The first screen is the sign-in (the invite filled in the backend).
    await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
    // Its "sign in below" is done: the notice goes by itself.
    await expect.poll(() => notice.count(), { timeout: 15_000 }).toBe(0);
    await tab('Settings');
    await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 15_000 }).toBe('Signed in as crew@northlight.test');
    await tab('My gigs');
    await page.getByRole('button', { name: 'Turn on notifications' }).click({ timeout: 30_000 });
    await page.getByText('Notifications are on for this device.').waitFor({ timeout: 15_000 });
    expect(await subscribedOnServer()).toEqual(['crew@northlight.test']);
    await expect.poll(() => page.evaluate('navigator.serviceWorker.controller !== null'), { timeout: 15_000 }).toBe(true);
  });

  it.each([
    ['a javascript: address', 'javascript:alert(document.domain)', 'anon', /only http or https is accepted/],
    ['an address with a password in it', 'http://crew:hunter2@127.0.0.1:9', 'anon', /must not contain a user name or password/],
    ['a key with markup in it', 'https://abcd.supabase.co', '<img src=x onerror=alert(1)>', /key has characters a Supabase key never has/],
  ])('refuses %s with a clear message and changes nothing', async (_label, backend, anon, message) => {
    await open(`${web.url}/#backend=${encodeURIComponent(backend)}&anon=${encodeURIComponent(anon)}`);
    const alert = page.getByRole('alert', { name: 'Invite link' });
    await expect.poll(() => alert.innerText(), { timeout: 30_000 }).toMatch(message);
    expect(await page.evaluate('window.location.hash')).toBe('');
    expect(await settings()).toMatchObject({ backendUrl: stack.url, signedInAs: 'crew@northlight.test' });
    if (backend.startsWith('javascript:')) await shoot('crew-invite-refused');
  });

  it('asks a signed-in phone before switching, with the new host large and the current one beside it; nothing changes meanwhile', async () => {
    await open(inviteFor(elsewhere.url, 'sb_publishable_not-ours'));
    await page.getByRole('heading', { name: 'Switch to another backend?' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('invite-new-host').innerText()).toBe(elsewhere.host);
    expect(await page.getByTestId('invite-current-host').innerText()).toBe(hostOf(stack.url));
    const words = await page.locator('main.invite-screen').innerText();
    expect(words).toContain(`Your next sign-in sends your email and password to ${elsewhere.host}`);
    expect(words).toContain(`Notifications from ${hostOf(stack.url)} are turned off on this phone`);
    expect(words).toContain('crew@northlight.test');
    expect(words).toContain('This address is not encrypted');
    await expect.poll(() => page.getByRole('button', { name: `Switch to ${elsewhere.host}` }).isEnabled()).toBe(true);
    await shoot('crew-invite-confirm');

    expect(await settings()).toMatchObject({ backendUrl: stack.url, signedInAs: 'crew@northlight.test' });
    expect(await subscribedOnServer()).toEqual(['crew@northlight.test']);
    expect((await probe()).unsubscribed).toBe(0);
    expect(elsewhere.requests).toEqual([]);
  });

  it('keeps everything as it was when declined, and forgets the link', async () => {
    await page.getByRole('button', { name: `Keep ${hostOf(stack.url)}` }).click();
    await expect
      .poll(() => page.getByRole('status', { name: 'Invite link' }).innerText(), { timeout: 15_000 })
      .toContain(`Kept ${hostOf(stack.url)}`);
    expect(await page.evaluate('window.location.hash')).toBe('');
    expect(await settings()).toMatchObject({ backendUrl: stack.url, anonKey: stack.anonKey, signedInAs: 'crew@northlight.test' });
    expect(await subscribedOnServer()).toEqual(['crew@northlight.test']);
    expect((await probe()).unsubscribed).toBe(0);
    expect(elsewhere.requests).toEqual([]);
    // A reload does not ask again: the link is gone from the address.
    await page.reload();
    await page.getByRole('button', { name: /^Settings/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('heading', { name: 'Switch to another backend?' }).count()).toBe(0);
  });

  it('refuses to switch while a change made on the phone is unsynced, and allows it once sent', async () => {
    // One check-out made offline: queued on the phone, not yet on the backend.
    const gig = (
      await stack.db.query<{ code: string }>(
        `select code from public.gigs where org_id = $1 and status = 'confirmed' and deleted_at is null
          and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code limit 1`,
        [ORGS.northlight.id],
      )
    ).rows[0];
    const asset = (
      await stack.db.query<{ serial_number: string }>(
        `select serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null order by serial_number limit 1`,
        [ORGS.northlight.id],
      )
    ).rows[0];
    if (gig === undefined || asset === undefined) throw new Error('the demo data has no confirmed gig or available asset');
    await tab('Assets');
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('400 of 400');
    await context.setOffline(true);
    await tab('Scan');
    for (const code of [gig.code, asset.serial_number]) {
      await page.getByLabel('Type a code').fill(code);
      await page.getByLabel('Type a code').press('Enter');
    }
    await expect.poll(unsynced, { timeout: 15_000 }).toBe(1);

    // Offline, the service worker opens the app: the invite is asked about, and cannot be accepted.
    await open(inviteFor(elsewhere.url, 'sb_publishable_not-ours'));
    await page.getByRole('heading', { name: 'Switch to another backend?' }).waitFor({ timeout: 30_000 });
    const blocked = page.locator('main.invite-screen [role="alert"]');
    await expect
      .poll(() => blocked.innerText(), { timeout: 15_000 })
      .toContain(`1 change made on this phone is not synced to ${hostOf(stack.url)} yet`);
    const switchButton = page.getByRole('button', { name: `Switch to ${elsewhere.host}` });
    expect(await switchButton.isDisabled()).toBe(true);
    await shoot('crew-invite-unsynced');

    // Back online the phone sends it, and the same screen allows the switch.
    await context.setOffline(false);
    await expect.poll(() => switchButton.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await unsynced()).toBe(0);
    expect(await blocked.count()).toBe(0);
  });

  it('switches when accepted, through the Settings path: the old backend forgets this phone, it is signed out, the new backend is set', async () => {
    expect(await subscribedOnServer()).toEqual(['crew@northlight.test']);
    await page.getByRole('button', { name: `Switch to ${elsewhere.host}` }).click();
    await expect
      .poll(() => page.getByRole('status', { name: 'Invite link' }).innerText(), { timeout: 30_000 })
      .toContain(`Switched to ${elsewhere.host}`);
    // Deleted on the old backend with the old session, before it was dropped.
    expect(await subscribedOnServer()).toEqual([]);
    expect((await probe()).unsubscribed).toBe(1);
    expect(await settings()).toMatchObject({ backendUrl: elsewhere.url, anonKey: 'sb_publishable_not-ours', signedInAs: null });
    expect(await page.evaluate('window.location.hash')).toBe('');
    // Nobody's password went anywhere: the new backend has seen no sign-in.
    expect(elsewhere.requests.filter((r) => r.path.startsWith('/auth/'))).toEqual([]);
    await shoot('crew-invite-switched');
  });
});
