import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationApi } from '../../core/station-api';
import { findElectronBinary } from '../../scripts/electron-binary';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The built app in a real Electron window (main process, sandboxed preload, contextBridge, IPC),
// against a local stack with the demo data: the path station-flows.test.ts takes through the
// browser host. It needs the Electron binary, which CI installs without (ELECTRON_SKIP_BINARY_DOWNLOAD).
const binary = findElectronBinary();
const hasDisplay = process.platform !== 'linux' || ['DISPLAY', 'WAYLAND_DISPLAY'].some((name) => (process.env[name] ?? '') !== '');
const skipReason = !binary.found
  ? `the Electron binary is not installed (${binary.expectedAt === null ? 'node_modules/electron has no path.txt' : `looked for ${binary.expectedAt}`}); run "npx install-electron" or set ELECTRON_OVERRIDE_DIST_PATH`
  : !hasDisplay
    ? 'no display for the window (DISPLAY and WAYLAND_DISPLAY are unset); run it under xvfb-run'
    : null;
if (skipReason !== null) process.stderr.write(`electron smoke skipped: ${skipReason}\n`);

/** The bridge the preload exposes, as the page sees it (the functions below run in the window). */
type StationWindow = { station: StationApi };

describe.skipIf(skipReason !== null)('the station in Electron', () => {
  let stack: TestStack;
  let app: ElectronApplication;
  let userData: string | undefined;

  beforeAll(async () => {
    userData = mkdtempSync(join(tmpdir(), 'e2e-electron-'));
    const mainScript = join(PROJECT_ROOT, 'out', 'main', 'index.js');
    if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run "npm run build" first (npm test does)`);
    stack = await startTestStack();
    await seedDemoIfEmpty(stack.dbUrl);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      // Electron as plain Node, or pointed at a dev server, would not be the built station.
      if (value !== undefined && key !== 'ELECTRON_RUN_AS_NODE' && key !== 'ELECTRON_RENDERER_URL') env[key] = value;
    }
    app = await _electron.launch({
      executablePath: binary.found ? binary.path : '',
      // Chromium refuses to run as root with its sandbox on (CI containers); the window's
      // webPreferences sandbox is untouched. The project folder: package.json "main" is out/main/index.js.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), PROJECT_ROOT],
      cwd: PROJECT_ROOT,
      env: {
        ...env,
        SUPABASE_URL: stack.url,
        SUPABASE_ANON_KEY: stack.anonKey,
        STATION_EMAIL: 'station@northlight.test',
        STATION_PASSWORD: DEMO_PASSWORD,
        STATION_USER_DATA_DIR: userData,
      },
      timeout: 60_000,
    });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await stack?.stop();
    if (userData !== undefined) rmSync(userData, { recursive: true, force: true });
  });

  it('opens the window, signs in as the demo station and syncs online', async () => {
    const page = await app.firstWindow();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.waitForLoadState('domcontentloaded');
    expect(await page.title()).toBe('GigManager Station');
    await expect.poll(() => page.locator('h1').first().innerText(), { timeout: 15_000 }).toContain('GigManager Station');
    await expect.poll(() => page.locator('body').innerText(), { timeout: 30_000 }).toMatch(/\bonline\b/i);

    // Through the real preload and contextBridge: the station answers as Electron, and its
    // engine has reached the backend (a pull succeeded), not merely started.
    const info = await page.evaluate(() => (globalThis as unknown as StationWindow).station.getInfo());
    expect(info).toMatchObject({ host: 'electron', backendUrl: stack.url });
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as StationWindow).station.getSyncStatus()), { timeout: 30_000 })
      .toMatchObject({ online: true, lastError: null, lastSuccessAt: expect.any(Number) as unknown });
    expect(await page.evaluate(() => (globalThis as unknown as StationWindow).station.getSettings())).toMatchObject({
      signedInAs: 'station@northlight.test',
    });
    expect(existsSync(join(userData ?? '', 'station.sqlite'))).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
