import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWeb, WEB_PERMISSIONS, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';

// Server-side secrets (service role key, VAPID private key, the webhook secret) must never reach
// what ships to a browser or a station's window: the web build, the renderer, the preload.
const run = promisify(execFile);
const CANARIES = {
  SUPABASE_SERVICE_ROLE_KEY: 'canary-service-role-7f3a9c',
  VAPID_PRIVATE_KEY: 'canary-vapid-private-51be0d',
  NOTIFY_STAFF_SECRET: 'canary-notify-secret-a4c2e8',
  SUPABASE_DB_URL: 'postgresql://postgres:canary-db-password-93d1@db.example:5432/postgres',
};
const NAMES = [
  'SUPABASE_SERVICE_ROLE_KEY',
  'VAPID_PRIVATE_KEY',
  'NOTIFY_STAFF_SECRET',
  'SUPABASE_DB_URL',
  'service_role',
  'BEGIN PRIVATE KEY',
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function findings(dirs: string[], needles: string[]): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap(filesUnder)) {
    const text = readFileSync(file, 'latin1');
    for (const needle of needles) if (text.includes(needle)) found.push(`${file.slice(PROJECT_ROOT.length + 1)}: ${needle}`);
  }
  return found;
}

const out = mkdtempSync(join(tmpdir(), 'secrets-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(async () => {
  // Both builds with the secrets in the environment, as on a developer's machine or a CI runner.
  const env = { ...process.env, ...CANARIES, VITE_SUPABASE_URL: 'https://proj.supabase.co', VITE_SUPABASE_ANON_KEY: 'public-anon-key' };
  await run('npx', ['vite', 'build', '--config', 'vite.web.config.ts', '--outDir', join(out, 'web'), '--logLevel', 'error'], {
    cwd: PROJECT_ROOT,
    env,
    timeout: 180_000,
  });
  await run('npx', ['electron-vite', 'build', '--outDir', join(out, 'station'), '--logLevel', 'error'], {
    cwd: PROJECT_ROOT,
    env,
    timeout: 180_000,
  });
}, 240_000);

describe('secrets in what ships to browsers and windows', () => {
  it('builds that ran with every server secret in the environment contain none of them', () => {
    const shipped = [join(out, 'web'), join(out, 'station', 'renderer'), join(out, 'station', 'preload')];
    expect(findings(shipped, [...Object.values(CANARIES), ...NAMES])).toEqual([]);
    // The check sees what it looks for: the public configuration did land in the web build.
    expect(findings([join(out, 'web')], ['public-anon-key']).length).toBeGreaterThan(0);
  });

  it('the builds npm test made carry no secret names either', () => {
    expect(
      findings([join(PROJECT_ROOT, 'out', 'web'), join(PROJECT_ROOT, 'out', 'renderer'), join(PROJECT_ROOT, 'out', 'preload')], NAMES),
    ).toEqual([]);
  });
});

describe('the crew PWA’s server', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await serveWeb({ dir: join(out, 'web') });
  });
  afterAll(async () => {
    await web?.close();
  });

  it('lets the page use the camera and no other powerful feature', async () => {
    const response = await fetch(`${web.url}/`);
    const policy = response.headers.get('permissions-policy') ?? '';
    expect(policy).toBe(WEB_PERMISSIONS);
    expect(policy).toContain('camera=(self)');
    for (const feature of ['microphone', 'geolocation', 'usb', 'serial', 'hid', 'bluetooth', 'payment'])
      expect(policy).toContain(`${feature}=()`);
  });
});
