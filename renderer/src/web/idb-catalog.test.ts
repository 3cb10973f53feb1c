import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rebase } from '../../../core/sync/optimistic';
import { onInvalidRow } from '../../../core/sync/rows';
import { IdbScanCatalog } from './idb-catalog';
import { IdbQueueStore } from './idb-queue-store';

// The phone's scan catalog decodes rows once, as it reads them out of IndexedDB: typed fields,
// and a damaged cache entry is absent (and reported), never a crash.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { id: string } => ({
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

let n = 0;
let store: IdbQueueStore;
let reports: string[];
let previous: (message: string) => void;

beforeEach(async () => {
  store = await IdbQueueStore.open(`catalog-${(n += 1)}`, { newId: () => crypto.randomUUID() });
  reports = [];
  previous = onInvalidRow((message) => reports.push(message));
  await store.applyPull(
    {
      changes: {
        gigs: [{ id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 }],
        assets: [asset(1, 'SPK-1'), asset(2, 'BAD-2', { status: 'flying' }), asset(3, 'IN-3', { case_id: id(10) })],
        cases: [{ id: id(10), barcode: 'CASE-10', name: 'Drum case', version: 1 }],
        staff_profiles: [{ id: id(30), display_name: 'Noor Berg', badge_code: 'B-NOR-00001' }],
        kit_assignments: [{ id: id(20), gig_id: GIG, category: 'Audio', quantity: 2 }],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
});
afterEach(() => {
  onInvalidRow(previous);
});

describe('IndexedDB scan catalog: typed rows at the edge', () => {
  it('answers with camelCase typed rows', async () => {
    const catalog = new IdbScanCatalog(store);
    expect(await catalog.findGig('gig-000001')).toMatchObject({ id: GIG, name: 'Main Stage', status: 'confirmed', parentGigId: null });
    expect(await catalog.findStaff('b-nor-00001')).toMatchObject({ displayName: 'Noor Berg', email: null });
    expect(await catalog.findCaseById(id(10))).toMatchObject({ barcode: 'CASE-10', parentCaseId: null });
    expect((await catalog.caseContents(id(10))).map((a) => a.serialNumber)).toEqual(['IN-3']);
    expect(await catalog.pickList(GIG)).toEqual([{ id: id(20), gigId: GIG, assetId: null, caseId: null, category: 'Audio', quantity: 2 }]);
  });

  it('leaves out a row that fails its schema and reports it; an optimistic change is read typed too', async () => {
    const catalog = new IdbScanCatalog(store);
    expect(await catalog.findAsset('BAD-2')).toBeNull();
    expect(reports).toEqual([expect.stringMatching(new RegExp(`^cached assets row ${id(102)} is unreadable .*\\(status\\)$`))]);
    await store.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: id(101), gig_id: GIG }, base_version: 1 },
      { id: crypto.randomUUID(), now: 1 },
    );
    await expect
      .poll(() => catalog.assetsOutTo(GIG), { timeout: 10_000 })
      .toEqual([expect.objectContaining({ serialNumber: 'SPK-1', status: 'checked_out', currentGigId: GIG, version: 2 })]);
  });
});
