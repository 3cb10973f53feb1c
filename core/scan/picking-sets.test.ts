import { beforeEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../scanner/types';
import { CacheIndex } from '../store/cache-index';
import { CacheScanCatalog } from '../store/catalog';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import { CacheStationViews } from '../store/views';
import type { Row } from '../sync/model';
import { rebase } from '../sync/optimistic';
import { NOT_ON_LIST, ScanSession } from './workflow';

// Picking for a stage with sets (issue 18): one pass over every set's list, each item out to the
// set whose list asks for it, counted as the Scan screen's pick list counts (one definition).
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const STAGE = id(1);
const OPENER = id(2);
const HEADLINER = id(3);
const CASE = id(10);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  name: `Item ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  version: 1,
  ...extra,
});
const gig = (gigId: string, code: string, name: string, extra: Record<string, unknown> = {}): Row => ({
  id: gigId,
  code,
  name,
  status: 'confirmed',
  version: 1,
  ...extra,
});

let ids = 0;
let now = 1_000;
let queue: Queue;
let session: ScanSession;
let views: CacheStationViews;
const scan = (code: string): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'test', code, receivedAt: (now += 5_000) } satisfies ScanEvent);

beforeEach(async () => {
  queue = new Queue(new MemoryStorage(), {
    newId: () => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`,
    clock: () => now,
    devicePrefix: 'test-',
  });
  await queue.applyPull(
    {
      changes: {
        gigs: [
          gig(STAGE, 'GIG-STAGE', 'Main Stage'),
          gig(OPENER, 'GIG-OPEN', 'Opener', { parent_gig_id: STAGE, starts_at: '2027-06-12T17:00:00Z' }),
          gig(HEADLINER, 'GIG-HEAD', 'Headliner', { parent_gig_id: STAGE, starts_at: '2027-06-12T21:00:00Z' }),
        ],
        assets: [
          asset(1, 'DESK-1'),
          asset(2, 'AMP-2'),
          asset(3, 'MIC-3', { case_id: CASE }),
          asset(4, 'MIC-4', { case_id: CASE }),
          asset(5, 'SPARE-5', { category: 'Spare' }),
        ],
        cases: [{ id: CASE, barcode: 'CASE-0010', name: 'Mic case', version: 1 }],
        kit_assignments: [
          { id: id(20), gig_id: STAGE, asset_id: id(101) },
          { id: id(21), gig_id: OPENER, asset_id: id(102) },
          { id: id(22), gig_id: HEADLINER, case_id: CASE },
          { id: id(23), gig_id: HEADLINER, category: 'XLR', quantity: 10 },
        ],
        bulk_items: [
          {
            id: id(50),
            category: 'XLR',
            name: 'XLR cable 10 m',
            barcode: 'SHELF-XLR',
            unit: 'pcs',
            consumable: false,
            in_warehouse: 40,
            out_to: {},
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
  const index = new CacheIndex(queue);
  session = new ScanSession({
    catalog: new CacheScanCatalog(index),
    enqueue: (op) => queue.enqueue(op, { id: `00000000-0000-4000-b000-${String((ids += 1)).padStart(12, '0')}`, now }),
    duplicateWindowMs: 1500,
  });
  views = new CacheStationViews(index, queue);
});

const queuedGigs = async (): Promise<Record<string, unknown>[]> =>
  (await queue.listQueue(100)).map((op) => ({ table: op.table, id: op.payload['id'], gig: op.payload['gig_id'] }));

describe('picking for a stage with sets', () => {
  it('checks each item out to the set whose list asks for it, and counts the stage as its pick list does', async () => {
    expect(await scan('GIG-STAGE')).toMatchObject({ kind: 'ok', message: 'picking for Main Stage: 0/14' });
    expect(await scan('DESK-1')).toMatchObject({ kind: 'ok', message: 'DESK-1 Item 1 → Main Stage' });
    expect(await scan('AMP-2')).toMatchObject({ kind: 'ok', message: 'AMP-2 Item 2 → Opener' });
    expect(await scan('CASE-0010')).toMatchObject({ kind: 'ok', message: 'case CASE-0010 (2 items) → Headliner' });
    expect(await scan('CMD:QTY:6')).toMatchObject({ kind: 'ok' });
    expect(await scan('SHELF-XLR')).toMatchObject({ kind: 'ok', message: '6 × XLR cable 10 m · SHELF-XLR → Headliner' });
    expect(await queuedGigs()).toEqual([
      { table: 'assets', id: id(101), gig: STAGE },
      { table: 'assets', id: id(102), gig: OPENER },
      { table: 'cases', id: CASE, gig: HEADLINER },
      { table: 'bulk_items', id: id(50), gig: HEADLINER },
    ]);
    // An item on no set's list goes out to the stage itself, and says so plainly.
    expect(await scan('SPARE-5')).toMatchObject({ kind: 'warning', message: `SPARE-5 Item 5: ${NOT_ON_LIST}` });
    // Already out to one of the sets: named.
    expect(await scan('AMP-2')).toMatchObject({ kind: 'warning', message: 'AMP-2 is already out to Opener' });

    // The case's contents are known out once the server answers (the session counts them meanwhile).
    const progress = (await session.state()).progress;
    expect(progress).toEqual({ gigId: STAGE, planned: 14, scanned: 10, missing: 4, extra: 1 });
    expect(await scan('CMD:DONE')).toMatchObject({ kind: 'warning', message: 'done — 4 planned item(s) not scanned' });
  });

  it("counts the stage's sets as the Scan screen's pick list does", async () => {
    await scan('GIG-STAGE');
    await scan('DESK-1');
    await scan('AMP-2');
    const list = await views.pickList(STAGE);
    expect(list.groups.map((g) => g.name)).toEqual(['Main Stage', 'Opener', 'Headliner']);
    const progress = (await session.state()).progress;
    expect(progress).toEqual({ gigId: STAGE, ...list.totals });
    expect(list.totals).toEqual({ planned: 14, scanned: 2, missing: 12, extra: 0 });
  });
});
