/**
 * Gear availability that explains itself (issue 19): for a gig (its whole subtree's pick lists are
 * its demand) or a date range (supply only), per category what is owned, what is away and why, what
 * is left, and the shortage — with every number expandable into the gigs and items behind it.
 * The server answers the same question with public.get_availability (migration
 * 20261204000400_availability.sql), checked against this file and a plain-SQL reference by
 * supabase/tests/domain/availability.test.ts. The one definition, mirrored there:
 *
 * - A gig's window: its own starts_at/ends_at, or, when either is missing, those of its nearest
 *   ancestor that has both (none: no window), widened by its organization's buffers:
 *   [start − prep, end + return). A window whose ends meet is empty and overlaps nothing.
 * - The subject's window: its gig's window, or the range [from, to) as asked (no buffers). A gig
 *   subject without a window competes with no planned gig, and everything out counts as out.
 * - Gigs that hold gear against the subject: live, draft / confirmed / in progress, outside the
 *   subject's subtree, their window overlapping the subject's.
 * - A gig is "not back in time" when the subject has no window, the gig has none, its window ends
 *   after the subject's starts, or it is overdue (its window ended before now).
 * - Each live serialized asset has one reason at most, first that applies: in maintenance or
 *   quarantined → maintenance; out to a gig outside the subtree that is not back in time → out;
 *   lost or retired → written_off (not owned: in no figure); planned by an asset line or inside a
 *   planned case (counts.ts's notion) on a holding gig → planned, charged to the earliest such gig
 *   (then lowest id).
 * - Bulk units: owned = in the warehouse + everything out; out = units out to gigs outside the
 *   subtree that are not back in time; planned = per holding gig and category, its category
 *   lines' quantity minus what already fills them there — bulk units out to it and its loose
 *   serialized assets of the category (counts.ts's `scanned`) — never below 0.
 * - Per category: available = owned − maintenance − out − planned (negative: overbooked);
 *   demand = the subtree's distinct live assets on asset and case lines (one mic on two sets is
 *   one mic) + its category lines' quantities; shortage = max(demand − available, 0).
 * - Categories listed: those asked for; else a gig's demand categories; else (a range) every
 *   category of the organizations' live assets and bulk items.
 * - Overdue returns: live assets and bulk units out to a gig whose window ended before now, in
 *   the listed categories.
 * Order is fixed (categories and ids by code point) so two answers compare as values.
 */
import { z } from 'zod';
import { StationError } from '../errors';
import type { Asset, BulkItem, Case, Gig, KitAssignment } from '../sync/rows';

export const HOLDING_STATUSES: readonly Gig['status'][] = ['draft', 'confirmed', 'in_progress'];
export const MAX_CATEGORIES = 50;
export const MAX_RANGE_DAYS = 366;
const HOUR = 3_600_000;

/** An instant as one canonical string (the server writes +00:00 and microseconds, JS writes Z). */
const instant = z.string().transform((value, ctx) => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `not an instant: ${value}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});
const uuid = z.uuid();
const count = z.number().int();
const windowSchema = z.object({ from: instant, to: instant }).nullable();

/** Gigs and what of a category they hold: assets by id, bulk or category-line units as a number. */
const heldSchema = z.object({ gigId: uuid, assets: z.array(uuid), units: count });

export const REASONS = ['maintenance', 'out', 'written_off', 'planned'] as const;
export type Reason = (typeof REASONS)[number];

export const availabilitySchema = z.object({
  subject: z.object({ gigId: uuid.nullable(), window: windowSchema }),
  categories: z.array(
    z.object({
      category: z.string(),
      owned: count,
      maintenance: count,
      out: count,
      planned: count,
      available: count,
      demand: count,
      shortage: count,
      maintenanceAssets: z.array(uuid),
      outGigs: z.array(heldSchema),
      plannedGigs: z.array(heldSchema),
    }),
  ),
  /** The subject's pick list lines; an asset or case line says, per asset behind it, why it is not free. */
  lines: z.array(
    z.object({
      id: uuid,
      gigId: uuid,
      assetId: uuid.nullable(),
      caseId: uuid.nullable(),
      category: z.string().nullable(),
      quantity: count.nullable(),
      items: z.array(z.object({ assetId: uuid, category: z.string(), reason: z.enum(REASONS).nullable(), gigId: uuid.nullable() })),
    }),
  ),
  overdue: z.array(z.object({ gigId: uuid, category: z.string(), assets: z.array(uuid), units: count })),
  /** Every gig named above, once: what a person reads instead of an id. */
  gigs: z.array(z.object({ id: uuid, name: z.string(), code: z.string().nullable(), window: windowSchema })),
});
export type Availability = z.infer<typeof availabilitySchema>;
type CategoryFigures = Availability['categories'][number];
type Held = z.infer<typeof heldSchema>;

export interface Buffers {
  prepHours: number;
  returnHours: number;
}

/** The station's cached rows, decoded (core/sync/rows.ts), and the organization's buffers. */
export interface AvailabilityRows {
  gigs: readonly Gig[];
  assets: readonly Asset[];
  cases: readonly Case[];
  kit: readonly KitAssignment[];
  bulk: readonly BulkItem[];
  buffers: Buffers;
}

export type AvailabilitySubject = { gigId: string } | { from: string; to: string };

interface Window {
  from: number;
  to: number;
}

const overlaps = (a: Window, b: Window): boolean => a.from < a.to && b.from < b.to && a.from < b.to && b.from < a.to;
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const add = <K>(map: Map<K, number>, key: K, n: number): void => void map.set(key, (map.get(key) ?? 0) + n);

/** Pushes onto a map of lists. */
const append = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
};

/** Gig windows over a set of rows, each computed once. */
export function gigWindows(gigs: readonly Gig[], buffers: Buffers): (gigId: string) => Window | null {
  const byId = new Map(gigs.map((g) => [g.id, g]));
  const memo = new Map<string, Window | null>();
  const windowOf = (id: string): Window | null => {
    if (memo.has(id)) return memo.get(id) ?? null;
    let gig = byId.get(id);
    const seen = new Set<string>();
    while (gig !== undefined && (gig.startsAt === null || gig.endsAt === null) && !seen.has(gig.id)) {
      seen.add(gig.id);
      gig = gig.parentGigId === null ? undefined : byId.get(gig.parentGigId);
    }
    const found =
      gig?.startsAt == null || gig.endsAt === null
        ? null
        : { from: Date.parse(gig.startsAt) - buffers.prepHours * HOUR, to: Date.parse(gig.endsAt) + buffers.returnHours * HOUR };
    memo.set(id, found);
    return found;
  };
  return windowOf;
}

/** The live assets in a case, nested live cases included; nothing for a deleted case (counts.ts). */
export function caseContents(cases: readonly Case[], assets: readonly Asset[]): (caseId: string) => Asset[] {
  const children = new Map<string, string[]>();
  for (const c of cases) if (c.parentCaseId !== null && c.deletedAt === null) append(children, c.parentCaseId, c.id);
  const live = new Set(cases.filter((c) => c.deletedAt === null).map((c) => c.id));
  const inCase = new Map<string, Asset[]>();
  for (const a of assets) if (a.caseId !== null && a.deletedAt === null) append(inCase, a.caseId, a);
  return (caseId) => {
    if (!live.has(caseId)) return [];
    const ids = [caseId];
    for (let i = 0; i < ids.length; i += 1) ids.push(...(children.get(ids[i] ?? '') ?? []));
    return ids.flatMap((id) => inCase.get(id) ?? []);
  };
}

/**
 * The rows indexed once for many questions (a station asks again for every gig it shows): by id,
 * by parent, by category, what is out where, each gig's lines. Rebuild it when the rows change.
 */
export interface AvailabilityIndex {
  readonly rows: AvailabilityRows;
  readonly windowOf: (gigId: string) => Window | null;
  readonly gigById: ReadonlyMap<string, Gig>;
  readonly children: ReadonlyMap<string, readonly Gig[]>;
  readonly assetById: ReadonlyMap<string, Asset>;
  readonly contents: (caseId: string) => Asset[];
  readonly linesOf: ReadonlyMap<string, readonly KitAssignment[]>;
  /** Live assets by category, and of those the ones out (to any gig), by category and by gig. */
  readonly byCategory: ReadonlyMap<string, readonly Asset[]>;
  readonly outByCategory: ReadonlyMap<string, readonly Asset[]>;
  readonly outByGig: ReadonlyMap<string, readonly Asset[]>;
  /** Per category: live assets not written off, and those in maintenance. */
  readonly ownedAssets: ReadonlyMap<string, number>;
  readonly inMaintenance: ReadonlyMap<string, readonly Asset[]>;
  readonly bulkByCategory: ReadonlyMap<string, readonly BulkItem[]>;
}

export function prepareAvailability(rows: AvailabilityRows): AvailabilityIndex {
  const children = new Map<string, Gig[]>();
  for (const g of rows.gigs) if (g.parentGigId !== null && g.deletedAt === null) append(children, g.parentGigId, g);
  const linesOf = new Map<string, KitAssignment[]>();
  for (const line of rows.kit) append(linesOf, line.gigId, line);
  const byCategory = new Map<string, Asset[]>();
  const outByCategory = new Map<string, Asset[]>();
  const outByGig = new Map<string, Asset[]>();
  const ownedAssets = new Map<string, number>();
  const inMaintenance = new Map<string, Asset[]>();
  for (const a of rows.assets) {
    if (a.deletedAt !== null) continue;
    append(byCategory, a.category, a);
    if (a.currentGigId !== null) {
      append(outByCategory, a.category, a);
      append(outByGig, a.currentGigId, a);
    }
    if (a.status !== 'lost' && a.status !== 'retired') add(ownedAssets, a.category, 1);
    if (a.status === 'in_maintenance' || a.status === 'quarantined') append(inMaintenance, a.category, a);
  }
  const bulkByCategory = new Map<string, BulkItem[]>();
  for (const item of rows.bulk) append(bulkByCategory, item.category, item);
  return {
    rows,
    windowOf: gigWindows(rows.gigs, rows.buffers),
    gigById: new Map(rows.gigs.map((g) => [g.id, g])),
    children,
    assetById: new Map(rows.assets.map((a) => [a.id, a])),
    contents: caseContents(rows.cases, rows.assets),
    linesOf,
    byCategory,
    outByCategory,
    outByGig,
    ownedAssets,
    inMaintenance,
    bulkByCategory,
  };
}

/** Rows are indexed for this one question; an index is reused as it is. */
const indexed = (source: AvailabilityIndex | AvailabilityRows): AvailabilityIndex =>
  'windowOf' in source ? source : prepareAvailability(source);

/** Assets and bulk units out to gigs whose window ended before `now` (ms), in the given categories. */
export function overdueReturns(
  source: AvailabilityIndex | AvailabilityRows,
  now: number,
  categories: ReadonlySet<string> | null,
): Availability['overdue'] {
  const index = indexed(source);
  const late = (gigId: string): boolean => (index.windowOf(gigId)?.to ?? Number.POSITIVE_INFINITY) < now;
  const entries = new Map<string, { gigId: string; category: string; assets: string[]; units: number }>();
  const entry = (gigId: string, category: string) => {
    const key = `${gigId} ${category}`;
    const found = entries.get(key) ?? { gigId, category, assets: [], units: 0 };
    entries.set(key, found);
    return found;
  };
  const wanted = categories === null ? [...index.outByCategory.keys(), ...index.bulkByCategory.keys()] : [...categories];
  for (const category of new Set(wanted)) {
    for (const a of index.outByCategory.get(category) ?? [])
      if (a.currentGigId !== null && late(a.currentGigId)) entry(a.currentGigId, category).assets.push(a.id);
    for (const item of index.bulkByCategory.get(category) ?? [])
      for (const [gigId, units] of Object.entries(item.outTo)) if (late(gigId)) entry(gigId, category).units += units;
  }
  return [...entries.values()]
    .map((e) => ({ ...e, assets: e.assets.sort(byText) }))
    .sort((a, b) => byText(a.gigId, b.gigId) || byText(a.category, b.category));
}

function checkInput(subject: AvailabilitySubject, categories: readonly string[] | null): void {
  if (categories !== null && categories.length > MAX_CATEGORIES)
    throw new StationError('invalid_arguments', `ask for at most ${MAX_CATEGORIES} categories at once, not ${categories.length}`);
  if (categories?.some((c) => c.length > 80) ?? false)
    throw new StationError('invalid_arguments', 'categories are a flat list of names of at most 80 characters');
  if ('gigId' in subject) return;
  const from = Date.parse(subject.from);
  const to = Date.parse(subject.to);
  if (Number.isNaN(from) || Number.isNaN(to)) throw new StationError('invalid_arguments', 'the date range needs a start and an end');
  if (from >= to) throw new StationError('invalid_arguments', 'the date range must start before it ends');
  if (to - from > MAX_RANGE_DAYS * 24 * HOUR)
    throw new StationError('invalid_arguments', `a date range covers at most ${MAX_RANGE_DAYS} days`);
}

/**
 * What is available for the subject, from the station's cached rows (or their index from
 * prepareAvailability, when asking many times), at `now` (ms, injected). Throws not_found for a gig the rows do not hold
 * (or a deleted one), invalid_arguments for bad input.
 */
export function availability(
  source: AvailabilityIndex | AvailabilityRows,
  subject: AvailabilitySubject,
  options: { now: number; categories?: readonly string[] | null },
): Availability {
  const index = indexed(source);
  const asked = options.categories ?? null;
  checkInput(subject, asked);
  const { windowOf, gigById, rows } = index;

  // The subject: its window and the subtree that plans for it.
  const subtree = new Set<string>();
  let window: Window | null;
  if ('gigId' in subject) {
    const root = gigById.get(subject.gigId);
    if (root === undefined || root.deletedAt !== null) throw new StationError('not_found', 'That gig is not known here.');
    const stack = [root.id];
    while (stack.length > 0) {
      const id = stack.pop() ?? '';
      if (subtree.has(id)) continue;
      subtree.add(id);
      for (const child of index.children.get(id) ?? []) stack.push(child.id);
    }
    window = windowOf(root.id);
  } else {
    window = { from: Date.parse(subject.from), to: Date.parse(subject.to) };
  }
  const late = (gigId: string): boolean => (windowOf(gigId)?.to ?? Number.POSITIVE_INFINITY) < options.now;
  const notBack = (gigId: string): boolean => {
    const w = windowOf(gigId);
    return window === null || w === null || w.to > window.from || late(gigId);
  };

  // Demand: the subtree's lines.
  const liveAsset = (id: string | null): Asset[] => {
    const a = id === null ? undefined : index.assetById.get(id);
    return a === undefined || a.deletedAt !== null ? [] : [a];
  };
  const behind = (line: KitAssignment): Asset[] =>
    line.assetId !== null ? liveAsset(line.assetId) : line.caseId !== null ? index.contents(line.caseId) : [];
  const ownLines = [...subtree].flatMap((id) => index.linesOf.get(id) ?? []);
  const demandAssets = new Map<string, Asset>();
  const demandOf = new Map<string, number>();
  for (const line of ownLines) {
    for (const a of behind(line)) demandAssets.set(a.id, a);
    if (line.category !== null) add(demandOf, line.category, line.quantity ?? 0);
  }
  for (const a of demandAssets.values()) add(demandOf, a.category, 1);

  const listed =
    asked !== null
      ? [...new Set(asked)]
      : 'gigId' in subject
        ? [...demandOf.keys()]
        : [...new Set([...index.byCategory.keys(), ...index.bulkByCategory.keys()])];
  listed.sort(byText);
  const cats = new Set(listed);

  // Gigs holding gear against the subject, and what they plan: specific assets and category units.
  const holding =
    window === null
      ? []
      : rows.gigs.filter((g) => {
          const w = windowOf(g.id);
          return g.deletedAt === null && HOLDING_STATUSES.includes(g.status) && !subtree.has(g.id) && w !== null && overlaps(w, window);
        });
  const earlier = (a: string, b: string): boolean => {
    const wa = windowOf(a)?.from ?? 0;
    const wb = windowOf(b)?.from ?? 0;
    return wa < wb || (wa === wb && a < b);
  };
  const plannedBy = new Map<string, string>();
  const linesOn = new Map<string, Map<string, number>>();
  const looseOut = new Map<string, number>(); // `${gig} ${category}` → loose assets out to a holding gig
  for (const gig of holding) {
    const specific = new Set<string>();
    for (const line of index.linesOf.get(gig.id) ?? []) {
      for (const a of behind(line)) {
        specific.add(a.id);
        const current = plannedBy.get(a.id);
        if (current === undefined || earlier(gig.id, current)) plannedBy.set(a.id, gig.id);
      }
      if (line.category !== null) {
        const byCategory = linesOn.get(gig.id) ?? new Map<string, number>();
        linesOn.set(gig.id, byCategory);
        add(byCategory, line.category, line.quantity ?? 0);
      }
    }
    for (const a of index.outByGig.get(gig.id) ?? []) if (!specific.has(a.id)) add(looseOut, `${gig.id} ${a.category}`, 1);
  }

  // Each serialized asset's one reason.
  const reasonOf = (a: Asset): { reason: Reason; gigId: string | null } | null => {
    if (a.status === 'in_maintenance' || a.status === 'quarantined') return { reason: 'maintenance', gigId: null };
    if (a.status === 'checked_out' && a.currentGigId !== null && !subtree.has(a.currentGigId) && notBack(a.currentGigId))
      return { reason: 'out', gigId: a.currentGigId };
    if (a.status === 'lost' || a.status === 'retired') return { reason: 'written_off', gigId: null };
    const gigId = plannedBy.get(a.id);
    return gigId === undefined ? null : { reason: 'planned', gigId };
  };

  const figures = new Map<string, { owned: number; maintenance: string[]; out: Map<string, Held>; planned: Map<string, Held> }>();
  for (const c of listed)
    figures.set(c, {
      owned: index.ownedAssets.get(c) ?? 0,
      maintenance: (index.inMaintenance.get(c) ?? []).map((a) => a.id),
      out: new Map(),
      planned: new Map(),
    });
  const held = (map: Map<string, Held>, gigId: string): Held => {
    const found = map.get(gigId) ?? { gigId, assets: [], units: 0 };
    map.set(gigId, found);
    return found;
  };
  for (const [c, f] of figures)
    for (const a of index.outByCategory.get(c) ?? []) {
      const why = reasonOf(a);
      if (why?.reason === 'out') held(f.out, why.gigId ?? '').assets.push(a.id);
    }
  for (const [assetId, gigId] of plannedBy) {
    const a = index.assetById.get(assetId);
    const f = a === undefined ? undefined : figures.get(a.category);
    if (a !== undefined && f !== undefined && reasonOf(a)?.reason === 'planned') held(f.planned, gigId).assets.push(a.id);
  }
  const bulkOut = new Map<string, number>(); // `${gig} ${category}` → bulk units out there
  for (const c of listed)
    for (const item of index.bulkByCategory.get(c) ?? []) {
      const f = figures.get(c);
      if (f === undefined) continue;
      f.owned += item.inWarehouse;
      for (const [gigId, units] of Object.entries(item.outTo)) {
        add(bulkOut, `${gigId} ${c}`, units);
        f.owned += units;
        if (!subtree.has(gigId) && notBack(gigId)) held(f.out, gigId).units += units;
      }
    }
  for (const [gigId, byCategory] of linesOn)
    for (const [category, quantity] of byCategory) {
      const f = figures.get(category);
      const key = `${gigId} ${category}`;
      const open = quantity - (bulkOut.get(key) ?? 0) - (looseOut.get(key) ?? 0);
      if (f !== undefined && open > 0) held(f.planned, gigId).units += open;
    }

  const named = new Set<string>();
  const list = (map: Map<string, Held>): Held[] => {
    for (const id of map.keys()) named.add(id);
    return [...map.values()].map((h) => ({ ...h, assets: h.assets.sort(byText) })).sort((a, b) => byText(a.gigId, b.gigId));
  };
  const total = (items: Held[]): number => items.reduce((n, h) => n + h.assets.length + h.units, 0);
  const categories = listed.map((category): CategoryFigures => {
    const f = figures.get(category) ?? { owned: 0, maintenance: [], out: new Map(), planned: new Map() };
    const outGigs = list(f.out);
    const plannedGigs = list(f.planned);
    const available = f.owned - f.maintenance.length - total(outGigs) - total(plannedGigs);
    const demand = demandOf.get(category) ?? 0;
    return {
      category,
      owned: f.owned,
      maintenance: f.maintenance.length,
      out: total(outGigs),
      planned: total(plannedGigs),
      available,
      demand,
      shortage: Math.max(demand - available, 0),
      maintenanceAssets: f.maintenance.sort(byText),
      outGigs,
      plannedGigs,
    };
  });

  const lines = ownLines
    .map((line) => ({
      id: line.id,
      gigId: line.gigId,
      assetId: line.assetId,
      caseId: line.caseId,
      category: line.category,
      quantity: line.quantity,
      items: behind(line)
        .filter((a) => cats.has(a.category))
        .map((a) => {
          const why = reasonOf(a);
          if (why?.gigId != null) named.add(why.gigId);
          return { assetId: a.id, category: a.category, reason: why?.reason ?? null, gigId: why?.gigId ?? null };
        })
        .sort((a, b) => byText(a.assetId, b.assetId)),
    }))
    .filter((line) => asked === null || line.items.length > 0 || (line.category !== null && cats.has(line.category)))
    .sort((a, b) => byText(a.id, b.id));
  for (const line of lines) named.add(line.gigId);

  const overdue = overdueReturns(index, options.now, cats);
  for (const o of overdue) named.add(o.gigId);
  const iso = (w: Window | null) => (w === null ? null : { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });
  const gigs = [...named]
    .sort(byText)
    .map((id) => ({ id, name: gigById.get(id)?.name ?? '', code: gigById.get(id)?.code ?? null, window: iso(windowOf(id)) }));
  return { subject: { gigId: 'gigId' in subject ? subject.gigId : null, window: iso(window) }, categories, lines, overdue, gigs };
}
