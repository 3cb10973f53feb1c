import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { OVERFLOW } from '../helpers/overflow';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The station's Local copy section (issue 20) on the real browser host and local stack: a copy
// checked against the server says "Ready offline · data as of …", the header says how old the data
// is; a copy damaged behind the app's back is found by Check now and put right by Repair.
const dir = mkdtempSync(join(tmpdir(), 'sync-copy-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');

let stack: TestStack;
let org: Org;
let station: RunningBrowserStation;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'copy');
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await station?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(DOC_SHOTS, `station-${name}.png`));
}

describe('the Sync screen’s local copy', () => {
  it('says the copy is ready offline as of a time, finds a damaged copy and repairs it', async () => {
    const tour = await insertGig(stack.db, org.id, { name: 'Autumn tour', status: 'confirmed' });
    for (let i = 0; i < 4; i += 1) await insertGig(stack.db, org.id, { parent: tour, name: `Night ${i + 1}` });
    const assets: string[] = [];
    for (let i = 0; i < 9; i += 1) assets.push(await insertAsset(stack.db, org.id, `SPK-${100 + i}`, { name: 'L-Acoustics X12' }));
    const member = org.members.station;
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
    await page.keyboard.press('F4');
    await page.locator('main[data-screen="sync"]').waitFor();
    // Times and counts keep their no-break spaces (never wrapped mid-value); compared with plain ones.
    const words = async (testId: string): Promise<string> => (await page.getByTestId(testId).innerText()).replaceAll('\u00a0', ' ');
    const headline = { innerText: () => words('copy-headline') };
    await expect
      .poll(() => headline.innerText(), { timeout: 30_000 })
      .toMatch(/^Ready offline · data as of \d\d:\d\d today · 5 gigs, 9 items · verified$/);
    expect(await words('data-age')).toMatch(/^· as of \d\d:\d\d today$/);
    expect(await page.getByTestId('copy-count-assets').innerText()).toBe('9');
    expect(await page.locator('main').innerText()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}|kit_assignments|gig_staff/);
    expect(await page.evaluate<string[]>(OVERFLOW)).toEqual([]);
    await shoot('sync-copy-verified');

    // Behind the app's back: one item gone from the file.
    const raw = new Database(join(dir, 'station.sqlite'));
    raw.prepare('delete from asset_cache where id = ?').run(assets[3]);
    raw.close();
    await page.getByRole('button', { name: 'Check now' }).click();
    await expect
      .poll(() => headline.innerText(), { timeout: 30_000 })
      .toMatch(/^Incomplete · data as of .* · 1 table differs from the server$/);
    expect(await words('copy-problems')).toBe('items: 8 here, 9 on the server');
    await shoot('sync-copy-mismatch');

    await page.getByRole('button', { name: 'Repair' }).click();
    await expect.poll(() => headline.innerText(), { timeout: 30_000 }).toMatch(/^Ready offline · .* · verified$/);
    expect(await page.getByTestId('copy-problems').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Repair' }).count()).toBe(0);
  }, 120_000);
});
