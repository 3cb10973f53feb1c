import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { launchChromium } from '../helpers/chromium';
import { OVERFLOW } from '../helpers/overflow';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// Outside tester, issue 18 (the phone): the crew PWA at 360 px with the longest names the schema
// allows an operator to meet — an 80-character gig name, a venue that is one long German word, an
// 80-character asset name, a long case and bulk item name — on every screen that shows them.
// Nothing may pass the right edge or make the page scroll sideways.
const GIG_NAME = 'Northlight Open Air 2027 Main Stage Day 2 Headliner Changeover and Late Night Set';
const VENUE = 'Donaudampfschifffahrtsgesellschaftshalle Linz';
const ASSET_NAME = 'Beyerdynamic TG V70d Dynamic Supercardioid Vocal Microphone with Wireless Adaptor';
const CASE_NAME = 'Road case for wireless microphone receivers, spares, antennas and batteries (A)';
const BULK_NAME = 'XLR cable 10 m three-pin balanced microphone cable, black, Neutrik connectors x';

let stack: TestStack;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let gig: { id: string; code: string };
const pageErrors: string[] = [];

const fits = (what: string): Promise<void> =>
  expect.poll(() => page.evaluate<string[]>(OVERFLOW), { message: `${what} at 360 px`, timeout: 20_000 }).toEqual([]);

async function tab(name: 'My gigs' | 'Scan' | 'Gigs' | 'Assets' | 'Sync'): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name}( ?F\\d)?`) }).click();
  await page.locator(`main[data-screen="${name === 'My gigs' ? 'mine' : name.toLowerCase()}"]`).waitFor();
}

async function typeScan(code: string): Promise<void> {
  await page.getByLabel('Type a code').fill(code);
  await page.getByLabel('Type a code').press('Enter');
}

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  // The demo crew member's first confirmed gig with a pick list, renamed to the longest names.
  const found = (
    await stack.db.query<{ id: string; code: string }>(
      `select g.id, g.code from public.gigs g
        join public.gig_staff gs on gs.gig_id = g.id join public.staff_profiles sp on sp.id = gs.staff_id
       where sp.email = 'crew@northlight.test' and g.status = 'confirmed' and g.deleted_at is null
         and exists (select 1 from public.kit_assignments k where k.gig_id = g.id and k.asset_id is not null)
       order by g.starts_at, g.code limit 1`,
    )
  ).rows[0];
  if (found === undefined) throw new Error('no demo gig for the crew member');
  gig = found;
  await stack.db.query('update public.gigs set name = $2, venue = $3 where id = $1', [gig.id, GIG_NAME, VENUE]);
  await stack.db.query(
    `update public.assets set name = $2 where id = (select k.asset_id from public.kit_assignments k where k.gig_id = $1 and k.asset_id is not null limit 1)`,
    [gig.id, ASSET_NAME],
  );
  await stack.db.query(`update public.cases set name = $1 where org_id = $2`, [CASE_NAME, ORGS.northlight.id]);
  await stack.db.query(`update public.bulk_items set name = $1 where org_id = $2`, [BULK_NAME, ORGS.northlight.id]);
  web = await serveWeb(process.env['CREW_WEB_DIR'] === undefined ? {} : { dir: process.env['CREW_WEB_DIR'] });
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    hasTouch: true,
    isMobile: true,
    deviceScaleFactor: 2,
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await web?.close();
  await stack?.stop();
});

describe('the crew phone at 360 px with the longest names', { timeout: 240_000 }, () => {
  it('My gigs, Gigs with the gig open, Scan with its pick list and feedback, Assets and Sync fit', async () => {
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.waitFor({ timeout: 30_000 });
    await page.getByLabel('Email').fill('crew@northlight.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).waitFor({ timeout: 30_000 });

    await tab('My gigs');
    await expect.poll(() => page.getByTestId('my-gig').filter({ hasText: GIG_NAME }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await fits('My gigs with an 80-character gig name and a one-word venue');

    await tab('Gigs');
    await expect.poll(() => page.locator('.gig-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.locator('.gig-row').first().click();
    await fits('Gigs with a gig open (the long-named gig is a set in its tree)');

    await tab('Scan');
    await typeScan(gig.code);
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(GIG_NAME);
    await expect.poll(() => page.getByTestId('pick-list').locator('li').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await fits('Scan with the long-named gig’s pick list');
    // A long unknown code in the feedback (a wedge scanner reading a GS1 label).
    await typeScan('01095011010209171719050810ABCD1234567890ABCDEFGHIJKLMNOP');
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('0109501101020917');
    await fits('Scan with a long unknown code in the feedback');

    await tab('Assets');
    await page.getByLabel('Search assets').fill('Beyerdynamic TG V70d');
    await expect.poll(() => page.locator('.asset-row').filter({ hasText: ASSET_NAME }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await fits('Assets with an 80-character asset name');
    await page.locator('.asset-row').filter({ hasText: ASSET_NAME }).first().click();
    await page.getByTestId('asset-history').waitFor({ timeout: 30_000 });
    await fits('the long-named asset’s detail');

    await tab('Sync');
    await fits('Sync');
    expect(pageErrors).toEqual([]);
  });
});
