import { describe, expect, it } from 'vitest';
import { pickListSchema, type PickListView } from '../station-views';
import type { Asset, Case, Gig, KitAssignment, Location } from '../sync/rows';
import { buildPickList, tickReturns, type BulkStock, type PickListSource } from './pick-list';

const gig = (id: string, name: string, extra: Partial<Gig> = {}): Gig => ({
  id,
  parentGigId: null,
  code: id.toUpperCase(),
  name,
  status: 'confirmed',
  startsAt: null,
  endsAt: null,
  venue: null,
  timeZone: null,
  notes: null,
  version: 1,
  deletedAt: null,
  ...extra,
});
const asset = (id: string, extra: Partial<Asset> = {}): Asset => ({
  id,
  serialNumber: id.toUpperCase(),
  barcode: null,
  name: `Item ${id}`,
  category: 'Audio',
  status: 'available',
  currentGigId: null,
  caseId: null,
  notes: null,
  homeLocationId: null,
  locationId: null,
  version: 1,
  deletedAt: null,
  ...extra,
});
const out = (id: string, gigId: string, extra: Partial<Asset> = {}): Asset =>
  asset(id, { status: 'checked_out', currentGigId: gigId, ...extra });
let lineNo = 0;
const line = (gigId: string, extra: Partial<KitAssignment>): KitAssignment => ({
  id: `line-${(lineNo += 1)}`,
  gigId,
  assetId: null,
  caseId: null,
  category: null,
  quantity: null,
  notes: null,
  overbookingConfirmedAt: null,
  ...extra,
});
const bulk = (category: string, name: string, extra: Partial<BulkStock> = {}): BulkStock => ({
  id: `bulk-${category}`,
  category,
  name,
  barcode: `SHELF-${category.toUpperCase()}`,
  unit: 'pcs',
  consumable: false,
  inWarehouse: 40,
  outTo: {},
  ...extra,
});

function source(gigs: Gig[], assets: Asset[], cases: Case[], kit: KitAssignment[], stock: BulkStock[]): PickListSource {
  return {
    gig: (id) => gigs.find((g) => g.id === id) ?? null,
    children: (id) => gigs.filter((g) => g.parentGigId === id),
    kit: (gigId) => kit.filter((l) => l.gigId === gigId),
    asset: (id) => assets.find((a) => a.id === id) ?? null,
    kase: (id) => cases.find((c) => c.id === id) ?? null,
    caseContents: (id) => assets.filter((a) => a.caseId === id),
    outTo: (gigId) => assets.filter((a) => a.currentGigId === gigId),
    bulk: stock,
  };
}

/** Every group's lines and extras add up to its counts, and the groups to the totals. */
function expectLinesAddUp(list: PickListView): void {
  expect(pickListSchema.parse(list)).toEqual(list);
  const totals = { planned: 0, scanned: 0, missing: 0, extra: 0 };
  for (const group of list.groups) {
    const sum = (pick: (l: PickListView['groups'][number]['lines'][number]) => number): number =>
      group.lines.reduce((n, l) => n + pick(l), 0);
    expect(sum((l) => l.planned)).toBe(group.counts.planned);
    expect(sum((l) => l.scanned)).toBe(group.counts.scanned);
    expect(sum((l) => l.missing)).toBe(group.counts.missing);
    expect(group.extras.reduce((n, e) => n + e.units, 0)).toBe(group.counts.extra);
    for (const l of group.lines) expect(l.planned).toBe(l.scanned + l.missing);
    totals.planned += group.counts.planned;
    totals.scanned += group.counts.scanned;
    totals.missing += group.counts.missing;
    totals.extra += group.counts.extra;
  }
  expect(list.totals).toEqual(totals);
}

const MAIN = gig('g1', 'Main Stage Day 2');
const OTHER = gig('g9', 'Club Night');
const CASE: Case = {
  id: 'k1',
  barcode: 'CASE-0001',
  name: 'Wireless mic case',
  parentCaseId: null,
  homeLocationId: null,
  locationId: null,
  version: 1,
  deletedAt: null,
};

describe('pick list lines', () => {
  it('lists assets, a case with its contents, bulk lines and extras — each with planned, scanned, missing and where a missing item is', () => {
    const assets = [
      out('a1', 'g1', { name: 'Console' }),
      asset('a2', { name: 'Stage box' }),
      out('a3', 'g9', { name: 'Amp rack' }),
      asset('a4', { name: 'Monitor', status: 'in_maintenance' }),
      out('m1', 'g1', { caseId: 'k1', name: 'SM58' }),
      asset('m2', { caseId: 'k1', name: 'SM58', status: 'quarantined' }),
      asset('m3', { caseId: 'k1', name: 'Beta 58' }),
      out('x1', 'g1', { name: 'Spare DI', category: 'DI' }),
      out('x2', 'g1', { name: 'Hazer', category: 'FX' }),
    ];
    const kit = [
      line('g1', { assetId: 'a1' }),
      line('g1', { assetId: 'a2' }),
      line('g1', { assetId: 'a3' }),
      line('g1', { assetId: 'a4' }),
      line('g1', { caseId: 'k1' }),
      line('g1', { category: 'XLR', quantity: 20 }),
      line('g1', { category: 'Ramp', quantity: 4 }),
      line('g1', { category: 'DI', quantity: 1 }),
    ];
    const stock = [
      bulk('XLR', 'XLR cable 10 m', { outTo: { g1: 12 } }),
      bulk('Ramp', 'Cable ramp', { outTo: { g1: 6 }, inWarehouse: 2 }),
      bulk('DI', 'DI box'),
    ];
    const list = buildPickList('g1', 'check_out', source([MAIN, OTHER], assets, [CASE], kit, stock));
    expectLinesAddUp(list);
    expect(list.groups).toHaveLength(1);
    const [group] = list.groups;
    const view = group?.lines.map((l) => [l.kind, l.name, l.code, l.planned, l.scanned, l.missing, l.where]);
    expect(view).toEqual([
      ['asset', 'Console', 'A1', 1, 1, 0, 'out to Main Stage Day 2'],
      ['asset', 'Stage box', 'A2', 1, 0, 1, 'in the warehouse'],
      ['asset', 'Amp rack', 'A3', 1, 0, 1, 'out to Club Night'],
      ['asset', 'Monitor', 'A4', 1, 0, 1, 'in maintenance'],
      ['case', 'Wireless mic case', 'CASE-0001', 3, 1, 2, null],
      ['bulk', 'XLR cable 10 m', 'SHELF-XLR', 20, 12, 8, '40 in the warehouse'],
      ['bulk', 'Cable ramp', 'SHELF-RAMP', 4, 4, 0, null],
      ['bulk', 'DI box', 'SHELF-DI', 1, 1, 0, null],
    ]);
    expect(group?.lines[4]?.contents.map((c) => [c.code, c.done, c.where])).toEqual([
      ['M1', true, 'out to Main Stage Day 2'],
      ['M2', false, 'in quarantine'],
      ['M3', false, 'in the warehouse'],
    ]);
    // The spare DI fills the DI line; the hazer and the two ramps over the line are extra, by name.
    expect(group?.lines[7]?.contents.map((c) => c.code)).toEqual(['X1']);
    expect(group?.extras.map((e) => [e.name, e.code, e.units])).toEqual([
      ['Hazer', 'X2', 1],
      ['Cable ramp', 'SHELF-RAMP', 2],
    ]);
    expect(list.totals).toEqual({ planned: 32, scanned: 19, missing: 13, extra: 3 });
  });

  it('says where to find each missing line in the warehouse: the shelf of an item, of a case, of bulk stock', () => {
    const shelf = (id: string, name: string, code: string, deletedAt: string | null = null): Location => ({
      id,
      kind: 'shelf',
      parentLocationId: 'wh',
      warehouseId: 'wh',
      code,
      name,
      version: 1,
      deletedAt,
    });
    const places = [
      shelf('s3', 'Shelf A03', 'WH1-A03'),
      shelf('s7', 'Shelf B07', 'WH1-B07'),
      shelf('old', 'Old shelf', 'WH1-Z99', '2026-01-01T00:00:00Z'),
    ];
    const assets = [
      asset('a2', { name: 'Stage box', locationId: 's3' }),
      asset('a5', { name: 'Fog machine', locationId: 'old' }),
      asset('a6', { name: 'Truss clamp', locationId: 'somewhere-not-held' }),
      asset('m3', { caseId: 'k1', name: 'Beta 58', locationId: 's7' }),
    ];
    const kit = [
      line('g1', { assetId: 'a2' }),
      line('g1', { assetId: 'a5' }),
      line('g1', { assetId: 'a6' }),
      line('g1', { caseId: 'k1' }),
      line('g1', { category: 'XLR', quantity: 20 }),
    ];
    const stock = [bulk('XLR', 'XLR cable 10 m', { locationId: 's7' })];
    const list = buildPickList('g1', 'check_out', {
      ...source([MAIN], assets, [{ ...CASE, locationId: 's7' }], kit, stock),
      place: (id) => places.find((p) => p.id === id) ?? null,
    });
    expectLinesAddUp(list);
    expect(list.groups[0]?.lines.map((l) => [l.name, l.where])).toEqual([
      ['Stage box', 'on Shelf A03 (WH1-A03)'],
      // A removed shelf, or one this device does not hold, is not named.
      ['Fog machine', 'in the warehouse'],
      ['Truss clamp', 'in the warehouse'],
      ['Wireless mic case', 'on Shelf B07 (WH1-B07)'],
      ['XLR cable 10 m', '40 on Shelf B07 (WH1-B07)'],
    ]);
    expect(list.groups[0]?.lines[3]?.contents.map((c) => c.where)).toEqual(['on Shelf B07 (WH1-B07)']);
  });

  it('counts an asset planned by name and inside a planned case once', () => {
    const assets = [out('m1', 'g1', { caseId: 'k1' }), asset('m2', { caseId: 'k1' })];
    const kit = [line('g1', { assetId: 'm1' }), line('g1', { caseId: 'k1' })];
    const list = buildPickList('g1', 'check_out', source([MAIN], assets, [CASE], kit, []));
    expectLinesAddUp(list);
    expect(list.totals).toEqual({ planned: 2, scanned: 1, missing: 1, extra: 0 });
  });

  it('shows nothing out and nothing extra before any scan when nothing is out to the gig', () => {
    const kit = [line('g1', { assetId: 'a1' }), line('g1', { category: 'XLR', quantity: 5 })];
    const list = buildPickList('g1', 'check_out', source([MAIN], [asset('a1')], [], kit, [bulk('XLR', 'XLR cable')]));
    expectLinesAddUp(list);
    expect(list.totals).toEqual({ planned: 6, scanned: 0, missing: 6, extra: 0 });
  });
});

describe("a subtree's pick list", () => {
  const day = gig('d1', 'Festival Day 1');
  const stage = gig('s1', 'Main Stage', { parentGigId: 'd1' });
  const late = gig('t2', 'Headliner', { parentGigId: 's1', startsAt: '2027-06-12T21:00:00Z' });
  const early = gig('t1', 'Opener', { parentGigId: 's1', startsAt: '2027-06-12T17:00:00Z' });
  const empty = gig('t3', 'Changeover', { parentGigId: 's1', startsAt: '2027-06-12T19:00:00Z' });

  it('groups the lines of every set under the stage, sets by start time, totals the sum of the sets', () => {
    const assets = [out('a1', 't1'), asset('a2'), out('m1', 't2', { caseId: 'k1' }), asset('m2', { caseId: 'k1' })];
    const kit = [
      line('s1', { assetId: 'a2' }),
      line('t2', { caseId: 'k1' }),
      line('t2', { category: 'XLR', quantity: 10 }),
      line('t1', { assetId: 'a1' }),
    ];
    const stock = [bulk('XLR', 'XLR cable', { outTo: { t2: 4 } })];
    const list = buildPickList('s1', 'check_out', source([day, stage, late, early, empty], assets, [CASE], kit, stock));
    expectLinesAddUp(list);
    expect(list.groups.map((g) => [g.name, g.startsAt, g.counts])).toEqual([
      ['Main Stage', null, { planned: 1, scanned: 0, missing: 1, extra: 0 }],
      ['Opener', '2027-06-12T17:00:00Z', { planned: 1, scanned: 1, missing: 0, extra: 0 }],
      ['Headliner', '2027-06-12T21:00:00Z', { planned: 12, scanned: 5, missing: 7, extra: 0 }],
    ]);
    expect(list.totals).toEqual({ planned: 14, scanned: 6, missing: 8, extra: 0 });
    // The day above shows the stage's sets too.
    expect(buildPickList('d1', 'check_out', source([day, stage, late, early, empty], assets, [CASE], kit, stock)).totals).toEqual(
      list.totals,
    );
  });
});

describe('check-in: expected returns', () => {
  it('lists what is still out to the gig — cases with contents, loose items, bulk units (not consumables) — and ticks off what came back', () => {
    const assets = [out('a1', 'g1'), out('m1', 'g1', { caseId: 'k1' }), out('m2', 'g1', { caseId: 'k1' }), out('z9', 'g9')];
    const stock = [bulk('XLR', 'XLR cable', { outTo: { g1: 20 } }), bulk('Tape', 'Gaffer tape', { consumable: true, outTo: { g1: 5 } })];
    const before = buildPickList('g1', 'check_in', source([MAIN, OTHER], assets, [CASE], [], stock));
    expectLinesAddUp(before);
    expect(before.groups[0]?.lines.map((l) => [l.kind, l.name, l.planned, l.scanned, l.missing])).toEqual([
      ['case', 'Wireless mic case', 2, 0, 2],
      ['asset', 'Item a1', 1, 0, 1],
      ['bulk', 'XLR cable', 20, 0, 20],
    ]);
    expect(before.totals).toEqual({ planned: 23, scanned: 0, missing: 23, extra: 0 });

    // a1 and one mic came back, 15 cables came back.
    const later = [asset('a1'), out('m1', 'g1', { caseId: 'k1' }), asset('m2', { caseId: 'k1' }), out('z9', 'g9')];
    const stockLater = [bulk('XLR', 'XLR cable', { outTo: { g1: 5 } }), stock[1] as BulkStock];
    const now = buildPickList('g1', 'check_in', source([MAIN, OTHER], later, [CASE], [], stockLater));
    const ticked = tickReturns(before, now);
    expectLinesAddUp(ticked);
    expect(ticked.groups[0]?.lines.map((l) => [l.kind, l.name, l.planned, l.scanned, l.missing])).toEqual([
      ['case', 'Wireless mic case', 2, 1, 1],
      ['asset', 'Item a1', 1, 1, 0],
      ['bulk', 'XLR cable', 20, 15, 5],
    ]);
    expect(ticked.groups[0]?.lines[0]?.contents.map((c) => [c.code, c.done, c.where])).toEqual([
      ['M1', false, 'still out'],
      ['M2', true, 'returned'],
    ]);
    expect(ticked.totals).toEqual({ planned: 23, scanned: 17, missing: 6, extra: 0 });
  });
});
