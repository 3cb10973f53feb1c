import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../supabase/local/paths';
import { findElectronBinary } from './electron-binary';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // The local backend's PostgreSQL runs as the postgres user when tests run as root.
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

describe('npm start without the Electron binary', () => {
  it('finds no binary in an empty override folder', () => {
    const empty = tempDir('no-electron-');
    const binary = findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    expect(binary.found).toBe(false);
    expect(!binary.found && binary.expectedAt?.startsWith(empty)).toBe(true);
  });

  it('explains in one paragraph, then runs the same station in the browser until stopped', async () => {
    const data = tempDir('start-data-');
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts/start.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ELECTRON_OVERRIDE_DIST_PATH: tempDir('no-electron-'),
        GIGMANAGER_DATA_DIR: data,
        GIGMANAGER_BACKEND_PORT: '0',
        STATION_SKIP_BUILD: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^station ready: open (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)$/.exec(line);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
    });
    expect(stderr).toMatch(/^The Electron binary is not installed, so the station window cannot open.*$/m);
    expect(stderr).toMatch(/npx install-electron/);
    expect(stderr).not.toMatch(/\n\s+at /);
    const page = await fetch(address);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"></div>');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
  }, 120_000);
});
