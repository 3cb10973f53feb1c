import { beforeEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../scanner/types';
import { CacheIndex } from '../store/cache-index';
import { CacheScanCatalog } from '../store/catalog';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import { CacheStationViews } from '../store/views';
import type { Row } from '../sync/model';
import { rebase } from '../sync/optimistic';
import { ScanSession, type ScanInput } from './workflow';

// Issue 18's operator job, offline: a case picked (its check-out still queued) is out on the
// pick list as it is in the session's count; a condition's note given on the screen with
// CMD:DAMAGED goes with the next item checked in, whichever scanner scans it.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
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

let ids = 0;
let now = 1_000;
let queue: Queue;
let session: ScanSession;
let views: CacheStationViews;
const scan = (code: string, input: ScanInput = {}): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'serial-1', code, receivedAt: (now += 5_000) } satisfies ScanEvent, 'any', input);

beforeEach(async () => {
  queue = new Queue(new MemoryStorage(), {
    newId: () => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`,
    clock: () => now,
    devicePrefix: 'test-',
  });
  await queue.applyPull(
    {
      changes: {
        gigs: [{ id: GIG, code: 'GIG-HALL', name: 'Harbour Hall', status: 'confirmed', version: 1 }],
        assets: [asset(1, 'DESK-1'), asset(2, 'MIC-2', { case_id: CASE }), asset(3, 'MIC-3', { case_id: CASE })],
        cases: [{ id: CASE, barcode: 'CASE-0010', name: 'Mic case', version: 1 }],
        kit_assignments: [
          { id: id(20), gig_id: GIG, asset_id: id(101) },
          { id: id(21), gig_id: GIG, case_id: CASE },
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

describe('the operator’s job before the server answers', () => {
  it('shows a case picked offline as out on the pick list, counted as the session counts it', async () => {
    await scan('GIG-HALL');
    await scan('CASE-0010');
    const list = await views.pickList(GIG);
    const box = list.groups[0]?.lines.find((l) => l.kind === 'case');
    expect(box).toMatchObject({ code: 'CASE-0010', planned: 2, scanned: 2, missing: 0 });
    expect(box?.contents.map((c) => c.done)).toEqual([true, true]);
    expect(list.totals).toEqual({ planned: 3, scanned: 2, missing: 1, extra: 0 });
    expect((await session.state()).progress).toEqual({ gigId: GIG, ...list.totals });
  });

  it('keeps the note given with CMD:DAMAGED for the next item scanned, and only that one', async () => {
    await scan('GIG-HALL');
    await scan('CASE-0010');
    await scan('DESK-1');
    // As if the server had answered: the case's contents and the desk are out.
    await queue.applyPull(
      {
        changes: {
          assets: [
            asset(1, 'DESK-1', { status: 'checked_out', current_gig_id: GIG, version: 2 }),
            asset(2, 'MIC-2', { case_id: CASE, status: 'checked_out', current_gig_id: GIG, version: 2 }),
            asset(3, 'MIC-3', { case_id: CASE, status: 'checked_out', current_gig_id: GIG, version: 2 }),
          ],
        },
        tombstones: [],
        cursor: '1:2',
        has_more: false,
      },
      rebase,
    );
    await scan('CMD:CHECK-IN');
    expect(await scan('CMD:DAMAGED', { note: '  cracked grille  ' })).toMatchObject({
      kind: 'ok',
      message: 'next check-in: damaged — cracked grille',
    });
    expect(await scan('MIC-3')).toMatchObject({ message: 'MIC-3 marked damaged — scan case CASE-0010 to check it in with the rest OK' });
    expect(await scan('CASE-0010')).toMatchObject({ message: 'case CASE-0010 in: 1 item(s) damaged, the rest OK' });
    expect(await scan('DESK-1')).toMatchObject({ kind: 'ok', message: 'DESK-1 in' });
    const ops = await queue.listQueue(100);
    expect(ops.slice(-2).map((op) => op.payload)).toEqual([
      { id: CASE, condition: 'ok', items: [{ asset_id: id(103), condition: 'damaged', note: 'cracked grille' }] },
      { id: id(101), condition: 'ok' },
    ]);
    // A note given with OK, or a blank one, is no note.
    expect(await scan('CMD:OK', { note: 'fine' })).toMatchObject({ message: 'next check-in: ok' });
    expect(await scan('CMD:MISSING-PARTS', { note: '   ' })).toMatchObject({ message: 'next check-in: missing parts' });
  });
});
