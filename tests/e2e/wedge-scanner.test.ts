import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { scannerKeyEvents } from '../bench/wedge';
import { cdpKeyEvent } from '../helpers/cdp-keys';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { signInOnPhone } from '../helpers/crew-sign-in';

// A keyboard-mode scanner typing into the station (browser host, real SQLite and sync) and the
// crew PWA (production web build) in Chromium: real, trusted key events through CDP's
// Input.dispatchKeyEvent, as a Honeywell/Zebra in USB keyboard mode produces them on a US host —
// Shift down and up around every capital, key/code/windowsVirtualKeyCode as Chromium's own
// keyboard gives them, a keyup for every key, an 8 ms USB poll between reports.
//
// Timing: each event carries its recorded time in CDP's `timestamp`, which Chromium makes the
// event's timeStamp (what the detector measures). A shared 2-core machine cannot deliver keys
// 8 ms apart on its own (Playwright's per-key round trips take 10–50 ms under load and split the
// burst), so the burst's timing comes from the recording, not from the CPU, and the whole burst is
// sent in one go without awaiting between keys (CDP keeps their order). Outcomes are waited for
// with generous bounds; "nothing happened" is proven by a later scan that does arrive (a barrier),
// never by sleeping.
const dir = mkdtempSync(join(tmpdir(), 'e2e-wedge-'));
chmodSync(dir, 0o755);
let stack: TestStack;
let station: RunningBrowserStation;
let web: WebServer;
let browser: Browser;
const pageErrors: string[] = [];
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });

/** A screenshot, also copied to the README's docs/screenshots. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(PROJECT_ROOT, 'docs', 'screenshots', `${name}.png`));
}

/** A phone never scrolls sideways. */
async function noSideScroll(page: Page): Promise<void> {
  expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
}

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  station = await runBrowserStation({
    dataDir: dir,
    backend: { url: stack.url, anonKey: stack.anonKey },
    credentials: { email: 'station@northlight.test', password: DEMO_PASSWORD },
    log: () => undefined,
    rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
    port: 0,
    appVersion: 'e2e',
  });
  web = await serveWeb();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await station?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sessions = new WeakMap<Page, CDPSession>();

interface PersonKey {
  key: string;
  code: string;
  keyCode: number;
  /** Pressed this long after the burst's first report, held for holdMs. */
  atMs: number;
  holdMs: number;
}

/** A scanner types `code` and its suffix; optionally a person presses a key on the same keyboard meanwhile. */
async function scannerTypes(page: Page, code: string, options: { terminator?: 'Enter' | 'Tab'; person?: PersonKey } = {}): Promise<void> {
  let cdp = sessions.get(page);
  if (cdp === undefined) {
    cdp = await page.context().newCDPSession(page);
    sessions.set(page, cdp);
  }
  const events = scannerKeyEvents(code, { start: 0, pollMs: 8, terminator: options.terminator ?? 'Enter' });
  const p = options.person;
  if (p !== undefined) {
    const person = {
      keyCode: p.keyCode,
      location: 0,
      shiftKey: false,
      ctrlKey: false,
      altKey: false,
      metaKey: false,
      repeat: false,
      modifierState: {},
    };
    events.push(
      { ...person, type: 'keydown', key: p.key, code: p.code, at: p.atMs + 0.5 },
      { ...person, type: 'keyup', key: p.key, code: p.code, at: p.atMs + p.holdMs + 0.5 },
    );
    events.sort((a, b) => a.at - b.at);
  }
  const base = Date.now() / 1000;
  const session = cdp;
  await Promise.all(events.map((e) => session.send('Input.dispatchKeyEvent', cdpKeyEvent(e, base) as never)));
}

/** The focused element, named well enough to tell whether focus moved. */
const focused = (page: Page): Promise<string> =>
  page.evaluate(
    "(() => { const e = document.activeElement; return e === null ? 'none' : `${e.tagName}:${e.getAttribute('aria-label') ?? e.id ?? ''}:${e.textContent?.slice(0, 20) ?? ''}`; })()",
  );

const recent = (page: Page): Promise<string[]> => page.locator('section[aria-label="Recent scans"] li').allInnerTexts();

interface Asset {
  id: string;
  serial_number: string;
}
interface Gig {
  id: string;
  code: string;
  name: string;
}

/** Two leaf gigs and six available assets whose serials have capitals: one gig and three assets per test. */
async function pickData(): Promise<[{ gig: Gig; assets: [Asset, Asset, Asset] }, { gig: Gig; assets: [Asset, Asset, Asset] }]> {
  const gigs = (
    await stack.db.query<Gig>(
      `select id, code, name from public.gigs where org_id = $1 and status = 'confirmed' and deleted_at is null
        and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code limit 2`,
      [ORGS.northlight.id],
    )
  ).rows;
  const assets = (
    await stack.db.query<Asset>(
      `select id, serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null
        and serial_number ~ '[A-Z]' order by serial_number limit 6`,
      [ORGS.northlight.id],
    )
  ).rows;
  if (gigs.length !== 2 || assets.length !== 6) throw new Error('the demo data has no suitable gigs or assets');
  const [g0, g1] = gigs as [Gig, Gig];
  const [a0, a1, a2, a3, a4, a5] = assets as [Asset, Asset, Asset, Asset, Asset, Asset];
  return [
    { gig: g0, assets: [a0, a1, a2] },
    { gig: g1, assets: [a3, a4, a5] },
  ];
}

async function checkOuts(assetId: string, gigId: string): Promise<number> {
  const rows = await stack.db.query<{ n: number }>(
    `select count(*)::int as n from public.asset_movements where asset_id = $1 and kind = 'check_out' and gig_id = $2`,
    [assetId, gigId],
  );
  return rows.rows[0]?.n ?? 0;
}

describe('a keyboard-wedge scanner (Shift per capital) in Chromium', () => {
  it('the station takes scans on the Scan screen, Enter or Tab suffix, and leaves a focused text field its keys', async () => {
    const [{ gig, assets }] = await pickData();
    const [scanned, searched, manual] = assets;
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(station.openUrl);
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 });
    await page.keyboard.press('F3');
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 120_000, interval: 500 }).toBe('400 of 400');
    await page.keyboard.press('F1');
    await page.locator('main[data-screen="scan"]').waitFor();
    await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');

    // Commands with capitals and ":" (Shift + Semicolon), Enter suffix.
    await scannerTypes(page, 'CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    // Tab suffix ends the scan too, and focus stays where it was (its default is prevented).
    const before = await focused(page);
    await scannerTypes(page, 'CMD:CHECK-OUT', { terminator: 'Tab' });
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toBe('Check-out');
    expect(await focused(page)).toBe(before);

    // A gig, then an asset (serials such as MIC-100042C): checked out.
    await scannerTypes(page, gig.code);
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    await scannerTypes(page, scanned.serial_number, { terminator: 'Tab' });
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain(scanned.serial_number);
    expect(await page.getByTestId('last-scan').getAttribute('class')).not.toContain('last-scan-error');

    // A person presses "j" during a burst: the burst is dropped whole, the operator asked to rescan.
    await scannerTypes(page, manual.serial_number, { person: { key: 'j', code: 'KeyJ', keyCode: 74, atMs: 40, holdMs: 90 } });
    await expect
      .poll(() => page.getByTestId('wedge-rejected').innerText(), { timeout: 30_000 })
      .toBe('A key was pressed during the scan — scan again');
    await shoot(page, 'station-wedge-rejected');

    // The Scan screen's code box has focus: the scan goes into the box, and Enter submits the
    // box's form — once (the detector does not also take it; the rejected burst above was not taken).
    await page.getByLabel('Type a code').focus();
    await scannerTypes(page, manual.serial_number);
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain(manual.serial_number);
    await expect.poll(() => page.getByLabel('Type a code').inputValue(), { timeout: 30_000 }).toBe('');

    // The asset search box has focus: the field holds the code (a search for it), nothing is scanned.
    await page.keyboard.press('F3');
    await page.getByRole('searchbox', { name: 'Search assets' }).click();
    await scannerTypes(page, searched.serial_number);
    await expect
      .poll(() => page.getByRole('searchbox', { name: 'Search assets' }).inputValue(), { timeout: 30_000 })
      .toBe(searched.serial_number);
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('1 of 400');
    // Barrier: a later scan arrives; the searched code never did.
    await page.keyboard.press('F1');
    await page.locator('main[data-screen="scan"]').waitFor();
    await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    await scannerTypes(page, 'CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    const lines = await recent(page);
    expect(lines.filter((line) => line.includes(searched.serial_number))).toEqual([]);
    expect(lines.filter((line) => line.includes(manual.serial_number))).toHaveLength(1);

    // On the server: the scanned and the typed-in-box assets went out once; the searched one not.
    await expect
      .poll(async () => [await checkOuts(scanned.id, gig.id), await checkOuts(manual.id, gig.id)], { timeout: 60_000, interval: 500 })
      .toEqual([1, 1]);
    expect(await checkOuts(searched.id, gig.id)).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 300_000);

  it('the crew PWA takes scans on the Scan screen and leaves a focused search box its keys', async () => {
    const [, { gig, assets }] = await pickData();
    const [scanned, searched] = assets;
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
    await page.getByRole('button', { name: /^Settings/ }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 30_000 }).toBe('Signed in as crew@northlight.test');
    await page.getByRole('button', { name: /^Assets/ }).click();
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 60_000 }).toBe('400 of 400');

    // Tapped to the Scan screen: its tab button keeps focus. The scanner's Enter does not press it
    // again and its Tab does not move focus.
    await page.getByRole('button', { name: /^Scan/ }).click();
    await page.locator('main[data-screen="scan"]').waitFor();
    const before = await focused(page);
    await scannerTypes(page, gig.code);
    await expect.poll(() => page.getByTestId('active-gig').innerText(), { timeout: 30_000 }).toBe(gig.name);
    await scannerTypes(page, scanned.serial_number, { terminator: 'Tab' });
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain(scanned.serial_number);
    expect(await focused(page)).toBe(before);

    // The asset search box has focus: the scan searches; nothing is checked out.
    await page.getByRole('button', { name: /^Assets/ }).click();
    await page.getByRole('searchbox', { name: 'Search assets' }).click();
    await scannerTypes(page, searched.serial_number);
    await expect
      .poll(() => page.getByRole('searchbox', { name: 'Search assets' }).inputValue(), { timeout: 30_000 })
      .toBe(searched.serial_number);
    await page.getByRole('button', { name: /^Scan/ }).click();
    await page.locator('main[data-screen="scan"]').waitFor();
    await scannerTypes(page, 'CMD:CHECK-IN');
    await expect.poll(() => page.getByTestId('scan-mode').innerText(), { timeout: 30_000 }).toContain('Check-in');
    expect((await recent(page)).filter((line) => line.includes(searched.serial_number))).toEqual([]);

    // A person's key during a burst on the phone: dropped whole, asked to rescan, in the top bar.
    await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    await scannerTypes(page, scanned.serial_number, { person: { key: 'j', code: 'KeyJ', keyCode: 74, atMs: 40, holdMs: 90 } });
    await expect
      .poll(() => page.getByTestId('wedge-rejected').innerText(), { timeout: 30_000 })
      .toBe('A key was pressed during the scan — scan again');
    await noSideScroll(page);
    await shoot(page, 'crew-wedge-rejected-360');
    await page.setViewportSize({ width: 414, height: 896 });
    await noSideScroll(page);
    await shoot(page, 'crew-wedge-rejected-414');

    await expect.poll(() => checkOuts(scanned.id, gig.id), { timeout: 60_000, interval: 500 }).toBe(1);
    expect(await checkOuts(searched.id, gig.id)).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 300_000);
});
