import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../core/sync/engine';
import type { SyncTransport } from '../core/sync/transport';
import { stationHarness, type StationHarness } from '../tests/helpers/station-harness';
import { RotatingLog } from './logging';
import type { SqliteQueueStore } from './sync/sqlite-queue-store';

// The sync part of StationApi through the same dispatcher the IPC and WebSocket hosts use.
const dir = mkdtempSync(join(tmpdir(), 'handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ASSET = '00000000-0000-4000-8000-0000000000a1';
let dispatch: StationHarness['dispatch'];
let store: SqliteQueueStore;
let engine: SyncEngine;
let n = 0;

const rejectingTransport: SyncTransport = {
  push: (_device, ops) =>
    Promise.resolve(
      ops.map((op) => ({
        op_id: op.id,
        status: 'rejected' as const,
        table: op.table,
        entity_id: String(op.payload['id']),
        code: 'asset_retired',
        message: 'retired',
      })),
    ),
  pull: () => Promise.resolve({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }),
  refreshSession: () => Promise.resolve(true),
};

let harness: StationHarness;
beforeEach(() => {
  harness = stationHarness({
    dir,
    name: `h-${(n += 1)}`,
    transport: rejectingTransport,
    listSerialPorts: () => Promise.resolve([{ path: '/dev/ttyUSB0', manufacturer: 'FTDI' }]),
  });
  ({ store, engine, dispatch } = harness);
});
afterEach(() => harness.stop());

const call = (method: string, ...args: unknown[]) => dispatch({ method, args, trustedSender: true });

describe('StationApi scanner methods', () => {
  it('discovers ports, saves scanner settings in the station database and lists their status', async () => {
    expect(await call('discoverScanners')).toEqual({
      ok: true,
      value: { serial: [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI' }], hid: [], hidUnavailable: 'no HID here' },
    });
    const saved = await call('saveScanners', {
      scanners: [{ kind: 'serial', id: 'dock', name: 'Dock door', role: 'out', path: join(dir, 'no-such-port') }],
    });
    expect(saved).toMatchObject({ ok: true, value: [{ id: 'dock', name: 'Dock door', role: 'out', present: false, state: 'absent' }] });
    expect(JSON.parse((await store.settings.scanners.get()) ?? '[]')).toMatchObject([
      { id: 'dock', framing: 'auto', gapMs: 100, minLength: 4, maxLength: 8192, baudRate: 9600 },
    ]);
  });

  it('upgrades settings saved before framing existed: a line-end suffix reads any line end, others stay custom', async () => {
    await store.settings.scanners.set(
      JSON.stringify([
        {
          kind: 'serial',
          id: 'old-crlf',
          name: 'Old CRLF',
          role: 'out',
          path: '/dev/ttyS0',
          baudRate: 9600,
          dataBits: 8,
          parity: 'none',
          stopBits: 1,
          prefix: '',
          suffix: '\r\n',
        },
        {
          kind: 'serial',
          id: 'old-etx',
          name: 'Old ETX',
          role: 'in',
          path: '/dev/ttyS1',
          baudRate: 9600,
          dataBits: 8,
          parity: 'none',
          stopBits: 1,
          prefix: '\x02',
          suffix: '\x03',
        },
      ]),
    );
    expect(await call('getScannerConfigs')).toMatchObject({
      ok: true,
      value: [
        { id: 'old-crlf', framing: 'auto', stripPrefix: '' },
        { id: 'old-etx', framing: 'terminator', terminator: '\x03', stripPrefix: '\x02' },
      ],
    });
  });

  it('refuses port settings that cannot work, in words, and keeps the old ones', async () => {
    const custom = { kind: 'serial', id: 'a', name: 'A', role: 'in', path: '/dev/x', framing: 'terminator' };
    expect(await call('saveScanners', { scanners: [custom] })).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments', message: expect.stringContaining('a custom terminator is needed') },
    });
    expect(await call('saveScanners', { scanners: [{ ...custom, framing: 'auto', minLength: 40, maxLength: 20 }] })).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    expect(await call('saveScanners', { scanners: [{ ...custom, framing: 'auto', maxLength: 100_000 }] })).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    expect(await store.settings.scanners.get()).toBeNull();
  });

  it('while the Scanners screen holds the test lease, a scan is described and changes nothing; after it, scans act', async () => {
    expect(await call('setScannerTest', { seconds: 10 })).toEqual({ ok: true, value: { testing: true } });
    expect(await call('submitScan', { code: 'CMD:CHECK-IN', deviceId: 'keyboard-wedge' })).toMatchObject({
      ok: true,
      value: { kind: 'ok', message: 'test scan: command check-in — nothing was changed', queued: [] },
    });
    expect(await call('getScanState')).toMatchObject({ ok: true, value: { mode: 'check_out' } });
    expect(await call('setScannerTest', { seconds: 0 })).toEqual({ ok: true, value: { testing: false } });
    await call('submitScan', { code: 'CMD:CHECK-IN', deviceId: 'keyboard-wedge' });
    expect(await call('getScanState')).toMatchObject({ ok: true, value: { mode: 'check_in' } });
    expect(await call('setScannerTest', { seconds: 31 })).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
  });

  it('refuses invalid scanner settings and duplicate ids, keeping the old ones', async () => {
    expect(
      await call('saveScanners', { scanners: [{ kind: 'serial', id: 'a', name: 'A', role: 'sideways', path: '/dev/x' }] }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    const twice = { kind: 'serial', id: 'a', name: 'A', role: 'in', path: '/dev/x' };
    expect(await call('saveScanners', { scanners: [twice, twice] })).toEqual({
      ok: false,
      error: { code: 'invalid_arguments', message: 'two scanners share the id "a"' },
    });
    expect(await store.settings.scanners.get()).toBeNull();
  });

  it('runs a wedge scan from the renderer through the workflow', async () => {
    expect(await call('submitScan', { code: 'NOT-A-THING', deviceId: 'wedge' })).toMatchObject({
      ok: true,
      value: { kind: 'error', message: 'unknown barcode NOT-A-THING', queued: [], scan: { deviceId: 'wedge', code: 'NOT-A-THING' } },
    });
    expect(await call('getScanState')).toMatchObject({ ok: true, value: { mode: 'check_out', gig: null, progress: null } });
    expect(await call('submitScan', { code: '', deviceId: 'wedge' })).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
  });
});

describe('StationApi sync methods', () => {
  it('reports the queue status in the contract’s shape', async () => {
    await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET } });
    expect(await call('getSyncStatus')).toMatchObject({ ok: true, value: { depth: 1, pending: 1, online: true, lastError: null } });
    expect(await call('listQueue', { limit: 10 })).toMatchObject({ ok: true, value: [{ table: 'assets', action: 'check_in' }] });
  });

  it('syncs on request and lists, retries and discards quarantined ops', async () => {
    await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET } });
    expect(await call('syncNow')).toMatchObject({ ok: true, value: { depth: 0, quarantined: 1 } });
    const listed = await call('listQuarantine');
    expect(listed).toMatchObject({ ok: true, value: [{ code: 'asset_retired', message: 'retired' }] });
    const id = (listed as { value: { id: string }[] }).value[0]?.id;
    expect(await call('retryQuarantined', { id })).toMatchObject({ ok: true, value: { depth: 1, quarantined: 0 } });
    await call('syncNow');
    const again = (await call('listQuarantine')) as { value: { id: string }[] };
    expect(await call('discardQuarantined', { id: again.value[0]?.id })).toMatchObject({ ok: true, value: { depth: 0, quarantined: 0 } });
  });

  it.each([
    ['listQueue', [{ limit: 0 }], 'listQueue: 0.limit: Too small: expected number to be >=1'],
    ['resolveConflicts', [{ ids: [], choice: 'keep_local' }], 'resolveConflicts: 0.ids: name at least one conflict'],
    [
      'resolveConflicts',
      [{ ids: [ASSET], choice: 'merge' }],
      'resolveConflicts: 0.choice: Invalid option: expected one of "keep_local"|"use_server"',
    ],
    ['retryQuarantined', [{ id: 'nope' }], 'retryQuarantined: 0.id: Invalid UUID'],
  ])('refuses bad arguments to %s', async (method, args, message) => {
    expect(await call(method, ...args)).toEqual({ ok: false, error: { code: 'invalid_arguments', message } });
  });

  it('reports a conflict that does not exist as a failed call, not a crash', async () => {
    expect(await call('resolveConflicts', { ids: [ASSET], choice: 'use_server' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: `no conflict ${ASSET}` },
    });
  });
});

describe('StationApi diagnostics', () => {
  it('bundles versions, queue state, settings and the recent log, without the anon key or the session', async () => {
    const anonKey = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.anon-key-signature-for-test';
    const logged = ['{"level":"info","msg":"station starting"}'];
    const h = stationHarness({
      dir,
      name: `diag-${(n += 1)}`,
      backend: { url: 'https://proj.supabase.co', anonKey },
      recentLog: (count) => logged.slice(-count),
    });
    try {
      await h.store.session.setItem(
        'sb-proj-auth-token',
        JSON.stringify({ access_token: 'secret-access-token', refresh_token: 'secret-refresh' }),
      );
      const result = await h.dispatch({ method: 'getDiagnostics', args: [], trustedSender: true });
      expect(result.ok).toBe(true);
      const bundle = result.ok ? result.value : null;
      expect(bundle).toMatchObject({
        info: { appVersion: '0.1.0', host: 'browser' },
        settings: { stationName: 'test-station', backendUrl: 'https://proj.supabase.co' },
        log: logged,
        sync: { depth: 0 },
      });
      const text = JSON.stringify(bundle);
      for (const secret of [anonKey, 'secret-access-token', 'secret-refresh']) expect(text).not.toContain(secret);
    } finally {
      await h.stop();
    }
  });

  it('carries the station log’s lines as written, with secrets already redacted', async () => {
    const log = new RotatingLog({ dir: join(dir, `log-${(n += 1)}`) });
    log.write('warn', 'sync push refused: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl', { refreshToken: 'r-secret' });
    const h = stationHarness({ dir, name: `diag-${(n += 1)}`, recentLog: (count) => log.tail(count) });
    try {
      const result = await h.dispatch({ method: 'getDiagnostics', args: [], trustedSender: true });
      const text = JSON.stringify(result);
      expect(text).toContain('sync push refused: Bearer [redacted]');
      for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 'r-secret']) expect(text).not.toContain(secret);
    } finally {
      await h.stop();
    }
  });
});
