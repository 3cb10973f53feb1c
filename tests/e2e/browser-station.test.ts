import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The real station (SQLite, sync, scanning) behind the browser host, driven in Chromium: the
// renderer connects over the WebSocket, syncs the demo data, and takes a keyboard-wedge scan.
let stack: TestStack;
let station: RunningBrowserStation;
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'e2e-station-'));
chmodSync(dir, 0o755);

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
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await station?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the station in Chromium through the browser host', () => {
  it('connects, shows the station and its sync state, and turns a fast key burst into a scan', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('favicon')) errors.push(message.text());
    });
    await page.goto(station.openUrl);
    await expect.poll(() => page.locator('main').innerText(), { timeout: 15_000 }).toContain('browser');
    await expect.poll(() => page.locator('main').innerText(), { timeout: 15_000 }).toMatch(/online · 0 queued/);

    // A keyboard-wedge scanner types a gig code fast and presses Enter, with nothing focused.
    await page.keyboard.type('GIG-000001', { delay: 2 });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.feedback').innerText(), { timeout: 15_000 }).toMatch(/^picking for .+: \d+\/\d+$/);
    expect(await page.locator('.frames code').first().innerText()).toBe('"GIG-000001"');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-results', 'browser-station.png') });
  }, 60_000);
});
