import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';

// A screen whose load fails says so in words (an inline error line), instead of showing nothing or
// "Loading…" for ever. Real React in Chromium; window.station is a stand-in whose failing calls
// reject the way Electron's contextBridge delivers them (StationError data).
let browser: Browser;
let page: Page;
let bundle: string;
let pageErrors: string[] = [];

beforeAll(async () => {
  const built = await build({
    entryPoints: [join(PROJECT_ROOT, 'tests/browser/screens.entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    // The camera's decoder (a wasm file) is never started here.
    loader: { '.css': 'empty', '.wasm': 'empty' },
    logLevel: 'silent',
  });
  bundle = built.outputFiles[0]?.text ?? '';
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  pageErrors = [];
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.setContent('<!doctype html><div id="root"></div>');
  await page.addScriptTag({ content: bundle });
});

async function alerts(): Promise<string[]> {
  const shown = page.getByRole('alert');
  await shown.first().waitFor({ timeout: 15_000 });
  return shown.allInnerTexts();
}

describe('screen load failures are shown in words', () => {
  it('the Sync screen says the queue could not be read, and why', async () => {
    await page.evaluate(() =>
      (globalThis as unknown as { mount(s: unknown): void }).mount({
        screen: 'sync',
        failures: { listQueue: { code: 'offline', message: 'the station connection closed' } },
      }),
    );
    await page.getByRole('region', { name: 'Sync status' }).waitFor({ timeout: 15_000 });
    expect(await alerts()).toEqual(['The queue could not be read: no connection (the station connection closed)']);
    expect(pageErrors).toEqual([]);
  });

  it('the Gigs screen says the lists could not be read instead of "Loading…" for ever', async () => {
    await page.evaluate(() =>
      (globalThis as unknown as { mount(s: unknown): void }).mount({
        screen: 'app',
        failures: { listGigs: { code: 'corrupt', message: 'a cached row is not readable' } },
      }),
    );
    await page.locator('.topbar').waitFor({ timeout: 15_000 });
    await page.keyboard.press('F2');
    await page.locator('main[data-screen="gigs"]').waitFor({ timeout: 15_000 });
    expect(await alerts()).toEqual(['Gigs and assets could not be read: a cached row is not readable']);
    expect(pageErrors).toEqual([]);
  });
});
