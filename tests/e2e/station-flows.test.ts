import { mkdirSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { DEMO_PASSWORD, ORGS, seedDatabase } from '../../scripts/seed/seed';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { startBackend, type BackendProcess } from '../helpers/backend-process';
import { launchChromium } from '../helpers/chromium';
import { PtyPair, PtyWriter } from '../helpers/socat';

// The real station (SQLite, sync engine, serial scanner driver) behind the browser host, driven in
// Chromium against a local backend in its own process (so it can be stopped and restarted) holding
// the full-size seed: 5,000 gigs and 20,000 assets.
const dir = mkdtempSync(join(tmpdir(), 'e2e-flows-'));
chmodSync(dir, 0o755);
const backendDir = join(dir, 'backend');
mkdirSync(backendDir, { mode: 0o755 });
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const ASSETS = 20_000;

let backend: BackendProcess;
let station: RunningBrowserStation;
let browser: Browser;
let page: Page;
let ports: { api: number; db: number } | undefined;
const pageErrors: string[] = [];
const pty = new PtyPair(join(dir, 'ttyStation'), join(dir, 'ttyScanner'));
let scannerEnd: PtyWriter;

// The first start takes ports the kernel picks; the restart below asks for the same ones again,
// so the station finds its backend where it was.
const backendArgs = (): string[] =>
  ports === undefined
    ? ['--port', '0', '--data-dir', backendDir]
    : ['--port', String(ports.api), '--db-port', String(ports.db), '--data-dir', backendDir];

/** SQL straight against the backend's database, as the service would see it. */
async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return backend.sql<T>(text, params);
}

async function screen(key: string, name: string): Promise<void> {
  await page.keyboard.press(key);
  await page.locator(`main[data-screen="${name}"]`).waitFor();
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** What a serial scanner sends: the code and its CR terminator, written without blocking. */
async function scan(code: string): Promise<void> {
  await scannerEnd.write(`${code}\r`);
}

async function lastScan(): Promise<string> {
  return page.getByTestId('last-scan').innerText();
}

async function queueDepth(): Promise<number> {
  return Number((await page.getByTestId('queue-depth').innerText()).split(' ')[0]);
}

beforeAll(async () => {
  // Not --fresh (that ignores --data-dir): the restart below must find the same database.
  backend = await startBackend(backendArgs());
  ports = { api: Number(new URL(backend.url).port), db: Number(new URL(backend.dbUrl).port) };
  await seedDatabase(backend.dbUrl, { gigs: 5000, assets: ASSETS, staff: 500, seed: 42 });
  await pty.start();
  station = await runBrowserStation({
    dataDir: dir,
    backend: { url: backend.url, anonKey: backend.anonKey },
    credentials: { email: 'station@northlight.test', password: DEMO_PASSWORD },
    log: () => undefined,
    rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
    port: 0,
    appVersion: 'e2e',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('favicon')) pageErrors.push(message.text());
  });
  await page.goto(station.openUrl);
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
  scannerEnd = await PtyWriter.open(pty.scanner);
}, 300_000);

afterAll(async () => {
  await scannerEnd?.close();
  await browser?.close();
  await station?.stop();
  await pty.stop();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the station in Chromium', () => {
  it('lists all 20,000 assets in a bounded DOM, and search narrows to exactly the matches', async () => {
    await screen('F3', 'assets');
    const count = page.getByTestId('asset-count');
    await expect.poll(() => count.innerText(), { timeout: 120_000, interval: 500 }).toBe(`${ASSETS} of ${ASSETS}`);
    const rows = page.locator('[data-testid="asset-list"] [role="option"]');
    expect(await rows.count()).toBeLessThanOrEqual(60);
    expect(await rows.count()).toBeGreaterThan(5);

    // Scrolled to the end, the DOM still holds a window of rows, not the list.
    await page.getByTestId('asset-list').hover();
    await page.mouse.wheel(0, ASSETS * 60);
    await expect.poll(() => rows.last().getAttribute('data-serial')).not.toBe(await rows.first().getAttribute('data-serial'));
    expect(await rows.count()).toBeLessThanOrEqual(60);

    const fragment = 'mic-1001';
    const [expected] = await sql<{ n: number }>(
      `select count(*)::int as n from public.assets where org_id = $1 and deleted_at is null
          and (serial_number ilike $2 or barcode ilike $2 or name ilike $2 or category ilike $2)`,
      [ORGS.northlight.id, `%${fragment}%`],
    );
    expect(expected?.n).toBeGreaterThan(0);
    await page.getByRole('searchbox', { name: 'Search assets' }).fill(fragment);
    await expect.poll(() => count.innerText()).toBe(`${expected?.n} of ${ASSETS}`);
    for (const row of await rows.all()) expect((await row.getAttribute('data-serial'))?.toLowerCase()).toContain(fragment);
    await rows.first().click();
    await expect.poll(() => page.getByTestId('asset-history').innerText(), { timeout: 15_000 }).toMatch(/check-(out|in)/);
    await shot('assets');
    await page.getByRole('searchbox', { name: 'Search assets' }).fill('');
  }, 180_000);

  it('checks a kit out through a serial scanner, keeps scanning offline, and drains exactly once when back', async () => {
    const [gig] = await sql<{ id: string; code: string; name: string }>(
      `select g.id, g.code, g.name from public.gigs g
        where g.org_id = $1 and g.status = 'confirmed' and g.deleted_at is null
          and not exists (select 1 from public.gigs c where c.parent_gig_id = g.id)
          and not exists (select 1 from public.kit_assignments k where k.gig_id = g.id)
          and not exists (select 1 from public.assets a where a.current_gig_id = g.id)
        order by g.code limit 1`,
      [ORGS.northlight.id],
    );
    if (gig === undefined) throw new Error('the seed has no confirmed leaf gig with no pick list and nothing out');
    const box = (
      await sql<{ id: string; barcode: string; contents: string[] }>(
        `select c.id, c.barcode, array_agg(a.id order by a.id) as contents from public.cases c join public.assets a on a.case_id = c.id
          where c.org_id = $1 and c.parent_case_id is null and c.deleted_at is null
            and not exists (select 1 from public.cases k where k.parent_case_id = c.id)
          group by c.id having bool_and(a.status = 'available' and a.deleted_at is null) and count(*) between 2 and 8
          order by c.barcode limit 1`,
        [ORGS.northlight.id],
      )
    )[0];
    const loose = await sql<{ id: string; serial_number: string }>(
      `select id, serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null
        order by serial_number limit 20`,
      [ORGS.northlight.id],
    );
    if (box === undefined || loose.length !== 20) throw new Error('the seed has no suitable case or 20 loose assets');
    // A planner puts 15 of them on the gig's pick list; the station learns it on its next sync.
    const planned = loose.slice(0, 15);
    await sql(`insert into public.kit_assignments (org_id, gig_id, asset_id) select $1, $2, unnest($3::uuid[])`, [
      ORGS.northlight.id,
      gig.id,
      planned.map((a) => a.id),
    ]);
    await screen('F4', 'sync');
    await page.getByRole('button', { name: 'Sync now' }).click();
    await screen('F2', 'gigs');
    await page.getByRole('searchbox', { name: 'Search gigs' }).fill(gig.code);
    await page.locator(`.gig-row[data-code="${gig.code}"]`).click();
    await expect.poll(() => page.getByTestId('gig-planned').innerText(), { timeout: 30_000 }).toMatch(/^15 here/);
    const [{ last } = { last: 0 }] = await sql<{ last: number }>('select coalesce(max(id), 0)::int as last from public.asset_movements');

    // The pty is added as a scanner from the Scanners screen.
    await screen('F6', 'scanners');
    await page.getByPlaceholder('/dev/ttyACM0 or COM3').fill(pty.device);
    await page.getByPlaceholder('Dock door').fill('Dock door');
    await page.getByRole('button', { name: 'Add scanner' }).click();
    await expect.poll(() => page.getByTestId('scanner').first().textContent(), { timeout: 15_000 }).toContain('serial · ready');

    await screen('F1', 'scan');
    await scan(gig.code);
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 15_000 }).toBe(gig.name);
    const firstHalf = loose.slice(0, 10);
    for (const asset of firstHalf) await scan(asset.serial_number);
    await expect.poll(lastScan, { timeout: 15_000 }).toContain(firstHalf[9]?.serial_number ?? '-');
    await expect.poll(queueDepth, { timeout: 30_000 }).toBe(0);
    const progress = async (): Promise<number[]> => [...(await page.getByTestId('progress').innerText()).matchAll(/\d+/g)].map(Number);
    // planned, scanned, missing, extra
    await expect.poll(progress).toEqual([15, 10, 5, 0]);

    // The backend goes away: the station says so, and scans keep queueing.
    await backend.stop();
    const secondHalf = loose.slice(10);
    for (const asset of secondHalf) await scan(asset.serial_number);
    await scan(box.barcode);
    await expect.poll(lastScan, { timeout: 15_000 }).toContain(box.barcode);
    await expect.poll(queueDepth, { timeout: 15_000 }).toBe(11);
    await expect.poll(progress).toEqual([15, 15, 0, 5 + box.contents.length]);
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 });
    await shot('scan');
    await screen('F4', 'sync');
    await expect.poll(() => page.getByTestId('sync-depth').innerText()).toBe('11');
    await shot('sync-offline');

    // Back: Sync now drains the queue, and the server holds each movement exactly once.
    backend = await startBackend(backendArgs());
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.getByTestId('sync-depth').innerText(), { timeout: 60_000 }).toBe('0');
    await expect.poll(() => page.getByTestId('sync-online').innerText()).toBe('Online');
    const moved = await sql<{ asset_id: string; n: number }>(
      `select asset_id, count(*)::int as n from public.asset_movements
        where id > $1 and kind = 'check_out' and gig_id = $2 group by asset_id order by asset_id`,
      [last, gig.id],
    );
    const expected = [...loose.map((a) => a.id), ...box.contents].sort();
    expect(moved.map((m) => m.asset_id)).toEqual(expected);
    expect(moved.every((m) => m.n === 1)).toBe(true);
    const others = await sql<{ n: number }>('select count(*)::int as n from public.asset_movements where id > $1 and gig_id <> $2', [
      last,
      gig.id,
    ]);
    expect(others[0]?.n).toBe(0);
    const out = await sql<{ n: number }>(
      `select count(*)::int as n from public.assets where id = any($1) and status = 'checked_out' and current_gig_id = $2`,
      [expected, gig.id],
    );
    expect(out[0]?.n).toBe(expected.length);
  }, 240_000);

  it('resolves a gig-status conflict from the Conflicts screen, both ways', async () => {
    const gigs = await sql<{ id: string; code: string; name: string }>(
      `select id, code, name from public.gigs where org_id = $1 and status = 'confirmed' and deleted_at is null
        and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code offset 5 limit 2`,
      [ORGS.northlight.id],
    );
    const [keep, drop] = gigs;
    if (keep === undefined || drop === undefined) throw new Error('the seed has no two confirmed leaf gigs');

    // Gig status is a manager's call: the manager signs in on this station from Settings.
    await screen('F7', 'settings');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').innerText()).toContain('Not signed in');
    await page.getByLabel('Email').fill('manager@northlight.test');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/^sign-in failed: /);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').innerText()).toBe('Signed in as manager@northlight.test');

    // Another manager changes each gig on the server while the station's change waits behind a row lock:
    // the station's op reaches the server after the manager's commit, with a stale version.
    for (const gig of [keep, drop]) {
      const manager = new pg.Client({ connectionString: backend.dbUrl });
      await manager.connect();
      try {
        await manager.query('begin');
        await manager.query('select 1 from public.gigs where id = $1 for update', [gig.id]);
        await screen('F2', 'gigs');
        await page.getByRole('searchbox', { name: 'Search gigs' }).fill(gig.code);
        await page.locator(`.gig-row[data-code="${gig.code}"]`).click();
        await page.getByRole('button', { name: 'Set cancelled' }).click();
        await page.getByText(`${gig.name}: cancelled — queued`).waitFor();
        await manager.query("update public.gigs set status = 'draft' where id = $1", [gig.id]);
        await manager.query('commit');
      } finally {
        await manager.end();
      }
    }

    await screen('F5', 'conflicts');
    const cards = page.getByTestId('conflict');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(2);
    // By code: the seed reuses gig names ("Crew call 2"), a conflict's title names the gig and its code.
    const keepCard = cards.filter({ hasText: keep.code });
    expect(await keepCard.getByTestId('local-status').innerText()).toBe('cancelled');
    expect(await keepCard.getByTestId('server-status').innerText()).toBe('draft');
    expect(await keepCard.locator('tr.differs').count()).toBe(1);
    await shot('conflicts');

    // Use Server for one, Keep Local (re-sent against the server's version) for the other.
    await cards.filter({ hasText: drop.code }).getByRole('button', { name: 'Use Server' }).click();
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(1);
    await keepCard.getByRole('button', { name: 'Keep Local' }).click();
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(0);

    const status = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        (
          await sql<{ id: string; status: string }>('select id, status::text from public.gigs where id = any($1)', [[keep.id, drop.id]])
        ).map((r) => [r.id, r.status]),
      );
    await expect.poll(status, { timeout: 30_000 }).toEqual({ [keep.id]: 'cancelled', [drop.id]: 'draft' });
    await screen('F2', 'gigs');
    for (const [gig, expected] of [
      [keep, 'cancelled'],
      [drop, 'draft'],
    ] as const) {
      await page.getByRole('searchbox', { name: 'Search gigs' }).fill(gig.code);
      await page.locator(`.gig-row[data-code="${gig.code}"]`).click();
      await expect.poll(() => page.getByTestId('gig-status').innerText(), { timeout: 30_000 }).toBe(expected);
    }
  }, 180_000);

  it('takes a keyboard-wedge burst as a scan on any screen, and shows every screen', async () => {
    await screen('F6', 'scanners');
    // A scanner's keys arrive a few ms apart; Playwright's typing on a loaded CI machine does not
    // (a 40 ms hiccup splits the burst), so the burst is dispatched in the page, in one go.
    // Each key goes down and up before the next, as a scanner's do (a key still held would be a person's).
    const burst = `for (const key of [...'CMD:CHECK-IN', 'Enter']) for (const type of ['keydown', 'keyup']) window.dispatchEvent(new KeyboardEvent(type, { key, code: 'Key' + key, bubbles: true }))`;
    await page.evaluate(burst);
    await expect.poll(() => page.locator('.frames code').first().innerText(), { timeout: 15_000 }).toBe('CMD:CHECK-IN');
    // The Scanners screen is for testing: the command is identified, not carried out.
    await expect
      .poll(() => page.getByTestId('test-scan-result').innerText(), { timeout: 15_000 })
      .toBe('test scan: command check-in — nothing was changed');
    await shot('scanners');
    await screen('F1', 'scan');
    await expect.poll(() => page.getByTestId('scan-mode').innerText()).toContain('Check-out');
    await page.evaluate(burst);
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 15_000 }).toContain('Check-in');
    await screen('F2', 'gigs');
    await page.getByRole('searchbox', { name: 'Search gigs' }).fill('');
    await page.locator('.gig-row').first().click();
    await page.getByRole('tree').press('Enter');
    await page.locator('.gig-row').nth(1).click();
    await page.getByRole('tree').press('Enter');
    await shot('gigs');
    await screen('F7', 'settings');
    await expect.poll(() => page.getByTestId('signed-in-as').innerText()).toBe('Signed in as manager@northlight.test');
    await shot('settings');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
