import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Row } from '../sync/model';
import { rebase } from '../sync/optimistic';
import { onInvalidRow } from '../sync/rows';
import { CacheIndex } from './cache-index';
import { CacheScanCatalog } from './catalog';
import { MemoryStorage } from './memory-storage';
import { Unreadable } from './port';
import { Queue } from './queue';
import { CacheStationViews } from './views';

// The scan catalog and the list views, written once over the cache index (the station's SQLite
// and the phone's IndexedDB differ only in the queue store's storage): rows decoded once, damaged
// rows absent, a scan's change applied in place, a pull's change seen.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const LATER = id(2);
const EARLY = id(3);
const DELETED_GIG = id(4);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  barcode: null,
  name: `Item ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  version: 1,
  ...extra,
});
const gig = (gigId: string, code: string, name: string, startsAt: string | null, extra: Record<string, unknown> = {}): Row => ({
  id: gigId,
  code,
  name,
  status: 'confirmed',
  starts_at: startsAt,
  version: 1,
  ...extra,
});

let ids = 0;
const newId = (): string => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`;
let now = 1_000;

let storage: MemoryStorage;
let queue: Queue;
let index: CacheIndex;
let catalog: CacheScanCatalog;
let views: CacheStationViews;
let reports: string[];
let previous: (message: string) => void;

async function pull(changes: Record<string, Row[]>, tombstones: { table: 'gigs' | 'assets' | 'cases'; id: string }[] = []): Promise<void> {
  await queue.applyPull({ changes, tombstones, cursor: `${(now += 1)}:1`, has_more: false }, rebase);
}

beforeEach(async () => {
  storage = new MemoryStorage();
  queue = new Queue(storage, { newId, clock: () => now, devicePrefix: 'test-' });
  reports = [];
  previous = onInvalidRow((message) => reports.push(message));
  await pull({
    gigs: [
      gig(GIG, 'GIG-000001', 'Main Stage', '2027-01-02T10:00:00Z'),
      gig(LATER, 'GIG-000002', 'b side', '2027-01-03T10:00:00Z', { parent_gig_id: GIG, venue: 'Hall 2', time_zone: 'Europe/Berlin' }),
      gig(EARLY, 'GIG-000003', 'Load-in', null),
      gig(id(5), 'GIG-000005', 'A side', '2027-01-03T10:00:00Z'),
      gig(DELETED_GIG, 'GIG-000004', 'Gone', '2027-01-01T00:00:00Z', { deleted_at: '2026-12-01T00:00:00Z' }),
      gig(id(6), 'GIG-000006', 'Broken', '2027-01-01T00:00:00Z', { status: 'flying' }),
    ],
    assets: [
      asset(1, 'SPK-1', { barcode: '4000000000001' }),
      asset(2, 'BAD-2', { status: 'flying' }),
      asset(3, 'IN-3', { case_id: id(10) }),
      asset(4, 'NESTED-4', { case_id: id(11) }),
      asset(5, 'OUT-5', { status: 'checked_out', current_gig_id: GIG }),
      asset(6, 'GONE-6', { deleted_at: '2026-12-01T00:00:00Z' }),
      // Another asset's barcode is this one's serial: the serial number answers first.
      asset(7, 'X-7', { barcode: 'SPK-1' }),
    ],
    cases: [
      { id: id(10), barcode: 'CASE-10', name: 'Drum case', version: 1 },
      { id: id(11), barcode: 'CASE-11', name: 'Cymbal bag', parent_case_id: id(10), version: 1 },
    ],
    staff_profiles: [
      { id: id(30), display_name: 'Noor Berg', badge_code: 'B-NOR-00001', email: 'Noor@Example.com' },
      { id: id(31), display_name: 'Sam Lee', badge_code: 'B-SAM-00002', email: 'sam@example.com' },
    ],
    gig_staff: [
      { id: id(40), gig_id: GIG, staff_id: id(30), role: 'lead' },
      { id: id(41), gig_id: LATER, staff_id: id(30), role: 'rigger' },
      { id: id(42), gig_id: LATER, staff_id: id(31), role: 'audio' },
    ],
    kit_assignments: [
      { id: id(20), gig_id: GIG, category: 'Audio', quantity: 2 },
      { id: id(21), gig_id: GIG, asset_id: id(101) },
      { id: id(22), gig_id: GIG, case_id: id(10) },
      { id: id(23), gig_id: LATER, category: 'Light' },
    ],
  });
  index = new CacheIndex(queue);
  catalog = new CacheScanCatalog(index);
  views = new CacheStationViews(index, queue);
});
afterEach(() => {
  index.close();
  onInvalidRow(previous);
});

describe('scan catalog over the cache index', () => {
  it('answers with camelCase typed rows, codes upper-cased, an asset by serial number first, then barcode', async () => {
    expect(await catalog.findGig('gig-000001')).toMatchObject({ id: GIG, name: 'Main Stage', status: 'confirmed', parentGigId: null });
    expect(await catalog.findStaff('b-nor-00001')).toMatchObject({ displayName: 'Noor Berg', email: 'Noor@Example.com' });
    expect(await catalog.findCase('case-10')).toMatchObject({ id: id(10), name: 'Drum case' });
    expect(await catalog.findCaseById(id(11))).toMatchObject({ barcode: 'CASE-11', parentCaseId: id(10) });
    expect(await catalog.findAsset('spk-1')).toMatchObject({ id: id(101), serialNumber: 'SPK-1' });
    expect(await catalog.findAsset('4000000000001')).toMatchObject({ id: id(101) });
    expect(await catalog.findAsset('x-7')).toMatchObject({ id: id(107), barcode: 'SPK-1' });
    expect(await catalog.findAssetById(id(103))).toMatchObject({ serialNumber: 'IN-3', caseId: id(10) });
    expect(await catalog.findAsset('NOPE')).toBeNull();
    expect(await catalog.findGig('GIG-404')).toBeNull();
    expect(await catalog.pickList(GIG)).toEqual([
      { id: id(20), gigId: GIG, assetId: null, caseId: null, category: 'Audio', quantity: 2, notes: null, overbookingConfirmedAt: null },
      { id: id(21), gigId: GIG, assetId: id(101), caseId: null, category: null, quantity: null, notes: null, overbookingConfirmedAt: null },
      { id: id(22), gigId: GIG, assetId: null, caseId: id(10), category: null, quantity: null, notes: null, overbookingConfirmedAt: null },
    ]);
    expect((await catalog.assetsOutTo(GIG)).map((a) => a.serialNumber)).toEqual(['OUT-5']);
  });

  it("follows nested cases for a case's contents, and stops on a parent loop", async () => {
    expect((await catalog.caseContents(id(10))).map((a) => a.serialNumber)).toEqual(['IN-3', 'NESTED-4']);
    // Damaged data: the outer case now claims the inner one as its parent. The walk still ends.
    await pull({ cases: [{ id: id(10), barcode: 'CASE-10', name: 'Drum case', parent_case_id: id(11), version: 2 }] });
    expect((await catalog.caseContents(id(10))).map((a) => a.serialNumber)).toEqual(['IN-3', 'NESTED-4']);
    expect((await catalog.caseContents(id(11))).map((a) => a.serialNumber)).toEqual(['NESTED-4', 'IN-3']);
  });

  it('leaves out a row that fails its schema (reported) and one the storage cannot read, without failing', async () => {
    storage.tables.cache.set(`assets:${id(199)}`, { row: new Unreadable('{"id":', 'not valid JSON'), serverRow: null, updatedAt: 0 });
    storage.tables.cache.set(`gigs:${id(198)}`, { row: 'not an object', serverRow: null, updatedAt: 0 });
    expect(await catalog.findAsset('BAD-2')).toBeNull();
    expect(await catalog.findAssetById(id(199))).toBeNull();
    expect(await catalog.findGig('GIG-000006')).toBeNull();
    expect(reports).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^cached assets row ${id(102)} is unreadable .*\\(status\\)$`)),
        expect.stringMatching(new RegExp(`^cached gigs row ${id(6)} is unreadable .*\\(status\\)$`)),
      ]),
    );
    expect((await views.listAssets()).map((a) => a.serial)).not.toContain('BAD-2');
    expect((await views.listGigs()).map((g) => g.name)).not.toContain('Broken');
  });

  it('sees a scanned asset in its new state by updating it in place, without reading the table again', async () => {
    expect(await catalog.findAsset('SPK-1')).toMatchObject({ status: 'available' });
    const listCached = vi.spyOn(queue, 'listCached');
    const getCached = vi.spyOn(queue, 'getCached');
    await queue.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: id(101), gig_id: GIG }, base_version: 1 },
      { id: newId(), now: (now += 1) },
    );
    expect(await catalog.findAsset('spk-1')).toMatchObject({ status: 'checked_out', currentGigId: GIG, version: 2 });
    expect((await catalog.assetsOutTo(GIG)).map((a) => a.serialNumber).sort()).toEqual(['OUT-5', 'SPK-1']);
    const main = (await views.listGigs()).find((g) => g.id === GIG);
    expect(main).toMatchObject({ assetsOut: 2 });
    expect(listCached).not.toHaveBeenCalledWith('assets');
    // Not even the one row: it came with the change (the view the enqueue wrote).
    expect(getCached).not.toHaveBeenCalled();
    // The asset keeps its place in the list.
    expect((await views.listAssets()).map((a) => a.serial)).toEqual(['SPK-1', 'IN-3', 'NESTED-4', 'OUT-5', 'X-7']);
  });

  it('sees a pulled gig, case and asset change, a large pull too, in place from the rows it carries', async () => {
    expect(await catalog.findGig('GIG-000001')).toMatchObject({ name: 'Main Stage' });
    expect((await catalog.caseContents(id(10))).length).toBe(2);
    await pull(
      {
        gigs: [gig(GIG, 'GIG-000001', 'Main Stage (moved)', '2027-01-02T10:00:00Z', { version: 2 })],
        cases: [{ id: id(12), barcode: 'case-12', parent_case_id: id(11), version: 1 }],
        assets: [asset(8, 'DEEP-8', { case_id: id(12) })],
      },
      [{ table: 'gigs', id: EARLY }],
    );
    expect(await catalog.findGig('gig-000001')).toMatchObject({ name: 'Main Stage (moved)', version: 2 });
    expect(await catalog.findGig('GIG-000003')).toBeNull();
    expect(await catalog.findCase('CASE-12')).toMatchObject({ id: id(12) });
    expect((await catalog.caseContents(id(10))).map((a) => a.serialNumber)).toEqual(['IN-3', 'NESTED-4', 'DEEP-8']);
    expect((await views.listGigs()).map((g) => g.name)).not.toContain('Load-in');

    const listCached = vi.spyOn(queue, 'listCached');
    const many = Array.from({ length: 120 }, (_, i) => asset(200 + i, `BULK-${i}`));
    await pull({ assets: many });
    expect(await catalog.findAsset('bulk-119')).toMatchObject({ id: id(419) });
    // 120 rows against a table of 6, carried by the change: no read of the table.
    expect(listCached).not.toHaveBeenCalled();
    expect((await views.listAssets()).length).toBe(5 + 1 + 120);
  });

  it('reads the table again when another context names many of its rows without carrying them', async () => {
    expect(await catalog.findAsset('SPK-1')).not.toBeNull();
    // Another tab pulled 120 assets into the same store: this page hears their names only.
    for (let i = 0; i < 120; i += 1) {
      const row = asset(600 + i, `TAB-${i}`);
      storage.tables.cache.set(`assets:${String(row['id'])}`, { row, serverRow: row, updatedAt: 0 });
    }
    const listCached = vi.spyOn(queue, 'listCached');
    const getCached = vi.spyOn(queue, 'getCached');
    index.reread(new Set(Array.from({ length: 120 }, (_, i) => `assets:${id(700 + i)}`)));
    expect(await catalog.findAsset('tab-119')).toMatchObject({ id: id(819) });
    expect(listCached).toHaveBeenCalledWith('assets');
    expect(getCached).not.toHaveBeenCalled();
  });

  it("re-reads a pushed batch's rows in place when they are a small share of a large table", async () => {
    await pull({ assets: Array.from({ length: 1300 }, (_, i) => asset(1000 + i, `MANY-${i}`)) });
    expect(await catalog.findAsset('many-0')).toMatchObject({ version: 1 });
    const listCached = vi.spyOn(queue, 'listCached');
    await pull({ assets: Array.from({ length: 60 }, (_, i) => asset(1000 + i, `MANY-${i}`, { version: 2 })) });
    expect(await catalog.findAsset('many-59')).toMatchObject({ version: 2 });
    expect(await catalog.findAsset('many-60')).toMatchObject({ version: 1 });
    expect(listCached).not.toHaveBeenCalled();
  });

  it('reads the caches again after invalidate (another tab or the service worker wrote them)', async () => {
    expect(await catalog.findGig('GIG-000001')).not.toBeNull();
    const other = storage.tables.cache.get(`gigs:${GIG}`);
    storage.tables.cache.set(`gigs:${GIG}`, { row: { ...(other?.row as object), code: 'GIG-RENAMED' }, serverRow: null, updatedAt: 0 });
    expect(await catalog.findGig('GIG-RENAMED')).toBeNull();
    index.invalidate();
    expect(await catalog.findGig('GIG-RENAMED')).toMatchObject({ id: GIG });
  });

  it('re-reads just the rows another context names (reread), leaving the tables built', async () => {
    expect(await catalog.findGig('GIG-000001')).not.toBeNull();
    expect(await catalog.findAsset('SPK-1')).not.toBeNull();
    const other = storage.tables.cache.get(`gigs:${GIG}`);
    storage.tables.cache.set(`gigs:${GIG}`, { row: { ...(other?.row as object), code: 'GIG-RENAMED' }, serverRow: null, updatedAt: 0 });
    const listCached = vi.spyOn(queue, 'listCached');
    index.reread(new Set([`gigs:${GIG}`]));
    expect(await catalog.findGig('GIG-RENAMED')).toMatchObject({ id: GIG });
    expect(await catalog.findGig('GIG-000001')).toBeNull();
    expect(await catalog.findAsset('SPK-1')).not.toBeNull();
    expect(listCached).not.toHaveBeenCalled();
  });

  it('reads the table whole when a changed row cannot be read one by one', async () => {
    expect(await catalog.findAsset('SPK-1')).not.toBeNull();
    vi.spyOn(queue, 'getCached').mockRejectedValueOnce(new Error('disk went away'));
    await queue.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: id(101), gig_id: GIG }, base_version: 1 },
      { id: newId(), now: (now += 1) },
    );
    expect(await catalog.findAsset('SPK-1')).toMatchObject({ status: 'checked_out' });
  });
});

describe('list views over the cache index', () => {
  it('lists gigs not deleted by start then name, with assets out and planned items', async () => {
    expect(await views.listGigs()).toEqual([
      {
        id: EARLY,
        parentId: null,
        code: 'GIG-000003',
        name: 'Load-in',
        status: 'confirmed',
        startsAt: null,
        venue: null,
        timeZone: null,
        version: 1,
        assetsOut: 0,
        planned: 0,
      },
      {
        id: GIG,
        parentId: null,
        code: 'GIG-000001',
        name: 'Main Stage',
        status: 'confirmed',
        startsAt: '2027-01-02T10:00:00Z',
        venue: null,
        timeZone: null,
        version: 1,
        assetsOut: 1,
        // One count (core/views/counts.ts): Audio × 2, SPK-1, and the case's two items (one in a nested bag).
        planned: 5,
      },
      {
        id: id(5),
        parentId: null,
        code: 'GIG-000005',
        name: 'A side',
        status: 'confirmed',
        startsAt: '2027-01-03T10:00:00Z',
        venue: null,
        timeZone: null,
        version: 1,
        assetsOut: 0,
        planned: 0,
      },
      {
        id: LATER,
        parentId: GIG,
        code: 'GIG-000002',
        name: 'b side',
        status: 'confirmed',
        startsAt: '2027-01-03T10:00:00Z',
        venue: 'Hall 2',
        timeZone: 'Europe/Berlin',
        version: 1,
        assetsOut: 0,
        // A bulk line with no quantity plans nothing (the server's sum of quantities).
        planned: 0,
      },
    ]);
  });

  it('lists assets not deleted as list items', async () => {
    const assets = await views.listAssets();
    expect(assets.map((a) => a.serial)).toEqual(['SPK-1', 'IN-3', 'NESTED-4', 'OUT-5', 'X-7']);
    expect(assets[0]).toEqual({
      id: id(101),
      serial: 'SPK-1',
      barcode: '4000000000001',
      name: 'Item 1',
      category: 'Audio',
      status: 'available',
      gigId: null,
      caseId: null,
      placeIds: [],
      place: null,
    });
    expect(assets[3]).toMatchObject({ status: 'checked_out', gigId: GIG });
  });

  it("gives a crew member's assignments by email, case-insensitive", async () => {
    expect(await views.myAssignments('noor@example.COM')).toEqual([
      { gigId: GIG, role: 'lead' },
      { gigId: LATER, role: 'rigger' },
    ]);
    expect(await views.myAssignments('nobody@example.com')).toEqual([]);
  });

  it("gives a gig's pick list line by line with progress and where missing items are, and follows a check-out", async () => {
    const list = await views.pickList(GIG);
    expect(list.groups.map((g) => g.name)).toEqual(['Main Stage', 'b side']);
    expect(list.groups[0]?.lines.map((l) => [l.kind, l.name, l.code, l.planned, l.scanned, l.missing, l.where])).toEqual([
      ['asset', 'Item 1', 'SPK-1', 1, 0, 1, 'in the warehouse'],
      ['case', 'Drum case', 'CASE-10', 2, 0, 2, null],
      ['bulk', 'Audio', '', 2, 1, 1, 'no stock of this kind on this device'],
    ]);
    expect(list.groups[0]?.lines[1]?.contents.map((c) => [c.code, c.done])).toEqual([
      ['IN-3', false],
      ['NESTED-4', false],
    ]);
    expect(list.totals).toEqual({ planned: 5, scanned: 1, missing: 4, extra: 0 });
    // The Gigs list counts the same (one definition).
    const listed = (await views.listGigs()).find((g) => g.id === GIG);
    expect([listed?.planned, listed?.assetsOut]).toEqual([list.groups[0]?.counts.planned, 1]);
    await queue.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: id(101), gig_id: GIG }, base_version: 1 },
      { id: newId(), now: (now += 1) },
    );
    expect((await views.pickList(GIG)).groups[0]?.lines[0]).toMatchObject({ scanned: 1, missing: 0, where: 'out to Main Stage' });
  });

  it('counts bulk units out to a gig on its bulk line (pick list and Gigs list alike), and lists what is still out on check-in', async () => {
    await pull({
      bulk_items: [
        {
          id: id(50),
          category: 'Audio',
          name: 'XLR cable 10 m',
          barcode: 'SHELF-XLR',
          unit: 'pcs',
          consumable: false,
          in_warehouse: 30,
          out_to: { [GIG]: 3 },
          version: 1,
        },
      ],
    });
    const list = await views.pickList(GIG);
    expect(list.groups[0]?.lines[2]).toMatchObject({
      kind: 'bulk',
      name: 'XLR cable 10 m',
      code: 'SHELF-XLR',
      planned: 2,
      scanned: 2,
      missing: 0,
    });
    expect(list.groups[0]?.extras.map((e) => [e.name, e.units])).toEqual([
      ['Item 5', 1],
      ['XLR cable 10 m', 1],
    ]);
    expect(list.totals).toEqual({ planned: 5, scanned: 2, missing: 3, extra: 2 });
    expect((await views.listGigs()).find((g) => g.id === GIG)).toMatchObject({ planned: 5, assetsOut: 4 });
    const back = await views.pickList(GIG, 'check_in');
    expect(back.groups[0]?.lines.map((l) => [l.kind, l.name, l.missing])).toEqual([
      ['asset', 'Item 5', 1],
      ['bulk', 'XLR cable 10 m', 3],
    ]);
  });

  it('lists queued ops on an asset and on its case', async () => {
    const out = await queue.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: id(103), gig_id: GIG }, base_version: 1 },
      { id: newId(), now: (now += 1) },
    );
    expect((await views.queuedFor(id(103), id(10))).map((op) => op.id)).toEqual([out.id]);
    expect(await views.queuedFor(id(101), null)).toEqual([]);
  });
});
