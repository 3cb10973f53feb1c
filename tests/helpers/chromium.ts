import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (Playwright cannot download browsers here). The
 * flags keep it from calling home, which this network refuses.
 */
function chromiumOptions(extraArgs: string[]): { executablePath: string; args: string[] } {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  }
  return {
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  };
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch(chromiumOptions(extraArgs));
}

/** A profile on disk, as a user's browser has: what Chromium requires to offer installing an app. */
export function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, chromiumOptions([]));
}
