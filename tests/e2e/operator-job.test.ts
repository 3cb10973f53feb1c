import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import { startFaultingProxy, type FaultingProxy } from '../helpers/faulting-proxy';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { PtyPair, PtyWriter } from '../helpers/socat';

// Issue 18's proof, on the station: the real station (SQLite, engine, serial scanner driver)
// behind the browser host, in Chromium at 1366×768, a real serial scanner on a socat pty, the
// local stack behind a proxy that can refuse pushes (the dock's network gone). An operator scans
// their badge, picks a gig's list — an item, a case and two bulk lines by quantity (CMD:QTY:n
// from the scanner, and the keypad) — while pushes fail, so every op reaches the server well
// after it was scanned; the Scan screen's lines are the server's plan. Everything comes back,
// one microphone in the case damaged with a note. The server holds one movement per item and
// per bulk count, each naming the operator's staff profile, this station's device id and the
// scan time (inside the scan window, before the push); the asset's history on the Assets screen
// says who, where from and the note, in words.
const dir = mkdtempSync(join(tmpdir(), 'operator-job-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
/** The renderer under test: OPERATOR_RENDERER_DIR (a private build) or the project's build. */
const RENDERER = process.env['OPERATOR_RENDERER_DIR'] ?? join(PROJECT_ROOT, 'out', 'renderer');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const STATION_NAME = 'Dock door A';
const NOTE = 'cracked grille, capsule rattles';

let stack: TestStack;
let proxy: FaultingProxy;
let org: Org;
let station: RunningBrowserStation;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const pty = new PtyPair(join(dir, 'ttyStation'), join(dir, 'ttyScanner'));
let scannerEnd: PtyWriter;

interface Arranged {
  gig: string;
  staff: string;
  desk: string;
  box: string;
  mics: string[];
  xlr: string;
  ramp: string;
}
let arranged: Arranged;

async function arrange(): Promise<Arranged> {
  const db = stack.db;
  const gig = await insertGig(db, org.id, { name: 'Harbour Hall Concert', status: 'confirmed' });
  await db.query("update public.gigs set code = 'GIG-HARBOUR' where id = $1", [gig]);
  const staff = (
    await db.query<{ id: string }>(
      "insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Kim Ahlberg', 'BADGE-KIM') returning id",
      [org.id],
    )
  ).rows[0]?.id;
  if (staff === undefined) throw new Error('no staff profile');
  const desk = await insertAsset(db, org.id, 'DESK-OPJ-1', { name: 'Mixing desk' });
  const box = await insertCase(db, org.id, 'CASE-OPJ-1');
  await db.query("update public.cases set name = 'Wireless mic case' where id = $1", [box]);
  const mics = [];
  for (const serial of ['MIC-OPJ-1', 'MIC-OPJ-2', 'MIC-OPJ-3'])
    mics.push(await insertAsset(db, org.id, serial, { name: 'Wireless mic', caseId: box }));
  const bulk = await db.query<{ id: string; barcode: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, consumable, in_warehouse) values
       ($1, 'XLR 10 m', 'XLR cable 10 m', 'BULK-OPJ-XLR', 'pcs', false, 60),
       ($1, 'Cable ramp', 'Cable ramp', 'BULK-OPJ-RAMP', 'pcs', false, 12)
     returning id, barcode`,
    [org.id],
  );
  const xlr = bulk.rows.find((r) => r.barcode === 'BULK-OPJ-XLR')?.id;
  const ramp = bulk.rows.find((r) => r.barcode === 'BULK-OPJ-RAMP')?.id;
  if (xlr === undefined || ramp === undefined) throw new Error('no bulk items');
  await db.query(
    `insert into public.kit_assignments (org_id, gig_id, asset_id, case_id, category, quantity) values
       ($1, $2, $3, null, null, null), ($1, $2, null, $4, null, null), ($1, $2, null, null, 'XLR 10 m', 12), ($1, $2, null, null, 'Cable ramp', 4)`,
    [org.id, gig, desk, box],
  );
  return { gig, staff, desk, box, mics, xlr, ramp };
}

/** The gig's plan as the server holds it: per line its code and how many (a case: its contents; bulk: units). */
async function serverPlan(gig: string): Promise<{ code: string; planned: number }[]> {
  const { rows } = await stack.db.query<{ code: string; planned: number }>(
    `select coalesce(a.serial_number, c.barcode, b.barcode) as code,
            (case when k.asset_id is not null then 1
                  when k.case_id is not null then (select count(*) from public.assets x where x.case_id = k.case_id and x.deleted_at is null)
                  else k.quantity end)::int as planned
       from public.kit_assignments k
       left join public.assets a on a.id = k.asset_id
       left join public.cases c on c.id = k.case_id
       left join public.bulk_items b on b.org_id = k.org_id and b.category = k.category
      where k.gig_id = $1
      order by 1`,
    [gig],
  );
  return rows;
}

/** The Scan screen's lines: code, scanned and planned ("2/3", "12/12 pcs"). */
async function screenLines(): Promise<{ code: string; scanned: number; planned: number }[]> {
  const lines = page.getByTestId('pick-line');
  const out: { code: string; scanned: number; planned: number }[] = [];
  for (const line of await lines.all()) {
    const numbers = /^(\d+)\/(\d+)/.exec(await line.locator('.pick-numbers strong').innerText());
    out.push({ code: (await line.getAttribute('data-code')) ?? '', scanned: Number(numbers?.[1]), planned: Number(numbers?.[2]) });
  }
  return out.sort((a, b) => a.code.localeCompare(b.code));
}

async function screenTotals(): Promise<number[]> {
  return (await page.getByTestId('progress').locator('dd').allInnerTexts()).map(Number);
}

async function serverTotals(gig: string): Promise<number[]> {
  const row = (
    await stack.db.query<{ planned: number; scanned: number; missing: number; extra: number }>(
      'select planned::int, scanned::int, missing::int, extra::int from app.gig_asset_counts($1::uuid[])',
      [[gig]],
    )
  ).rows[0];
  return row === undefined ? [] : [row.planned, row.scanned, row.missing, row.extra];
}

async function shoot(name: string): Promise<void> {
  const file = join(SHOTS, `operator-job-${name}.png`);
  await page.screenshot({ path: file });
  copyFileSync(file, join(DOC_SHOTS, `operator-job-${name}.png`));
}

async function screen(key: string, name: string): Promise<void> {
  await page.keyboard.press(key);
  await page.locator(`main[data-screen="${name}"]`).waitFor();
}

/** What a serial scanner sends: the code and its CR terminator, written without blocking. */
async function scan(code: string): Promise<void> {
  await scannerEnd.write(`${code}\r`);
}

async function lastScan(): Promise<string> {
  return page.getByTestId('last-scan').innerText();
}

/** Scans and waits until the Scan screen shows the feedback for it. */
async function scanUntil(code: string, says: string | RegExp): Promise<void> {
  await scan(code);
  await expect.poll(lastScan, { timeout: 30_000 }).toMatch(says);
}

/**
 * The feedback and the session's fields are read whole: nothing cut at the side or the bottom (no
 * ellipsis), at the station's size and a phone's. Returns what is cut, by its text.
 */
async function cutTexts(): Promise<string[]> {
  const cut: string[] = [];
  for (const width of [1366, 360]) {
    await page.setViewportSize({ width, height: width === 1366 ? 768 : 740 });
    await page.getByTestId('last-scan').waitFor();
    cut.push(
      ...(await page.evaluate<string[]>(`[...document.querySelectorAll('.last-scan-message, .scan-context strong')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
        .map((el) => '${width}: ' + el.textContent)`)),
    );
  }
  await page.setViewportSize({ width: 1366, height: 768 });
  return cut;
}

async function syncNow(): Promise<void> {
  await screen('F4', 'sync');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect.poll(() => page.getByTestId('sync-depth').innerText(), { timeout: 60_000 }).toBe('0');
  await screen('F1', 'scan');
}

beforeAll(async () => {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`no built renderer in ${RENDERER}: run npm run build`);
  stack = await startTestStack();
  org = await createOrg(stack, 'operator-job');
  arranged = await arrange();
  // Pushes only: sign-in and pulls go through, so the station knows the plan while its pushes fail.
  proxy = await startFaultingProxy({
    upstream: stack.url,
    random: () => 0, // every matching request, as a 503 (the first fault kind)
    rate: 1,
    holdMs: 0,
    match: (_method, path) => path.includes('/rpc/push_changes'),
  });
  await pty.start();
  station = await runBrowserStation({
    dataDir: dir,
    backend: { url: proxy.url, anonKey: stack.anonKey },
    credentials: { email: org.members.station.email, password: org.members.station.password },
    log: () => undefined,
    rendererDir: RENDERER,
    port: 0,
    appVersion: 'e2e',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('favicon')) pageErrors.push(message.text());
  });
  await page.goto(station.openUrl);
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 });
  await page.evaluate(`window.station.saveSettings({ stationName: ${JSON.stringify(STATION_NAME)} })`);
  scannerEnd = await PtyWriter.open(pty.scanner);
}, 300_000);

afterAll(async () => {
  await scannerEnd?.close();
  await browser?.close();
  await station?.stop();
  await pty.stop();
  await proxy?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the operator’s job on the station', () => {
  it('picks a gig’s list with a badge, a case and bulk by quantity, brings it back with a damaged item noted, and the server and history say who, where and when', async () => {
    const { gig, staff, desk, box, mics, xlr, ramp } = arranged;
    const damaged = mics[1] ?? '';

    // The pty is added as a scanner from the Scanners screen.
    await screen('F6', 'scanners');
    await page.getByPlaceholder('/dev/ttyACM0 or COM3').fill(pty.device);
    await page.getByPlaceholder('Dock door').fill('Dock door');
    await page.getByRole('button', { name: 'Add scanner' }).click();
    await expect.poll(() => page.getByTestId('scanner').first().textContent(), { timeout: 15_000 }).toContain('serial · ready');
    await screen('F1', 'scan');

    // The badge, then the gig (known once the first pull has arrived).
    await scanUntil('BADGE-KIM', 'operator: Kim Ahlberg');
    await expect
      .poll(
        async () => {
          await scan('GIG-HARBOUR');
          await page.locator('.last-scan-code', { hasText: 'GIG-HARBOUR' }).waitFor({ timeout: 10_000 });
          return page.getByTestId('active-gig').innerText();
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBe('Harbour Hall Concert');

    // Before any scan: the screen's lines are the server's plan, line by line.
    const plan = await serverPlan(gig);
    expect(plan).toEqual([
      { code: 'BULK-OPJ-RAMP', planned: 4 },
      { code: 'BULK-OPJ-XLR', planned: 12 },
      { code: 'CASE-OPJ-1', planned: 3 },
      { code: 'DESK-OPJ-1', planned: 1 },
    ]);
    await expect.poll(screenLines, { timeout: 30_000 }).toEqual(plan.map((l) => ({ ...l, scanned: 0 })));
    expect(await screenTotals()).toEqual(await serverTotals(gig));

    // The dock's network goes: pushes fail from here until it is back.
    proxy.faulting = true;
    const scanFrom = new Date();
    await scanUntil('DESK-OPJ-1', 'DESK-OPJ-1 Mixing desk → Harbour Hall Concert');
    await scanUntil('CASE-OPJ-1', 'case CASE-OPJ-1 (3 items) → Harbour Hall Concert');
    await scanUntil('CMD:QTY:12', 'quantity 12: scan the bulk item');
    await scanUntil('BULK-OPJ-XLR', '12 × XLR cable 10 m');
    // The ramp without a quantity: the keypad opens, the operator's thumb taps 4.
    await scanUntil('BULK-OPJ-RAMP', 'Cable ramp · BULK-OPJ-RAMP: scan CMD:QTY:<n> or type how many');
    const pad = page.getByTestId('quantity-pad');
    await pad.waitFor({ timeout: 30_000 });
    await pad.getByRole('button', { name: '4', exact: true }).click();
    await shoot('keypad');
    await page.getByTestId('quantity-enter').click();
    await expect.poll(lastScan, { timeout: 30_000 }).toContain('4 × Cable ramp');
    const scanTo = new Date();
    await expect.poll(screenLines, { timeout: 30_000 }).toEqual(plan.map((l) => ({ ...l, scanned: l.planned })));
    await expect.poll(() => page.getByTestId('queue-depth').innerText()).toBe('4 to sync');
    await expect.poll(screenTotals).toEqual([20, 20, 0, 0]);
    await expect.poll(cutTexts, { timeout: 15_000 }).toEqual([]);
    await shoot('picked');
    expect((await stack.db.query('select 1 from public.asset_movements where asset_id = any($1)', [[desk, ...mics]])).rowCount).toBe(0);

    // Back online: the queue drains; every movement is later than its scan.
    proxy.faulting = false;
    const pushFrom = new Date();
    await syncNow();
    await expect.poll(screenTotals, { timeout: 60_000 }).toEqual(await serverTotals(gig));

    // Everything comes back; one microphone in the case is damaged, with a note. (A code scanned
    // again within the station's 1.5 s duplicate window counts once: the check-in scans come after it.)
    await expect.poll(() => Date.now() - scanTo.getTime(), { timeout: 10_000 }).toBeGreaterThan(2_000);
    await scanUntil('CMD:CHECK-IN', 'check-in: scan items');
    await expect.poll(() => page.getByTestId('pick-list').locator('h2').innerText(), { timeout: 30_000 }).toBe('Expected back');
    await page.getByLabel('Note for the next damaged or missing-parts item').fill(NOTE);
    await page.getByRole('button', { name: 'Next: damaged' }).click();
    await expect.poll(lastScan, { timeout: 30_000 }).toContain(`next check-in: damaged — ${NOTE}`);
    await scanUntil('MIC-OPJ-2', 'MIC-OPJ-2 marked damaged — scan case CASE-OPJ-1 to check it in with the rest OK');
    await expect.poll(cutTexts, { timeout: 15_000 }).toEqual([]);
    await shoot('damaged-noted');
    await scanUntil('CASE-OPJ-1', 'case CASE-OPJ-1 in: 1 item(s) damaged, the rest OK');
    await scanUntil('DESK-OPJ-1', 'DESK-OPJ-1 in');
    await scanUntil('CMD:QTY:12', 'quantity 12: scan the bulk item');
    await scanUntil('BULK-OPJ-XLR', '12 × XLR cable 10 m');
    await scanUntil('BULK-OPJ-RAMP', 'Cable ramp · BULK-OPJ-RAMP: scan CMD:QTY:<n> or type how many');
    await page.getByTestId('quantity-pad').waitFor({ timeout: 30_000 });
    await page.getByTestId('quantity-value').pressSequentially('4');
    await page.getByTestId('quantity-value').press('Enter');
    await expect.poll(lastScan, { timeout: 30_000 }).toContain('4 × Cable ramp');
    await expect.poll(screenTotals, { timeout: 30_000 }).toEqual([20, 20, 0, 0]);
    await shoot('checked-in');
    const backTo = new Date();
    await syncNow();

    // The server: one movement per item and per count, each naming the operator, this station and the scan time.
    const device = (
      new Database(join(dir, 'station.sqlite'), { readonly: true })
        .prepare("select value from sync_state where key = 'device_id'")
        .get() as {
        value: string;
      }
    ).value.replace(/^"|"$/g, '');
    expect(device).toMatch(/^station-/);
    const moves = await stack.db.query<{
      asset_id: string;
      kind: string;
      condition: string | null;
      note: string | null;
      staff_id: string | null;
      device_id: string | null;
      occurred_at: Date;
      recorded_at: Date;
    }>(
      `select asset_id, kind::text, condition::text, note, staff_id, device_id, occurred_at, recorded_at
         from public.asset_movements where asset_id = any($1) order by kind desc, asset_id`,
      [[desk, ...mics]],
    );
    const items = [desk, ...mics].sort();
    expect(moves.rows.filter((m) => m.kind === 'check_out').map((m) => m.asset_id)).toEqual(items);
    expect(moves.rows.filter((m) => m.kind === 'check_in').map((m) => m.asset_id)).toEqual(items);
    const bulkMoves = await stack.db.query<{
      bulk_item_id: string;
      kind: string;
      quantity: number;
      staff_id: string | null;
      device_id: string | null;
      occurred_at: Date;
      recorded_at: Date;
    }>(
      `select bulk_item_id, kind::text, quantity, staff_id, device_id, occurred_at, recorded_at
         from public.bulk_movements where bulk_item_id = any($1) order by kind desc, quantity`,
      [[xlr, ramp]],
    );
    expect(bulkMoves.rows.map((m) => [m.bulk_item_id, m.kind, m.quantity])).toEqual([
      [ramp, 'check_out', 4],
      [xlr, 'check_out', 12],
      [ramp, 'check_in', 4],
      [xlr, 'check_in', 12],
    ]);
    for (const m of [...moves.rows, ...bulkMoves.rows]) {
      expect(m.staff_id).toBe(staff);
      expect(m.device_id).toBe(device);
      if (m.kind === 'check_out') {
        // Scanned while pushes failed: the scan time, not the push's.
        expect(m.occurred_at.getTime()).toBeGreaterThanOrEqual(scanFrom.getTime() - 1);
        expect(m.occurred_at.getTime()).toBeLessThanOrEqual(scanTo.getTime() + 1);
        expect(m.recorded_at.getTime()).toBeGreaterThanOrEqual(pushFrom.getTime() - 1);
      } else {
        expect(m.occurred_at.getTime()).toBeGreaterThanOrEqual(pushFrom.getTime() - 1);
        expect(m.occurred_at.getTime()).toBeLessThanOrEqual(backTo.getTime() + 1);
      }
      expect(m.occurred_at.getTime()).toBeLessThanOrEqual(m.recorded_at.getTime());
    }
    // Beside them, the damaged microphone's move into quarantine (the same scan, operator and note).
    expect(moves.rows.filter((m) => m.kind !== 'check_out' && m.kind !== 'check_in').map((m) => [m.asset_id, m.kind, m.note])).toEqual([
      [damaged, 'quarantine', NOTE],
    ]);
    const checkIns = moves.rows.filter((m) => m.kind === 'check_in');
    expect(checkIns.map((m) => [m.asset_id, m.condition, m.note])).toEqual(
      items.map((id) => (id === damaged ? [id, 'damaged', NOTE] : [id, 'ok', null])),
    );
    const states = await stack.db.query<{ id: string; status: string }>('select id, status::text from public.assets where id = any($1)', [
      items,
    ]);
    expect(Object.fromEntries(states.rows.map((r) => [r.id, r.status]))).toEqual(
      Object.fromEntries(items.map((id) => [id, id === damaged ? 'quarantined' : 'available'])),
    );
    expect(
      (await stack.db.query<{ n: number }>('select count(*)::int as n from public.bulk_stock where gig_id = $1 and quantity > 0', [gig]))
        .rows[0]?.n,
    ).toBe(0);
    expect(box).not.toBe('');

    // The Assets screen: the damaged microphone's history says who, from where, and what is broken.
    await screen('F3', 'assets');
    await page.getByRole('searchbox', { name: 'Search assets' }).fill('MIC-OPJ-2');
    await page.locator('[data-testid="asset-list"] [role="option"][data-serial="MIC-OPJ-2"]').click();
    const history = page.getByTestId('asset-history');
    await expect
      .poll(() => history.locator('li').allInnerTexts(), { timeout: 30_000 })
      .toEqual([
        expect.stringMatching(
          /^quarantine · .+ · damaged · Kim Ahlberg · this station \(Dock door A\) · “cracked grille, capsule rattles”$/,
        ),
        expect.stringMatching(
          /^check-in · .+ · Harbour Hall Concert · damaged · Kim Ahlberg · this station \(Dock door A\) · “cracked grille, capsule rattles”$/,
        ),
        expect.stringMatching(/^check-out · .+ · Harbour Hall Concert · Kim Ahlberg · this station \(Dock door A\)$/),
      ]);
    expect(await page.locator('main').innerText()).not.toMatch(UUID);
    expect(await page.locator('main').innerText()).not.toContain(device);
    await shoot('history');
    expect(pageErrors).toEqual([]);
  }, 400_000);
});
