import { createServer } from 'node:http';
import { z } from 'zod';
import { launchChromium } from '../helpers/chromium';
import { parseCpuThrottle } from './pwa';
import { percentile, round, table } from './stats';

const TRANSACTIONS = 400;
const SHAPES = ['3 puts', '1 read, then 3 puts', '4 reads at once, then 3 puts', '2 reads, 2 more reads, then 3 puts'] as const;
const resultSchema = z.record(z.string(), z.array(z.number()));

/**
 * What IndexedDB itself costs a page for a scan-shaped transaction, with nothing else around it:
 * a blank page in Chromium, strict durability (as the crew PWA's queue), the reads an enqueue
 * makes (the device sequence, the duplicate check, the cached row, the item's queued ops through
 * an index) and its three writes, over a store of 3,000 cached rows. `--cpu-throttle N` throttles
 * the page as the pwa bench does. The floor under `npm run bench -- pwa`'s scan figures: what the
 * app adds is the difference.
 */
export async function idbFloorBench(args: string[] = []): Promise<Record<string, unknown>> {
  const rate = parseCpuThrottle(args) ?? 1;
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>idb floor</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${address.port}/`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const times = resultSchema.parse(
      await page.evaluate(`(async () => {
        const db = await new Promise((resolve, reject) => {
          const open = indexedDB.open('floor', 1);
          open.onupgradeneeded = () => {
            open.result.createObjectStore('ops', { keyPath: 'id' }).createIndex('entity', 'entity');
            open.result.createObjectStore('cache', { keyPath: 'id' });
            open.result.createObjectStore('state', { keyPath: 'key' });
          };
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        const row = { id: 'x', name: 'Shure SM58', serial_number: 'MIC-1042', status: 'available', current_gig_id: null,
          category: 'Microphones', version: 3, org_id: 'o', notes: null, updated_at: '2027-01-01T00:00:00Z', case_id: null };
        const fill = db.transaction(['cache', 'state'], 'readwrite');
        fill.objectStore('state').put({ key: 'next_seq', value: '1' });
        for (let i = 0; i < 3000; i++) fill.objectStore('cache').put({ id: 'asset' + i, row, serverRow: row });
        await new Promise((resolve) => (fill.oncomplete = resolve));
        const read = (request) => new Promise((resolve) => (request.onsuccess = () => resolve(request.result)));
        const shapes = ${JSON.stringify(SHAPES)};
        const out = {};
        // Every shape twice, the first round a warm-up.
        for (let round = 0; round < 2; round++)
          for (const shape of shapes) {
            const times = [];
            for (let i = 0; i < ${TRANSACTIONS}; i++) {
              const t0 = performance.now();
              const tx = db.transaction(['ops', 'cache', 'state'], 'readwrite', { durability: 'strict' });
              const done = new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
              const ops = tx.objectStore('ops'), cache = tx.objectStore('cache'), state = tx.objectStore('state');
              const key = 'asset' + ((i * 7) % 3000), id = shape.length + '-' + round + '-' + i;
              if (shape === shapes[1]) await read(state.get('next_seq'));
              if (shape === shapes[2])
                await Promise.all([read(state.get('next_seq')), read(ops.get(id)), read(cache.get(key)), read(ops.index('entity').getAll(key))]);
              if (shape === shapes[3]) {
                await Promise.all([read(state.get('next_seq')), read(ops.get(id))]);
                await Promise.all([read(cache.get(key)), read(ops.index('entity').getAll(key))]);
              }
              state.put({ key: 'next_seq', value: String(i) });
              ops.put({ id, entity: key, seq: i, payload: { id: key, gig_id: 'g' }, status: 'pending' });
              cache.put({ id: key, row: { ...row, status: 'checked_out' }, serverRow: row });
              await done;
              times.push(performance.now() - t0);
            }
            if (round === 1) out[shape] = times;
          }
        return out;
      })()`),
    );
    const rows = SHAPES.map((shape) => {
      const t = times[shape] ?? [];
      return [shape, percentile(t, 50), percentile(t, 95), percentile(t, 99), Math.max(...t)];
    });
    process.stdout.write(
      `${table(['scan-shaped transaction, strict durability (ms)', 'p50', 'p95', 'p99', 'max'], rows)}\n` +
        `cpu ${rate}×, ${TRANSACTIONS} transactions per shape after a warm-up round\n`,
    );
    const key = (shape: string): string => shape.replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
    return {
      bench: 'idb-floor',
      cpu_throttle: rate,
      ...Object.fromEntries(
        SHAPES.flatMap((shape) => [
          [`${key(shape)}_p50_ms`, round(percentile(times[shape] ?? [], 50), 2)],
          [`${key(shape)}_p95_ms`, round(percentile(times[shape] ?? [], 95), 2)],
        ]),
      ),
    };
  } finally {
    await browser.close();
    server.close();
  }
}
