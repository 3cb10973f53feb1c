import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema, type AuditReport } from '../../core/audit/report-schema';
import { labelsPdf } from '../../core/labels/pdf';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { signInOnPhone } from '../helpers/crew-sign-in';
import { decodeSymbols } from '../helpers/decoder';
import { createOrg, insertAsset, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { OVERFLOW } from '../helpers/overflow';
import { PtyPair, PtyWriter } from '../helpers/socat';

// Issue 21's proof: a shelf stock-taken by two devices at once. The real station (SQLite, engine,
// serial driver) behind the browser host in Chromium at 1366×768 with a serial scanner on a socat
// pty; a crew phone (the production PWA) whose camera sees a label printed by the station's own
// label code (core/labels, rendered by MuPDF). The station starts the stock-take by scanning the
// shelf's label, finds one microphone, one DI box from another shelf (wrong place) and an unknown
// pre-printed label it claims for a new item; the phone joins and finds a second microphone by
// camera; one microphone is never scanned. The station closes it, moving the DI box: the report on
// its screen is the server's, with one missing, one in the wrong place, and the move a movement.
const dir = mkdtempSync(join(tmpdir(), 'stock-take-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const RENDERER = join(PROJECT_ROOT, 'out', 'renderer');

let stack: TestStack;
let org: Org;
let station: RunningBrowserStation;
let web: WebServer;
let browser: Browser;
let phoneBrowser: Browser;
let page: Page;
const pageErrors: string[] = [];
const pty = new PtyPair(join(dir, 'ttyStation'), join(dir, 'ttyScanner'));
let scannerEnd: PtyWriter;
let shelfA = '';
let shelfB = '';
let warehouseId = '';
const ids: Record<string, string> = {};

/** The phone camera's view: a 62 mm roll label for `code`, printed by core/labels and rendered at 300 dpi, on a desk. */
async function cameraFile(code: string): Promise<string> {
  const pdf = labelsPdf([{ code, title: 'Shure SM58', detail: 'Audio', symbology: 'code128' }], '62x29mm');
  const png = mupdf.Document.openDocument(pdf, 'application/pdf')
    .loadPage(0)
    .toPixmap(mupdf.Matrix.scale(300 / 72, 300 / 72), mupdf.ColorSpace.DeviceRGB, false, true)
    .asPNG();
  const painter = await launchChromium();
  try {
    const shot = await painter.newPage({ viewport: { width: 640, height: 480 } });
    await shot.setContent(
      `<body style="margin:0;background:#c9c2b6;display:grid;place-items:center;height:480px">
         <img style="width:560px;box-shadow:0 2px 8px #0006" src="data:image/png;base64,${Buffer.from(png).toString('base64')}"></body>`,
    );
    const file = join(dir, 'label.mjpeg');
    writeFileSync(file, await shot.screenshot({ type: 'jpeg', quality: 95 }));
    return file;
  } finally {
    await painter.close();
  }
}

async function screenTo(key: string, name: string): Promise<void> {
  await page.keyboard.press(key);
  await page.locator(`main[data-screen="${name}"]`).waitFor();
}

/** A serial scanner's frame, then the station's feedback for it. */
async function scanUntil(code: string, says: string | RegExp): Promise<void> {
  await scannerEnd.write(`${code}\r`);
  await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toMatch(says);
}

async function shoot(target: Page, name: string): Promise<void> {
  const file = join(SHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  copyFileSync(file, join(DOC_SHOTS, `${name}.png`));
}

async function serverReport(auditId: string): Promise<AuditReport> {
  const { data, error } = await org.members.manager.client.rpc('audit_report', { audit_id: auditId });
  if (error !== null) throw new Error(error.message);
  return auditReportSchema.parse(data);
}

beforeAll(async () => {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`no built renderer in ${RENDERER}: run npm run build`);
  stack = await startTestStack();
  org = await createOrg(stack, 'stock-take');
  const db = stack.db;
  const { rows } = await db.query<{ id: string; code: string }>(
    `with w as (insert into public.locations (org_id, kind, code, name) values ($1, 'warehouse', 'ST-WH', 'North Warehouse') returning id)
     insert into public.locations (org_id, kind, parent_location_id, code, name)
     select $1, 'shelf'::public.location_kind, w.id, 'ST-A01', 'Shelf A01' from w
     union all select $1, 'shelf', w.id, 'ST-B01', 'Shelf B01' from w returning id, code`,
    [org.id],
  );
  shelfA = rows.find((r) => r.code === 'ST-A01')?.id ?? '';
  warehouseId = (await db.query<{ id: string }>("select id from public.locations where code = 'ST-WH'")).rows[0]?.id ?? '';
  shelfB = rows.find((r) => r.code === 'ST-B01')?.id ?? '';
  for (const [serial, name, at] of [
    ['MIC-ST-1', 'Shure SM58', shelfA],
    ['MIC-ST-2', 'Shure SM58', shelfA],
    ['MIC-ST-4', 'Shure SM58', shelfA],
    ['DI-ST-3', 'Radial J48 DI', shelfB],
  ] as const) {
    ids[serial] = await insertAsset(db, org.id, serial, { name, category: 'Audio' });
    await db.query('update public.assets set location_id = $2, home_location_id = $2 where id = $1', [ids[serial], at]);
  }
  await pty.start();
  station = await runBrowserStation({
    dataDir: dir,
    backend: { url: stack.url, anonKey: stack.anonKey },
    credentials: { email: org.members.station.email, password: org.members.station.password },
    log: () => undefined,
    rendererDir: RENDERER,
    port: 0,
    appVersion: 'e2e',
  });
  web = await serveWeb();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(station.openUrl);
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 });
  scannerEnd = await PtyWriter.open(pty.scanner);
}, 300_000);

afterAll(async () => {
  await scannerEnd?.close();
  await phoneBrowser?.close();
  await browser?.close();
  await station?.stop();
  await web?.close();
  await pty.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a shelf stock-taken by a station and a phone at once', () => {
  it('finds, flags the wrong place, claims an unknown label, merges the phone’s camera scan, and the report is the server’s', async () => {
    // The pty becomes a scanner on the Scanners screen, then the Stock-take screen holds the scans.
    await screenTo('F6', 'scanners');
    await page.getByPlaceholder('/dev/ttyACM0 or COM3').fill(pty.device);
    await page.getByPlaceholder('Dock door').fill('Dock door');
    await page.getByRole('button', { name: 'Add scanner' }).click();
    await expect.poll(() => page.getByTestId('scanner').first().textContent(), { timeout: 30_000 }).toContain('serial · ready');
    // The station stands in the North Warehouse (Settings): the Stock-take screen starts there.
    await screenTo('F7', 'settings');
    const warehouse = page.getByRole('form', { name: 'Warehouse' });
    await expect.poll(() => warehouse.count(), { timeout: 60_000 }).toBe(1);
    await warehouse.getByRole('combobox').selectOption({ label: 'North Warehouse (ST-WH)' });
    await warehouse.getByRole('button', { name: 'Save warehouse' }).click();
    await page.getByText('This station is in North Warehouse (ST-WH)').waitFor();
    await warehouse.scrollIntoViewIfNeeded();
    await shoot(page, 'settings-warehouse-station');
    await screenTo('F8', 'stock');
    await page.getByText("Scan a shelf's label to start").waitFor();
    await expect.poll(() => page.getByLabel('Place').inputValue(), { timeout: 30_000 }).toBe(warehouseId);
    await shoot(page, 'stock-take-start-station');

    // The shelf's label starts it (once the station's copy holds the places).
    await expect
      .poll(
        async () => {
          await scannerEnd.write('st-a01\r');
          return page.getByTestId('last-scan').innerText();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toMatch(/Stock-take of Shelf A01 \(ST-A01\) started/);
    await expect.poll(() => page.getByTestId('stock-take-root').innerText(), { timeout: 30_000 }).toBe('Shelf A01 (ST-A01)');
    await scanUntil('MIC-ST-1', 'Found: Shure SM58 · MIC-ST-1');
    await scanUntil('DI-ST-3', 'Wrong place: Radial J48 DI · DI-ST-3 — belongs on Shelf B01 (ST-B01)');
    await scanUntil('PRE-ST-0099', 'Unknown code: PRE-ST-0099');

    // The unknown label is claimed for a new item, and counted where it was found.
    await page.getByRole('button', { name: 'Claim for a new item' }).click();
    const claim = page.getByRole('form', { name: 'Claim PRE-ST-0099' });
    await claim.getByLabel('Name').fill('Radial J48 DI (spare)');
    await claim.getByLabel('Category').fill('Audio');
    await claim.getByRole('button', { name: 'Claim' }).click();
    await expect
      .poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 })
      .toMatch(/Found: Radial J48 DI \(spare\) · PRE-ST-0099/);
    await expect
      .poll(() => page.getByTestId('stock-take-counts').innerText(), { timeout: 30_000 })
      .toMatch(/Found\s*2\s*Wrong place\s*1\s*Out to a gig\s*0\s*Unknown\s*0/);
    await expect.poll(() => page.getByTestId('stock-take-to-find').innerText(), { timeout: 30_000 }).toContain('MIC-ST-2');
    await shoot(page, 'stock-take-station');

    // The station's ops reach the server; the phone joins the stock-take and scans by camera.
    await page.evaluate('window.station.syncNow()');
    const openAudit = async (): Promise<string> =>
      (await stack.db.query<{ id: string }>("select id from public.audits where org_id = $1 and status = 'open'", [org.id])).rows[0]?.id ??
      '';
    await expect.poll(openAudit, { timeout: 30_000 }).not.toBe('');
    const auditId = await openAudit();
    phoneBrowser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${await cameraFile('MIC-ST-4')}`,
    ]);
    const phone = await phoneBrowser.newContext({
      viewport: { width: 360, height: 740 },
      hasTouch: true,
      isMobile: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Berlin',
    });
    await phone.grantPermissions(['camera'], { origin: web.url });
    const crew = await phone.newPage();
    crew.on('pageerror', (error) => pageErrors.push(`phone: ${error.message}`));
    await crew.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(crew, org.members.crew.email, org.members.crew.password);
    await crew.getByRole('button', { name: /^Stock-take/ }).click();
    const join = crew.getByRole('region', { name: 'Stock-takes in progress' }).getByRole('button', { name: 'Join' });
    await expect
      .poll(
        async () => {
          if (await join.count()) return true;
          // The list is read when the screen opens: open it again until the phone's copy has the shelf.
          await crew.getByRole('button', { name: /^Settings/ }).click();
          await crew.getByRole('button', { name: /^Stock-take/ }).click();
          return false;
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(true);
    await shoot(crew, 'stock-take-join-360');
    await join.click();
    await expect.poll(() => crew.getByTestId('stock-take-root').innerText(), { timeout: 30_000 }).toBe('Shelf A01 (ST-A01)');
    await crew.getByRole('button', { name: 'Scan with camera' }).click();
    await expect.poll(() => crew.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain('Found: Shure SM58 · MIC-ST-4');
    await crew.getByRole('button', { name: 'Stop camera' }).click();
    // Crew may count but not move what the count found: closing offers no move.
    await crew.getByRole('button', { name: 'Close stock-take…' }).click();
    expect(await crew.getByRole('button', { name: /move what was in the wrong place/ }).count()).toBe(0);
    await crew.getByRole('button', { name: 'Keep counting' }).click();
    // Online, what is still to find counts every device's scans (the server's merge): only MIC-ST-2 is left.
    await crew.evaluate('window.station.syncNow()');
    await expect
      .poll(() => crew.getByTestId('stock-take-to-find').innerText(), { timeout: 30_000 })
      .toMatch(/^Shure SM58 MIC-ST-2\s*Shelf A01 \(ST-A01\)$/);
    await crew.evaluate(`document.querySelector('main.screen').scrollTo(0, 0)`);
    for (const size of [
      { name: '360', width: 360, height: 740 },
      { name: '414', width: 414, height: 896 },
    ]) {
      await crew.setViewportSize({ width: size.width, height: size.height });
      expect(await crew.evaluate<string[]>(OVERFLOW), `${size.name} px`).toEqual([]);
      await shoot(crew, `stock-take-phone-${size.name}`);
    }
    // The Labels screen on the phone: the shelf's items, ready to print or download.
    await crew.getByRole('button', { name: /^Labels/ }).click();
    await crew.getByRole('group', { name: 'What to label' }).getByRole('button', { name: 'Items', exact: true }).click();
    await crew.getByLabel('At place').selectOption({ label: '\u2003Shelf A01 (ST-A01)' });
    await expect.poll(() => crew.getByTestId('labels-count').innerText(), { timeout: 30_000 }).toMatch(/^4 of 4 chosen/);
    for (const size of [
      { name: '360', width: 360, height: 740 },
      { name: '414', width: 414, height: 896 },
    ]) {
      await crew.setViewportSize({ width: size.width, height: size.height });
      expect(await crew.evaluate<string[]>(OVERFLOW), `labels at ${size.name} px`).toEqual([]);
      await shoot(crew, `labels-phone-${size.name}`);
    }
    // Its scan is on the server.
    await expect
      .poll(
        async () =>
          (
            await stack.db.query<{ n: number }>(
              "select count(*)::int as n from public.audit_scans where audit_id = $1 and code = 'MIC-ST-4'",
              [auditId],
            )
          ).rows[0]?.n,
        { timeout: 30_000 },
      )
      .toBe(1);

    // The station closes it, moving the DI box to the shelf where it was found; the report is the server's.
    await page.getByRole('button', { name: 'Close stock-take…' }).click();
    await page.getByRole('button', { name: 'Close and move what was in the wrong place here' }).click();
    await page.evaluate('window.station.syncNow()');
    await expect.poll(() => page.getByTestId('audit-report').isVisible(), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('audit-report').innerText(), { timeout: 30_000 }).toMatch(/Closed/);
    const report = await serverReport(auditId);
    const totals = await page.getByTestId('audit-report-totals').locator('dd').allInnerTexts();
    expect(totals.map(Number)).toEqual(
      ['found', 'wrong_place', 'out_to_gig', 'unknown', 'missing'].map((k) => report.totals[k as 'found'] ?? 0),
    );
    const kinds = Object.fromEntries(report.lines.filter((l) => l.what === 'asset').map((l) => [l.code, l.kind]));
    expect(report.totals.unknown ?? 0).toBe(0);
    expect(kinds).toMatchObject({
      'MIC-ST-1': 'found',
      'MIC-ST-4': 'found',
      'DI-ST-3': 'wrong_place',
      'MIC-ST-2': 'missing',
      'PRE-ST-0099': 'found',
    });
    await shoot(page, 'stock-take-report-station');
    // The phone, still in the stock-take, learns it was closed: it leaves it and shows the server's report.
    await crew.getByRole('button', { name: /^Stock-take/ }).click();
    await expect.poll(() => crew.getByTestId('closed-elsewhere').count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => crew.getByTestId('audit-report-totals').innerText(), { timeout: 30_000 }).toMatch(/Missing\s*1/);
    expect(await crew.evaluate('window.station.getStockTake()')).toBeNull();

    // The adjustment is a movement with the audit, from shelf B to shelf A.
    const { rows: moved } = await stack.db.query<{ from_location_id: string; location_id: string; audit_id: string }>(
      "select from_location_id, location_id, audit_id from public.asset_movements where asset_id = $1 and kind = 'relocate'",
      [ids['DI-ST-3']],
    );
    expect(moved).toEqual([{ from_location_id: shelfB, location_id: shelfA, audit_id: auditId }]);
    expect(pageErrors).toEqual([]);
  }, 420_000);

  it('prints the places’ labels the scanners read: a PDF downloaded from the Labels screen decodes to every code listed', async () => {
    await screenTo('F9', 'labels');
    await page.getByRole('group', { name: 'What to label' }).getByRole('button', { name: 'Places', exact: true }).click();
    await page.getByLabel('At place').selectOption({ label: 'North Warehouse (ST-WH)' });
    await page.getByLabel('Symbol').selectOption('qrcode');
    await expect.poll(() => page.getByTestId('labels-count').innerText(), { timeout: 30_000 }).toMatch(/^3 of 3 chosen/);
    await shoot(page, 'labels-station');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF' }).click()]);
    const pdf = new Uint8Array(readFileSync(await file.path()));
    const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
    const read: string[] = [];
    for (let i = 0; i < doc.countPages(); i += 1) {
      const png = doc
        .loadPage(i)
        .toPixmap(mupdf.Matrix.scale(203 / 72, 203 / 72), mupdf.ColorSpace.DeviceRGB, false, true)
        .asPNG();
      read.push(...(await decodeSymbols(png, ['QRCode'])).filter((r) => r.isValid).map((r) => r.text));
    }
    expect(read.sort()).toEqual(['ST-A01', 'ST-B01', 'ST-WH']);
    await expect.poll(() => page.getByTestId('labels-result').innerText(), { timeout: 30_000 }).toBe('Saved as PDF: 3 labels');
    // The print dialog gets the same labels as a page of the label's size.
    await page.getByRole('button', { name: 'Print…' }).click();
    await expect.poll(() => page.getByTestId('labels-result').innerText(), { timeout: 30_000 }).toBe('Sent to the print dialog: 3 labels');
    const printed = await page.locator('iframe[data-testid="print-frame"]').first().getAttribute('srcdoc');
    expect(printed).toContain('@page { size: 62mm 29mm; margin: 0; }');

    // The Assets screen finds what is on a shelf: the place filter and the shelf's code in the search.
    await screenTo('F3', 'assets');
    await page.getByLabel('Place').selectOption(shelfA);
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toMatch(/^5 of /);
    await shoot(page, 'assets-place-station');
    await page.getByLabel('Place').selectOption('');
    await page.getByLabel('Search assets').fill('st-a01');
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toMatch(/^5 of /);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('a manager adds a shelf on the Places screen (checked first, then queued and sent); the station lists it, read-only', async () => {
    const manager = await browser.newPage({ viewport: { width: 414, height: 896 }, hasTouch: true, isMobile: true });
    manager.on('pageerror', (error) => pageErrors.push(`manager: ${error.message}`));
    await manager.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(manager, org.members.manager.email, org.members.manager.password);
    await manager
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: /^Places/ })
      .click();
    const warehouseRow = manager.getByTestId('places-list').getByRole('button', { name: /North Warehouse ST-WH/ });
    await expect.poll(() => warehouseRow.count(), { timeout: 60_000 }).toBe(1);
    await warehouseRow.click();
    const add = manager.getByRole('form', { name: 'Add inside North Warehouse' });
    await add.getByLabel('Kind').selectOption('shelf');
    // A code already on a shelf is refused in words before anything is queued.
    await add.getByLabel('Name').fill('Shelf C01');
    await add.getByLabel('Code (on its label)').fill('st-a01');
    await add.getByRole('button', { name: 'Add' }).click();
    await expect
      .poll(() => manager.getByTestId('places-result').innerText(), { timeout: 30_000 })
      .toBe('code ST-A01 is already on Shelf A01 (ST-A01)');
    await add.getByLabel('Code (on its label)').fill('st-c01');
    await add.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => manager.getByTestId('places-result').innerText(), { timeout: 30_000 }).toBe('Shelf C01 (ST-C01) added');
    expect(await manager.evaluate<string[]>(OVERFLOW)).toEqual([]);
    await shoot(manager, 'places-manager-414');
    await manager.evaluate('window.station.syncNow()');
    const onServer = async (): Promise<number> =>
      (
        await stack.db.query<{ n: number }>(
          "select count(*)::int as n from public.locations where code = 'ST-C01' and parent_location_id = $1",
          [warehouseId],
        )
      ).rows[0]?.n ?? 0;
    await expect.poll(onServer, { timeout: 30_000 }).toBe(1);
    await manager.setViewportSize({ width: 360, height: 740 });
    expect(await manager.evaluate<string[]>(OVERFLOW)).toEqual([]);
    await shoot(manager, 'places-manager-360');
    await manager.close();

    // The station (its role cannot set places up) lists it, and offers no changes.
    await page.evaluate('window.station.syncNow()');
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: /^Places/ })
      .click();
    await page.locator('main[data-screen="places"]').waitFor();
    await expect.poll(() => page.getByTestId('places-list').innerText(), { timeout: 30_000 }).toContain('ST-C01');
    await page
      .getByTestId('places-list')
      .getByRole('button', { name: /Shelf C01/ })
      .click();
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    await shoot(page, 'places-station');

    // A pre-printed label on its first scan: the station claims it for a new item, in its warehouse.
    await screenTo('F1', 'scan');
    await scanUntil('PRE-ST-0200', 'unknown barcode PRE-ST-0200');
    await page.getByRole('button', { name: 'Claim PRE-ST-0200 for a new item' }).click();
    const claim = page.getByRole('form', { name: 'Claim PRE-ST-0200' });
    await claim.getByLabel('Name').fill('Cable tester');
    await claim.getByLabel('Category').fill('Tools');
    await claim.getByRole('button', { name: 'Claim' }).click();
    await page.getByText('PRE-ST-0200 is now Cable tester: scan it again to move it').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Claim PRE-ST-0200 for a new item' }).count()).toBe(0);
    await shoot(page, 'scan-claim-station');
    await page.evaluate('window.station.syncNow()');
    const claimed = async (): Promise<string | null> =>
      (await stack.db.query<{ location_id: string }>("select location_id from public.assets where barcode = 'PRE-ST-0200'")).rows[0]
        ?.location_id ?? null;
    await expect.poll(claimed, { timeout: 30_000 }).toBe(warehouseId);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
