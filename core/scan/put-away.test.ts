import { beforeEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../scanner/types';
import { CacheIndex } from '../store/cache-index';
import { CacheScanCatalog } from '../store/catalog';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import type { Row } from '../sync/model';
import { placeRow } from '../store/place-rows.test-helper';
import { rebase } from '../sync/optimistic';
import { ScanSession } from './workflow';

// Putting away on check-in (issue 21): an item checked in, then a shelf's label, goes on that
// shelf (its home stays); a case takes its contents; bulk stock its units. A shelf's label any
// other time says how, and queues nothing.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const WH = id(2);
const SHELF = id(3);
const CASE = id(10);
const DOCK = id(4);
let standsIn: string | null = null;
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  name: `Item ${n}`,
  category: 'Audio',
  status: 'checked_out',
  current_gig_id: GIG,
  case_id: null,
  version: 1,
  ...extra,
});
const place = (placeId: string, kind: string, code: string, name: string, parent: string | null): Row =>
  placeRow(placeId, kind, code, name, parent, parent === null ? placeId : WH);

let ids = 0;
let now = 1_000;
let queue: Queue;
let session: ScanSession;
const scan = (code: string): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'test', code, receivedAt: (now += 5_000) } satisfies ScanEvent);
const queued = async (): Promise<string[]> =>
  (await queue.listQueue(100)).map((op) => {
    const at = op.payload['location_id'];
    return `${op.table}.${op.action} ${String(op.payload['id'])}${typeof at === 'string' ? ` ${at}` : ''}`;
  });

beforeEach(async () => {
  queue = new Queue(new MemoryStorage(), { newId: () => id(900 + (ids += 1)), clock: () => now, devicePrefix: 'test-' });
  await queue.applyPull(
    {
      changes: {
        gigs: [{ id: GIG, code: 'GIG-1', name: 'Harbour Hall', status: 'in_progress', version: 1 }],
        locations: [
          place(WH, 'warehouse', 'WH1', 'Main Warehouse', null),
          place(SHELF, 'shelf', 'WH1-B01', 'Shelf B01', WH),
          place(DOCK, 'warehouse', 'WH2', 'Dock Store', null),
        ],
        assets: [
          asset(1, 'MIC-1', { home_location_id: SHELF }),
          asset(2, 'MIC-2'),
          asset(3, 'MIC-3', { case_id: CASE }),
          asset(5, 'MIC-5', { home_location_id: DOCK }),
        ],
        cases: [{ id: CASE, barcode: 'CASE-1', name: 'Mic case', version: 1 }],
        bulk_items: [
          {
            id: id(50),
            category: 'XLR',
            name: 'XLR cable 10 m',
            barcode: 'SHELF-XLR',
            unit: 'pcs',
            consumable: false,
            in_warehouse: 30,
            out_to: { [GIG]: 10 },
            version: 1,
          },
        ],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
  session = new ScanSession({
    catalog: new CacheScanCatalog(new CacheIndex(queue)),
    enqueue: (op) => queue.enqueue(op, { id: `00000000-0000-4000-b000-${String((ids += 1)).padStart(12, '0')}`, now }),
    duplicateWindowMs: 1500,
    stationWarehouse: () => Promise.resolve(standsIn),
  });
  standsIn = null;
  await scan('CMD:CHECK-IN');
});

describe('putting away on check-in', () => {
  it('puts the item just checked in on the shelf scanned after it, in any case', async () => {
    expect(await scan('MIC-1')).toMatchObject({ kind: 'ok', message: 'MIC-1 in' });
    expect(await scan('wh1-b01')).toMatchObject({ kind: 'ok', message: 'MIC-1 put away on Shelf B01 (WH1-B01)' });
    expect(await queued()).toEqual([`assets.check_in ${id(101)}`, `assets.put_away ${id(101)} ${SHELF}`]);
    // Once: the shelf again puts nothing more away.
    expect(await scan('WH1-B01')).toMatchObject({ kind: 'warning', queued: [] });
    // Re-shelving: an item already in, then a shelf.
    expect(await scan('MIC-1')).toMatchObject({ kind: 'warning', message: 'MIC-1 is already in (scan a shelf to put it there)' });
    expect(await scan('WH1-B01')).toMatchObject({ kind: 'ok', message: 'MIC-1 put away on Shelf B01 (WH1-B01)' });
  });

  it('puts a case away with its contents; not bulk stock (a few units back would move the whole stock)', async () => {
    await scan('CASE-1');
    expect(await scan('WH1-B01')).toMatchObject({ message: 'case CASE-1 put away on Shelf B01 (WH1-B01)' });
    await scan('CMD:QTY:10');
    await scan('SHELF-XLR');
    expect(await scan('WH1-B01')).toMatchObject({ kind: 'warning', queued: [] });
    expect((await queued()).filter((op) => op.includes('put_away'))).toEqual([`cases.put_away ${CASE} ${SHELF}`]);
  });

  it('puts away only what the same scanner checked in, within minutes; UNDO puts it back where it was', async () => {
    const bench = (code: string, deviceId: string, after = 5_000): ReturnType<ScanSession['handle']> =>
      session.handle({ deviceId, code, receivedAt: (now += after) });
    // Two benches side by side: each puts away what it checked in.
    await bench('MIC-1', 'bench-1');
    await bench('MIC-2', 'bench-2');
    expect(await bench('WH1-B01', 'bench-1')).toMatchObject({ kind: 'ok', message: 'MIC-1 put away on Shelf B01 (WH1-B01)' });
    expect(await bench('WH1-B01', 'bench-2')).toMatchObject({ kind: 'ok', message: 'MIC-2 put away on Shelf B01 (WH1-B01)' });
    // A shelf scan from a bench that checked nothing in puts nothing away.
    expect(await bench('WH1-B01', 'bench-3')).toMatchObject({ kind: 'warning', queued: [] });
    // An item of a case checked in alone goes where its case goes, not onto a shelf of its own.
    await bench('MIC-3', 'bench-1');
    expect(await bench('WH1-B01', 'bench-1')).toMatchObject({ kind: 'warning', queued: [] });
    await bench('MIC-2', 'bench-1');
    // Long after the check-in, a shelf's label does not move it.
    expect(await bench('WH1-B01', 'bench-1', 10 * 60_000)).toMatchObject({ kind: 'warning', queued: [] });
    await bench('MIC-1', 'bench-1');
    expect(await bench('WH1-B01', 'bench-1')).toMatchObject({ kind: 'ok' });
    expect(await bench('CMD:UNDO', 'bench-1')).toMatchObject({ kind: 'ok' });
    const ops = await queued();
    expect(ops.slice(-2)).toEqual([`assets.put_away ${id(101)} ${SHELF}`, `assets.put_away ${id(101)} ${SHELF}`]);
  });

  it('says how when a shelf is scanned at any other time, and queues nothing', async () => {
    expect(await scan('WH1-B01')).toMatchObject({
      kind: 'warning',
      message: 'Shelf B01 (WH1-B01) is a place: check an item in, then scan its shelf to put it there',
    });
    // Something between the item and the shelf: the shelf is not for the item any more.
    await scan('MIC-1');
    await scan('MIC-2');
    await scan('CMD:CHECK-OUT');
    expect(await scan('WH1-B01')).toMatchObject({
      kind: 'warning',
      message:
        'Shelf B01 (WH1-B01) is a place: check an item in, then scan its shelf to put it there (or take stock on the Stock-take screen)',
    });
    // A damaged item goes to quarantine, not onto a shelf.
    await scan('CMD:CHECK-IN');
    await scan('CMD:DAMAGED');
    await scan('MIC-1');
    expect(await scan('WH1-B01')).toMatchObject({ kind: 'warning', queued: [] });
    expect((await queued()).filter((op) => op.includes('put_away'))).toEqual([]);
  });
});

describe('a station that belongs to a warehouse', () => {
  it('keeps what it checks in from another warehouse here (a transfer), and leaves its own warehouse’s things to go home', async () => {
    standsIn = DOCK;
    expect(await scan('MIC-1')).toMatchObject({
      kind: 'warning',
      message: 'MIC-1 in — kept at Dock Store (WH2); its home is in Main Warehouse',
    });
    expect(await queued()).toEqual([`assets.check_in ${id(101)}`, `assets.put_away ${id(101)} ${DOCK}`]);
    expect(await scan('MIC-5')).toMatchObject({ kind: 'ok', message: 'MIC-5 in' });
    expect((await queued()).filter((op) => op.includes('put_away'))).toHaveLength(1);
  });
});
