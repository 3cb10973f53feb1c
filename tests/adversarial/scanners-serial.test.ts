import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { DEFAULT_FRAME, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { DeviceInput, ScanEvent } from '../../core/scanner/types';
import { SerialScanner } from '../../main/scanners/serial-scanner';
import { PtyPair } from '../helpers/socat';
import { until } from '../helpers/until';

const dir = mkdtempSync(join(tmpdir(), 'adv-serial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rig(
  frame: Partial<FrameConfig> = {},
): Promise<{ pair: PtyPair; scanner: SerialScanner; scans: ScanEvent[]; inputs: DeviceInput[]; write: (s: string) => Promise<void> }> {
  const name = Math.random().toString(36).slice(2, 8);
  const pair = new PtyPair(join(dir, `st-${name}`), join(dir, `sc-${name}`));
  await pair.start();
  const scanner = new SerialScanner(
    {
      deviceId: 'serial:adv',
      path: pair.device,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      frame: { ...DEFAULT_FRAME, ...frame },
      reconnect: { baseMs: 50, maxMs: 200 },
    },
    { now: () => performance.now(), random: seededRandom(7) },
  );
  const scans: ScanEvent[] = [];
  const inputs: DeviceInput[] = [];
  scanner.onScan((s) => scans.push(s));
  scanner.onInput((i) => inputs.push(i));
  scanner.start();
  await until(() => scanner.status.state === 'open');
  return { pair, scanner, scans, inputs, write: (s) => pair.write(s) };
}

describe('probe: auto framing after a reconnect', () => {
  it('a CR scanner that already sent line ends is not framed by silence after its port reopens (a cut frame is not a scan)', async () => {
    const { pair, scanner, scans, inputs, write } = await rig();
    try {
      await write('SPK-10004\r');
      await until(() => scans.length === 1);
      // USB-CDC scanner unplugged and plugged back (same path): the driver reopens the port.
      await pair.stop();
      await until(() => scanner.status.state === 'reconnecting', 60_000, 'the pulled cable to be noticed');
      await pair.start();
      await until(() => scanner.status.state === 'open', 60_000, 'the port to reopen');
      // The next frame is cut (cable pulled at the adapter mid-frame) and the line goes quiet.
      await write('SPK-10');
      await until(() => inputs.length >= 2, 5000);
      expect(scans.map((s) => s.code)).toEqual(['SPK-10004']);
      expect(inputs.at(-1)).toMatchObject({ kind: 'rejected', reason: 'incomplete' });
    } finally {
      await scanner.stop();
      await pair.stop();
    }
  }, 150_000);
});

describe('probe: silence framing while the event loop is busy for a while', () => {
  it('no-suffix scans while the station is busy in 300 ms blocks are never joined: each is scanned, or dropped and reported', async () => {
    const { pair, scanner, scans, inputs, write } = await rig({ framing: 'silence' });
    let busyUntil = 0;
    // A long sync pull: synchronous SQLite work in 300 ms slices with the loop free between them.
    const busy = setInterval(() => {
      if (Date.now() > busyUntil) return;
      const end = Date.now() + 300;
      while (Date.now() < end) {
        /* busy */
      }
    }, 1);
    try {
      await write('CODE-0001');
      // The first scan has been read (its frame is pending) before the station gets busy.
      await until(() => (scanner as unknown as { decoder: { deadline(): number | null } }).decoder.deadline() !== null);
      busyUntil = Date.now() + 2500;
      // The operator's pause between two scans (part of the scenario, not a wait for a result).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await write('CODE-0002');
      await until(() => Date.now() > busyUntil + 200, 15_000);
      await write('CODE-0003');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Barrier: a scan once the station is idle and listening; everything before it is decided.
      await write('CODE-0004');
      await until(() => scans.some((s) => s.code === 'CODE-0004'), 15_000);
      const sent = ['CODE-0001', 'CODE-0002', 'CODE-0003', 'CODE-0004'];
      // Never a joined or cut code; what was not scanned was reported (the station could not see its end).
      expect(scans.filter((s) => !sent.includes(s.code))).toEqual([]);
      const missing = sent.filter((code) => !scans.some((s) => s.code === code));
      const reported = inputs.filter((i) => i.kind === 'rejected').map((i) => (i.kind === 'rejected' ? i.preview : ''));
      for (const code of missing) expect(reported.some((preview) => preview.includes(code))).toBe(true);
      expect(scans.at(-1)?.code).toBe('CODE-0004');
    } finally {
      clearInterval(busy);
      await scanner.stop();
      await pair.stop();
    }
  });
});
