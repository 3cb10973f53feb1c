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

// Live updates between stations (issue 20): station A scans, station B's Scan and Gigs screens show
// it with B's poll turned off (only the Realtime poke can have brought it); with Realtime down, a
// station that polls still gets it, and the one that does not catches up as soon as Realtime is back.
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const dirs: string[] = [];
const HOUR = 3_600_000;

let stack: TestStack;
let org: Org;
let browser: Browser;
const stations: RunningBrowserStation[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'live');
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  for (const station of stations) await station.stop();
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A browser station on its own SQLite file, signed in as the org's station member, its page open on the Scan screen. */
async function openStation(name: string, pollMs: number): Promise<Page> {
  const dir = mkdtempSync(join(tmpdir(), `live-${name}-`));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  const member = org.members.station;
  const station = await runBrowserStation({
    dataDir: dir,
    backend: { url: stack.url, anonKey: stack.anonKey },
    credentials: { email: member.email, password: member.password },
    log: () => undefined,
    rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
    port: 0,
    appVersion: 'test',
    pollMs,
  });
  stations.push(station);
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(station.openUrl);
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
  return page;
}

async function typeCode(page: Page, code: string): Promise<void> {
  await page.getByLabel('Type a code').fill(code);
  await page.getByLabel('Type a code').press('Enter');
}

/** The Scan screen's counts: planned, scanned, missing, extra. */
async function progress(page: Page): Promise<number[]> {
  return [...(await page.getByTestId('progress').innerText()).matchAll(/\d+/g)].map(Number);
}

/** The Sync screen's word for how changes arrive (the station is online). */
async function arrival(page: Page): Promise<string> {
  await page.keyboard.press('F4');
  await page.locator('main[data-screen="sync"]').waitFor();
  const words = await page.getByTestId('sync-live').innerText();
  await page.keyboard.press('F1');
  await page.locator('main[data-screen="scan"]').waitFor();
  return words;
}

describe('live updates between stations', () => {
  it('a scan on one station reaches the other’s Scan and Gigs screens with its poll off, and falls back to polling without Realtime', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Harbour Festival', status: 'confirmed' });
    const { rows } = await stack.db.query<{ code: string }>('select code from public.gigs where id = $1', [gig]);
    const gigCode = rows[0]?.code ?? '';
    const serials = ['SPK-201', 'SPK-202', 'SPK-203'];
    for (const serial of serials) {
      const asset = await insertAsset(stack.db, org.id, serial, { name: 'd&b Y10P' });
      await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, gig, asset]);
    }

    const a = await openStation('a', HOUR);
    const b = await openStation('b', HOUR);
    // B's Sync screen says changes arrive live once its channel is joined.
    await expect.poll(() => arrival(b), { timeout: 30_000 }).toBe('Live: changes arrive as they happen');
    await b.keyboard.press('F4');
    await b.locator('main[data-screen="sync"]').waitFor();
    expect(await b.evaluate<string[]>(OVERFLOW)).toEqual([]);
    await b.screenshot({ path: join(SHOTS, 'sync-live.png') });
    copyFileSync(join(SHOTS, 'sync-live.png'), join(DOC_SHOTS, 'station-sync-live.png'));
    await b.keyboard.press('F1');

    for (const page of [a, b]) {
      await typeCode(page, gigCode);
      await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 15_000 }).toBe('Harbour Festival');
    }
    expect(await progress(b)).toEqual([3, 0, 3, 0]);

    // A scans one item out; B never polls, so only the poke can bring it.
    await typeCode(a, 'SPK-201');
    await expect.poll(() => progress(a), { timeout: 15_000 }).toEqual([3, 1, 2, 0]);
    await expect.poll(() => progress(b), { timeout: 20_000 }).toEqual([3, 1, 2, 0]);
    await b.keyboard.press('F2');
    await b.locator('main[data-screen="gigs"]').waitFor();
    await b.getByRole('searchbox', { name: 'Search gigs' }).fill(gigCode);
    await b.locator(`.gig-row[data-code="${gigCode}"]`).click();
    await expect.poll(() => b.getByTestId('gig-out').innerText(), { timeout: 15_000 }).toMatch(/^1 here/);
    await b.keyboard.press('F1');
    await b.locator('main[data-screen="scan"]').waitFor();

    // Realtime goes down: C, which polls every 2 s, still gets A's next scan; B (no poll) says it
    // is back to checks and has it only once Realtime is back and its channel rejoins.
    const c = await openStation('c', 2000);
    await typeCode(c, gigCode);
    await expect.poll(() => progress(c), { timeout: 15_000 }).toEqual([3, 1, 2, 0]);
    await stack.stopRealtime();
    await expect.poll(() => arrival(b), { timeout: 30_000 }).toBe('Changes arrive at the next check');
    await typeCode(a, 'SPK-202');
    await expect.poll(() => progress(c), { timeout: 30_000 }).toEqual([3, 2, 1, 0]);
    expect(await progress(b)).toEqual([3, 1, 2, 0]);
    await stack.startRealtime();
    await expect.poll(() => progress(b), { timeout: 60_000 }).toEqual([3, 2, 1, 0]);
    await expect.poll(() => arrival(b), { timeout: 30_000 }).toBe('Live: changes arrive as they happen');
  }, 240_000);
});
