import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelFor, STATION_EVENTS, stationMethods } from '../../core/station-api';
import { PROJECT_ROOT } from '../../supabase/local/paths';

// The security settings of the station as built (`npm run build`: out/main, out/preload), not
// of its source: the built main process runs in Node against a stand-in for `electron`
// (tests/security/fake-electron.mjs) and every handler it installs is poked from outside.
const run = promisify(execFile);
const MAIN = join(PROJECT_ROOT, 'out', 'main', 'index.js');
const PRELOAD = join(PROJECT_ROOT, 'out', 'preload', 'index.cjs');
const RENDERER = join(PROJECT_ROOT, 'out', 'renderer', 'index.html');
const userData = mkdtempSync(join(tmpdir(), 'station-security-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

interface MainReport {
  webPreferences: Record<string, unknown>;
  loaded: { file?: string; url?: string };
  csp: string[];
  navigatePrevented: boolean;
  redirectPrevented: boolean;
  windowOpen: Record<string, { action: string }>;
  openedExternal: string[];
  permissions: Record<string, boolean>;
  webviewPrevented: boolean;
  channels: string[];
  untrusted: Record<string, Record<string, string>>;
  fuzz: Record<string, Record<string, string>>;
  trustedInfo: { ok: boolean };
  polluted: boolean;
  errorBoxes: unknown[];
  crashReporter: { uploadToServer?: boolean } | null;
  logFile: string;
}

let main: MainReport;
beforeAll(async () => {
  if (!existsSync(MAIN) || !existsSync(PRELOAD)) throw new Error('no build in out/: npm test builds first; alone, run npm run build');
  // No backend: the station starts on its own (the probe must not depend on one).
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SUPABASE_') && !key.startsWith('STATION_')),
  );
  const { stdout } = await run(
    process.execPath,
    ['--import', join(PROJECT_ROOT, 'tests/security/register.mjs'), join(PROJECT_ROOT, 'tests/security/probe-main.mjs'), MAIN, RENDERER],
    {
      cwd: PROJECT_ROOT,
      env: { ...env, STATION_USER_DATA_DIR: userData },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  main = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as MainReport;
}, 90_000);

describe('the built main process', () => {
  it('opens one isolated, sandboxed window on its own document, with the built preload', () => {
    expect(main.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: PRELOAD,
    });
    expect(main.loaded).toEqual({ file: RENDERER });
    expect(main.errorBoxes).toEqual([]);
  });

  it('keeps crash dumps local and writes its structured log in the user data folder', () => {
    expect(main.crashReporter).toEqual({ uploadToServer: false });
    const first = JSON.parse(readFileSync(main.logFile, 'utf8').split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({ level: 'info', msg: 'station starting', version: '0.0.0-security-test' });
  });

  it('sends a strict CSP with every response', () => {
    const [csp] = main.csp;
    expect(main.csp).toHaveLength(1);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self';",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-(inline|eval)|\*/);
  });

  it('never navigates, redirects or opens windows; only https links go to the system browser', () => {
    expect([main.navigatePrevented, main.redirectPrevented, main.webviewPrevented]).toEqual([true, true, true]);
    for (const decision of Object.values(main.windowOpen)) expect(decision).toEqual({ action: 'deny' });
    expect(main.openedExternal).toEqual(['https://docs.example.com/help']);
  });

  it('grants no browser permission at all (the station uses none)', () => {
    expect(Object.keys(main.permissions).length).toBeGreaterThanOrEqual(10);
    for (const [permission, granted] of Object.entries(main.permissions))
      expect({ permission, granted }).toEqual({ permission, granted: false });
  });

  it('handles exactly one IPC channel per StationApi method', () => {
    expect([...main.channels].sort()).toEqual(stationMethods.map(channelFor).sort());
    expect(main.trustedInfo.ok).toBe(true);
  });

  it('refuses every channel to a foreign page, a subframe, a frameless sender and another local file', () => {
    expect(Object.keys(main.untrusted).sort()).toEqual(['foreignPage', 'noFrame', 'otherFile', 'subframe']);
    for (const [sender, answers] of Object.entries(main.untrusted)) {
      expect(Object.keys(answers)).toHaveLength(stationMethods.length);
      for (const [channel, code] of Object.entries(answers))
        expect({ sender, channel, code }).toEqual({ sender, channel, code: 'untrusted_sender' });
    }
  });

  it('answers every invalid payload on every channel with invalid_arguments, never a throw or a write', () => {
    let checked = 0;
    for (const [channel, answers] of Object.entries(main.fuzz)) {
      for (const [payload, code] of Object.entries(answers)) {
        expect({ channel, payload, code }).toEqual({ channel, payload, code: 'invalid_arguments' });
        checked += 1;
      }
    }
    expect(checked).toBe(stationMethods.length * 9);
    expect(main.polluted).toBe(false);
  });
});

describe('the built preload', () => {
  it('exposes only window.station: StationApi functions over their own channels', async () => {
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, 'tests/security/probe-preload.cjs'), PRELOAD], {
      cwd: PROJECT_ROOT,
      timeout: 30_000,
    });
    const report = JSON.parse(stdout.trim()) as {
      exposedKeys: string[];
      members: string[];
      memberTypes: string[];
      invoked: { channel: string }[];
      listened: string[];
    };
    expect(report.exposedKeys).toEqual(['station']);
    const events = Object.keys(STATION_EVENTS).map((e) => `on${e[0]?.toUpperCase() ?? ''}${e.slice(1)}`);
    expect(report.members).toEqual([...stationMethods, ...events].sort());
    expect(report.memberTypes).toEqual(['function']);
    expect(report.invoked.map((i) => i.channel)).toEqual(['station:getInfo', 'station:ping']);
    expect(report.listened).toEqual([STATION_EVENTS.syncStatus]);
  });
});
