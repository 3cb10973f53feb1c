import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../supabase/local/paths';
import { findElectronBinary } from './electron-binary';

describe('npm start without the Electron binary', () => {
  it('finds no binary in an empty override folder', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-electron-'));
    const binary = findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    expect(binary.found).toBe(false);
    expect(!binary.found && binary.expectedAt?.startsWith(empty)).toBe(true);
  });

  it('exits non-zero with one paragraph on how to get it, and no stack trace', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-electron-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts/start.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^The Electron binary is not installed, so the station window cannot open/);
    expect(result.stderr).toMatch(/npx install-electron/);
    expect(result.stderr).toMatch(/ELECTRON_OVERRIDE_DIST_PATH/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
