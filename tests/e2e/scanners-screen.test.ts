import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { PtyPair, PtyWriter } from '../helpers/socat';

// The Scanners screen with a real serial scanner (socat pty) on the real station behind the
// browser host, in Chromium at 1366×768: adding the scanner, its live raw view (scans and
// rejections in words), port settings, and test mode — a scan on this screen is identified and
// never checks anything out; the same scan on the Scan screen does.
const dir = mkdtempSync(join(tmpdir(), 'scanners-screen-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const pty = new PtyPair(join(dir, 'ttyDock'), join(dir, 'ttyDockScanner'));

let stack: TestStack;
let org: Org;
let station: RunningBrowserStation;
let browser: Browser;
let page: Page;
let scanner: PtyWriter;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'scanners');
  await pty.start();
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await scanner?.close();
  await browser?.close();
  await station?.stop();
  await pty.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(DOC_SHOTS, `station-${name}.png`));
}

const send = (bytes: string): Promise<unknown> => scanner.write(Buffer.from(bytes, 'latin1'));
const rawLines = (): Promise<string[]> => page.getByRole('list', { name: 'What Dock door sent' }).locator('li').allInnerTexts();

describe('the Scanners screen with a serial scanner', () => {
  it('shows what the scanner sent and why input was dropped, and test scans change nothing', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Main Stage Friday', status: 'confirmed' });
    await stack.db.query("update public.gigs set code = 'GIG-MSF' where id = $1", [gig]);
    const { rows } = await stack.db.query<{ id: string }>(
      "insert into public.assets (org_id, serial_number, name, category) values ($1, 'MIC-1042', 'Shure SM58', 'Audio') returning id",
      [org.id],
    );
    const asset = rows[0]?.id ?? '';
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
    await page.keyboard.press('F6');
    await page.locator('main[data-screen="scanners"]').waitFor();
    await page.getByRole('note').filter({ hasText: 'Test mode' }).waitFor({ timeout: 15_000 });

    const form = page.getByRole('form', { name: 'Add a serial scanner' });
    await form.getByLabel('Port').fill(pty.device);
    await form.getByLabel('Name').fill('Dock door');
    await form.getByRole('button', { name: 'Add scanner' }).click();
    await expect
      .poll(async () => (await page.getByTestId('scanner').first().innerText()).toLowerCase(), { timeout: 30_000 })
      .toContain('serial · ready');
    scanner = await PtyWriter.open(pty.scanner);

    // The gig and the asset are in the station's cache once the first pull is in.
    await expect
      .poll(
        async () => {
          await send('MIC-1042\r');
          return page
            .getByTestId('test-scan-result')
            .innerText()
            .catch(() => '');
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe('test scan: MIC-1042 is asset Shure SM58 — nothing was changed');
    await send('GIG-MSF\r\n');
    await expect
      .poll(() => page.getByTestId('test-scan-result').innerText(), { timeout: 15_000 })
      .toBe('test scan: GIG-MSF is gig Main Stage Friday — nothing was changed');
    await send(`${'Q'.repeat(9000)}\r`);
    await send('\x00\xff\xfe\x80\r');
    await expect
      .poll(rawLines, { timeout: 15_000 })
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining('Too long (9,000 bytes, the limit is 8,192) — dropped whole, no part of it was scanned.'),
          expect.stringContaining('Noise (4 bytes no barcode carries) — dropped.'),
          expect.stringMatching(/^GIG-MSF ended with CR/),
          expect.stringMatching(/^MIC-1042 ended with CR/),
        ]),
      );
    // Test scans changed nothing: no gig picked, nothing queued, nothing moved on the server.
    expect(await page.evaluate<unknown>('window.station.getScanState()')).toMatchObject({ gig: null, mode: 'check_out' });
    await page.locator('details.port summary').click();
    await shoot('scanners');

    // Port settings: a custom terminator (ETX) takes effect on the running scanner.
    const settings = page.getByRole('form', { name: 'Port settings of Dock door' });
    await settings.getByLabel('Each code ends with').selectOption('terminator');
    await settings.getByLabel('Custom end').fill('\\x03');
    await settings.getByRole('button', { name: 'Save port settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Dock door: port settings saved' }).waitFor({ timeout: 15_000 });
    await send('MIC-1042\x03');
    await expect.poll(async () => (await rawLines())[0] ?? '', { timeout: 15_000 }).toBe('MIC-1042 ended with the custom end');
    // A broken escape is refused in words, and nothing is saved.
    await settings.getByLabel('Custom end').fill('\\q');
    await settings.getByRole('button', { name: 'Save port settings' }).click();
    await expect.poll(() => settings.getByRole('alert').innerText(), { timeout: 15_000 }).toContain('broken escape');
    expect((await page.evaluate<unknown[]>('window.station.getScannerConfigs()'))[0]).toMatchObject({
      framing: 'terminator',
      terminator: '\x03',
    });

    const moved = await stack.db.query('select 1 from public.asset_movements where asset_id = $1', [asset]);
    expect(moved.rows).toHaveLength(0);
    expect(await page.evaluate<unknown>('window.station.getSyncStatus()')).toMatchObject({ depth: 0 });

    // Off the Scanners screen the same scanner works for real.
    await page.keyboard.press('F1');
    await page.locator('main[data-screen="scan"]').waitFor();
    await send('GIG-MSF\x03');
    await send('MIC-1042\x03');
    await expect
      .poll(async () => (await stack.db.query('select 1 from public.asset_movements where asset_id = $1', [asset])).rows.length, {
        timeout: 60_000,
      })
      .toBe(1);
  }, 180_000);
});
