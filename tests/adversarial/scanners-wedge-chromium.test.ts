import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { scannerKeyEvents } from '../bench/wedge';
import { cdpKeyEvent } from '../helpers/cdp-keys';
import { launchChromium } from '../helpers/chromium';
import { until } from '../helpers/until';

// The real useKeyboardWedge hook (React, the real detector) in Chromium, with a button that has
// focus — as a tab or the Scan screen's buttons keep it after a click — and a scanner typing
// through CDP with recorded timestamps (the e2e's technique: timing from the recording, not the CPU).
const dir = mkdtempSync(join(tmpdir(), 'adv-wedge-'));
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const entry = join(dir, 'entry.tsx');
  writeFileSync(
    entry,
    `import { useCallback, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useKeyboardWedge } from ${JSON.stringify(join(PROJECT_ROOT, 'renderer/src/useKeyboardWedge'))};
const w = window as unknown as { scans: string[]; clicks: number };
w.scans = []; w.clicks = 0;
function Harness() {
  const onScan = useCallback((code: string) => { w.scans.push(code); }, []);
  useKeyboardWedge(onScan);
  const [n, setN] = useState(0);
  return <button id="undo" type="button" onClick={() => { w.clicks += 1; setN(n + 1); }}>Undo last scan ({n})</button>;
}
createRoot(document.getElementById('root')!).render(<Harness />);
`,
  );
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
    nodePaths: [join(PROJECT_ROOT, 'node_modules')],
  });
  const html = `<!doctype html><html><body><div id="root"></div><script>${out.outputFiles[0]?.text ?? ''}</script></body></html>`;
  writeFileSync(join(dir, 'index.html'), html);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`file://${join(dir, 'index.html')}`);
  await page.locator('#undo').waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scannerTypes(code: string): Promise<void> {
  const session = await page.context().newCDPSession(page);
  const base = Date.now() / 1000;
  await Promise.all(
    scannerKeyEvents(code, { start: 0, pollMs: 8 }).map((e) => session.send('Input.dispatchKeyEvent', cdpKeyEvent(e, base) as never)),
  );
}

describe('probe: a scan with a space while a button has focus', () => {
  it('scans "MIC 1042" whole and does not press the focused button', async () => {
    await page.locator('#undo').focus();
    await scannerTypes('MIC 1042');
    // A barrier scan that does arrive: everything before it has been handled.
    await scannerTypes('GIG-MSF');
    await until(async () => (await page.evaluate('window.scans.length')) === 2);
    expect(await page.evaluate('window.scans')).toEqual(['MIC 1042', 'GIG-MSF']);
    expect(await page.evaluate('window.clicks')).toBe(0);
  });
});
