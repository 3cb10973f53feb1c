import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../../core/random';
import { DEFAULT_FRAME } from '../../core/scanner/frame-decoder';
import type { ScanEvent } from '../../core/scanner/types';
import { PtyPair } from '../../tests/helpers/socat';
import { SerialScanner, type SerialScannerStatus } from './serial-scanner';

// Real serial I/O through a socat pty pair: the scanner end is written like a scanner would.
const dir = mkdtempSync(join(tmpdir(), 'serial-'));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(suffix = '\r\n'): Promise<{ pair: PtyPair; scanner: SerialScanner; scans: ScanEvent[]; statuses: SerialScannerStatus[]; write: (text: string) => void }> {
  const name = Math.random().toString(36).slice(2, 8);
  const pair = new PtyPair(join(dir, `station-${name}`), join(dir, `scanner-${name}`));
  await pair.start();
  let now = 1_000;
  const scanner = new SerialScanner(
    {
      deviceId: 'serial:test',
      path: pair.device,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      frame: { ...DEFAULT_FRAME, framing: suffix === '\r\n' ? 'line' : 'terminator', terminator: suffix, maxLength: 64 },
      reconnect: { baseMs: 50, maxMs: 200 },
    },
    { now: () => (now += 1), random: seededRandom(4) },
  );
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
  const write = (text: string): void => {
    const fd = openSync(pair.scanner, 'w');
    writeSync(fd, Buffer.from(text, 'latin1'));
    closeSync(fd);
  };
  return { pair, scanner, scans, statuses, write };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SerialScanner over a socat pty', () => {
  it('emits scans for normal, split and bursty frames with the device id', async () => {
    const { scans, write } = await setup();
    write('SPK-100042C\r\n');
    write('MIC-');
    write('7\r');
    write('\nCASE-1\r\nGIG-000042\r\n');
    await until(() => scans.length === 4);
    expect(scans.map((s) => s.code)).toEqual(['SPK-100042C', 'MIC-7', 'CASE-1', 'GIG-000042']);
    expect(scans.every((s) => s.deviceId === 'serial:test')).toBe(true);
  });

  it('survives line noise and keeps reading', async () => {
    const { scanner, scans, write } = await setup();
    const rejected: string[] = [];
    scanner.onRejected((r) => rejected.push(r.reason));
    write('\x00\xff\x81\x7f\r\nOK-1\r\n');
    await until(() => scans.length === 1);
    expect(scans.map((s) => s.code)).toEqual(['OK-1']);
    expect(rejected).toEqual(['unprintable']);
  });

  it('recognises every valid frame among 10,000 fuzzed frames sent over the link, without crashing', async () => {
    const { pair, scanner, scans } = await setup();
    let rejected = 0;
    scanner.onRejected(() => (rejected += 1));
    const random = seededRandom(99);
    const expected: string[] = [];
    let stream = '';
    for (let i = 0; i < 10_000; i += 1) {
      if (random() < 0.85) {
        const code = Array.from({ length: randomInt(random, 1, 48) }, () => String.fromCharCode(randomInt(random, 0x21, 0x7e))).join('');
        expected.push(code);
        stream += `${code}\r\n`;
      } else {
        stream += `${Array.from({ length: randomInt(random, 1, 20) }, () => String.fromCharCode(randomInt(random, 0x80, 0xff))).join('')}\r\n`;
      }
    }
    // Written asynchronously: a synchronous write to a full pty would block the event loop that
    // has to read the other end.
    const handle = await open(pair.scanner, 'w');
    try {
      for (let at = 0; at < stream.length; ) {
        const size = randomInt(random, 1, 4096);
        await handle.write(Buffer.from(stream.slice(at, at + size), 'latin1'));
        at += size;
      }
    } finally {
      await handle.close();
    }
    await until(() => scans.length >= expected.length, 20_000);
    expect(scans.map((s) => s.code)).toEqual(expected);
    expect(rejected).toBe(10_000 - expected.length);
  });

  it('reconnects after the cable is pulled and plugged back in', async () => {
    const { pair, scanner, scans, statuses, write } = await setup();
    write('BEFORE-1\r\n');
    await until(() => scans.length === 1);
    await pair.stop();
    await until(() => scanner.status.state === 'reconnecting');
    await pair.start();
    await until(() => scanner.status.state === 'open', 10_000);
    write('AFTER-1\r\n');
    await until(() => scans.length === 2);
    expect(scans.map((s) => s.code)).toEqual(['BEFORE-1', 'AFTER-1']);
    expect(statuses.some((s) => s.state === 'reconnecting')).toBe(true);
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
