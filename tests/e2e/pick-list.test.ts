import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { signInOnPhone } from '../helpers/crew-sign-in';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The Scan screen's pick list (issue 18) on the crew PWA (production web build) against a local
// stack: a gig's list line by line — items, a case with its contents, two bulk lines picked by
// quantity on the keypad, missing items with where they are, an extra — whose lines and totals
// match the server's plan and its count (app.gig_asset_counts, behind get_gig_hierarchy); check-in
// shows what is still out; a stage shows its sets grouped. Phones at 360 and 414 px (touch, no
// sideways scroll) and a station-sized 1366×768 window; screenshots of each.
const SIZES = [
  { name: '360', viewport: { width: 360, height: 740 } },
  { name: '414', viewport: { width: 414, height: 896 } },
  { name: 'station', viewport: { width: 1366, height: 768 } },
] as const;
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');

const uuid = (n: number): string => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
const LEAF = uuid(1);
const STAGE = uuid(2);
const OPENER = uuid(3);
const HEADLINER = uuid(4);
const CASE = uuid(10);

let stack: TestStack;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function seedPickList(): Promise<void> {
  const org = ORGS.northlight.id;
  const db = stack.db;
  const elsewhere = (
    await db.query<{ id: string; name: string }>(
      `select id, name from public.gigs where org_id = $1 and status in ('confirmed', 'in_progress') and deleted_at is null order by code limit 1`,
      [org],
    )
  ).rows[0];
  if (elsewhere === undefined) throw new Error('the demo data has no open gig');
  await db.query(
    `insert into public.gigs (id, org_id, parent_gig_id, code, name, status, starts_at, ends_at) values
       ($2, $1, null, 'GIG-PICK-LEAF', 'Harbour Hall Concert', 'confirmed', now() + interval '1 day', now() + interval '1 day 4 hours'),
       ($3, $1, null, 'GIG-PICK-STAGE', 'Riverside Main Stage', 'confirmed', now() + interval '2 days', now() + interval '2 days 8 hours'),
       ($4, $1, $3, 'GIG-PICK-OPEN', 'Opener set', 'confirmed', now() + interval '2 days 1 hour', now() + interval '2 days 2 hours'),
       ($5, $1, $3, 'GIG-PICK-HEAD', 'Headliner set', 'confirmed', now() + interval '2 days 5 hours', now() + interval '2 days 7 hours')`,
    [org, LEAF, STAGE, OPENER, HEADLINER],
  );
  await db.query(`insert into public.cases (id, org_id, barcode, name) values ($2, $1, 'CASE-PICK-1', 'Wireless mic case')`, [org, CASE]);
  await db.query(
    `insert into public.assets (id, org_id, serial_number, name, category, status, current_gig_id, case_id) values
       ($2, $1, 'DESK-PICK-1', 'Mixing desk', 'Audio', 'available', null, null),
       ($3, $1, 'AMP-PICK-1', 'Amp rack', 'Audio', 'checked_out', $9, null),
       ($4, $1, 'MON-PICK-1', 'Stage monitor', 'Audio', 'in_maintenance', null, null),
       ($5, $1, 'MIC-PICK-1', 'Wireless mic', 'Audio', 'available', null, $10),
       ($6, $1, 'MIC-PICK-2', 'Wireless mic', 'Audio', 'available', null, $10),
       ($7, $1, 'HAZE-PICK-1', 'Hazer', 'Effects', 'available', null, null),
       ($8, $1, 'DI-PICK-1', 'DI box', 'Audio', 'available', null, null)`,
    [org, uuid(101), uuid(102), uuid(103), uuid(104), uuid(105), uuid(106), uuid(107), elsewhere.id, CASE],
  );
  await db.query(
    `insert into public.bulk_items (id, org_id, category, name, barcode, unit, consumable, in_warehouse) values
       ($2, $1, 'Pick XLR', 'XLR cable 10 m', 'BULK-PICK-XLR', 'pcs', false, 60),
       ($3, $1, 'Pick ramp', 'Cable ramp', 'BULK-PICK-RAMP', 'pcs', false, 12)`,
    [org, uuid(201), uuid(202)],
  );
  // Where to find them (issue 21): the desk, the case and the XLR stock on the demo warehouse's shelves.
  const shelf = '(select id from public.locations where org_id = $1 and code = $3)';
  await db.query(`update public.assets set location_id = ${shelf}, home_location_id = ${shelf} where id = $2`, [org, uuid(101), 'WH1-A01']);
  await db.query(`update public.cases set location_id = ${shelf}, home_location_id = ${shelf} where id = $2`, [org, CASE, 'WH1-A02']);
  await db.query(`update public.bulk_items set location_id = ${shelf}, home_location_id = ${shelf} where id = $2`, [
    org,
    uuid(201),
    'WH1-B01',
  ]);
  await db.query(
    `insert into public.kit_assignments (org_id, gig_id, asset_id, case_id, category, quantity) values
       ($1, $2, $4, null, null, null),
       ($1, $2, $5, null, null, null),
       ($1, $2, $6, null, null, null),
       ($1, $2, null, $7, null, null),
       ($1, $2, null, null, 'Pick XLR', 20),
       ($1, $2, null, null, 'Pick ramp', 4),
       ($1, $3, $8, null, null, null),
       ($1, $9, null, null, 'Pick XLR', 10)`,
    [org, LEAF, OPENER, uuid(101), uuid(102), uuid(103), CASE, uuid(107), HEADLINER],
  );
}

/** The server's count of a gig (the one definition, app.gig_asset_counts behind get_gig_hierarchy). */
async function serverCounts(gigIds: string[]): Promise<{ planned: number; scanned: number; missing: number; extra: number }> {
  const row = (
    await stack.db.query<{ planned: number; scanned: number; missing: number; extra: number }>(
      `select coalesce(sum(planned), 0)::int as planned, coalesce(sum(scanned), 0)::int as scanned,
              coalesce(sum(missing), 0)::int as missing, coalesce(sum(extra), 0)::int as extra
         from app.gig_asset_counts($1::uuid[])`,
      [gigIds],
    )
  ).rows[0];
  if (row === undefined) throw new Error('no counts');
  return row;
}

async function screenTotals(): Promise<{ planned: number; scanned: number; missing: number; extra: number }> {
  const values = (await page.getByTestId('progress').locator('dd').allInnerTexts()).map(Number);
  return { planned: values[0] ?? -1, scanned: values[1] ?? -1, missing: values[2] ?? -1, extra: values[3] ?? -1 };
}

async function typeScan(code: string): Promise<void> {
  await page.getByLabel('Type a code').fill(code);
  await page.getByLabel('Type a code').press('Enter');
}

const line = (code: string) => page.locator(`[data-testid="pick-line"][data-code="${code}"]`);

/** No sideways scroll at each size; a screenshot of each, copied into docs/screenshots. */
async function shoot(what: string, shot: string, scrollTo?: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size.viewport);
    await expect
      .poll(() => page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth'), {
        message: `${what} scrolls sideways at ${size.name}`,
      })
      .toBe(true);
    // A station shows the list beside the scan controls: the page from its top. A phone: the list.
    if (size.name === 'station')
      await page.evaluate("window.scrollTo(0, 0); for (const el of document.querySelectorAll('main, .pick-list-panel')) el.scrollTop = 0");
    else if (scrollTo !== undefined) await page.locator(scrollTo).first().scrollIntoViewIfNeeded();
    const file = join(SHOTS, `${shot}-${size.name}.png`);
    await page.screenshot({ path: file });
    copyFileSync(file, join(PROJECT_ROOT, 'docs', 'screenshots', `${shot}-${size.name}.png`));
  }
  await page.setViewportSize(SIZES[0].viewport);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  await seedPickList();
  web = await serveWeb(process.env['CREW_WEB_DIR'] === undefined ? {} : { dir: process.env['CREW_WEB_DIR'] });
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: SIZES[0].viewport,
    hasTouch: true,
    isMobile: true,
    deviceScaleFactor: 2,
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

describe('the Scan screen’s pick list', { timeout: 240_000 }, () => {
  it('shows the gig’s plan line by line, picks a case and two bulk lines by quantity, and agrees with the server’s count', async () => {
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
    await page.getByRole('button', { name: /^Scan( ?F\d)?/ }).click();
    // The first pull may still be on its way: the gig's code is unknown until it has arrived.
    await expect
      .poll(
        async () => {
          await typeScan('GIG-PICK-LEAF');
          await page.locator('.last-scan-code', { hasText: 'GIG-PICK-LEAF' }).waitFor({ timeout: 10_000 });
          return page.getByTestId('active-gig').innerText();
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBe('Harbour Hall Concert');

    // Before any scan: every planned line, nothing out, nothing extra — as the server counts.
    await expect.poll(() => page.getByTestId('pick-line').count(), { timeout: 30_000 }).toBe(6);
    expect(await screenTotals()).toEqual(await serverCounts([LEAF]));
    expect(await screenTotals()).toEqual({ planned: 29, scanned: 0, missing: 29, extra: 0 });
    expect(await line('AMP-PICK-1').innerText()).toMatch(/out to /);
    expect(await line('MON-PICK-1').innerText()).toContain('in maintenance');
    expect(await line('DESK-PICK-1').innerText()).toContain('on Shelf A01 (WH1-A01)');
    expect(await line('CASE-PICK-1').innerText()).toContain('on Shelf A02 (WH1-A02)');
    expect(await line('BULK-PICK-XLR').innerText()).toContain('60 on Shelf B01 (WH1-B01)');

    await typeScan('DESK-PICK-1');
    await typeScan('CASE-PICK-1');
    // A bulk code without a quantity opens the keypad; typed on a keyboard, Enter confirms.
    await typeScan('BULK-PICK-XLR');
    await page.getByTestId('quantity-pad').waitFor({ timeout: 30_000 });
    await page.getByTestId('quantity-value').pressSequentially('12');
    await page.getByTestId('quantity-value').press('Enter');
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('12 × XLR cable 10 m');
    // The ramp line's own button and the keypad's keys (a gloved thumb).
    await line('BULK-PICK-RAMP')
      .getByRole('button', { name: /Count out/ })
      .click();
    await page.getByTestId('quantity-pad').getByRole('button', { name: '4', exact: true }).click();
    await page.getByTestId('quantity-enter').click();
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('4 × Cable ramp');
    await typeScan('HAZE-PICK-1');
    await expect
      .poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 })
      .toContain('checked out — not on this gig’s pick list');

    // Synced: the lines and totals on screen are the server's.
    await expect.poll(() => page.getByTestId('queue-depth').innerText(), { timeout: 60_000 }).toBe('0 to sync');
    await expect.poll(() => screenTotals(), { timeout: 60_000 }).toEqual({ planned: 29, scanned: 19, missing: 10, extra: 1 });
    // "0 to sync" is the phone's word; the server's count is what the crew's manager sees.
    await expect.poll(() => serverCounts([LEAF]), { timeout: 60_000 }).toEqual(await screenTotals());
    expect(await line('CASE-PICK-1').innerText()).toContain('2/2');
    expect(await line('BULK-PICK-XLR').innerText()).toContain('12/20 pcs');
    expect(await line('BULK-PICK-RAMP').innerText()).toContain('4/4 pcs');
    expect(await page.getByTestId('pick-extras').innerText()).toContain('HAZE-PICK-1');
    await line('CASE-PICK-1').locator('summary').click();
    expect(await line('CASE-PICK-1').innerText()).toContain('MIC-PICK-2');
    await shoot('the pick list', 'pick-list', '[data-testid="pick-list"]');

    await typeScan('BULK-PICK-XLR');
    await page.getByTestId('quantity-pad').waitFor({ timeout: 30_000 });
    await shoot('the quantity keypad', 'quantity-pad');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Check-in: what is still out to the gig, returned ones ticked off.
    await typeScan('CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('pick-list').locator('h2').innerText(), { timeout: 30_000 }).toBe('Expected back');
    await expect.poll(() => screenTotals(), { timeout: 30_000 }).toEqual({ planned: 20, scanned: 0, missing: 20, extra: 0 });
    await typeScan('HAZE-PICK-1');
    // The scan's own answer first: a list that does not tick then says whether the scan was taken.
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('HAZE-PICK-1 in');
    await expect.poll(() => screenTotals(), { timeout: 60_000 }).toEqual({ planned: 20, scanned: 1, missing: 19, extra: 0 });
    await shoot('check-in’s expected returns', 'pick-list-check-in', '[data-testid="pick-list"]');
    // The page reloads mid check-in (a phone's browser drops a background tab): what came back is still ticked.
    await page.reload();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Scan/ }).click();
    await expect.poll(() => page.getByTestId('pick-list').locator('h2').innerText(), { timeout: 30_000 }).toBe('Expected back');
    await expect.poll(() => screenTotals(), { timeout: 30_000 }).toEqual({ planned: 20, scanned: 1, missing: 19, extra: 0 });
    await typeScan('CMD:CHECK-OUT');

    // A stage: its sets' lines, grouped by set, totals the server's roll-up of the stage.
    await typeScan('GIG-PICK-STAGE');
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe('Riverside Main Stage');
    await expect.poll(() => page.getByTestId('pick-group').count(), { timeout: 30_000 }).toBe(3);
    expect(await page.getByTestId('pick-group').allInnerTexts()).toEqual([
      expect.stringContaining('Riverside Main Stage'),
      expect.stringContaining('Opener set'),
      expect.stringContaining('Headliner set'),
    ]);
    expect(await screenTotals()).toEqual(await serverCounts([STAGE, OPENER, HEADLINER]));
    await typeScan('DI-PICK-1');
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('DI box → Opener set');
    await expect.poll(() => page.getByTestId('queue-depth').innerText(), { timeout: 60_000 }).toBe('0 to sync');
    await expect
      .poll(
        async () =>
          (await stack.db.query<{ current_gig_id: string }>('select current_gig_id from public.assets where id = $1', [uuid(107)])).rows[0]
            ?.current_gig_id,
        { timeout: 60_000 },
      )
      .toBe(OPENER);
    await shoot('a stage’s sets', 'pick-list-sets', '[data-testid="pick-list"]');
    expect(pageErrors).toEqual([]);
  });

  it('exports the gig’s movements as CSV: who scanned what, on which device, when; offline it says why not', async () => {
    await page.getByRole('button', { name: /^Gigs( ?F\d)?/ }).click();
    await page.getByLabel('Search gigs').fill('Harbour Hall');
    await page.locator('[role="treeitem"][data-code="GIG-PICK-LEAF"]').click();
    await expect.poll(() => page.getByRole('heading', { level: 2 }).first().innerText(), { timeout: 30_000 }).toBe('Harbour Hall Concert');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByTestId('export-movements').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^movements-GIG-PICK-LEAF-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'Scanned at (UTC),Recorded at (UTC),Movement,Item,Code,Quantity,Unit,Gig,Scanned by,Device,Device id,Condition,Note',
    );
    // What was picked above, each line by the signed-in crew member on this phone, in the order scanned.
    const body = lines.slice(1).map((l) => l.split(','));
    expect(body.map((f) => [f[2], f[4], f[5]])).toEqual([
      ['Out', 'DESK-PICK-1', '1'],
      ['Out', 'MIC-PICK-1', '1'],
      ['Out', 'MIC-PICK-2', '1'],
      ['Out', 'BULK-PICK-XLR', '12'],
      ['Out', 'BULK-PICK-RAMP', '4'],
      ['Out', 'HAZE-PICK-1', '1'],
      ['Back', 'HAZE-PICK-1', '1'],
    ]);
    expect(new Set(body.map((f) => f[8]))).toEqual(new Set(['Kim Ahmed']));
    expect(body.every((f) => /^this phone \(/.test(f[9] ?? '') && /^pwa-/.test(f[10] ?? ''))).toBe(true);
    await expect
      .poll(() => page.getByTestId('export-movements-result').innerText())
      .toMatch(/^Exported 7 movements \(with its sets\): movements-GIG-PICK-LEAF-/);
    await shoot('the gig’s movements export', 'gig-export', '[data-testid="export-movements-result"]');

    await context.setOffline(true);
    await page.getByTestId('export-movements').click();
    await expect
      .poll(() => page.getByTestId('export-movements-result').innerText(), { timeout: 60_000 })
      .toBe('Not exported: no connection (the movements come from the server: connect and try again)');
    await context.setOffline(false);
    expect(pageErrors).toEqual([]);
  });
});
