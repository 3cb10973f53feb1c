import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';

/**
 * The QueueStore contract on Chromium's own IndexedDB: the same suite the memory, SQLite and
 * fake-indexeddb stores pass, bundled with vitest's expect (tests/browser/vitest-shim.ts) and run
 * in a page of a throwaway origin (IndexedDB needs one; no app, no backend).
 */
let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) =>
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>contract</title>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('IndexedDB in Chromium', () => {
  it('passes the QueueStore contract suite', async () => {
    const bundle = await build({
      entryPoints: [join(PROJECT_ROOT, 'tests/browser/idb-contract.entry.ts')],
      bundle: true,
      format: 'iife',
      write: false,
      platform: 'browser',
      alias: { vitest: join(PROJECT_ROOT, 'tests/browser/vitest-shim.ts') },
      logLevel: 'error',
    });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.evaluate(bundle.outputFiles[0]?.text ?? '');
      const results = z
        .array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() }))
        .parse(await page.evaluate('runContract()'));
      expect(results.length).toBeGreaterThanOrEqual(18);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
