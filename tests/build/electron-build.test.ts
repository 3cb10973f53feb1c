import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../supabase/local/paths';

// `npm run build` works without the Electron binary and produces what a sandboxed window needs.
// Built into its own folder: other tests serve out/ (which `npm test` builds first).
const out = mkdtempSync(join(tmpdir(), 'electron-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(() => {
  const result = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', out],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(PROJECT_ROOT, 'no-electron-here') },
      timeout: 120_000,
    },
  );
  if (result.status !== 0) throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`);
});

describe('electron-vite build', () => {
  it('bundles the preload as CommonJS that requires nothing but electron', () => {
    const preload = readFileSync(join(out, 'preload', 'index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(required).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('points the main process at the built preload and renderer', () => {
    const main = readFileSync(join(out, 'main', 'index.js'), 'utf8');
    expect(main).toContain('../preload/index.cjs');
    expect(main).toContain('../renderer/index.html');
    expect(existsSync(join(out, 'renderer', 'index.html'))).toBe(true);
  });

  it('ships the renderer with a strict CSP meta tag and no inline script', () => {
    const html = readFileSync(join(out, 'renderer', 'index.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;self&#39;;/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
