import { beforeEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../scanner/types';
import { CacheIndex } from '../store/cache-index';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import type { Row } from '../sync/model';
import { placeRow } from '../store/place-rows.test-helper';
import { rebase } from '../sync/optimistic';
import type { MemberRole } from '../sync/roles';
import { StockTakes } from './stock-take';

// A stock-take on one device (issue 21): scans judged from the copy, queued, tallied; what is still
// to find; bulk counted by quantity; a shelf label switches the shelf; a label claimed; closed.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ORG = id(9);
const WH = id(1);
const SHELF_A = id(2);
const SHELF_B = id(3);
const OTHER_WH = id(4);
const GIG = id(5);
const CASE = id(10);
const place = (placeId: string, kind: string, code: string, name: string, parent: string | null): Row =>
  placeRow(placeId, kind, code, name, parent, parent === null ? placeId : WH);
const asset = (n: number, serial: string, at: string | null, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  name: `Shure SM58 ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  location_id: at,
  home_location_id: at,
  version: 1,
  ...extra,
});

let ids = 0;
let now = 1_000;
let queue: Queue;
let role: MemberRole = 'station';
let whole = true;
let takes: StockTakes;
const event = (code: string): ScanEvent => ({ deviceId: 'serial-1', code, receivedAt: (now += 5_000) });
const open = (): StockTakes =>
  new StockTakes({
    index: new CacheIndex(queue),
    enqueue: (op) => queue.enqueue(op, { id: `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`, now }),
    saved: queue.settings.stockTake,
    newId: () => `00000000-0000-4000-b000-${String((ids += 1)).padStart(12, '0')}`,
    now: () => now,
    member: () => Promise.resolve({ orgId: ORG, role }),
    duplicateWindowMs: 1500,
    wholeCopy: () => Promise.resolve(whole),
  });
const queued = async (): Promise<{ action: string; payload: Record<string, unknown> }[]> =>
  (await queue.listQueue(100)).map((op) => ({ action: `${op.table}.${op.action}`, payload: op.payload }));

beforeEach(async () => {
  role = 'station';
  whole = true;
  queue = new Queue(new MemoryStorage(), { newId: () => id(900 + (ids += 1)), clock: () => now, devicePrefix: 'test-' });
  await queue.applyPull(
    {
      changes: {
        locations: [
          place(WH, 'warehouse', 'WH1', 'Main Warehouse', null),
          place(SHELF_A, 'shelf', 'WH1-A01', 'Shelf A01', WH),
          place(SHELF_B, 'shelf', 'WH1-B01', 'Shelf B01', WH),
          place(OTHER_WH, 'warehouse', 'WH2', 'Dock Store', null),
        ],
        gigs: [{ id: GIG, code: 'GIG-1', name: 'Harbour Festival', status: 'confirmed', version: 1 }],
        assets: [
          asset(1, 'MIC-1', SHELF_A),
          asset(2, 'MIC-2', SHELF_B, { barcode: 'BC-2' }),
          asset(3, 'MIC-3', null, { status: 'checked_out', current_gig_id: GIG }),
          asset(4, 'MIC-4', SHELF_A),
          asset(5, 'MIC-5', SHELF_A, { case_id: CASE }),
          asset(6, 'MIC-6', OTHER_WH),
        ],
        cases: [{ id: CASE, barcode: 'CASE-1', name: 'Mic case', version: 1, location_id: SHELF_A, home_location_id: SHELF_A }],
        bulk_items: [
          {
            id: id(50),
            category: 'Cable',
            name: 'XLR cable 10 m',
            barcode: 'XLR-10M',
            unit: 'pcs',
            consumable: false,
            in_warehouse: 40,
            out_to: {},
            location_id: SHELF_B,
            home_location_id: SHELF_B,
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
  takes = open();
});

describe('a stock-take on this device', () => {
  it('starts from a shelf label read in any case, queued at once, and lists what it expects to find', async () => {
    const view = await takes.start({ code: 'wh1-a01' });
    expect(view.root).toMatchObject({ code: 'WH1-A01', name: 'Shelf A01' });
    // MIC-1, MIC-4, MIC-5 (in the case) and the case; not what is out or elsewhere.
    expect(view.counts).toEqual({ found: 0, wrong_place: 0, out_to_gig: 0, unknown: 0, expected: 4 });
    expect(view.toFind.map((t) => t.code).sort()).toEqual(['CASE-1', 'MIC-1', 'MIC-4', 'MIC-5']);
    expect(await queued()).toEqual([{ action: 'audits.start', payload: { id: view.auditId, location_id: SHELF_A } }]);
  });

  it('judges each scan at once — found, wrong place, out to a gig, unknown — queues it and tallies each thing once', async () => {
    const { auditId } = await takes.start({ placeId: SHELF_A });
    const found = await takes.scan(event('mic-1'));
    expect(found).toMatchObject({ kind: 'ok', message: 'Found: Shure SM58 1 · MIC-1', code: 'MIC-1' });
    // A scanner's double read is said and not queued.
    const reread = await takes.scan({ deviceId: 'serial-1', code: 'MIC-1', receivedAt: found.scan.receivedAt + 200 });
    expect(reread).toMatchObject({ kind: 'warning', message: 'MIC-1 scanned again — counted once', queued: [] });
    expect((await takes.scan(event('BC-2'))).message).toBe('Wrong place: Shure SM58 2 · MIC-2 — belongs on Shelf B01 (WH1-B01)');
    expect((await takes.scan(event('MIC-3'))).message).toBe('Out to a gig: Shure SM58 3 · MIC-3 — should be out to a gig');
    expect(await takes.scan(event('PRE-0099'))).toMatchObject({
      kind: 'warning',
      message: 'Unknown code: PRE-0099 — not in the system: a label to claim',
    });
    // The same thing scanned again later is queued (the latest scan counts) and tallied once.
    await takes.scan(event('MIC-1'));
    // The case counts its contents.
    await takes.scan(event('CASE-1'));
    const view = await takes.view();
    expect(view?.counts).toEqual({ found: 2, wrong_place: 1, out_to_gig: 1, unknown: 1, expected: 4 });
    expect(view?.toFind.map((t) => t.code)).toEqual(['MIC-4']);
    expect(view?.recent[0]).toMatchObject({ code: 'CASE-1', kind: 'found' });
    expect(view?.unclaimed).toEqual(['PRE-0099']);
    const scans = (await queued()).filter((op) => op.action === 'audits.scan');
    expect(scans.map((op) => op.payload['code'])).toEqual(['MIC-1', 'BC-2', 'MIC-3', 'PRE-0099', 'MIC-1', 'CASE-1']);
    expect(scans.every((op) => op.payload['id'] === auditId && op.payload['location_id'] === SHELF_A)).toBe(true);
  });

  it('switches the shelf counted on a shelf label inside the audited place, and refuses one outside it', async () => {
    await takes.start({ placeId: WH });
    expect(await takes.scan(event('WH1-B01'))).toMatchObject({ kind: 'ok', message: 'Counting Shelf B01 (WH1-B01)', queued: [] });
    expect((await takes.scan(event('MIC-2'))).message).toBe('Found: Shure SM58 2 · MIC-2');
    const outside = await takes.scan(event('WH2'));
    expect(outside).toMatchObject({
      kind: 'warning',
      message: 'Dock Store (WH2) is not in this stock-take of Main Warehouse (WH1)',
      queued: [],
    });
    expect((await takes.view())?.place.code).toBe('WH1-B01');
    expect((await queued()).at(-1)?.payload['location_id']).toBe(SHELF_B);
  });

  it('counts bulk stock by quantity: asks for one, takes a keypad number or CMD:QTY, refuses a count for anything else', async () => {
    await takes.start({ placeId: SHELF_B });
    const asked = await takes.scan(event('XLR-10M'));
    expect(asked).toMatchObject({ awaiting: 'quantity', queued: [], message: 'XLR cable 10 m: how many are here?' });
    expect(await takes.scan(event('CMD:QTY:-3'))).toMatchObject({ kind: 'error', message: 'a count is a whole number of units, not -3' });
    const counted = await takes.scan(event('CMD:QTY:12'));
    expect(counted.message).toBe('XLR cable 10 m: 12 counted on Shelf B01 (WH1-B01)');
    expect(await takes.scan(event('XLR-10M'), 30)).toMatchObject({ message: 'XLR cable 10 m: 30 counted on Shelf B01 (WH1-B01)' });
    expect(await takes.scan(event('MIC-2'), 4)).toMatchObject({ kind: 'error', queued: [] });
    // A count corrected to none here (the cables were counted on the wrong shelf).
    expect(await takes.scan(event('XLR-10M'), 0)).toMatchObject({ message: 'XLR cable 10 m: 0 counted on Shelf B01 (WH1-B01)' });
    const counts = (await queued()).filter((op) => op.action === 'audits.scan').map((op) => op.payload['quantity']);
    expect(counts).toEqual([12, 30, 0]);
    expect((await takes.view())?.counts.found).toBe(1);
  });

  it('carries on after a restart, from what the device kept: the tally every 20 scans, an unknown label at once', async () => {
    const { auditId } = await takes.start({ placeId: SHELF_A });
    for (let i = 0; i < 20; i += 1) await takes.scan(event(i % 2 === 0 ? 'MIC-1' : 'MIC-4'));
    await takes.scan(event('PRE-0099'));
    await takes.scan(event('CASE-1'));
    const again = await open().view();
    // The case's tick was not written yet (its scan op is queued; the server's report has it).
    expect(again).toMatchObject({ auditId, counts: { found: 2, unknown: 1 }, unclaimed: ['PRE-0099'] });
    expect((await queued()).filter((op) => op.action === 'audits.scan')).toHaveLength(22);
  });

  it('claims an unknown label for a new item on the shelf counted, then counts it there; crew cannot', async () => {
    await takes.start({ placeId: SHELF_A });
    await takes.scan(event('PRE-0099'));
    role = 'crew';
    await expect(takes.claim({ code: 'PRE-0099', name: 'DI box', category: 'Audio' }, event('PRE-0099'))).rejects.toMatchObject({
      code: 'forbidden',
    });
    role = 'station';
    await expect(takes.claim({ code: 'mic-1', name: 'DI box', category: 'Audio' }, event('MIC-1'))).rejects.toMatchObject({
      code: 'conflict',
      message: "MIC-1 is already an item's code",
    });
    // Only a code this stock-take found unknown: not a command, a place, or a code never scanned.
    for (const code of ['CMD:QTY:5', 'WH1-B01', 'PRE-0100'])
      await expect(takes.claim({ code, name: 'DI box', category: 'Audio' }, event(code))).rejects.toMatchObject({
        code: 'invalid_arguments',
      });
    // A count held for a bulk item is not for the new item.
    await takes.scan(event('CMD:QTY:5'));
    const before = (await queued()).length;
    const claimed = await takes.claim({ code: 'pre-0099', name: 'DI box', category: 'Audio' }, event('pre-0099'));
    expect(claimed).toMatchObject({ kind: 'ok', message: 'Found: DI box · PRE-0099' });
    const added = (await queued()).slice(before);
    expect(added.map((op) => op.action)).toEqual(['assets.claim', 'audits.scan']);
    expect(added[0]?.payload).toMatchObject({ org_id: ORG, code: 'PRE-0099', name: 'DI box', location_id: SHELF_A });
    expect((await takes.view())?.unclaimed).toEqual([]);
    expect((await takes.view())?.counts).toMatchObject({ found: 1, unknown: 0 });
  });

  it('closes: crew without moving only; a station moves what it found; nothing is left open', async () => {
    const { auditId } = await takes.start({ placeId: SHELF_A });
    role = 'crew';
    expect((await takes.view())?.canAdjust).toBe(false);
    await expect(takes.close(true)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await queued()).filter((op) => op.action === 'audits.close')).toEqual([]);
    role = 'station';
    expect(await takes.close(true)).toEqual({ auditId });
    expect((await queued()).at(-1)).toEqual({ action: 'audits.close', payload: { id: auditId, adjust: true } });
    expect(await takes.view()).toBeNull();
    expect(await takes.scan(event('MIC-1'))).toMatchObject({
      kind: 'error',
      message: "no stock-take is open: scan a shelf's, zone's or warehouse's label to start one",
    });
    // A place's label starts the next one.
    expect(await takes.scan(event('wh1-b01'))).toMatchObject({ kind: 'ok', message: 'Stock-take of Shelf B01 (WH1-B01) started' });
    expect((await takes.view())?.root.code).toBe('WH1-B01');
  });

  it('refuses a device that keeps only some gigs: real items would read unknown and nothing would be expected', async () => {
    whole = false;
    await expect(takes.start({ placeId: SHELF_A })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/whole company/),
    });
    expect(await queued()).toEqual([]);
  });

  it('refuses a second stock-take, an unknown place and a long category in words, queueing nothing', async () => {
    await expect(takes.start({ code: 'NOPE-1' })).rejects.toMatchObject({ code: 'not_found', message: "NOPE-1 is not a place's code" });
    await expect(takes.start({ placeId: SHELF_A, category: 'x'.repeat(81) })).rejects.toMatchObject({ code: 'invalid_arguments' });
    expect(await queued()).toEqual([]);
    await takes.start({ placeId: SHELF_A });
    await expect(takes.start({ placeId: SHELF_B })).rejects.toMatchObject({ code: 'conflict' });
    expect((await queued()).length).toBe(1);
  });
});
