import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { scannerConfigSchema, type ScannerConfig } from '../../core/scanner/config';
import { DeviceManager, type RoutedScan } from '../../main/scanners/device-manager';
import { PtyPair } from '../helpers/socat';
import { until } from '../helpers/until';

const dir = mkdtempSync(join(tmpdir(), 'adv-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serial(id: string, role: 'out' | 'in' | 'any', path: string, extra: Record<string, unknown> = {}): ScannerConfig {
  return scannerConfigSchema.parse({ kind: 'serial', id, name: `Scanner ${id}`, role, path, ...extra });
}

describe('guard: one port saved under two scanners', () => {
  it('a scan on the shared port is acted on at most once (never as both "out" and "in")', async () => {
    const pty = new PtyPair(join(dir, 'ttyShared'), join(dir, 'shared-scanner'));
    await pty.start();
    const manager = new DeviceManager({
      hid: { available: false, reason: 'no HID' },
      listSerialPorts: () => Promise.resolve([]),
      now: () => Date.now(),
      random: seededRandom(3),
      pollMs: 50,
      log: () => undefined,
    });
    const scans: RoutedScan[] = [];
    manager.onScan((s) => scans.push(s));
    manager.configure([serial('a', 'out', pty.device), serial('b', 'in', pty.device)]);
    manager.start();
    try {
      await until(() => manager.list().some((s) => s.state === 'open') && manager.list().every((s) => s.state !== 'opening'));
      await pty.write('SPK-10004\r');
      await until(() => scans.length >= 1);
      // Barrier: a later scan arriving proves a second reader (if any) has delivered the first too.
      await pty.write('BARRIER-1\r');
      await until(() => scans.some((s) => s.code === 'BARRIER-1'));
      expect(scans.filter((s) => s.code === 'SPK-10004')).toHaveLength(1);
    } finally {
      await manager.stop();
      await pty.stop();
    }
  });
});
