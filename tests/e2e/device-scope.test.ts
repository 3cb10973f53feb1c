import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { OVERFLOW } from '../helpers/overflow';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// A touring laptop keeps only its tour (issue 20): from the tour's detail on the Gigs screen, with
// a confirmation; the Sync screen and Settings say what the device keeps, the copy is verified
// against the tour, and the whole company comes back from Settings.
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const dir = mkdtempSync(join(tmpdir(), 'device-scope-'));
chmodSync(dir, 0o755);

let stack: TestStack;
let org: Org;
let browser: Browser;
let station: RunningBrowserStation;
let page: Page;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'device-scope');
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await station?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function shoot(name: string): Promise<void> {
  expect(await page.evaluate<string[]>(OVERFLOW)).toEqual([]);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(DOC_SHOTS, `station-${name}.png`));
}

async function screen(key: string, name: string): Promise<void> {
  await page.keyboard.press(key);
  await page.locator(`main[data-screen="${name}"]`).waitFor();
}

const plain = async (testId: string): Promise<string> => (await page.getByTestId(testId).innerText()).replaceAll('\u00a0', ' ');

describe('what a device keeps', () => {
  it('keeps only a tour from the Gigs screen, says so on Sync and Settings, and takes the whole company back', async () => {
    const tour = await insertGig(stack.db, org.id, { name: 'Autumn tour', status: 'confirmed' });
    const night = await insertGig(stack.db, org.id, { parent: tour, name: 'Hamburg', status: 'confirmed' });
    await insertGig(stack.db, org.id, { name: 'Spring tour', status: 'confirmed' });
    for (let i = 0; i < 6; i += 1) {
      const asset = await insertAsset(stack.db, org.id, `SCOPE-${i}`, { name: 'Shure SM58' });
      if (i < 2)
        await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, night, asset]);
    }
    const member = org.members.manager;
    station = await runBrowserStation({
      dataDir: dir,
      backend: { url: stack.url, anonKey: stack.anonKey },
      credentials: { email: member.email, password: member.password },
      log: () => undefined,
      rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
      port: 0,
      appVersion: 'test',
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(station.openUrl);
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
    await screen('F4', 'sync');
    await expect.poll(() => plain('copy-headline'), { timeout: 30_000 }).toMatch(/ · 3 gigs, 6 items · verified$/);
    expect(await plain('copy-scope')).toMatch(/^Keeps the whole company/);

    await screen('F2', 'gigs');
    await page.locator('.gig-row', { hasText: 'Autumn tour' }).click();
    await page.getByRole('button', { name: 'Keep only this gig on this device…' }).click();
    expect(await page.getByTestId('keep-confirm').innerText()).toMatch(
      /^This device will keep Autumn tour with its sets, plan, crew, cases and items/,
    );
    await page.getByRole('button', { name: 'Keep only Autumn tour' }).scrollIntoViewIfNeeded();
    await shoot('gigs-keep-confirm');
    await page.getByRole('button', { name: 'Keep only Autumn tour' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'This device now keeps' }).count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('keep-state').count(), { timeout: 30_000 }).toBe(1);

    await screen('F4', 'sync');
    await expect.poll(() => plain('copy-headline'), { timeout: 30_000 }).toMatch(/ · 2 gigs, 2 items · verified$/);
    expect(await plain('copy-scope')).toMatch(/^Keeps Autumn tour/);
    await page.getByRole('region', { name: 'Local copy' }).scrollIntoViewIfNeeded();
    await shoot('sync-scope');

    await screen('F7', 'settings');
    expect(await plain('scope-now')).toBe('Keeps Autumn tour.');
    expect(await page.getByRole('list', { name: 'Chosen gigs' }).innerText()).toMatch(/Autumn tour/);
    await page.getByRole('region', { name: 'On this device' }).scrollIntoViewIfNeeded();
    await shoot('settings-scope');

    // The whole company again: every item back, verified.
    await page.getByRole('radio', { name: /The whole company/ }).click();
    await expect.poll(() => plain('scope-now'), { timeout: 30_000 }).toBe('Keeps the whole company.');
    await screen('F4', 'sync');
    await expect.poll(() => plain('copy-headline'), { timeout: 30_000 }).toMatch(/ · 3 gigs, 6 items · verified$/);
  }, 180_000);
});
