import { beforeEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../scanner/types';
import { CacheIndex } from '../store/cache-index';
import { CacheScanCatalog } from '../store/catalog';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import type { Row } from '../sync/model';
import { rebase } from '../sync/optimistic';
import { cleanNote, ScanSession, type ScanInput } from './workflow';

// Issue 18 (outside tester's defects 1, 2, 9, and 4/7 on the station side): a quantity held for
// the next bulk item, or a bulk item waiting for its quantity, never outlives the scan it was
// meant for — anything else drops it and says so — and no note with control characters is queued.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const CASE = id(10);
const XLR = id(40);
const RAMP = id(41);
const NOOR = id(30);
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
const bulk = (itemId: string, name: string, barcode: string, outTo: Record<string, number> = {}): Row => ({
  id: itemId,
  category: name,
  name,
  barcode,
  unit: 'pcs',
  consumable: false,
  in_warehouse: 60,
  out_to: outTo,
  version: 1,
});

let ids = 0;
let now = 1_000;
let queue: Queue;
let session: ScanSession;
const scan = (code: string, input: ScanInput = {}, gapMs = 2_000): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'serial-1', code, receivedAt: (now += gapMs) } satisfies ScanEvent, 'any', input);
const queued = async (): Promise<{ table: string; action: string; payload: Record<string, unknown> }[]> =>
  (await queue.listQueue(50)).map((op) => ({ table: op.table, action: op.action, payload: op.payload }));

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
        assets: [
          asset(1, 'DESK-1'),
          asset(2, 'MIC-2', { case_id: CASE, status: 'checked_out', current_gig_id: GIG }),
          asset(3, 'AMP-3', { status: 'checked_out', current_gig_id: GIG }),
        ],
        cases: [{ id: CASE, barcode: 'CASE-0010', name: 'Mic case', version: 1 }],
        kit_assignments: [],
        staff_profiles: [{ id: NOOR, display_name: 'Noor Berg', badge_code: 'B-NOR-00001', email: 'noor@example.test' }],
        bulk_items: [bulk(XLR, 'XLR cable 10m', 'BULK-XLR10', { [GIG]: 8 }), bulk(RAMP, 'Cable ramp', 'BULK-RAMP')],
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
  });
});

const XLR_DROPPED = 'XLR cable 10m · BULK-XLR10 dropped: it was waiting for a quantity, nothing moved';

describe('a bulk item waiting for its quantity', () => {
  it.each([
    ['CMD:CHECK-OUT', 'check-out to Harbour Hall'],
    ['CMD:DONE', 'done'],
    ['CMD:DAMAGED', 'next check-in: damaged'],
    ['B-NOR-00001', 'operator: Noor Berg'],
    ['GIG-HALL', 'picking for Harbour Hall: 0/0'],
  ])('is dropped by %s, which says so; a quantity scanned after it moves nothing', async (code, said) => {
    await scan('GIG-HALL');
    expect(await scan('BULK-XLR10')).toMatchObject({ awaiting: 'quantity' });
    expect(await scan(code)).toMatchObject({ kind: 'warning', message: `${said} — ${XLR_DROPPED}`, queued: [] });
    expect(await scan('CMD:QTY:5')).toMatchObject({ kind: 'ok', message: 'quantity 5: scan the bulk item', queued: [] });
    expect(await queued()).toEqual([]);
  });

  it('an asset scanned instead still moves, and the waiting item is said to be dropped', async () => {
    await scan('GIG-HALL');
    await scan('BULK-XLR10');
    const answer = await scan('DESK-1');
    expect(answer).toMatchObject({ kind: 'warning', message: `DESK-1 Item 1 → Harbour Hall — ${XLR_DROPPED}` });
    expect(answer.queued).toHaveLength(1);
    await scan('CMD:QTY:5');
    expect((await queued()).map((op) => op.table)).toEqual(['assets']);
  });

  it('another bulk item scanned instead waits in its place; a typed quantity on it moves only it', async () => {
    await scan('GIG-HALL');
    await scan('BULK-XLR10');
    expect(await scan('BULK-RAMP', { quantity: 4 })).toMatchObject({
      kind: 'warning',
      message: `4 × Cable ramp · BULK-RAMP → Harbour Hall — ${XLR_DROPPED}`,
    });
    await scan('CMD:QTY:5');
    expect(await queued()).toEqual([{ table: 'bulk_items', action: 'check_out', payload: { id: RAMP, gig_id: GIG, quantity: 4 } }]);
  });

  it('a typed quantity on it moves it once; a CMD:QTY after that is held for the next item, not for it', async () => {
    await scan('GIG-HALL');
    await scan('BULK-XLR10');
    expect(await scan('BULK-XLR10', { quantity: 3 }, 400)).toMatchObject({
      kind: 'ok',
      message: '3 × XLR cable 10m · BULK-XLR10 → Harbour Hall',
    });
    expect(await scan('CMD:QTY:5')).toMatchObject({ message: 'quantity 5: scan the bulk item', queued: [] });
    expect((await queued()).map((op) => op.payload['quantity'])).toEqual([3]);
  });

  it('a bad typed quantity moves nothing and the item keeps waiting for a good one', async () => {
    await scan('GIG-HALL');
    await scan('BULK-XLR10');
    expect(await scan('BULK-XLR10', { quantity: 0 })).toMatchObject({ kind: 'error', awaiting: 'quantity', queued: [] });
    expect(await scan('CMD:QTY:2')).toMatchObject({ kind: 'ok', message: '2 × XLR cable 10m · BULK-XLR10 → Harbour Hall' });
    expect((await queued()).map((op) => op.payload['quantity'])).toEqual([2]);
  });

  it('Undo takes back the waiting item (the last scan), not the scan before it', async () => {
    await scan('GIG-HALL');
    await scan('DESK-1');
    await scan('BULK-XLR10');
    expect(await scan('CMD:UNDO')).toMatchObject({ kind: 'ok', message: `undone: ${XLR_DROPPED}`, queued: [] });
    expect((await queued()).map((op) => `${op.table}.${op.action}`)).toEqual(['assets.check_out']);
    expect(await scan('CMD:UNDO')).toMatchObject({ kind: 'ok', message: 'undone: DESK-1' });
  });

  it('in check-in, a mode change drops it too: CMD:QTY after CMD:CHECK-OUT brings nothing back', async () => {
    await scan('CMD:CHECK-IN');
    await scan('BULK-XLR10');
    expect(await scan('CMD:CHECK-OUT')).toMatchObject({ kind: 'warning', message: `check-out: scan a gig — ${XLR_DROPPED}` });
    await scan('CMD:QTY:5');
    expect(await queued()).toEqual([]);
  });
});

describe('a quantity held for the next bulk item', () => {
  it.each([
    ['CMD:CHECK-IN', 'check-in: scan items'],
    ['CMD:DONE', 'done'],
    ['B-NOR-00001', 'operator: Noor Berg'],
  ])('is dropped by %s, which says "quantity 5 dropped"', async (code, said) => {
    await scan('GIG-HALL');
    await scan('CMD:QTY:5');
    expect(await scan(code)).toMatchObject({ kind: 'warning', message: `${said} — quantity 5 dropped`, queued: [] });
    expect(await scan('BULK-XLR10')).toMatchObject({ awaiting: 'quantity', queued: [] });
    expect(await queued()).toEqual([]);
  });

  it('Undo drops just the held quantity', async () => {
    await scan('GIG-HALL');
    await scan('DESK-1');
    await scan('CMD:QTY:5');
    expect(await scan('CMD:UNDO')).toMatchObject({ kind: 'ok', message: 'undone: quantity 5 dropped' });
    expect((await queued()).map((op) => `${op.table}.${op.action}`)).toEqual(['assets.check_out']);
  });

  it('a bad quantity after it says the held one is dropped too', async () => {
    await scan('GIG-HALL');
    await scan('CMD:QTY:5');
    expect(await scan('CMD:QTY:0')).toMatchObject({
      kind: 'error',
      message: 'quantity 0 moves nothing — nothing was moved; quantity 5 dropped',
    });
    expect(await scan('BULK-XLR10')).toMatchObject({ awaiting: 'quantity', queued: [] });
  });

  it('"5, then 3 more" within the duplicate window, in check-in as well: two returns, 5 and 3', async () => {
    await scan('GIG-HALL');
    await scan('CMD:CHECK-IN');
    await scan('CMD:QTY:5');
    await scan('BULK-XLR10', {}, 300);
    await scan('BULK-XLR10', { quantity: 3 }, 300);
    expect(await queued()).toEqual([
      { table: 'bulk_items', action: 'check_in', payload: { id: XLR, gig_id: GIG, quantity: 5 } },
      { table: 'bulk_items', action: 'check_in', payload: { id: XLR, gig_id: GIG, quantity: 3 } },
    ]);
    // The same shelf code again with no quantity, within the window: the scanner fired twice.
    expect(await scan('BULK-XLR10', {}, 300)).toMatchObject({
      kind: 'warning',
      message: 'BULK-XLR10 scanned again — counted once',
      queued: [],
    });
  });
});

describe('a condition note with control characters (defects 4 and 7, the station side)', () => {
  it('cleanNote strips terminal escapes and control characters; tabs and line breaks become a space', () => {
    expect(cleanNote('lens cracked\u0007\u001b[2J\u001b[31m OK \u0008\u0008')).toBe('lens cracked OK');
    expect(cleanNote('a\u0000b\u007fc\u0085d')).toBe('abcd');
    // A note is one line (the server refuses a tab or a line break too): they become spaces.
    expect(cleanNote(' dent\r\nleft side\tbottom\r')).toBe('dent left side bottom');
    expect(cleanNote('\u0000\u001b')).toBe('');
  });

  it('no note queued by the workflow holds a control character (asset, case item, condition command)', async () => {
    await scan('CMD:CHECK-IN');
    await scan('CMD:DAMAGED', { note: 'grille\u0000 bent\u001b[0m' });
    await scan('AMP-3');
    await scan('CMD:MISSING-PARTS');
    await scan('MIC-2', { note: '\u0007clip\u0000 gone' });
    await scan('CASE-0010');
    await scan('CMD:DAMAGED');
    // Only control characters: no note at all.
    await scan('DESK-1', { note: '\u0000\u0007' });
    await scan('CMD:MISSING-PARTS', { note: 'hinge\r\nloose\tleft' });
    await scan('AMP-3');
    const ops = await queued();
    expect(ops.map((op) => op.payload)).toEqual([
      { id: id(103), condition: 'damaged', note: 'grille bent' },
      { id: CASE, condition: 'ok', items: [{ asset_id: id(102), condition: 'missing_parts', note: 'clip gone' }] },
      { id: id(101), condition: 'damaged' },
      { id: id(103), condition: 'missing_parts', note: 'hinge loose left' },
    ]);
    const notes = ops.flatMap((op) => [
      op.payload['note'],
      ...((op.payload['items'] as { note?: string }[] | undefined) ?? []).map((i) => i.note),
    ]);
    // Nothing the server refuses as a control character (its rule: [\x01-\x1f\x7f-\x9f] and NUL).
    for (const note of notes) expect(typeof note === 'string' ? note : '').not.toMatch(/[\p{Cc}]/u);
  });
});
