import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { scannerConfigSchema, type ScannerConfig, type UsbIdentity } from '../../core/scanner/config';
import { DeviceManager, type RoutedScan } from '../../main/scanners/device-manager';
import type { SerialPortInfo } from '../../main/scanners/serial-scanner';
import { PtyPair } from '../helpers/socat';
import { until } from '../helpers/until';

const dir = mkdtempSync(join(tmpdir(), 'adv-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serial(id: string, role: 'out' | 'in' | 'any', path: string, extra: Record<string, unknown> = {}): ScannerConfig {
  return scannerConfigSchema.parse({ kind: 'serial', id, name: `Scanner ${id}`, role, path, ...extra });
}

// Two identical USB-CDC scanners (same model, no USB serial number), told apart by their saved port.
const SAME_MODEL: UsbIdentity = { vendorId: 0x0c2e, productId: 0x0b6a };

describe('probe: identical USB scanners without serial numbers', () => {
  it("with the dock-door scanner unplugged, the returns bench scanner keeps its own role (not the dock door's)", async () => {
    const dockPath = join(dir, 'ttyACM0'); // the dock-door scanner's saved port: unplugged now
    const bench = new PtyPair(join(dir, 'ttyACM1'), join(dir, 'acm1-scanner'));
    await bench.start();
    const listed: SerialPortInfo[] = [{ path: bench.device, manufacturer: 'Honeywell', ...SAME_MODEL }];
    const manager = new DeviceManager({
      hid: { available: false, reason: 'no HID' },
      listSerialPorts: () => Promise.resolve(listed.filter((p) => existsSync(p.path))),
      now: () => Date.now(),
      random: seededRandom(1),
      pollMs: 50,
      log: () => undefined,
    });
    const scans: RoutedScan[] = [];
    manager.onScan((s) => scans.push(s));
    manager.configure([serial('dock', 'out', dockPath, { usb: SAME_MODEL }), serial('bench', 'in', bench.device, { usb: SAME_MODEL })]);
    manager.start();
    try {
      await until(() => manager.list().some((s) => s.state === 'open'));
      await bench.write('SPK-10004\r');
      await until(() => scans.length === 1);
      // The returns bench checks IN; the absent dock door is absent.
      expect(scans.map((s) => [s.deviceId, s.role, s.code])).toEqual([['bench', 'in', 'SPK-10004']]);
      expect(manager.list().map((s) => [s.id, s.state])).toEqual([
        ['dock', 'absent'],
        ['bench', 'open'],
      ]);
    } finally {
      await manager.stop();
      await bench.stop();
    }
  });
});

describe('probe: one port saved under two scanners', () => {
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
      // Barrier: give a second reader time to deliver too, proven by a later scan arriving.
      await pty.write('BARRIER-1\r');
      await until(() => scans.some((s) => s.code === 'BARRIER-1'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(scans.filter((s) => s.code === 'SPK-10004')).toHaveLength(1);
    } finally {
      await manager.stop();
      await pty.stop();
    }
  });
});
