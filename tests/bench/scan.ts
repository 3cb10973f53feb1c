import { randomUUID } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../core/random';
import { DEFAULT_FRAME } from '../../core/scanner/frame-decoder';
import { ScanSession, type Feedback } from '../../core/scan/workflow';
import { CacheIndex } from '../../core/store/cache-index';
import { CacheScanCatalog } from '../../core/store/catalog';
import { SyncEngine } from '../../core/sync/engine';
import { rebase } from '../../core/sync/optimistic';
import { SerialScanner } from '../../main/scanners/serial-scanner';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { PtyPair } from '../helpers/socat';
import { serialWrongScans } from './serial-frames';
import { percentile, round, table } from './stats';
import { wedgeExactRatio } from './wedge';

/**
 * Scan latency as an operator feels it: the last byte of a frame written to a real serial link
 * (socat pty) → the feedback event, after the op is durably in the SQLite queue (WAL, FULL).
 */
export async function scanBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scan-'));
  const pair = new PtyPair(join(dir, 'station'), join(dir, 'scanner'));
  const store = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
  const scans = 1000;
  try {
    const gig = randomUUID();
    const assets = Array.from({ length: scans }, (_, i) => ({
      id: randomUUID(),
      serial_number: `BENCH-${String(i).padStart(5, '0')}`,
      barcode: null,
      name: 'Bench item',
      category: 'Audio',
      status: 'available',
      current_gig_id: null,
      case_id: null,
      version: 1,
    }));
    await store.applyPull(
      {
        changes: { gigs: [{ id: gig, code: 'GIG-BENCH', name: 'Bench gig', status: 'confirmed', version: 1 }], assets },
        tombstones: [],
        cursor: '1:1',
        has_more: false,
      },
      rebase,
    );
    const engine = new SyncEngine({
      store,
      transport: {
        push: () => Promise.reject(new Error('offline')),
        pull: () => Promise.reject(new Error('offline')),
        refreshSession: () => Promise.resolve(false),
      },
      clock: systemClock,
      random: seededRandom(1),
      newId: randomUUID,
    });
    const session = new ScanSession({
      catalog: new CacheScanCatalog(new CacheIndex(store)),
      enqueue: (op) => engine.enqueue(op),
      duplicateWindowMs: 1500,
    });
    await pair.start();
    const scanner = new SerialScanner(
      {
        deviceId: 'serial:bench',
        path: pair.device,
        baudRate: 115200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        frame: DEFAULT_FRAME,
        reconnect: { baseMs: 50, maxMs: 500 },
      },
      { now: () => performance.now(), random: seededRandom(2) },
    );
    let resolveFeedback: ((f: Feedback) => void) | null = null;
    scanner.onScan((scan) => {
      void session.handle(scan).then((feedback) => resolveFeedback?.(feedback));
    });
    scanner.start();
    while (scanner.status.state !== 'open') await new Promise((resolve) => setTimeout(resolve, 10));

    // Written synchronously and timed from when the bytes are in the pty, as a scanner's are. The
    // descriptor is non-blocking: a full pty would throw EAGAIN (the bench fails loudly), never
    // block the event loop that reads the other end.
    const fd = openSync(pair.scanner, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const send = async (code: string): Promise<{ ms: number; feedback: Feedback }> => {
      const done = new Promise<Feedback>((resolve) => (resolveFeedback = resolve));
      writeSync(fd, Buffer.from(`${code}\r\n`, 'latin1'));
      const written = performance.now();
      const feedback = await done;
      return { ms: performance.now() - written, feedback };
    };
    await send('GIG-BENCH');
    const latencies: number[] = [];
    const kinds = new Map<string, number>();
    for (const asset of assets) {
      const { ms, feedback } = await send(asset.serial_number);
      latencies.push(ms);
      kinds.set(feedback.kind, (kinds.get(feedback.kind) ?? 0) + 1);
    }
    closeSync(fd);
    await scanner.stop();
    const queued = (await store.stats()).depth;
    if (queued !== scans) throw new Error(`expected ${scans} queued check-outs, found ${queued}`);
    // Decoding as devices really send: 2,000 keyboard-wedge bursts with Shift per capital at
    // scanner speed, and 10,000 serial frames with noise, 2D codes, over-long codes and cuts.
    const wedge = wedgeExactRatio(16);
    const serial = serialWrongScans(seededRandom(16));
    const result = {
      bench: 'scan',
      scans,
      p50_ms: round(percentile(latencies, 50), 3),
      p99_ms: round(percentile(latencies, 99), 3),
      max_ms: round(Math.max(...latencies), 3),
      wedge_exact_ratio: round(wedge.ratio, 4),
      wedge_bursts: wedge.bursts,
      serial_frames: serial.frames,
      serial_wrong_scans: serial.wrong_scans,
      serial_missed: serial.missed,
    };
    process.stdout.write(
      `\nscan → durable enqueue → feedback (serial over a socat pty, SQLite WAL + FULL), and decoding as devices send\n\n${table(
        ['figure', 'value'],
        [
          ['scans', scans],
          ['feedback ok / warning / error', `${kinds.get('ok') ?? 0} / ${kinds.get('warning') ?? 0} / ${kinds.get('error') ?? 0}`],
          ['p50 ms', result.p50_ms],
          ['p99 ms', result.p99_ms],
          ['max ms', result.max_ms],
          ['wedge bursts exact / wrong / missed', `${wedge.exact} / ${wedge.wrong} / ${wedge.missed} of ${wedge.bursts}`],
          ['wedge exact ratio', result.wedge_exact_ratio],
          ['serial frames (valid codes)', `${serial.frames} (${serial.valid})`],
          ['serial decoded / wrong / missed', `${serial.decoded} / ${serial.wrong_scans} / ${serial.missed}`],
          ['serial rejected (reported)', serial.rejected],
        ],
      )}\n\n`,
    );
    return result;
  } finally {
    store.close();
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
