import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { scannerConfigSchema } from '../../core/scanner/config';
import { PtyPair } from '../../tests/helpers/socat';
import { DeviceManager, type RoutedScan } from './device-manager';

// Two real serial scanners (socat pty pairs) with different roles, arriving and leaving.
const dir = mkdtempSync(join(tmpdir(), 'devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function write(path: string, text: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.from(text, 'latin1'));
  closeSync(fd);
}

describe('DeviceManager', () => {
  it('starts scanners as they arrive, routes scans with name and role, and notices removal', async () => {
    const dock = new PtyPair(join(dir, 'dock'), join(dir, 'dock-scanner'));
    const returns = new PtyPair(join(dir, 'returns'), join(dir, 'returns-scanner'));
    const manager = new DeviceManager({
      hid: { available: false, reason: 'no HID in this test' },
      listSerialPorts: () => Promise.resolve([]),
      now: () => 5,
      random: seededRandom(1),
      pollMs: 50,
      log: () => undefined,
    });
    manager.configure([
      scannerConfigSchema.parse({ kind: 'serial', id: 'dock', name: 'Dock door', role: 'out', path: dock.device, suffix: '\r\n' }),
      scannerConfigSchema.parse({ kind: 'serial', id: 'returns', name: 'Returns bench', role: 'in', path: returns.device, suffix: '\r\n' }),
      scannerConfigSchema.parse({ kind: 'hid', id: 'gun', name: 'Handheld', role: 'any', vendorId: 0x0c2e, productId: 0x0b61, mode: 'keyboard' }),
    ]);
    const scans: RoutedScan[] = [];
    manager.onScan((scan) => scans.push(scan));
    manager.start();
    try {
      await until(() => manager.list().every((s) => s.state !== 'opening'));
      expect(manager.list().map((s) => [s.id, s.state])).toEqual([
        ['dock', 'absent'],
        ['returns', 'absent'],
        ['gun', 'unavailable'],
      ]);
      expect(manager.list()[2]?.detail).toBe('no HID in this test');

      await dock.start();
      await returns.start();
      await until(() => manager.list().filter((s) => s.state === 'open').length === 2);
      write(dock.scanner, 'SPK-1\r\n');
      write(returns.scanner, 'SPK-2\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceId, s.deviceName, s.role, s.code]).sort()).toEqual([
        ['dock', 'Dock door', 'out', 'SPK-1'],
        ['returns', 'Returns bench', 'in', 'SPK-2'],
      ]);

      await dock.stop();
      await until(() => manager.list()[0]?.state === 'absent' || manager.list()[0]?.state === 'reconnecting');
      await dock.start();
      await until(() => manager.list()[0]?.state === 'open');
      write(dock.scanner, 'SPK-3\r\n');
      await until(() => scans.length === 3);
      expect(scans[2]).toMatchObject({ deviceId: 'dock', code: 'SPK-3' });
    } finally {
      await manager.stop();
      await dock.stop();
      await returns.stop();
    }
  });

  it('refuses an invalid scanner configuration with a specific message', () => {
    const result = scannerConfigSchema.safeParse({ kind: 'serial', id: 'x', name: 'X', role: 'sideways', path: '/dev/ttyUSB0' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['role']);
  });
});
