import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTime } from '../../core/views/time';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { OVERFLOW } from '../helpers/overflow';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The crew PWA on a phone (production web build, touch, 360×740 and 414×896) against a local
// stack with the demo data: first run is a sign-in, no screen scrolls sideways or puts anything
// past the right edge, the scan session survives a reload, a tapped gig opens its pick list on the
// Scan screen, and times carry their zone on one line.
const PHONES = [
  { name: '360', viewport: { width: 360, height: 740 } },
  { name: '414', viewport: { width: 414, height: 896 } },
] as const;
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
/**
 * The phone's zone: a touring crew member whose phone still says New York. Every demo gig has its
 * venue's zone (European), so no time on screen may say the phone's EST.
 */
const ZONE = 'America/New_York';

let stack: TestStack;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const invite = (): string => `${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`;

/** Nothing past the right edge at either phone size; a screenshot of each when named. */
async function fits(what: string, shot?: string): Promise<void> {
  for (const phone of PHONES) {
    await page.setViewportSize(phone.viewport);
    await expect.poll(() => page.evaluate<string[]>(OVERFLOW), { message: `${what} at ${phone.name} px` }).toEqual([]);
    if (shot !== undefined) {
      const file = join(SHOTS, `${shot}-${phone.name}.png`);
      await page.screenshot({ path: file });
      copyFileSync(file, join(PROJECT_ROOT, 'docs', 'screenshots', `${shot}-${phone.name}.png`));
    }
  }
  await page.setViewportSize(PHONES[0].viewport);
}

async function tab(name: 'My gigs' | 'Scan' | 'Gigs' | 'Assets' | 'Sync' | 'Conflicts' | 'Settings'): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name}( ?F\\d)?`) }).click();
  await page.locator(`main[data-screen="${name === 'My gigs' ? 'mine' : name.toLowerCase()}"]`).waitFor();
}

async function typeScan(code: string): Promise<void> {
  await page.getByLabel('Type a code').fill(code);
  await page.getByLabel('Type a code').press('Enter');
}

/** The last scan's words are all on screen: not cut off at the side or the bottom. */
async function feedbackWhole(): Promise<void> {
  const cut = await page.evaluate<boolean>(
    `(() => {
      const p = document.querySelector('.last-scan-message');
      const panel = p.closest('.last-scan').getBoundingClientRect();
      return p.scrollWidth > p.clientWidth + 1 || p.getBoundingClientRect().bottom > panel.bottom + 1 || p.getBoundingClientRect().right > panel.right + 1;
    })()`,
  );
  expect(cut).toBe(false);
}

/** A confirmed leaf gig the demo crew member is on, with a pick list, and an available asset. */
async function demoGig(): Promise<{ id: string; code: string; name: string; serial: string }> {
  const gig = (
    await stack.db.query<{ id: string; code: string; name: string }>(
      `select g.id, g.code, g.name from public.gigs g
        join public.gig_staff gs on gs.gig_id = g.id join public.staff_profiles sp on sp.id = gs.staff_id
       where sp.email = 'crew@northlight.test' and g.status = 'confirmed' and g.deleted_at is null
         and exists (select 1 from public.kit_assignments k where k.gig_id = g.id)
       order by g.starts_at, g.code limit 1`,
    )
  ).rows[0];
  const asset = (
    await stack.db.query<{ serial_number: string }>(
      `select serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null
        order by serial_number desc limit 1`,
      [ORGS.northlight.id],
    )
  ).rows[0];
  if (gig === undefined || asset === undefined) throw new Error('the demo crew member has no confirmed gig with a pick list');
  return { ...gig, serial: asset.serial_number };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  // CREW_WEB_DIR: a web build elsewhere than out/web (the default, `npm run build:web`).
  web = await serveWeb(process.env['CREW_WEB_DIR'] === undefined ? {} : { dir: process.env['CREW_WEB_DIR'] });
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: PHONES[0].viewport,
    hasTouch: true,
    isMobile: true,
    deviceScaleFactor: 2,
    timezoneId: ZONE,
    locale: 'en-GB',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await web?.close();
  await stack?.stop();
});

describe('the crew phone at 360 and 414 px', { timeout: 180_000 }, () => {
  it('first run is a sign-in: email, password, one button; the backend the invite filled in sits behind Advanced', async () => {
    await page.goto(invite());
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.waitFor({ timeout: 30_000 });
    // Nothing else first: no tabs, one button, the backend folded away (and filled in by the invite).
    expect(await page.getByRole('navigation', { name: 'Screens' }).count()).toBe(0);
    expect(await form.getByRole('button').count()).toBe(1);
    expect(await page.getByLabel('Supabase URL').isVisible()).toBe(false);
    await fits('the sign-in', 'crew-sign-in');
    await page.getByText('Advanced').click();
    expect(await page.getByLabel('Supabase URL').inputValue()).toBe(stack.url);
    await fits('the sign-in with Advanced open', 'crew-sign-in-advanced');
    await page.getByText('Advanced').click();

    await page.getByLabel('Email').fill('crew@northlight.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).waitFor({ timeout: 30_000 });
    await tab('Settings');
    expect(await page.getByTestId('signed-in-as').innerText()).toBe('Signed in as crew@northlight.test');
  });

  it('no screen scrolls sideways or puts anything past the right edge', async () => {
    const gig = await demoGig();
    await tab('Assets');
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 60_000 }).toBe('400 of 400');
    await fits('Assets', 'crew-assets');
    await page.locator('.asset-row:not(.header)').first().click();
    await page.getByTestId('asset-history').waitFor({ timeout: 30_000 });
    await page.getByTestId('asset-history').scrollIntoViewIfNeeded();
    await fits('an asset’s detail', 'crew-asset-detail');

    await tab('My gigs');
    await expect.poll(() => page.getByTestId('my-gig').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await fits('My gigs', 'crew-my-gigs');

    await tab('Scan');
    await fits('Scan, nothing scanned yet');
    await typeScan(gig.code);
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    await typeScan(gig.serial);
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain(gig.serial);
    await feedbackWhole();
    await fits('Scan in check-out with a feedback', 'crew-scan-check-out');
    await typeScan('CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    await typeScan('NO-SUCH-BARCODE-ON-THIS-PHONE-0001');
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('NO-SUCH-BARCODE');
    await feedbackWhole();
    await fits('Scan in check-in with an error feedback', 'crew-scan-check-in');
    await typeScan('CMD:CHECK-OUT');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toBe('Check-out');

    await tab('Gigs');
    await expect.poll(() => page.getByTestId('gig-count').innerText(), { timeout: 60_000 }).toMatch(/ 80 gigs$/);
    await page.locator('.gig-row').first().click();
    await fits('Gigs with a gig open', 'crew-gigs');
    await tab('Sync');
    // The copy is checked against the server after the phone's first complete pull.
    await expect.poll(() => page.getByTestId('copy-headline').innerText(), { timeout: 60_000 }).toMatch(/^Ready offline · /);
    await fits('Sync', 'crew-sync');
    // The Local copy section on its own at each width (the screen shot above ends above it).
    for (const phone of PHONES) {
      await page.setViewportSize(phone.viewport);
      const file = join(SHOTS, `crew-sync-copy-${phone.name}.png`);
      await page.getByRole('region', { name: 'Local copy' }).screenshot({ path: file });
      copyFileSync(file, join(PROJECT_ROOT, 'docs', 'screenshots', `crew-sync-copy-${phone.name}.png`));
    }
    await page.setViewportSize(PHONES[0].viewport);
    await tab('Conflicts');
    await fits('Conflicts', 'crew-conflicts');
    await tab('Settings');
    await fits('Settings', 'crew-settings');
    // What the phone keeps: its member's gigs, then the whole company again (the copy follows each).
    await page.getByRole('radio', { name: /My gigs/ }).click();
    await expect.poll(() => page.getByTestId('scope-now').innerText(), { timeout: 60_000 }).toBe('Keeps my gigs (the ones I am crew on).');
    for (const phone of PHONES) {
      await page.setViewportSize(phone.viewport);
      await expect.poll(() => page.evaluate<string[]>(OVERFLOW), { message: `On this device at ${phone.name} px` }).toEqual([]);
      const file = join(SHOTS, `crew-settings-scope-${phone.name}.png`);
      await page.getByRole('region', { name: 'On this device' }).screenshot({ path: file });
      copyFileSync(file, join(PROJECT_ROOT, 'docs', 'screenshots', `crew-settings-scope-${phone.name}.png`));
    }
    await page.setViewportSize(PHONES[0].viewport);
    await page.getByRole('radio', { name: /The whole company/ }).click();
    await expect.poll(() => page.getByTestId('scope-now').innerText(), { timeout: 60_000 }).toBe('Keeps the whole company.');

    // An invite to another backend on a phone already signed in: the question it asks fits too.
    await page.goto('about:blank');
    await page.goto(`${web.url}/#backend=${encodeURIComponent('http://127.0.0.1:9')}&anon=sb_publishable_elsewhere`);
    await page.getByRole('heading', { name: 'Switch to another backend?' }).waitFor({ timeout: 30_000 });
    await fits('the invite question', 'crew-invite-question');
    await page.getByRole('button', { name: /^Keep / }).click();
    await page.getByRole('navigation', { name: 'Screens' }).waitFor({ timeout: 30_000 });
    expect(pageErrors).toEqual([]);
  });

  it('a tapped gig in My gigs opens the Scan screen on its pick list; the gig and mode survive a reload', async () => {
    const gig = await demoGig();
    await tab('My gigs');
    const item = page.getByTestId('my-gig').filter({ hasText: gig.name }).first();
    await item.click();
    await page.locator('main[data-screen="scan"]').waitFor();
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    // Its lines (how they read is the pick list's own business: core/views/pick-list.ts).
    await expect.poll(() => page.getByTestId('pick-list').locator('li').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // In view: the pick list's top is on screen, without scrolling by hand.
    const top = await page.evaluate<number>(`document.querySelector('[data-testid="pick-list"]').getBoundingClientRect().top`);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(PHONES[0].viewport.height - 48);
    await fits('Scan on a tapped gig’s pick list', 'crew-scan-pick-list');

    await typeScan('CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    await page.reload();
    await tab('Scan');
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    // Back to check-out: that survives a reload as well.
    await typeScan('CMD:CHECK-OUT');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toBe('Check-out');
    await page.reload();
    await tab('Scan');
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    expect(await page.getByTestId('scan-mode').innerText()).toBe('Check-out');
  });

  it('times show their zone and never wrap mid-value', async () => {
    await tab('My gigs');
    const when = page.locator('[data-testid="my-gig"] time');
    await expect.poll(() => when.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // The venue's local time and zone ("20:50 CET", "19:50 WET"), the space unbreakable: each
    // shown time is one of the crew member's gigs in its own zone, none in the phone's.
    const mine = (
      await stack.db.query<{ starts_at: Date; time_zone: string | null }>(
        `select g.starts_at, g.time_zone from public.gigs g
          join public.gig_staff gs on gs.gig_id = g.id join public.staff_profiles sp on sp.id = gs.staff_id
         where sp.email = 'crew@northlight.test' and g.deleted_at is null and g.starts_at is not null`,
      )
    ).rows;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.filter((g) => g.time_zone === null)).toEqual([]);
    const expected = new Set(mine.map((g) => formatTime(g.starts_at, { timeZone: g.time_zone, locale: 'en-GB' })));
    for (const text of await when.allInnerTexts()) {
      expect(text).toMatch(/^\d{2}:\d{2}\u00a0\S+$/);
      expect(text).not.toMatch(/E[SD]T$/);
      expect(expected).toContain(text);
    }
    await tab('Gigs');
    await page.locator('.gig-row').first().click();
    const detail = page.locator('aside[aria-label="Gig detail"] time');
    await expect.poll(() => detail.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    for (const text of await detail.allInnerTexts()) {
      expect(text).toMatch(/\d{2}:\d{2}\u00a0\S+$/);
      expect(text).not.toMatch(/E[SD]T$/);
    }
    // One line each, at the narrowest phone: no time is broken over two lines.
    for (const screen of ['My gigs', 'Gigs'] as const) {
      await tab(screen);
      const wrapped = await page.evaluate<number>(
        `[...document.querySelectorAll('main time')].filter((t) => t.getClientRects().length > 1).length`,
      );
      expect(wrapped).toBe(0);
    }
  });
});
