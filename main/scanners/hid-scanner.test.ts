import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DeviceInput, ScanEvent } from '../../core/scanner/types';
import { HidScanner, isScannerCandidate, loadHid, type HidDevice, type HidModule } from './hid-scanner';

// No HID devices or /dev/uhid here: the driver is fed recorded reports through a stand-in device.
class RecordedDevice extends EventEmitter implements HidDevice {
  closed = false;
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function module(device: RecordedDevice, opened: { path?: string; exclusive?: boolean }): HidModule {
  return {
    devicesAsync: () => Promise.resolve([]),
    HIDAsync: {
      open: (path, options) => {
        opened.path = path;
        opened.exclusive = options?.nonExclusive === false;
        return Promise.resolve(device);
      },
    },
  };
}

const report = (modifier: number, key: number): Buffer => Buffer.from([modifier, 0, key, 0, 0, 0, 0, 0]);
const release = Buffer.alloc(8);

describe('HID scanners', () => {
  it('reads a keyboard-mode scanner from its reports, opened exclusively', async () => {
    const device = new RecordedDevice();
    const opened: { path?: string; exclusive?: boolean } = {};
    const scanner = new HidScanner(
      { deviceId: 'hid:0c2e:0b61', path: '/dev/hidraw3', mode: 'keyboard', layout: 'us' },
      module(device, opened),
      () => 42,
    );
    const scans: ScanEvent[] = [];
    scanner.onScan((s) => scans.push(s));
    await scanner.start();
    for (const r of [report(0x02, 0x0f), release, report(0, 0x1e), release, report(0, 0x28), release]) device.emit('data', r);
    expect(scans).toEqual([{ deviceId: 'hid:0c2e:0b61', code: 'L1', receivedAt: 42 }]);
    expect(opened).toEqual({ path: '/dev/hidraw3', exclusive: true });
    await scanner.stop();
    expect(device.closed).toBe(true);
  });

  it('reads a HID POS scanner with its symbology', async () => {
    const device = new RecordedDevice();
    const scanner = new HidScanner({ deviceId: 'hid:pos', path: 'p', mode: 'pos', layout: 'us' }, module(device, {}), () => 7);
    const scans: ScanEvent[] = [];
    scanner.onScan((s) => scans.push(s));
    await scanner.start();
    const data = Buffer.alloc(32);
    data.set([0x02, 5, 0x5d, 0x43, 0x31, ...Buffer.from('AB-12')], 0);
    device.emit('data', data);
    expect(scans).toEqual([{ deviceId: 'hid:pos', code: 'AB-12', symbology: ']C1', receivedAt: 7 }]);
  });

  it('closes the device on a read error, reports it once, and emits nothing after', async () => {
    const device = new RecordedDevice();
    const scanner = new HidScanner(
      { deviceId: 'hid:gun', path: '/dev/hidraw3', mode: 'keyboard', layout: 'us' },
      module(device, {}),
      () => 5,
    );
    const scans: ScanEvent[] = [];
    const inputs: DeviceInput[] = [];
    const errors: string[] = [];
    scanner.onScan((s) => scans.push(s));
    scanner.onInput((i) => inputs.push(i));
    scanner.onError((message) => errors.push(message));
    await scanner.start();
    for (const r of [report(0, 0x1e), release, report(0, 0x28), release]) device.emit('data', r);
    device.emit('error', new Error('could not read from HID device'));
    await expect.poll(() => errors).toEqual(['could not read from HID device']);
    expect(device.closed).toBe(true);
    for (const r of [report(0, 0x1f), release, report(0, 0x28), release]) device.emit('data', r);
    expect(scans.map((s) => s.code)).toEqual(['1']);
    expect(inputs).toEqual([{ deviceId: 'hid:gun', at: 5, kind: 'scan', code: '1' }]);
  });

  it('says why HID is unavailable instead of crashing when node-hid cannot load', async () => {
    const result = await loadHid(() => Promise.reject(new Error('libusb-1.0.so.0: cannot open shared object file')));
    expect(result).toEqual({
      available: false,
      reason: expect.stringMatching(
        /^USB HID scanners are unavailable: libusb-1\.0\.so\.0: cannot open shared object file\. On Linux install libusb-1\.0-0/,
      ) as string,
    });
  });

  it('loads the real node-hid here and lists devices (none on this machine)', async () => {
    const result = await loadHid();
    expect(result.available).toBe(true);
    if (result.available) expect(Array.isArray(await result.hid.devicesAsync())).toBe(true);
  });

  it('picks HID POS scanners and keyboards as candidates', () => {
    expect(isScannerCandidate({ vendorId: 1, productId: 2, usagePage: 0x8c, usage: 0x02 })).toBe(true);
    expect(isScannerCandidate({ vendorId: 1, productId: 2, usagePage: 0x01, usage: 0x06 })).toBe(true);
    expect(isScannerCandidate({ vendorId: 1, productId: 2, usagePage: 0x01, usage: 0x02 })).toBe(false);
  });
});
