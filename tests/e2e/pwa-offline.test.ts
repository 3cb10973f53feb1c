import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { randomUUID } from 'node:crypto';
import { launchChromium, launchPersistentChromium } from '../helpers/chromium';
import { nodeSupabaseClient } from '../helpers/supabase-client';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { signInOnPhone } from '../helpers/crew-sign-in';

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

/** Polls an expression in the page (evaluated over CDP: the app's CSP forbids eval in the page). */
async function controlled(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate('navigator.serviceWorker.controller !== null'), { timeout: 60_000 }).toBe(true);
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
  // First run on a phone: the sign-in screen, then Settings says who is signed in.
  await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
  await tab(page, 'Settings');
  await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 60_000 }).toBe('Signed in as crew@northlight.test');
}

/** Phones tap: the tab buttons, which also waits for the app to be up. */
async function tab(page: Page, name: 'My gigs' | 'Scan' | 'Gigs' | 'Assets' | 'Settings'): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await page.locator(`main[data-screen="${name === 'My gigs' ? 'mine' : name.toLowerCase()}"]`).waitFor();
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

async function pickGigAndAssets(
  count: number,
  offset: number,
): Promise<{ gig: { id: string; code: string; name: string }; serials: string[] }> {
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

/** A signed-in crew phone with the caches filled and the service worker in control, now offline. */
async function offlinePhone(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await signIn(page);
  await tab(page, 'Assets');
  await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('400 of 400');
  await controlled(page);
  await context.setOffline(true);
  return page;
}

async function scanOut(page: Page, gigCode: string, serials: string[]): Promise<void> {
  await tab(page, 'Scan');
  await typeScan(page, gigCode);
  for (const serial of serials) await typeScan(page, serial);
  await expect.poll(() => queued(page), { timeout: 60_000 }).toBe(serials.length);
}

async function offlineRun(
  context: BrowserContext,
  options: { offset: number; name: string; via: 'background-sync' | 'fallback' },
): Promise<void> {
  const page = await context.newPage();
  await signIn(page);
  const { gig, serials } = await pickGigAndAssets(20, options.offset);
  // Online: the caches fill (every demo gig and asset).
  await tab(page, 'Assets');
  await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('400 of 400');
  await tab(page, 'Gigs');
  await expect.poll(() => page.getByTestId('gig-count').innerText(), { timeout: 30_000 }).toMatch(/ 80 gigs$/);
  // The service worker has installed (and precached the shell) and controls the page.
  await controlled(page);

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
  await expect.poll(() => queued(page), { timeout: 60_000 }).toBe(20);
  await page.screenshot({ path: join(SHOTS, `${options.name}-offline.png`) });

  // Closed and reopened offline: still queued (IndexedDB, not memory).
  await page.close();
  const again = await context.newPage();
  await again.goto(web.url);
  await expect.poll(() => queued(again), { timeout: 60_000 }).toBe(20);

  if (options.via === 'background-sync') {
    await again.close();
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
    const registrationId = await registrations;
    // As the browser does after a failed `sync` (the network may come back a moment later than
    // the event), fire it again until the queue is drained — at most every 3 s.
    await expect
      .poll(
        async () => {
          await cdp.send('ServiceWorker.dispatchSyncEvent', {
            origin: web.url,
            registrationId,
            tag: 'gigmanager-drain',
            lastChance: false,
          });
          return movementsFor(serials, gig.id);
        },
        { timeout: 60_000, interval: 3000 },
      )
      .toBe(20);
    await blank.close();
  } else {
    // The fallback: the open page hears `online` and drains (no `sync` can fire here).
    await context.setOffline(false);
    await expect.poll(() => queued(again), { timeout: 60_000 }).toBe(0);
    await again.close();
  }
  await drainedExactlyOnce(serials, gig.id);
  const last = await context.newPage();
  await last.goto(web.url);
  await expect.poll(() => queued(last), { timeout: 60_000 }).toBe(0);
  await last.close();
}

describe('the crew PWA offline', () => {
  it('is installable: Chromium reports no installability errors once the worker controls the page', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'pwa-profile-'));
    const context = await launchPersistentChromium(profile);
    try {
      const page = await context.newPage();
      await page.goto(web.url);
      await controlled(page);
      const cdp = await context.newCDPSession(page);
      expect(await cdp.send('Page.getInstallabilityErrors')).toEqual({ installabilityErrors: [] });
      const manifest = await cdp.send('Page.getAppManifest');
      expect(manifest.errors).toEqual([]);
      expect(JSON.parse(manifest.data ?? '{}')).toMatchObject({ name: 'GigManager Crew', display: 'standalone' });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60_000);

  it("shows the crew member's own schedule and a gig's pick list with what is out", async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    try {
      const page = await context.newPage();
      await signIn(page);
      const expected = (
        await stack.db.query<{ id: string; name: string; role: string; status: string }>(
          `select g.id, g.name, gs.role, g.status from public.gig_staff gs join public.staff_profiles sp on sp.id = gs.staff_id join public.gigs g on g.id = gs.gig_id
            where sp.email = 'crew@northlight.test' and g.deleted_at is null order by g.starts_at nulls last, g.name`,
        )
      ).rows;
      expect(expected.length).toBeGreaterThan(0);
      await tab(page, 'My gigs');
      const items = page.getByTestId('my-gig');
      await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(expected.length);
      const texts = await items.allInnerTexts();
      for (const [i, gig] of expected.entries()) {
        expect(texts[i]).toContain(gig.name);
        expect(texts[i]).toContain(gig.role);
        // Status badges are upper-cased by CSS, which innerText reflects.
        if (gig.status === 'completed') expect(texts[i]).toMatch(/finished/i);
        if (gig.status === 'in_progress') expect(texts[i]).toMatch(/on now/i);
      }
      // A gig with a pick list shows each line with how much is out.
      const withKit = (
        await stack.db.query<{ id: string; lines: number }>(
          'select gig_id as id, count(*)::int as lines from public.kit_assignments where gig_id = any($1) group by gig_id order by 2 desc limit 1',
          // A gig still open: the demo data is dated around now, so which sets are over depends on the hour.
          [expected.filter((g) => g.status !== 'completed' && g.status !== 'cancelled').map((g) => g.id)],
        )
      ).rows[0];
      const target = withKit === undefined ? 0 : expected.findIndex((g) => g.id === withKit.id);
      await items.nth(target).click();
      await expect.poll(() => page.getByTestId('pick-line').count(), { timeout: 60_000 }).toBe(withKit?.lines ?? 0);
      await page.screenshot({ path: join(SHOTS, 'pwa-my-gigs.png') });
    } finally {
      await context.close();
    }
  }, 120_000);

  it('opens offline from its precache, queues 20 check-outs in IndexedDB across a closed tab, and the service worker drains them once on `sync`', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      await offlineRun(context, { offset: 0, name: 'pwa-background-sync', via: 'background-sync' });
    } finally {
      await context.close();
    }
  }, 180_000);

  it('drains through the fallback (the page hears `online`) where Background Sync does not exist', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    // As in Safari and Firefox: no SyncManager on the registration.
    await context.addInitScript('delete ServiceWorkerRegistration.prototype.sync');
    try {
      await offlineRun(context, { offset: 1, name: 'pwa-fallback', via: 'fallback' });
    } finally {
      await context.close();
    }
  }, 180_000);

  it('pushes each op once when two tabs come back online together', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      const { gig, serials } = await pickGigAndAssets(10, 2);
      const first = await offlinePhone(context);
      await scanOut(first, gig.code, serials);
      const second = await context.newPage();
      await second.goto(web.url);
      await expect.poll(() => queued(second)).toBe(10);
      // Every push that reached the server, from the tabs and the service worker, by op id.
      const sent: string[] = [];
      context.on('requestfinished', (request) => {
        if (!request.url().endsWith('/rest/v1/rpc/push_changes')) return;
        const body = JSON.parse(request.postData() ?? '{}') as { ops?: { id: string }[] };
        sent.push(...(body.ops ?? []).map((op) => op.id));
      });
      await context.setOffline(false);
      await Promise.all([first, second].map((page) => expect.poll(() => queued(page), { timeout: 60_000 }).toBe(0)));
      expect(sent).toHaveLength(10);
      expect(new Set(sent).size).toBe(10);
      await drainedExactlyOnce(serials, gig.id);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('replays with a fresh token when the stored one expired while offline', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      const { gig, serials } = await pickGigAndAssets(5, 3);
      const page = await offlinePhone(context);
      await scanOut(page, gig.code, serials);
      // The session's access token is now expired and no longer valid; only its refresh token works.
      const stale = String(
        await page.evaluate(`(async () => {
          const db = await new Promise((resolve, reject) => { const r = indexedDB.open('gigmanager-crew'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
          const store = db.transaction('sync_state', 'readwrite').objectStore('sync_state');
          const key = 'auth:sb-127-auth-token';
          const record = await new Promise((resolve) => { const r = store.get(key); r.onsuccess = () => resolve(r.result); });
          const session = JSON.parse(record.value);
          session.access_token = session.access_token.slice(0, -8) + 'AAAAAAAA';
          session.expires_at = Math.floor(Date.now() / 1000) - 60;
          await new Promise((resolve) => { const r = store.put({ key, value: JSON.stringify(session) }); r.onsuccess = () => resolve(undefined); });
          db.close();
          return session.access_token;
        })()`),
      );
      await page.close();
      const tokens: string[] = [];
      context.on('request', (request) => {
        if (request.url().endsWith('/rest/v1/rpc/push_changes')) tokens.push(request.headers()['authorization'] ?? '');
      });
      await context.setOffline(false);
      const back = await context.newPage();
      await back.goto(web.url);
      await expect.poll(() => queued(back), { timeout: 60_000 }).toBe(0);
      await drainedExactlyOnce(serials, gig.id);
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.every((t) => t !== `Bearer ${stale}`)).toBe(true);
      await back.close();
    } finally {
      await context.close();
    }
  }, 180_000);

  it('resolves from the phone a conflict the station created, both ways', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      const { gig, serials } = await pickGigAndAssets(2, 4);
      const [keep, drop] = serials as [string, string];
      const page = await offlinePhone(context);
      await scanOut(page, gig.code, [keep, drop]);
      // Meanwhile the warehouse station takes both items out to another gig and back in.
      const station = nodeSupabaseClient(stack.url, stack.anonKey);
      const { error } = await station.auth.signInWithPassword({ email: 'station@northlight.test', password: DEMO_PASSWORD });
      if (error !== null) throw error;
      const { gig: other } = await pickGigAndAssets(1, 5);
      const assets = (
        await stack.db.query<{ id: string; version: number }>(
          'select id, version from public.assets where serial_number = any($1) order by serial_number',
          [serials],
        )
      ).rows;
      const ops = assets.flatMap((a) => [
        { id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: a.id, gig_id: other.id }, base_version: a.version },
        { id: randomUUID(), table: 'assets', action: 'check_in', payload: { id: a.id, condition: 'ok' } },
      ]);
      const pushed = await station.rpc('push_changes', { device_id: 'warehouse-station', ops });
      expect((pushed.data as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
        'applied',
        'applied',
        'applied',
        'applied',
      ]);

      await context.setOffline(false);
      await page.getByRole('button', { name: /^Conflicts/ }).click();
      const cards = page.getByTestId('conflict');
      await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(2);
      await page.screenshot({ path: join(SHOTS, 'pwa-conflicts.png') });
      const byAsset = (serial: string) => cards.filter({ hasText: serial }).first();
      // In words (issue 18): where it is on each side, the gig by name, never its id.
      expect(await byAsset(keep).getByTestId('local-where').innerText()).toBe(`out to: ${gig.name}`);
      expect(await byAsset(keep).getByTestId('server-where').innerText()).toBe('in the warehouse');
      await byAsset(drop).getByRole('button', { name: 'Use Server' }).click();
      await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(1);
      await cards.first().getByRole('button', { name: 'Keep Local' }).click();
      await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(0);
      await expect.poll(() => queued(page), { timeout: 60_000 }).toBe(0);
      const final = await stack.db.query<{ serial_number: string; status: string; current_gig_id: string | null }>(
        'select serial_number, status::text, current_gig_id from public.assets where serial_number = any($1) order by serial_number',
        [serials],
      );
      const bySerial = Object.fromEntries(final.rows.map((r) => [r.serial_number, [r.status, r.current_gig_id]]));
      expect(bySerial[drop]).toEqual(['available', null]);
      expect(bySerial[keep]).toEqual(['checked_out', gig.id]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
