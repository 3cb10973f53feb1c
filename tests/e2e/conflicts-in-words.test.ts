import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { StationApi } from '../../core/station-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// Issue 18, "Conflicts and sync in the operator's language": the real station (SQLite, engine)
// behind the browser host, in Chromium, signed in as a station against the local stack. Real
// conflicts are made the way they happen at a dock door: the station scans an item while someone
// else moves it on the server first (a row lock holds the station's push until the other change
// commits). The Conflicts and Sync screens name things in words (no id on the page), say what each
// choice will do, offer only what the server will take — and every offered choice is taken and
// checked on the server. The refused scan says so on its own Recent scans entry, and a station is
// not offered a gig status change.
const dir = mkdtempSync(join(tmpdir(), 'conflicts-words-'));
chmodSync(dir, 0o755);
const managerDir = mkdtempSync(join(tmpdir(), 'conflicts-words-manager-'));
chmodSync(managerDir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
/** The renderer under test: CONFLICTS_RENDERER_DIR (a private build) or the project's build. */
const RENDERER = process.env['CONFLICTS_RENDERER_DIR'] ?? join(PROJECT_ROOT, 'out', 'renderer');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const PHONES = [
  { name: '360', width: 360, height: 740 },
  { name: '414', width: 414, height: 896 },
] as const;

let stack: TestStack;
let org: Org;
let station: RunningBrowserStation;
let managerStation: RunningBrowserStation | undefined;
let browser: Browser;
let page: Page;
const phones: { name: string; context: BrowserContext; page: Page }[] = [];
const pageErrors: string[] = [];
type StationWindow = { station: StationApi };
const NO_SIDEWAYS_SCROLL = 'document.documentElement.scrollWidth <= document.documentElement.clientWidth';

beforeAll(async () => {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`no built renderer in ${RENDERER}: run npm run build`);
  stack = await startTestStack();
  org = await createOrg(stack, 'conflicts');
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  for (const phone of phones) await phone.context.close();
  await browser?.close();
  await station?.stop();
  await managerStation?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(managerDir, { recursive: true, force: true });
});

async function shoot(on: Page, name: string): Promise<void> {
  await on.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(DOC_SHOTS, `${name}.png`));
}

async function screen(on: Page, key: string, name: string): Promise<void> {
  await on.keyboard.press(key);
  await on.locator(`main[data-screen="${name}"]`).waitFor();
}

/** Opens a tab by its name (a phone has no F-keys at hand). */
async function tap(on: Page, tab: string, name: string): Promise<void> {
  await on
    .getByRole('navigation', { name: 'Screens' })
    .getByRole('button', { name: new RegExp(`^${tab}`) })
    .click();
  await on.locator(`main[data-screen="${name}"]`).waitFor();
}

async function typeCode(code: string): Promise<void> {
  await page.locator('#manual-code').fill(code);
  await page.locator('#manual-code').press('Enter');
}

async function assetOnServer(id: string): Promise<{ status: string; current_gig_id: string | null }> {
  const { rows } = await stack.db.query<{ status: string; current_gig_id: string | null }>(
    'select status::text, current_gig_id from public.assets where id = $1',
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no such asset');
  return row;
}

/** A real station signed in as `member` over the browser host, its window open at 1366×768 and online. */
async function openStation(member: Org['members']['station'], dataDir: string): Promise<{ station: RunningBrowserStation; page: Page }> {
  const opened = await runBrowserStation({
    dataDir,
    backend: { url: stack.url, anonKey: stack.anonKey },
    credentials: { email: member.email, password: member.password },
    log: () => undefined,
    rendererDir: RENDERER,
    port: 0,
    appVersion: 'test',
  });
  const window = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  window.on('pageerror', (error) => pageErrors.push(error.message));
  await window.goto(opened.openUrl);
  await window.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
  return { station: opened, page: window };
}

/** A station's push is waiting on a row lock the test holds. */
async function stationWaitsOnLock(): Promise<void> {
  await expect
    .poll(
      async () =>
        (
          await stack.db.query<{ n: number }>(
            "select count(*)::int as n from pg_locks where not granted and locktype in ('tuple', 'transactionid')",
          )
        ).rows[0]?.n ?? 0,
      { timeout: 30_000 },
    )
    .toBeGreaterThan(0);
}

/**
 * The station scans `serial` while the server holds the asset's row: its push waits on the lock,
 * `meanwhile` runs (someone else's change, committed first), and the station's op arrives on a
 * moved row — a conflict. `whileHeld` runs while the station's op is still in flight.
 */
async function conflictOn(asset: string, serial: string, meanwhile: string[], whileHeld?: () => Promise<void>): Promise<void> {
  const other = await stack.db.connect();
  try {
    await other.query('begin');
    await other.query('select 1 from public.assets where id = $1 for update', [asset]);
    const before = (await page.getByTestId('last-scan').innerText()).trim();
    await typeCode(serial);
    await expect.poll(async () => (await page.getByTestId('last-scan').innerText()).trim(), { timeout: 15_000 }).not.toBe(before);
    // The station's push is waiting on the row lock.
    await stationWaitsOnLock();
    await whileHeld?.();
    for (const statement of meanwhile) await other.query(statement, [asset]);
    await other.query('commit');
  } finally {
    other.release();
  }
}

describe('conflicts and sync in the operator’s language', () => {
  it('names things in words, offers only what the server takes, and every offered choice succeeds on the server', async () => {
    const day1 = await insertGig(stack.db, org.id, { name: 'Main Stage Day 1', status: 'confirmed' });
    const day2 = await insertGig(stack.db, org.id, { name: 'Main Stage Day 2', status: 'confirmed' });
    await stack.db.query("update public.gigs set code = case id when $1 then 'MS-DAY1' else 'MS-DAY2' end where id in ($1, $2)", [
      day1,
      day2,
    ]);
    const mic = await insertAsset(stack.db, org.id, 'MIC-1042', { name: 'Shure SM58' });
    const beta = await insertAsset(stack.db, org.id, 'MIC-1043', { name: 'Shure Beta 58A' });
    const di = await insertAsset(stack.db, org.id, 'DI-0007', { name: 'Radial DI box' });

    ({ station, page } = await openStation(org.members.station, dir));
    for (const size of PHONES) {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, hasTouch: true, isMobile: true });
      const phonePage = await context.newPage();
      await phonePage.goto(station.openUrl);
      phones.push({ name: size.name, context, page: phonePage });
    }

    // The gig is picked by its code once the station has pulled it.
    await expect
      .poll(
        async () => {
          await typeCode('MS-DAY1');
          return page.getByTestId('active-gig').innerText();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe('Main Stage Day 1');
    await expect
      .poll(async () => (await page.getByTestId('last-scan').innerText()).includes('Main Stage Day 1'), { timeout: 10_000 })
      .toBe(true);

    // MIC-1042: someone else checks it out to Day 2 first. While the station's check-out is held
    // in flight, the Sync screen names it (station and phones).
    await conflictOn(
      mic,
      'MIC-1042',
      [`update public.assets set status = 'checked_out', current_gig_id = '${day2}' where id = $1`],
      async () => {
        await screen(page, 'F4', 'sync');
        const row = page.getByTestId('queue-row').first();
        await expect.poll(() => row.innerText(), { timeout: 15_000 }).toMatch(/Check-out of Shure SM58 · MIC-1042 to Main Stage Day 1/);
        expect(await row.innerText()).not.toMatch(/failed|assets\.check_out/i);
        expect(await page.locator('main').innerText()).not.toMatch(UUID);
        await shoot(page, 'station-sync-1366');
        for (const phone of phones) {
          await tap(phone.page, 'Sync', 'sync');
          await expect.poll(() => phone.page.getByTestId('queue-row').first().innerText(), { timeout: 15_000 }).toContain('MIC-1042');
          expect(await phone.page.locator('main').innerText()).not.toMatch(UUID);
          expect(await phone.page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
          // The queue is below the status cards on a phone: the shot shows it, as the operator scrolls to it.
          await phone.page.getByTestId('queue-row').first().scrollIntoViewIfNeeded();
          await shoot(phone.page, `station-sync-${phone.name}`);
        }
        await screen(page, 'F1', 'scan');
      },
    );
    // MIC-1043: out to Day 2 and back in before the station's check-out arrives (it is in the warehouse).
    await conflictOn(beta, 'MIC-1043', [
      `update public.assets set status = 'checked_out', current_gig_id = '${day2}' where id = $1`,
      `update public.assets set status = 'available', current_gig_id = null where id = $1`,
    ]);
    // DI-0007: the same, to take Use Server on a conflict where Keep Local would also work.
    await conflictOn(di, 'DI-0007', [
      `update public.assets set status = 'in_maintenance' where id = $1`,
      `update public.assets set status = 'available' where id = $1`,
    ]);

    // Recent scans: each refused scan says so on its own entry, in words.
    const refused = page.locator('.recent li').filter({ hasText: 'Refused:' });
    await expect.poll(() => refused.count(), { timeout: 30_000 }).toBe(3);
    for (const serial of ['MIC-1042', 'MIC-1043', 'DI-0007'])
      expect(await refused.filter({ hasText: serial }).innerText()).toMatch(
        new RegExp(`^Refused: changed on the server, see Conflicts · ${serial} `),
      );
    await shoot(page, 'station-scan-refused-1366');

    await screen(page, 'F5', 'conflicts');
    const cards = page.getByTestId('conflict');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(3);
    const micCard = cards.filter({ hasText: 'MIC-1042' });
    const betaCard = cards.filter({ hasText: 'MIC-1043' });
    const diCard = cards.filter({ hasText: 'DI-0007' });
    expect(await micCard.getByTestId('conflict-title').innerText()).toBe('Shure SM58 · MIC-1042');
    expect(await micCard.getByTestId('local-where').innerText()).toBe('out to: Main Stage Day 1');
    expect(await micCard.getByTestId('server-where').innerText()).toBe('out to: Main Stage Day 2');
    expect(await micCard.locator('tr.differs').count()).toBe(1);
    expect(await micCard.getByTestId('conflict-server-change').innerText()).toMatch(/^Changed on the server at \d\d:\d\d[\u00a0 ]today/);
    expect(await micCard.getByTestId('choice-keep_local').innerText()).toBe(
      "Keep local: not offered — sending the check-out again would be refused because MIC-1042 is now out to Main Stage Day 2. Check it in first, or use the server's.",
    );
    expect(await micCard.getByRole('button', { name: 'Keep Local' }).isDisabled()).toBe(true);
    expect(await betaCard.getByTestId('server-where').innerText()).toBe('in the warehouse');
    expect(await betaCard.getByTestId('choice-keep_local').innerText()).toBe(
      'Keep local: send the check-out again — MIC-1043 goes out to Main Stage Day 1.',
    );
    expect(await betaCard.getByRole('button', { name: 'Keep Local' }).isEnabled()).toBe(true);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(UUID);
    expect(text).not.toMatch(/current_gig_id|checked_out|assets\.check_out/);
    await shoot(page, 'station-conflicts-1366');
    for (const phone of phones) {
      await tap(phone.page, 'Conflicts', 'conflicts');
      await expect.poll(() => phone.page.getByTestId('conflict').count(), { timeout: 15_000 }).toBe(3);
      expect(await phone.page.locator('main').innerText()).not.toMatch(UUID);
      expect(await phone.page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
      await shoot(phone.page, `station-conflicts-${phone.name}`);
    }

    // A Keep Local the server would refuse is refused by the station too (a Select all cannot sneak it through).
    const refusedKeep = await page.evaluate(async () => {
      const { station: api } = globalThis as unknown as StationWindow;
      const list = await api.listConflicts();
      const id = list.find((c) => c.view.title.includes('MIC-1042'))?.id ?? '';
      return api.resolveConflicts({ ids: [id], choice: 'keep_local' }).then(
        () => 'resolved',
        (error: unknown) => String((error as { code?: string }).code),
      );
    });
    expect(refusedKeep).toBe('conflict');
    expect(await cards.count()).toBe(3);

    // Every offered choice, taken, succeeds on the server.
    await betaCard.getByRole('button', { name: 'Keep Local' }).click();
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => assetOnServer(beta), { timeout: 30_000 }).toEqual({ status: 'checked_out', current_gig_id: day1 });
    await diCard.getByRole('button', { name: 'Use Server' }).click();
    await micCard.getByRole('button', { name: 'Use Server' }).click();
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(0);
    expect(await assetOnServer(di)).toEqual({ status: 'available', current_gig_id: null });
    expect(await assetOnServer(mic)).toEqual({ status: 'checked_out', current_gig_id: day2 });
    // Nothing was quarantined or left waiting: each choice did what it said.
    await screen(page, 'F4', 'sync');
    await expect.poll(() => page.getByTestId('sync-depth').innerText(), { timeout: 30_000 }).toBe('0');
    expect(await page.getByTestId('quarantined').count()).toBe(0);
    const movements = await stack.db.query<{ n: number }>(
      "select count(*)::int as n from public.asset_movements where asset_id = $1 and kind = 'check_out' and gig_id = $2",
      [beta, day1],
    );
    expect(movements.rows[0]?.n).toBe(1);

    // A station is not offered a gig status change (the server would answer forbidden); it is told why.
    await screen(page, 'F2', 'gigs');
    await page.getByRole('searchbox', { name: 'Search gigs' }).fill('MS-DAY1');
    await page.locator('.gig-row[data-code="MS-DAY1"]').click();
    await expect
      .poll(() => page.getByTestId('gig-actions-note').innerText(), { timeout: 15_000 })
      .toBe("Signed in as a station: a gig's status is changed by a manager or an admin.");
    expect(await page.getByRole('button', { name: /^Set / }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('a manager’s gig status conflict says who changed the gig on the server, and Keep Local succeeds', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Press day', status: 'draft' });
    await stack.db.query("update public.gigs set code = 'PRESS-DAY' where id = $1", [gig]);
    // The admin who will change it first has a staff profile: the station names them from its copy.
    await stack.db.query(
      "insert into public.staff_profiles (org_id, user_id, display_name, badge_code) values ($1, $2, 'Ada Admin', 'BADGE-ADA')",
      [org.id, org.members.admin.userId],
    );
    const opened = await openStation(org.members.manager, managerDir);
    managerStation = opened.station;
    const manager = opened.page;
    await screen(manager, 'F2', 'gigs');
    await manager.getByRole('searchbox', { name: 'Search gigs' }).fill('PRESS-DAY');
    // Pulled with Ada's profile (inserted before the station started): the row is there once the first pull is in.
    await manager.locator('.gig-row[data-code="PRESS-DAY"]').click({ timeout: 60_000 });
    // The manager cancels it while Ada confirms it from her laptop; hers commits first.
    const other = await stack.db.connect();
    try {
      await other.query('begin');
      await other.query('select 1 from public.gigs where id = $1 for update', [gig]);
      await manager.getByRole('button', { name: 'Set cancelled' }).click();
      await stationWaitsOnLock();
      // As Ada's request reaches the database: her identity in the request's claims.
      await other.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: org.members.admin.userId, role: 'authenticated' }),
      ]);
      await other.query("update public.gigs set status = 'confirmed' where id = $1", [gig]);
      await other.query('commit');
    } finally {
      other.release();
    }

    await screen(manager, 'F5', 'conflicts');
    const card = manager.getByTestId('conflict').filter({ hasText: 'PRESS-DAY' });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('conflict-title').innerText()).toBe('Press day · PRESS-DAY');
    expect(await card.getByTestId('conflict-server-change').innerText()).toMatch(
      /^Changed on the server at \d\d:\d\d[\u00a0 ]today by Ada Admin\.$/,
    );
    expect(await card.getByTestId('choice-keep_local').innerText()).toBe(
      'Keep local: set Press day · PRESS-DAY to cancelled again (it is confirmed on the server).',
    );
    expect(await manager.locator('main').innerText()).not.toMatch(UUID);
    await shoot(manager, 'station-conflict-gig-1366');
    await card.getByRole('button', { name: 'Keep Local' }).click();
    await expect
      .poll(
        async () => (await stack.db.query<{ status: string }>('select status::text from public.gigs where id = $1', [gig])).rows[0]?.status,
        {
          timeout: 30_000,
        },
      )
      .toBe('cancelled');
    await expect.poll(() => manager.getByTestId('conflict').count(), { timeout: 15_000 }).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
