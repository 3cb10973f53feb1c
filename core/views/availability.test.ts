import { describe, expect, it } from 'vitest';
import { StationError } from '../errors';
import { assetSchema, bulkItemSchema, caseSchema, gigSchema, kitAssignmentSchema, type Gig } from '../sync/rows';
import {
  availability,
  availabilityIndexer,
  availabilitySchema,
  expandedAvailability,
  gigWindows,
  LIST_LIMIT,
  overdueReturns,
  prepareAvailability,
  type AvailabilityRows,
  type AvailabilitySubject,
} from './availability';

// Hand-made rows: ids are readable uuids so failures say which row is meant.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const H = 3_600_000;
const T0 = Date.parse('2027-06-01T12:00:00Z');
const at = (hours: number): string => new Date(T0 + hours * H).toISOString();
const NOW = T0 - 1000 * H;

const gig = (n: number, extra: Partial<Record<string, unknown>> = {}): Gig =>
  gigSchema.parse({ id: id(n), name: `Gig ${n}`, code: `GIG-${n}`, status: 'confirmed', version: 1, ...extra });
const asset = (n: number, category: string, extra: Partial<Record<string, unknown>> = {}) =>
  assetSchema.parse({ id: id(n), serialNumber: `S-${n}`, name: `Asset ${n}`, category, status: 'available', version: 1, ...extra });
const line = (n: number, gigN: number, extra: Partial<Record<string, unknown>>) =>
  kitAssignmentSchema.parse({ id: id(n), gigId: id(gigN), ...extra });

/**
 * A festival (100) with two sets (101 at hours 0–2, 102 at hours 10–12), another gig (200) at
 * hours 1–3, one far away (300, hours 500–502) and one without dates (400). Buffers 24 h / 24 h.
 */
function rows(): AvailabilityRows {
  return {
    gigs: [
      gig(100, { startsAt: at(-1), endsAt: at(20) }),
      gig(101, { parentGigId: id(100), startsAt: at(0), endsAt: at(2) }),
      gig(102, { parentGigId: id(100), startsAt: at(10), endsAt: at(12) }),
      gig(103, { parentGigId: id(101) }), // no dates: the set's window
      gig(200, { startsAt: at(1), endsAt: at(3) }),
      gig(300, { startsAt: at(500), endsAt: at(502) }),
      gig(400, {}),
    ],
    assets: [],
    cases: [],
    kit: [],
    bulk: [],
    buffers: { prepHours: 24, returnHours: 24 },
  };
}

/** One question over freshly indexed rows (tests change rows between questions). */
const ask = (r: AvailabilityRows, subject: AvailabilitySubject, options: Parameters<typeof availability>[2]) =>
  availability(prepareAvailability(r), subject, options);

const figures = (result: ReturnType<typeof availability>, category: string) => result.categories.find((c) => c.category === category);

describe('gig windows', () => {
  it('widens a gig by the buffers and takes a missing date from the nearest dated ancestor', () => {
    const windowOf = gigWindows(rows().gigs, { prepHours: 24, returnHours: 48 });
    expect(windowOf(id(101))).toEqual({ from: T0 - 24 * H, to: T0 + 50 * H });
    expect(windowOf(id(103))).toEqual(windowOf(id(101)));
    expect(windowOf(id(400))).toBeNull();
  });
});

describe('availability of a gig', () => {
  it('counts maintenance, out, planned elsewhere and demand, each with its items', () => {
    const r = rows();
    r.assets = [
      asset(1, 'Audio'), // on set 101's line: free
      asset(2, 'Audio', { status: 'quarantined' }),
      asset(3, 'Audio', { status: 'in_maintenance' }),
      asset(4, 'Audio', { status: 'checked_out', currentGigId: id(200) }), // out to an overlapping gig
      asset(5, 'Audio'), // planned on 200
      asset(6, 'Audio', { status: 'lost' }),
      asset(7, 'Audio'), // planned only far away: free
    ];
    r.kit = [
      line(900, 101, { assetId: id(1) }),
      line(901, 101, { assetId: id(5) }),
      line(902, 200, { assetId: id(5) }),
      line(903, 300, { assetId: id(7) }),
    ];
    const summary = ask(r, { gigId: id(101) }, { now: NOW });
    expect(availabilitySchema.parse(summary)).toEqual(summary);
    const numbers = { owned: 6, maintenance: 2, out: 1, planned: 1, available: 2, demand: 2, shortage: 0 };
    // The summary: gigs with counts, no ids behind the numbers.
    expect(figures(summary, 'Audio')).toEqual({
      category: 'Audio',
      ...numbers,
      expanded: false,
      maintenanceAssets: null,
      outGigs: [{ gigId: id(200), assets: 1, units: 0, assetIds: null }],
      moreOutGigs: 0,
      plannedGigs: [{ gigId: id(200), assets: 1, units: 0, assetIds: null }],
      morePlannedGigs: 0,
    });
    // Expanded: the same numbers, each opened into its items.
    const result = ask(r, { gigId: id(101) }, { now: NOW, expand: ['Audio'] });
    expect(figures(result, 'Audio')).toMatchObject({
      ...numbers,
      expanded: true,
      maintenanceAssets: [id(2), id(3)],
      outGigs: [{ gigId: id(200), assets: 1, units: 0, assetIds: [id(4)] }],
      plannedGigs: [{ gigId: id(200), assets: 1, units: 0, assetIds: [id(5)] }],
    });
    expect(result.lines).toEqual(summary.lines);
    expect(result.lines.map((l) => l.items)).toEqual([
      [{ assetId: id(1), category: 'Audio', reason: null, gigId: null }],
      [{ assetId: id(5), category: 'Audio', reason: 'planned', gigId: id(200) }],
    ]);
    expect(result.gigs.map((g) => g.code)).toEqual(['GIG-101', 'GIG-200']);
  });

  it('lets a gig’s own event (its subtree and the gigs above it) hold gear without competing with itself', () => {
    const r = rows();
    r.assets = [
      asset(1, 'Audio', { status: 'checked_out', currentGigId: id(103) }),
      asset(2, 'Audio'),
      asset(3, 'Audio', { status: 'checked_out', currentGigId: id(100) }),
    ];
    r.kit = [line(900, 103, { assetId: id(1) }), line(901, 101, { assetId: id(2) }), line(902, 100, { assetId: id(2) })];
    const set = ask(r, { gigId: id(101) }, { now: NOW });
    // Out to its own child or to the festival above it, planned on its own lines and on the
    // festival's: the same event, so free (as the server's overbooking check has it).
    expect(figures(set, 'Audio')).toMatchObject({ owned: 3, out: 0, planned: 0, demand: 2, available: 3, shortage: 0 });
    const festival = ask(r, { gigId: id(100) }, { now: NOW });
    expect(figures(festival, 'Audio')).toMatchObject({ owned: 3, out: 0, planned: 0, demand: 2, available: 3, shortage: 0 });
    // The other set of the festival is outside the set's event: what it holds counts.
    r.kit = [...r.kit, line(903, 102, { assetId: id(2) })];
    r.gigs = r.gigs.map((g) => (g.id === id(102) ? { ...g, startsAt: at(1), endsAt: at(3) } : g));
    expect(figures(ask(r, { gigId: id(101) }, { now: NOW }), 'Audio')).toMatchObject({ planned: 1, available: 2 });
  });

  it('counts a planned case’s nested contents, leaving deleted cases and assets out', () => {
    const r = rows();
    r.cases = [
      caseSchema.parse({ id: id(50), barcode: 'CASE-50', version: 1 }),
      caseSchema.parse({ id: id(51), barcode: 'CASE-51', parentCaseId: id(50), version: 1 }),
      caseSchema.parse({ id: id(52), barcode: 'CASE-52', parentCaseId: id(51), version: 1 }),
      caseSchema.parse({ id: id(53), barcode: 'CASE-53', parentCaseId: id(50), version: 1, deletedAt: at(-100) }),
    ];
    r.assets = [
      asset(1, 'Audio', { caseId: id(50) }),
      asset(2, 'Lighting', { caseId: id(52) }),
      asset(3, 'Lighting', { caseId: id(53) }), // in a deleted case
      asset(4, 'Audio', { caseId: id(51), deletedAt: at(-100) }),
    ];
    r.kit = [line(900, 200, { caseId: id(50) }), line(901, 101, { caseId: id(51) })];
    const result = ask(r, { gigId: id(101) }, { now: NOW });
    expect(result.categories.map((c) => [c.category, c.demand, c.planned, c.available])).toEqual([['Lighting', 1, 1, 1]]);
    expect(result.lines[0]?.items).toEqual([{ assetId: id(2), category: 'Lighting', reason: 'planned', gigId: id(200) }]);
    // Asset 3 is live (only its case was deleted): owned, and free.
    expect(figures(result, 'Lighting')).toMatchObject({ owned: 2, shortage: 0 });
  });

  it('counts bulk units: owned, out to gigs not back in time, and open category lines elsewhere', () => {
    const r = rows();
    r.bulk = [
      bulkItemSchema.parse({
        id: id(60),
        category: 'Cable',
        name: 'XLR',
        barcode: 'BULK-XLR',
        inWarehouse: 50,
        outTo: { [id(200)]: 8, [id(300)]: 5, [id(101)]: 4 },
        version: 1,
      }),
    ];
    r.assets = [asset(1, 'Cable', { status: 'checked_out', currentGigId: id(200) })];
    // 200 wants 20: 8 units and one loose serialized cable already fill 9, 11 are still to come.
    r.kit = [line(900, 200, { category: 'Cable', quantity: 20 }), line(901, 101, { category: 'Cable', quantity: 30 })];
    const result = ask(r, { gigId: id(101) }, { now: NOW, expand: ['Cable'] });
    expect(figures(result, 'Cable')).toMatchObject({
      owned: 68,
      out: 14, // 200's 8 units and its asset, 300's 5 (it ends after the set starts)
      planned: 11,
      available: 43,
      demand: 30,
      shortage: 0,
      outGigs: [
        { gigId: id(200), assets: 1, units: 8, assetIds: [id(1)] },
        { gigId: id(300), assets: 0, units: 5, assetIds: [] },
      ],
      plannedGigs: [{ gigId: id(200), assets: 0, units: 11, assetIds: [] }],
    });
  });

  it('counts gear as back in time when its gig ends before the window starts, unless it is overdue', () => {
    const r = rows();
    r.gigs = [...r.gigs, gig(500, { startsAt: at(-200), endsAt: at(-190), status: 'in_progress' })];
    r.assets = [asset(1, 'Audio', { status: 'checked_out', currentGigId: id(500) })];
    r.kit = [line(900, 101, { category: 'Audio', quantity: 1 })];
    const back = ask(r, { gigId: id(101) }, { now: T0 - 300 * H });
    expect(figures(back, 'Audio')).toMatchObject({ out: 0, available: 1 });
    expect(back.overdue).toEqual([]);
    const late = ask(r, { gigId: id(101) }, { now: T0 - 100 * H });
    expect(figures(late, 'Audio')).toMatchObject({ out: 1, available: 0, shortage: 1 });
    expect(late.overdue).toEqual([{ gigId: id(500), category: 'Audio', assets: 1, units: 0, assetIds: null }]);
    const opened = ask(r, { gigId: id(101) }, { now: T0 - 100 * H, expand: ['Audio'] });
    expect(opened.overdue).toEqual([{ gigId: id(500), category: 'Audio', assets: 1, units: 0, assetIds: [id(1)] }]);
    expect(overdueReturns(prepareAvailability(r), T0 - 100 * H, null)).toEqual([
      { gigId: id(500), category: 'Audio', assets: [id(1)], units: 0 },
    ]);
  });

  it('treats gear out to a gig without dates as out, and a gig without dates as holding nothing by date', () => {
    const r = rows();
    r.assets = [asset(1, 'Audio', { status: 'checked_out', currentGigId: id(400) }), asset(2, 'Audio')];
    r.kit = [line(900, 400, { assetId: id(2) }), line(901, 101, { category: 'Audio', quantity: 1 })];
    expect(figures(ask(r, { gigId: id(101) }, { now: NOW }), 'Audio')).toMatchObject({ out: 1, planned: 0, available: 1 });
    // The undated gig as the subject: no window, so nothing planned elsewhere competes.
    r.kit = [...r.kit, line(902, 200, { assetId: id(2) })];
    expect(figures(ask(r, { gigId: id(400) }, { now: NOW }), 'Audio')).toMatchObject({ planned: 0, demand: 1 });
  });

  it('widens windows by the buffers: 0 h buffers make two gigs an hour apart independent', () => {
    const r = rows();
    r.gigs = [gig(1, { startsAt: at(0), endsAt: at(2) }), gig(2, { startsAt: at(3), endsAt: at(4) })];
    r.assets = [asset(10, 'Audio')];
    r.kit = [line(900, 1, { assetId: id(10) }), line(901, 2, { assetId: id(10) })];
    expect(figures(ask(r, { gigId: id(1) }, { now: NOW }), 'Audio')?.planned).toBe(1);
    r.buffers = { prepHours: 0, returnHours: 0 };
    expect(figures(ask(r, { gigId: id(1) }, { now: NOW }), 'Audio')?.planned).toBe(0);
  });

  it('leaves cancelled, completed and deleted gigs out of what holds gear', () => {
    const r = rows();
    r.gigs = [
      ...r.gigs,
      gig(201, { startsAt: at(1), endsAt: at(3), status: 'cancelled' }),
      gig(202, { startsAt: at(1), endsAt: at(3), deletedAt: at(-5) }),
      gig(203, { startsAt: at(1), endsAt: at(3), status: 'completed' }),
    ];
    r.assets = [asset(1, 'Audio')];
    r.kit = [
      line(900, 201, { assetId: id(1) }),
      line(901, 202, { assetId: id(1) }),
      line(902, 101, { assetId: id(1) }),
      line(903, 203, { assetId: id(1) }),
    ];
    expect(figures(ask(r, { gigId: id(101) }, { now: NOW }), 'Audio')).toMatchObject({ planned: 0, available: 1 });
  });
});

describe('summary and details', () => {
  /** Twelve gigs overlapping set 101, each holding 1..12 Audio assets out. */
  function crowded(): AvailabilityRows {
    const r = rows();
    const extra = Array.from({ length: 12 }, (_, i) => gig(600 + i, { startsAt: at(1), endsAt: at(3) }));
    r.gigs = [...r.gigs, ...extra];
    let n = 1;
    r.assets = extra.flatMap((g, i) =>
      Array.from({ length: i + 1 }, () => asset(1000 + n++, 'Audio', { status: 'checked_out', currentGigId: g.id })),
    );
    r.kit = [line(900, 101, { category: 'Audio', quantity: 2 }), line(901, 101, { category: 'Sandbag', quantity: 1 })];
    return r;
  }

  it('names the gigs holding most first, at most LIST_LIMIT of them, and opens them all when expanded', () => {
    const index = prepareAvailability(crowded());
    const summary = availability(index, { gigId: id(101) }, { now: NOW });
    const audio = figures(summary, 'Audio');
    expect(audio).toMatchObject({ out: 78, moreOutGigs: 12 - LIST_LIMIT, expanded: false });
    expect(audio?.outGigs.map((h) => h.assets)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    const expanded = availability(index, { gigId: id(101) }, { now: NOW, expand: ['Audio'] });
    const open = figures(expanded, 'Audio');
    expect(open).toMatchObject({ out: 78, moreOutGigs: 0, expanded: true });
    expect(open?.outGigs.map((h) => h.assetIds?.length)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // The summary is the expanded answer cut short, without ids.
    expect(audio?.outGigs).toEqual(open?.outGigs.slice(0, LIST_LIMIT).map((h) => ({ ...h, assetIds: null })));
    expect(figures(expanded, 'Sandbag')).toEqual(figures(summary, 'Sandbag'));
    expect(summary.gigs.length).toBeLessThan(expanded.gigs.length);
  });

  it('ranks by assets and units together: a gig outside the ten holding most assets leads on units', () => {
    const r = crowded();
    r.bulk = [
      bulkItemSchema.parse({
        id: id(60),
        category: 'Audio',
        name: 'Audio spares',
        barcode: 'BULK-AUDIO',
        inWarehouse: 10,
        // 600 holds 1 asset (the fewest) and 20 units; 200 holds units only.
        outTo: { [id(600)]: 20, [id(200)]: 3 },
        version: 1,
      }),
    ];
    const index = prepareAvailability(r);
    const audio = figures(availability(index, { gigId: id(101) }, { now: NOW }), 'Audio');
    expect(audio).toMatchObject({ owned: 78 + 10 + 23, out: 78 + 23, moreOutGigs: 13 - LIST_LIMIT });
    expect(audio?.outGigs.map((h) => [h.gigId, h.assets, h.units])).toEqual([
      [id(600), 1, 20],
      ...[12, 11, 10, 9, 8, 7, 6, 5, 4].map((n) => [id(600 + n - 1), n, 0]),
    ]);
    const open = figures(availability(index, { gigId: id(101) }, { now: NOW, expand: ['Audio'] }), 'Audio');
    expect(open?.outGigs.map((h) => h.gigId)).toHaveLength(13);
    expect(audio?.outGigs).toEqual(open?.outGigs.slice(0, LIST_LIMIT).map((h) => ({ ...h, assetIds: null })));
  });

  it('lists a category asked to expand, and opens a whole gig with expandedAvailability', () => {
    const index = prepareAvailability(crowded());
    const video = availability(index, { gigId: id(101) }, { now: NOW, expand: ['Video'] });
    expect(video.categories.map((c) => [c.category, c.expanded])).toEqual([
      ['Audio', false],
      ['Sandbag', false],
      ['Video', true],
    ]);
    const all = expandedAvailability(index, { gigId: id(101) }, { now: NOW });
    expect(all.categories.every((c) => c.expanded)).toBe(true);
    expect(all).toEqual(availability(index, { gigId: id(101) }, { now: NOW, expand: ['Audio', 'Sandbag'] }));
  });

  it('keeps an index while the rows are the same objects, and rebuilds it when one changes', () => {
    const indexFor = availabilityIndexer();
    const r = crowded();
    const first = indexFor(r);
    expect(indexFor({ ...r, gigs: [...r.gigs], assets: [...r.assets] })).toBe(first);
    const changed = indexFor({ ...r, assets: r.assets.map((a, i) => (i === 0 ? { ...a, status: 'available', currentGigId: null } : a)) });
    expect(changed).not.toBe(first);
    expect(figures(availability(changed, { gigId: id(101) }, { now: NOW }), 'Audio')?.out).toBe(77);
    expect(indexFor({ ...changed.rows, buffers: { prepHours: 1, returnHours: 1 } })).not.toBe(changed);
  });
});

describe('availability of a date range', () => {
  it('lists every category held, supply only, and filters by category when asked', () => {
    const r = rows();
    r.assets = [asset(1, 'Audio'), asset(2, 'Video')];
    r.kit = [line(900, 200, { assetId: id(1) })];
    const all = ask(r, { from: at(0), to: at(5) }, { now: NOW });
    expect(all.categories.map((c) => [c.category, c.planned, c.demand])).toEqual([
      ['Audio', 1, 0],
      ['Video', 0, 0],
    ]);
    expect(all.lines).toEqual([]);
    const video = ask(r, { from: at(0), to: at(5) }, { now: NOW, categories: ['Video'] });
    expect(video.categories.map((c) => c.category)).toEqual(['Video']);
  });

  it('refuses bad input in words and an unknown gig as not found', () => {
    const r = rows();
    const refusal = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        return error instanceof StationError ? error.code : 'other';
      }
      return 'none';
    };
    expect(refusal(() => ask(r, { from: at(5), to: at(5) }, { now: NOW }))).toBe('invalid_arguments');
    expect(refusal(() => ask(r, { from: at(0), to: at(367 * 24) }, { now: NOW }))).toBe('invalid_arguments');
    expect(refusal(() => ask(r, { from: at(0), to: at(1) }, { now: NOW, categories: Array.from({ length: 51 }, String) }))).toBe(
      'invalid_arguments',
    );
    expect(refusal(() => ask(r, { gigId: id(999) }, { now: NOW }))).toBe('not_found');
    const eleven = Array.from({ length: 11 }, (_, i) => `Category ${i}`);
    expect(refusal(() => ask(r, { gigId: id(101) }, { now: NOW, expand: eleven }))).toBe('invalid_arguments');
    expect(refusal(() => ask(r, { gigId: id(101) }, { now: NOW, expand: ['x'.repeat(81)] }))).toBe('invalid_arguments');
  });
});
