import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The crew PWA's offline loop in Chromium: the production web build (service worker, precache,
// IndexedDB queue) against a local stack with the demo data.
let stack: TestStack;
let web: WebServer;
let browser: Browser;
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  web = await serveWeb();
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await web?.close();
  await stack?.stop();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
  await tab(page, 'Settings');
  await page.getByLabel('Email').fill('crew@northlight.test');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 15_000 }).toBe('Signed in as crew@northlight.test');
}

/** Phones tap: the tab buttons, which also waits for the app to be up. */
async function tab(page: Page, name: 'Scan' | 'Gigs' | 'Assets' | 'Settings'): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await page.locator(`main[data-screen="${name.toLowerCase()}"]`).waitFor();
}

/** The queue depth as the app's StationApi reports it (once the app is up). */
async function queued(page: Page): Promise<number> {
  await page.getByRole('status', { name: 'Connection' }).waitFor();
  return Number(await page.evaluate('window.station.getSyncStatus().then((status) => status.depth)'));
}

async function typeScan(page: Page, code: string): Promise<void> {
  await page.getByLabel('Type a code').fill(code);
  await page.getByLabel('Type a code').press('Enter');
}

async function movementsFor(serials: string[], gigId: string): Promise<number> {
  const rows = await stack.db.query<{ n: number }>(
    `select count(*)::int as n from public.asset_movements m join public.assets a on a.id = m.asset_id
      where m.kind = 'check_out' and m.gig_id = $1 and a.serial_number = any($2) and m.device_id like 'pwa-%'`,
    [gigId, serials],
  );
  return rows.rows[0]?.n ?? 0;
}

async function drainedExactlyOnce(serials: string[], gigId: string): Promise<void> {
  const rows = await stack.db.query<{ serial_number: string; n: number }>(
    `select a.serial_number, count(m.id)::int as n from public.assets a
       left join public.asset_movements m on m.asset_id = a.id and m.kind = 'check_out' and m.gig_id = $2 and m.device_id like 'pwa-%'
      where a.org_id = $1 and a.serial_number = any($3) group by a.serial_number order by a.serial_number`,
    [ORGS.northlight.id, gigId, serials],
  );
  expect(rows.rows.map((r) => [r.serial_number, r.n])).toEqual([...serials].sort().map((s) => [s, 1]));
}

async function pickGigAndAssets(count: number, offset: number): Promise<{ gig: { id: string; code: string; name: string }; serials: string[] }> {
  const gig = (
    await stack.db.query<{ id: string; code: string; name: string }>(
      `select id, code, name from public.gigs where org_id = $1 and status = 'confirmed' and deleted_at is null
        and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code offset $2 limit 1`,
      [ORGS.northlight.id, offset],
    )
  ).rows[0];
  const serials = (
    await stack.db.query<{ serial_number: string }>(
      `select serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null
        order by serial_number offset $2 limit $3`,
      [ORGS.northlight.id, offset * count, count],
    )
  ).rows.map((r) => r.serial_number);
  if (gig === undefined || serials.length !== count) throw new Error('the demo data has no suitable gig or assets');
  return { gig, serials };
}

async function offlineRun(context: BrowserContext, options: { offset: number; name: string; via: 'background-sync' | 'fallback' }): Promise<void> {
  const page = await context.newPage();
  await signIn(page);
  const { gig, serials } = await pickGigAndAssets(20, options.offset);
  // Online: the caches fill (every demo gig and asset).
  await tab(page, 'Assets');
  await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('400 of 400');
  await tab(page, 'Gigs');
  await expect.poll(() => page.getByTestId('gig-count').innerText(), { timeout: 30_000 }).toMatch(/ 80 gigs$/);
  // The service worker has installed (and precached the shell) and controls the page.
  await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 15_000 });

  // Offline: a reload still opens the app shell and the cached gig.
  await context.setOffline(true);
  await page.reload();
  await tab(page, 'Gigs');
  await page.getByRole('searchbox', { name: 'Search gigs' }).fill(gig.code);
  await page.locator(`.gig-row[data-code="${gig.code}"]`).click();
  await expect.poll(() => page.locator('aside h2').innerText()).toBe(gig.name);

  // Check out 20 items offline: each one is in pending_sync before the feedback.
  await tab(page, 'Scan');
  await typeScan(page, gig.code);
  await expect.poll(() => page.getByTestId('active-gig').innerText()).toBe(gig.name);
  for (const serial of serials) await typeScan(page, serial);
  await expect.poll(() => queued(page), { timeout: 15_000 }).toBe(20);
  await page.screenshot({ path: join(SHOTS, `${options.name}-offline.png`) });

  // Closed and reopened offline: still queued (IndexedDB, not memory).
  await page.close();
  const again = await context.newPage();
  await again.goto(web.url);
  await expect.poll(() => queued(again), { timeout: 15_000 }).toBe(20);
  await again.close();

  if (options.via === 'background-sync') {
    // No page of the app is open: only the service worker can drain. Chromium fires `sync` when
    // connectivity returns; CDP fires it too, so the test does not depend on the OS's network state.
    const blank = await context.newPage();
    await context.setOffline(false);
    const cdp = await context.newCDPSession(blank);
    const registrations = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: { registrationId: string; scopeURL: string }[] }) => {
        const mine = event.registrations.find((r) => r.scopeURL.startsWith(web.url));
        if (mine !== undefined) resolve(mine.registrationId);
      });
    });
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: web.url, registrationId: await registrations, tag: 'gigmanager-drain', lastChance: false });
    await expect.poll(() => movementsFor(serials, gig.id), { timeout: 60_000 }).toBe(20);
    await blank.close();
  } else {
    // The fallback: the app opened (or focused, or back online) with work queued drains it.
    await context.setOffline(false);
    const back = await context.newPage();
    await back.goto(web.url);
    await expect.poll(() => queued(back), { timeout: 60_000 }).toBe(0);
    await back.close();
  }
  await drainedExactlyOnce(serials, gig.id);
  const last = await context.newPage();
  await last.goto(web.url);
  await expect.poll(() => queued(last), { timeout: 15_000 }).toBe(0);
  await last.close();
}

describe('the crew PWA offline', () => {
  it('opens offline from its precache, queues 20 check-outs in IndexedDB across a closed tab, and the service worker drains them once on `sync`', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      await offlineRun(context, { offset: 0, name: 'pwa-background-sync', via: 'background-sync' });
    } finally {
      await context.close();
    }
  }, 180_000);

  it('drains through the fallback (the app opened again online) where Background Sync does not exist', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    // As in Safari and Firefox: no SyncManager on the registration.
    await context.addInitScript('delete ServiceWorkerRegistration.prototype.sync');
    try {
      await offlineRun(context, { offset: 1, name: 'pwa-fallback', via: 'fallback' });
    } finally {
      await context.close();
    }
  }, 180_000);
});
