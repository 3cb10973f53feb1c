import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { scannerConfigSchema, type ScannerConfig, type UsbIdentity } from '../../core/scanner/config';
import type { DeviceInput } from '../../core/scanner/types';
import { PtyPair, PtyWriter } from '../../tests/helpers/socat';
import { DeviceManager, type RoutedScan } from './device-manager';
import type { HidDevice, HidDeviceInfo, HidModule } from './hid-scanner';
import type { SerialPortInfo } from './serial-scanner';
import { until } from '../../tests/helpers/until';

// Two real serial scanners (socat pty pairs) with different roles, arriving and leaving.
const dir = mkdtempSync(join(tmpdir(), 'devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(path: string, text: string): Promise<void> {
  const writer = await PtyWriter.open(path);
  try {
    await writer.write(text);
  } finally {
    await writer.close();
  }
}

/** Descriptors this process holds on the pty behind `path` (0 once the station let go of it). */
function openDescriptors(path: string): number {
  if (!existsSync(path)) return 0;
  const target = realpathSync(path);
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) count += 1;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return count;
}

/**
 * The OS port list, as udev would give it. A pty has no USB descriptor, so udev (and serialport's
 * SerialPort.list(), which reads `udevadm info -e`) cannot describe it and there is no USB-CDC
 * device here to re-enumerate: this stand-in says which USB identity sits behind each pty path,
 * and lists a path only while it exists, like udev lists only plugged devices. serialport's
 * parsing of the real udev export is covered by serialPortInfo's test.
 */
class Udev {
  readonly attached = new Map<string, UsbIdentity>();
  list = (): Promise<SerialPortInfo[]> =>
    Promise.resolve(
      [...this.attached]
        .filter(([path]) => existsSync(path))
        .map(([path, usb]) => ({
          path,
          manufacturer: 'Honeywell',
          vendorId: usb.vendorId,
          productId: usb.productId,
          serialNumber: usb.serialNumber,
        })),
    );
}

const IDENTITY_A: UsbIdentity = { vendorId: 0x0c2e, productId: 0x0b6a, serialNumber: '19263B4A2E' };
const IDENTITY_B: UsbIdentity = { vendorId: 0x0c2e, productId: 0x0b6a, serialNumber: '20011C7F03' };

function serial(id: string, role: 'out' | 'in' | 'any', path: string, extra: Record<string, unknown> = {}): ScannerConfig {
  return scannerConfigSchema.parse({ kind: 'serial', id, name: `Scanner ${id}`, role, path, ...extra });
}

function managerWith(listSerialPorts: () => Promise<SerialPortInfo[]>): {
  manager: DeviceManager;
  scans: RoutedScan[];
  inputs: DeviceInput[];
} {
  const manager = new DeviceManager({
    hid: { available: false, reason: 'no HID in this test' },
    listSerialPorts,
    now: () => Date.now(),
    random: seededRandom(1),
    pollMs: 50,
    log: () => undefined,
  });
  const scans: RoutedScan[] = [];
  const inputs: DeviceInput[] = [];
  manager.onScan((scan) => scans.push(scan));
  manager.onInput((input) => inputs.push(input));
  return { manager, scans, inputs };
}

const status = (manager: DeviceManager, id: string): ReturnType<DeviceManager['list']>[number] | undefined =>
  manager.list().find((s) => s.id === id);

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
      scannerConfigSchema.parse({
        kind: 'hid',
        id: 'gun',
        name: 'Handheld',
        role: 'any',
        vendorId: 0x0c2e,
        productId: 0x0b61,
        mode: 'keyboard',
      }),
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
      await write(dock.scanner, 'SPK-1\r\n');
      await write(returns.scanner, 'SPK-2\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceId, s.deviceName, s.role, s.code]).sort()).toEqual([
        ['dock', 'Dock door', 'out', 'SPK-1'],
        ['returns', 'Returns bench', 'in', 'SPK-2'],
      ]);

      await dock.stop();
      await until(() => manager.list()[0]?.state === 'absent' || manager.list()[0]?.state === 'reconnecting');
      await dock.start();
      await until(() => manager.list()[0]?.state === 'open');
      await write(dock.scanner, 'SPK-3\r\n');
      await until(() => scans.length === 3);
      expect(scans[2]).toMatchObject({ deviceId: 'dock', code: 'SPK-3' });
    } finally {
      await manager.stop();
      await dock.stop();
      await returns.stop();
    }
  });

  it('follows a USB scanner that re-enumerates under a new path (ttyACM0 → ttyACM1)', async () => {
    const acm0 = new PtyPair(join(dir, 'ttyACM0'), join(dir, 'acm0-scanner'));
    const acm1 = new PtyPair(join(dir, 'ttyACM1'), join(dir, 'acm1-scanner'));
    const udev = new Udev();
    udev.attached.set(acm0.device, IDENTITY_A);
    const { manager, scans, inputs } = managerWith(udev.list);
    manager.configure([serial('dock', 'out', acm0.device, { usb: IDENTITY_A })]);
    manager.start();
    try {
      await acm0.start();
      await until(() => status(manager, 'dock')?.state === 'open');
      expect(status(manager, 'dock')?.detail).toContain(acm0.device);
      await write(acm0.scanner, 'BEFORE-1\r\n');
      await until(() => scans.length === 1);

      // Unplugged and back: the kernel gives it the next free name.
      await acm0.stop();
      udev.attached.delete(acm0.device);
      udev.attached.set(acm1.device, IDENTITY_A);
      await acm1.start();
      await until(() => status(manager, 'dock')?.state === 'open' && (status(manager, 'dock')?.detail ?? '').includes(acm1.device), 10_000);
      await write(acm1.scanner, 'AFTER-1\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceId, s.code])).toEqual([
        ['dock', 'BEFORE-1'],
        ['dock', 'AFTER-1'],
      ]);
      // The raw view saw both, with the line end the scanner sent.
      expect(inputs.filter((i) => i.kind === 'scan').map((i) => [i.deviceId, i.kind === 'scan' ? i.ended : null])).toEqual([
        ['dock', 'CR'],
        ['dock', 'CR'],
      ]);
      await until(() => (status(manager, 'dock')?.detail ?? '').includes('CRLF'));
    } finally {
      await manager.stop();
      await acm0.stop();
      await acm1.stop();
    }
  });

  it('two USB scanners unplugged together both go absent, and both come back even at swapped paths', async () => {
    const first = new PtyPair(join(dir, 'ttyACM2'), join(dir, 'acm2-scanner'));
    const second = new PtyPair(join(dir, 'ttyACM3'), join(dir, 'acm3-scanner'));
    const udev = new Udev();
    udev.attached.set(first.device, IDENTITY_A);
    udev.attached.set(second.device, IDENTITY_B);
    const { manager, scans } = managerWith(udev.list);
    manager.configure([serial('a', 'out', first.device, { usb: IDENTITY_A }), serial('b', 'in', second.device, { usb: IDENTITY_B })]);
    manager.start();
    try {
      await Promise.all([first.start(), second.start()]);
      await until(() => manager.list().every((s) => s.state === 'open'));

      // A hub pulled out: both go at once.
      await Promise.all([first.stop(), second.stop()]);
      await until(() => manager.list().every((s) => s.state === 'absent' && !s.present), 10_000);

      // Back in, enumerated in the other order.
      udev.attached.set(first.device, IDENTITY_B);
      udev.attached.set(second.device, IDENTITY_A);
      await Promise.all([first.start(), second.start()]);
      await until(() => manager.list().every((s) => s.state === 'open'), 10_000);
      expect(status(manager, 'a')?.detail).toContain(second.device);
      expect(status(manager, 'b')?.detail).toContain(first.device);
      await write(second.scanner, 'FROM-A\r\n');
      await write(first.scanner, 'FROM-B\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceId, s.role, s.code]).sort()).toEqual([
        ['a', 'out', 'FROM-A'],
        ['b', 'in', 'FROM-B'],
      ]);
    } finally {
      await manager.stop();
      await first.stop();
      await second.stop();
    }
  });

  it('applies settings changed while running: a role and name change to the next scan, a new port at once', async () => {
    const dock = new PtyPair(join(dir, 'live-dock'), join(dir, 'live-dock-scanner'));
    const moved = new PtyPair(join(dir, 'live-moved'), join(dir, 'live-moved-scanner'));
    await dock.start();
    await moved.start();
    const { manager, scans } = managerWith(() => Promise.resolve([]));
    manager.configure([serial('dock', 'out', dock.device)]);
    manager.start();
    try {
      await until(() => status(manager, 'dock')?.state === 'open');
      await write(dock.scanner, 'SPK-1\r\n');
      await until(() => scans.length === 1);

      manager.configure([scannerConfigSchema.parse({ kind: 'serial', id: 'dock', name: 'Returns door', role: 'in', path: dock.device })]);
      expect(status(manager, 'dock')).toMatchObject({ name: 'Returns door', role: 'in' });
      await write(dock.scanner, 'SPK-2\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceName, s.role, s.code])).toEqual([
        ['Scanner dock', 'out', 'SPK-1'],
        ['Returns door', 'in', 'SPK-2'],
      ]);

      // The scanner moved to another port (and another baud rate): the old port is let go.
      manager.configure([
        scannerConfigSchema.parse({ kind: 'serial', id: 'dock', name: 'Returns door', role: 'in', path: moved.device, baudRate: 19200 }),
      ]);
      await until(
        () =>
          openDescriptors(dock.device) === 0 &&
          status(manager, 'dock')?.state === 'open' &&
          (status(manager, 'dock')?.detail ?? '').includes(moved.device),
      );
      await write(moved.scanner, 'SPK-3\r\n');
      await until(() => scans.length === 3);
      expect(scans[2]).toMatchObject({ deviceId: 'dock', role: 'in', code: 'SPK-3' });
    } finally {
      await manager.stop();
      await dock.stop();
      await moved.stop();
    }
  });

  it('stops a scanner removed while running at once; it emits nothing more', async () => {
    const dock = new PtyPair(join(dir, 'rm-dock'), join(dir, 'rm-dock-scanner'));
    const bench = new PtyPair(join(dir, 'rm-bench'), join(dir, 'rm-bench-scanner'));
    await dock.start();
    await bench.start();
    const { manager, scans, inputs } = managerWith(() => Promise.resolve([]));
    manager.configure([serial('dock', 'out', dock.device), serial('bench', 'in', bench.device)]);
    manager.start();
    try {
      await until(() => manager.list().every((s) => s.state === 'open'));
      await write(bench.scanner, 'BENCH-1\r\n');
      await until(() => scans.length === 1);

      manager.configure([serial('dock', 'out', dock.device)]);
      expect(manager.list().map((s) => s.id)).toEqual(['dock']);
      await until(() => openDescriptors(bench.device) === 0);
      await write(bench.scanner, 'BENCH-2\r\n');
      await write(dock.scanner, 'DOCK-1\r\n');
      await until(() => scans.length === 2);
      expect(scans.map((s) => [s.deviceId, s.code])).toEqual([
        ['bench', 'BENCH-1'],
        ['dock', 'DOCK-1'],
      ]);
      expect(inputs.filter((i) => i.deviceId === 'bench')).toHaveLength(1);
    } finally {
      await manager.stop();
      await dock.stop();
      await bench.stop();
    }
  });

  it('stop() while a port is opening leaves no descriptor, no "open" status and no scan', async () => {
    const dock = new PtyPair(join(dir, 'stop-dock'), join(dir, 'stop-dock-scanner'));
    await dock.start();
    const { manager, scans } = managerWith(() => Promise.resolve([]));
    manager.configure([serial('dock', 'out', dock.device)]);
    try {
      // One pass starts the driver; its open is answered on a later tick, after stop() began.
      await manager.poll();
      expect(status(manager, 'dock')?.state).toBe('opening');
      await manager.stop();
      await until(() => openDescriptors(dock.device) === 0);
      expect(status(manager, 'dock')?.state).toBe('absent');
      expect(scans).toEqual([]);
    } finally {
      await manager.stop();
      await dock.stop();
    }
  });

  it('refuses an invalid scanner configuration with a specific message', () => {
    const result = scannerConfigSchema.safeParse({ kind: 'serial', id: 'x', name: 'X', role: 'sideways', path: '/dev/ttyUSB0' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['role']);
  });
});

// No HID devices (or /dev/uhid) on this machine: node-hid's module is stood in for by a list the
// test controls and devices that emit recorded boot-keyboard reports.
class StandInHid extends EventEmitter implements HidDevice {
  closed = false;
  constructor(readonly path: string) {
    super();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  /** Types `text` (lower-case letters, digits, '-') and Enter as a keyboard-mode scanner would. */
  type(text: string): void {
    const usage = (ch: string): number =>
      ch === '-' ? 0x2d : ch === '0' ? 0x27 : ch >= '1' && ch <= '9' ? 0x1e + ch.charCodeAt(0) - 0x31 : 0x04 + ch.charCodeAt(0) - 0x61;
    for (const key of [...[...text].map(usage), 0x28]) {
      this.emit('data', Buffer.from([0, 0, key, 0, 0, 0, 0, 0]));
      this.emit('data', Buffer.alloc(8));
    }
  }
}

function hidBus(): { module: HidModule; listed: HidDeviceInfo[]; opened: StandInHid[] } {
  const listed: HidDeviceInfo[] = [];
  const opened: StandInHid[] = [];
  const module: HidModule = {
    devicesAsync: () => Promise.resolve(listed.map((d) => ({ ...d }))),
    HIDAsync: {
      open: (path) => {
        const device = new StandInHid(path);
        opened.push(device);
        return Promise.resolve(device);
      },
    },
  };
  return { module, listed, opened };
}

const GUN = { vendorId: 0x05e0, productId: 0x1200, serialNumber: 'S4821', usagePage: 0x01, usage: 0x06 };

function hidManager(module: HidModule): { manager: DeviceManager; scans: RoutedScan[]; inputs: DeviceInput[] } {
  const manager = new DeviceManager({
    hid: { available: true, hid: module },
    listSerialPorts: () => Promise.resolve([]),
    now: () => 9,
    random: seededRandom(2),
    pollMs: 60_000,
    log: () => undefined,
  });
  manager.configure([
    scannerConfigSchema.parse({
      kind: 'hid',
      id: 'gun',
      name: 'Handheld',
      role: 'any',
      vendorId: GUN.vendorId,
      productId: GUN.productId,
      serialNumber: GUN.serialNumber,
      mode: 'keyboard',
    }),
  ]);
  const scans: RoutedScan[] = [];
  const inputs: DeviceInput[] = [];
  manager.onScan((scan) => scans.push(scan));
  manager.onInput((input) => inputs.push(input));
  return { manager, scans, inputs };
}

describe('DeviceManager with HID scanners', () => {
  it('after a read error closes the device, says reconnecting with the error, and the next poll reopens it', async () => {
    const { module, listed, opened } = hidBus();
    listed.push({ ...GUN, path: '/dev/hidraw3' });
    const { manager, scans } = hidManager(module);
    await manager.poll();
    expect(status(manager, 'gun')).toMatchObject({ state: 'open', present: true });
    opened[0]?.type('ab-1');
    expect(scans.map((s) => s.code)).toEqual(['ab-1']);

    opened[0]?.emit('error', new Error('could not read from HID device'));
    await until(() => status(manager, 'gun')?.state === 'reconnecting');
    expect(opened[0]?.closed).toBe(true);
    expect(status(manager, 'gun')).toMatchObject({
      state: 'reconnecting',
      detail: expect.stringContaining('could not read from HID device') as string,
    });

    await manager.poll();
    expect(opened.map((d) => d.path)).toEqual(['/dev/hidraw3', '/dev/hidraw3']);
    expect(status(manager, 'gun')).toMatchObject({ state: 'open', present: true });
    opened[0]?.type('cd-2');
    opened[1]?.type('ef-3');
    expect(scans.map((s) => s.code)).toEqual(['ab-1', 'ef-3']);
    await manager.stop();
  });

  it('reopens a scanner replugged at a new hidraw path within one poll', async () => {
    const { module, listed, opened } = hidBus();
    listed.push({ ...GUN, path: '/dev/hidraw3' });
    const { manager, scans, inputs } = hidManager(module);
    await manager.poll();
    expect(opened.map((d) => d.path)).toEqual(['/dev/hidraw3']);

    // Pulled and plugged back between two polls: same scanner, new node.
    listed.splice(0, 1, { ...GUN, path: '/dev/hidraw5' });
    await manager.poll();
    expect(opened.map((d) => d.path)).toEqual(['/dev/hidraw3', '/dev/hidraw5']);
    expect(opened[0]?.closed).toBe(true);
    expect(status(manager, 'gun')).toMatchObject({ state: 'open', detail: expect.stringContaining('/dev/hidraw5') as string });
    opened[1]?.type('gig-42');
    expect(scans.map((s) => [s.deviceId, s.code])).toEqual([['gun', 'gig-42']]);
    expect(inputs).toEqual([{ deviceId: 'gun', at: 9, kind: 'scan', code: 'gig-42' }]);
    await manager.stop();
  });
});
