import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { signInOnPhone } from '../helpers/crew-sign-in';

// The phone's camera as a scanner: Chromium's fake camera shows a Code 128 label of a real asset
// (drawn by zxing-cpp's writer); the PWA reads it (the zxing-wasm ponyfill, as Linux Chromium has
// no native BarcodeDetector) and checks the asset out like any other scan.
const dir = mkdtempSync(join(tmpdir(), 'e2e-camera-'));
let stack: TestStack;
let web: WebServer;
let browser: Browser;

/** A camera frame: the label on white, as a one-frame MJPEG file Chromium can loop. */
async function cameraFile(code: string): Promise<string> {
  await prepareZXingModule({
    overrides: { wasmBinary: readFileSync(join(PROJECT_ROOT, 'node_modules/zxing-wasm/dist/writer/zxing_writer.wasm')).buffer },
    fireImmediately: true,
  });
  const { svg, error } = await writeBarcode(code, { format: 'Code128', scale: 3 });
  if (error !== '') throw new Error(`cannot draw ${code}: ${error}`);
  const painter = await launchChromium();
  try {
    const page = await painter.newPage({ viewport: { width: 640, height: 480 } });
    await page.setContent(`<body style="margin:0;background:#fff;display:grid;place-items:center;height:480px">${svg}</body>`);
    const file = join(dir, 'label.mjpeg');
    writeFileSync(file, await page.screenshot({ type: 'jpeg', quality: 95 }));
    return file;
  } finally {
    await painter.close();
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  await seedDemoIfEmpty(stack.dbUrl);
  web = await serveWeb();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await web?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('scanning with the phone camera', () => {
  it('reads a Code 128 label through the camera and checks the asset out', async () => {
    const gig = (
      await stack.db.query<{ id: string; code: string; name: string }>(
        `select id, code, name from public.gigs where org_id = $1 and status = 'confirmed' and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code desc limit 1`,
        [ORGS.northlight.id],
      )
    ).rows[0];
    const asset = (
      await stack.db.query<{ id: string; serial_number: string }>(
        `select id, serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null order by serial_number desc limit 1`,
        [ORGS.northlight.id],
      )
    ).rows[0];
    if (gig === undefined || asset === undefined) throw new Error('the demo data has no suitable gig or asset');
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${await cameraFile(asset.serial_number)}`,
    ]);
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    await context.grantPermissions(['camera'], { origin: web.url });
    const page = await context.newPage();
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(page, 'crew@northlight.test', DEMO_PASSWORD);
    await page.getByRole('button', { name: /^Settings/ }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').innerText(), { timeout: 15_000 }).toBe('Signed in as crew@northlight.test');
    await page.getByRole('button', { name: /^Assets/ }).click();
    await expect.poll(() => page.getByTestId('asset-count').innerText(), { timeout: 30_000 }).toBe('400 of 400');

    await page.getByRole('button', { name: /^Scan/ }).click();
    await page.getByLabel('Type a code').fill(gig.code);
    await page.getByLabel('Type a code').press('Enter');
    await expect.poll(() => page.getByTestId('active-gig').innerText()).toBe(gig.name);
    await page.getByRole('button', { name: 'Scan with camera' }).click();
    await expect.poll(() => page.getByTestId('last-scan').innerText(), { timeout: 30_000 }).toContain(`${asset.serial_number}`);
    // Queued, with the workflow's warning: this asset is not on the gig's pick list.
    expect(await page.getByTestId('last-scan').innerText()).toContain('not on this gig’s pick list');
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-results', 'screens', 'pwa-camera.png') });
    await page.getByRole('button', { name: 'Stop camera' }).click();

    // Held in view, the label is one scan, and it reaches the server once.
    const moved = async (): Promise<number> =>
      (
        await stack.db.query<{ n: number }>(
          `select count(*)::int as n from public.asset_movements where asset_id = $1 and kind = 'check_out' and gig_id = $2 and device_id like 'pwa-%'`,
          [asset.id, gig.id],
        )
      ).rows[0]?.n ?? 0;
    await expect.poll(moved, { timeout: 30_000 }).toBe(1);
  }, 180_000);
});
