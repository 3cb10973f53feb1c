import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { linuxList } from '@serialport/bindings-cpp/dist/linux-list';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../../core/random';
import { DEFAULT_FRAME, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { ScanEvent } from '../../core/scanner/types';
import { PtyPair, PtyWriter } from '../../tests/helpers/socat';
import { SerialScanner, serialPortInfo, type RawPortInfo, type SerialScannerStatus } from './serial-scanner';
import { until } from '../../tests/helpers/until';

// Real serial I/O through a socat pty pair: the scanner end is written like a scanner would.
const dir = mkdtempSync(join(tmpdir(), 'serial-'));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Descriptors this process holds on the pty behind `path` (the station end of a pair). */
function openDescriptors(path: string): number {
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

function scannerOn(path: string, frame: Partial<FrameConfig> = {}): SerialScanner {
  // A real clock: the decoder's idle timer has to see the gap elapse.
  return new SerialScanner(
    {
      deviceId: 'serial:test',
      path,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      frame: { ...DEFAULT_FRAME, framing: 'line', maxLength: 64, ...frame },
      reconnect: { baseMs: 50, maxMs: 200 },
    },
    { now: () => performance.now(), random: seededRandom(4) },
  );
}

async function setup(frame: Partial<FrameConfig> = {}): Promise<{
  pair: PtyPair;
  scanner: SerialScanner;
  scans: ScanEvent[];
  statuses: SerialScannerStatus[];
  write: (text: string) => Promise<void>;
}> {
  const name = Math.random().toString(36).slice(2, 8);
  const pair = new PtyPair(join(dir, `station-${name}`), join(dir, `scanner-${name}`));
  await pair.start();
  const scanner = scannerOn(pair.device, frame);
  const scans: ScanEvent[] = [];
  const statuses: SerialScannerStatus[] = [];
  scanner.onScan((s) => scans.push(s));
  scanner.onStatus((s) => statuses.push(s));
  scanner.start();
  cleanups.push(async () => {
    await scanner.stop();
    await pair.stop();
  });
  await until(() => scanner.status.state === 'open');
  return { pair, scanner, scans, statuses, write: (text) => pair.write(text) };
}

describe('SerialScanner over a socat pty', () => {
  it('emits scans for normal, split and bursty frames with the device id', async () => {
    const { scans, write } = await setup();
    await write('SPK-100042C\r\n');
    await write('MIC-');
    await write('7\r');
    await write('\nCASE-1\r\nGIG-000042\r\n');
    await until(() => scans.length === 4);
    expect(scans.map((s) => s.code)).toEqual(['SPK-100042C', 'MIC-7', 'CASE-1', 'GIG-000042']);
    expect(scans.every((s) => s.deviceId === 'serial:test')).toBe(true);
  });

  it('survives line noise and keeps reading', async () => {
    const { scanner, scans, write } = await setup();
    const rejected: string[] = [];
    scanner.onInput((input) => input.kind === 'rejected' && rejected.push(input.reason));
    await write('\x00\xff\x81\x7f\r\nOK-1\r\n');
    await until(() => scans.length === 1);
    expect(scans.map((s) => s.code)).toEqual(['OK-1']);
    expect(rejected).toEqual(['noise']);
  });

  it('recognises every valid frame among 10,000 fuzzed frames sent over the link, without crashing', async () => {
    // The longest gap allowed: a busy machine pausing between writes must not cut a frame here
    // (cutting by silence has its own tests in the frame decoder's corpus).
    const { pair, scanner, scans } = await setup({ gapMs: 2000 });
    const rejected: string[] = [];
    scanner.onInput((input) => input.kind === 'rejected' && rejected.push(input.reason));
    const random = seededRandom(99);
    const expected: string[] = [];
    let short = 0;
    let stream = '';
    for (let i = 0; i < 10_000; i += 1) {
      if (random() < 0.85) {
        const code = Array.from({ length: randomInt(random, 1, 48) }, () => String.fromCharCode(randomInt(random, 0x21, 0x7e))).join('');
        // Below the minimum length (4) a frame is line noise, reported as too short.
        if (code.length >= DEFAULT_FRAME.minLength) expected.push(code);
        else short += 1;
        stream += `${code}\r\n`;
      } else {
        stream += `${Array.from({ length: randomInt(random, 1, 20) }, () => String.fromCharCode(randomInt(random, 0x80, 0xff))).join('')}\r\n`;
      }
    }
    // Written asynchronously and non-blocking: a write to a full pty must not block the event
    // loop (or a pool thread) that has to read the other end.
    const handle = await PtyWriter.open(pair.scanner);
    try {
      for (let at = 0; at < stream.length;) {
        const size = randomInt(random, 1, 4096);
        await handle.write(stream.slice(at, at + size));
        at += size;
      }
    } finally {
      await handle.close();
    }
    await until(() => scans.length + rejected.length >= 10_000, 20_000);
    expect(scans.map((s) => s.code)).toEqual(expected);
    expect(rejected.filter((r) => r === 'too_short')).toHaveLength(short);
    expect(rejected.filter((r) => r === 'noise')).toHaveLength(10_000 - expected.length - short);
    expect(rejected).toHaveLength(10_000 - expected.length);
  });

  it('reconnects after the cable is pulled and plugged back in', async () => {
    const { pair, scans, statuses, write } = await setup();
    await write('BEFORE-1\r\n');
    await until(() => scans.length === 1);
    const before = statuses.length;
    await pair.stop();
    // What the scanner said since the pull, not only what it says now: with a 50-200 ms back-off a
    // busy machine's poll can miss every "reconnecting" between the failed reopens. On a timeout
    // the statuses it went through say what happened.
    const since = (): string =>
      JSON.stringify(statuses.slice(before).map((s) => (s.state === 'reconnecting' ? `reconnecting: ${s.error}` : s.state)));
    await until(() => statuses.slice(before).some((s) => s.state === 'reconnecting'), 60_000, 'the pulled cable to be noticed').catch(
      (error: unknown) => {
        throw new Error(`${String(error)}; statuses since the pull: ${since()}`);
      },
    );
    const replugged = statuses.length;
    await pair.start();
    await until(() => statuses.slice(replugged).some((s) => s.state === 'open'), 60_000, 'the port to reopen').catch((error: unknown) => {
      throw new Error(`${String(error)}; statuses since the pull: ${since()}`);
    });
    await write('AFTER-1\r\n');
    await until(() => scans.length === 2);
    expect(scans.map((s) => s.code)).toEqual(['BEFORE-1', 'AFTER-1']);
    expect(statuses.some((s) => s.state === 'reconnecting')).toBe(true);
  }, 150_000);
});

describe('SerialScanner stopped while its port is opening', () => {
  it('closes the port when the open completes after stop: no descriptor left, never "open", no scan', async () => {
    const pair = new PtyPair(join(dir, 'opening-station'), join(dir, 'opening-scanner'));
    await pair.start();
    cleanups.push(() => pair.stop());
    const scanner = scannerOn(pair.device);
    const scans: ScanEvent[] = [];
    const statuses: SerialScannerStatus[] = [];
    scanner.onScan((s) => scans.push(s));
    scanner.onStatus((s) => statuses.push(s));
    // start() begins the open; serialport answers on a later tick, so this stop() is mid-open.
    scanner.start();
    expect(scanner.status.state).toBe('opening');
    await scanner.stop();
    await until(() => openDescriptors(pair.device) === 0);
    expect(statuses.map((s) => s.state)).toEqual(['opening', 'stopped']);
    expect(scanner.status.state).toBe('stopped');

    // A witness reads the station end: a code written now reaches it (nobody else is reading the
    // pty), and the stopped scanner emits nothing.
    const witness = new SerialPort({ path: pair.device, baudRate: 9600 });
    let seen = '';
    witness.on('data', (chunk: Buffer) => (seen += chunk.toString('latin1')));
    await until(() => witness.isOpen);
    await pair.write('LATE-1\r\n');
    await until(() => seen.includes('LATE-1\r\n'));
    await new Promise<void>((resolve) => witness.close(() => resolve()));
    expect(scans).toEqual([]);
    expect(statuses.map((s) => s.state)).toEqual(['opening', 'stopped']);
  });
});

describe('serialPortInfo: the station\u2019s serial port list', () => {
  it('turns what udev reports into numbers and a /dev/serial/by-id path', async () => {
    // serialport's own Linux lister parses `udevadm info -e`; here a real process (cat) prints a
    // recorded export for a USB-CDC scanner (Honeywell's vendor id 0x0c2e, illustrative model id)
    // and the machine's built-in UART, as udev does.
    const recorded = join(dir, 'udevadm-export.txt');
    writeFileSync(
      recorded,
      [
        'P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/tty/ttyACM0',
        'N: ttyACM0',
        'S: serial/by-id/usb-Honeywell_Imaging___Mobility_1900_19263B4A2E-if00',
        'S: serial/by-path/pci-0000:00:14.0-usb-0:2:1.0',
        'E: DEVNAME=/dev/ttyACM0',
        'E: SUBSYSTEM=tty',
        'E: ID_VENDOR_ENC=Honeywell\\x20Imaging\\x20\\x26\\x20Mobility',
        'E: ID_VENDOR_ID=0c2e',
        'E: ID_MODEL_ID=0b6a',
        'E: ID_SERIAL_SHORT=19263B4A2E',
        'E: DEVLINKS=/dev/serial/by-id/usb-Honeywell_Imaging___Mobility_1900_19263B4A2E-if00 /dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0',
        '',
        'P: /devices/pnp0/00:04/tty/ttyS0',
        'N: ttyS0',
        'E: DEVNAME=/dev/ttyS0',
        'E: SUBSYSTEM=tty',
        '',
      ].join('\n'),
    );
    // serialport's PortInfo type comes from a package the linter cannot see; name its shape.
    const ports = (await linuxList((() => spawn('cat', [recorded])) as unknown as typeof spawn)) as RawPortInfo[];
    expect(ports.map((p) => serialPortInfo(p, 'linux'))).toEqual([
      {
        path: '/dev/ttyACM0',
        manufacturer: 'Honeywell Imaging & Mobility',
        vendorId: 0x0c2e,
        productId: 0x0b6a,
        serialNumber: '19263B4A2E',
        byIdPath: '/dev/serial/by-id/usb-Honeywell_Imaging___Mobility_1900_19263B4A2E-if00',
      },
      { path: '/dev/ttyS0' },
    ]);
  });

  it('keeps what other systems report and drops ids that are not hex', () => {
    expect(
      serialPortInfo(
        {
          path: 'COM3',
          manufacturer: 'Zebra',
          vendorId: '05E0',
          productId: '1701',
          serialNumber: 'S1',
          pnpId: 'USB\\VID_05E0&PID_1701\\S1',
        },
        'win32',
      ),
    ).toEqual({
      path: 'COM3',
      manufacturer: 'Zebra',
      vendorId: 0x05e0,
      productId: 0x1701,
      serialNumber: 'S1',
    });
    expect(serialPortInfo({ path: '/dev/ttyUSB0', vendorId: 'zz', productId: '123456' }, 'linux')).toEqual({ path: '/dev/ttyUSB0' });
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
