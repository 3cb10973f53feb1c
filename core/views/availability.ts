/**
 * Gear availability that explains itself (issue 19): for a gig (its whole subtree's pick lists are
 * its demand) or a date range (supply only), per category what is owned, what is away and why, what
 * is left, and the shortage — a summary by default, and for the categories asked to expand every
 * number opened into the gigs and items behind it.
 * The server answers the same question with public.get_availability (migration
 * 20261204000400_availability.sql), checked against this file and a plain-SQL reference by
 * supabase/tests/domain/availability.test.ts. The one definition, mirrored there:
 *
 * - A gig's window: its own starts_at/ends_at, or, when either is missing, those of its nearest
 *   ancestor that has both (none: no window), widened by its organization's buffers:
 *   [start − prep, end + return). A window whose ends meet is empty and overlaps nothing.
 * - The subject's window: its gig's window, or the range [from, to) as asked (no buffers). A gig
 *   subject without a window competes with no planned gig, and everything out counts as out.
 * - The subject's own event: its subtree and its ancestors (a festival root's own lines and its
 *   sets are one event, as app.plan_clashes in 20261204000600_planning_ops.sql has it). Gigs that
 *   hold gear against the subject: live, draft / confirmed / in progress, not of its own event,
 *   their window overlapping the subject's. (A range subject has no own event.)
 * - A gig is "not back in time" when the subject has no window, the gig has none, its window ends
 *   after the subject's starts, or it is overdue (its window ended before now).
 * - Each live serialized asset has one reason at most, first that applies: in maintenance or
 *   quarantined → maintenance; out to a gig not of the subject's own event that is not back in
 *   time → out; lost or retired → written_off (not owned: in no figure); planned by an asset line
 *   or inside a planned case (counts.ts's notion) on a holding gig → planned, charged to the
 *   earliest such gig (then lowest id).
 * - Bulk units: owned = in the warehouse + everything out; out = units out to gigs not of the own
 *   event that are not back in time; planned = per holding gig and category, its category lines'
 *   quantity minus what already fills them there — bulk units out to it and its loose serialized
 *   assets of the category (counts.ts's `scanned`) — never below 0.
 * - Per category: available = owned − maintenance − out − planned (negative: overbooked);
 *   demand = the subtree's distinct live assets on asset and case lines (one mic on two sets is
 *   one mic) + its category lines' quantities; shortage = max(demand − available, 0).
 * - Categories listed: those asked for, else a gig's demand categories, else (a range) every
 *   category of the organizations' live assets and bulk items; plus those asked to expand.
 * - Behind out and planned: the gigs, each with its assets (a count) and units, holding most
 *   first (then by id); the first LIST_LIMIT of them, and how many more. An expanded category
 *   lists them all with their asset ids, and its maintenance asset ids; others give ids nowhere
 *   (assetIds and maintenanceAssets null). At most MAX_EXPAND categories expand at once.
 * - The subject's own lines say, per live asset behind them in a listed category, its reason and
 *   gig: always, as they are the gig's own pick list.
 * - Overdue returns: live assets and bulk units out to a gig whose window ended before now, in
 *   the listed categories, per gig and category as counts; asset ids for expanded categories.
 * Order is fixed (categories and ids by code point) so two answers compare as values.
 */
import { z } from 'zod';
import { StationError } from '../errors';
import type { Asset, BulkItem, Case, Gig, KitAssignment } from '../sync/rows';

export const HOLDING_STATUSES: readonly Gig['status'][] = ['draft', 'confirmed', 'in_progress'];
export const MAX_CATEGORIES = 50;
export const MAX_EXPAND = 10;
export const LIST_LIMIT = 10;
export const MAX_RANGE_DAYS = 366;
const HOUR = 3_600_000;
/** Windows longer than this (buffers included) are kept apart from the by-start search (see AvailabilityIndex). */
const LONG_HOLD_MS = 14 * 24 * HOUR;

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
/** Asset ids behind a number: listed for an expanded category, null otherwise. */
const ids = z.array(uuid).nullable();

/** A gig and what of a category it holds: how many assets (their ids when expanded), bulk or category-line units. */
const heldSchema = z.object({ gigId: uuid, assets: count, units: count, assetIds: ids });

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
      expanded: z.boolean(),
      maintenanceAssets: ids,
      outGigs: z.array(heldSchema),
      /** Gigs behind `out` not in outGigs (0 when expanded). */
      moreOutGigs: count,
      plannedGigs: z.array(heldSchema),
      morePlannedGigs: count,
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
  overdue: z.array(z.object({ gigId: uuid, category: z.string(), assets: count, units: count, assetIds: ids })),
  /** Every gig named above, once: what a person reads instead of an id. */
  gigs: z.array(z.object({ id: uuid, name: z.string(), code: z.string().nullable(), window: windowSchema })),
});
export type Availability = z.infer<typeof availabilitySchema>;
export type CategoryFigures = Availability['categories'][number];
export type Held = z.infer<typeof heldSchema>;

/** Everything out past its gig's window, with the asset ids (the station's home lists it all). */
export interface OverdueDetail {
  gigId: string;
  category: string;
  assets: string[];
  units: number;
}

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

export interface AvailabilityOptions {
  now: number;
  categories?: readonly string[] | null;
  /** Categories whose numbers open into asset ids and every gig (at most MAX_EXPAND). */
  expand?: readonly string[] | null;
}

interface Window {
  from: number;
  to: number;
}

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

/** A category's assets checked out to one gig, with the end of the gig's window (null: none). */
interface OutGroup {
  category: string;
  gigId: string;
  assets: readonly Asset[];
  windowTo: number | null;
}

/** A holding gig's window, for the by-start list. */
interface Dated {
  id: string;
  from: number;
  to: number;
}

/**
 * The rows indexed once for many questions (a station asks again for every gig it shows): by id,
 * by parent, by category, what is out where, each gig's lines, the gigs that may hold gear by
 * window start. Each question then reads only its categories and the gigs near its window.
 * Rebuild it when the rows change (availabilityIndexer does that by itself).
 */
export interface AvailabilityIndex {
  readonly rows: AvailabilityRows;
  readonly windowOf: (gigId: string) => Window | null;
  readonly gigById: ReadonlyMap<string, Gig>;
  readonly children: ReadonlyMap<string, readonly Gig[]>;
  readonly assetById: ReadonlyMap<string, Asset>;
  /** A case's live contents, each case walked once per index. */
  readonly contents: (caseId: string) => readonly Asset[];
  readonly linesOf: ReadonlyMap<string, readonly KitAssignment[]>;
  /** Live assets out (to any gig), by gig. */
  readonly outByGig: ReadonlyMap<string, readonly Asset[]>;
  /**
   * Per category, the gigs with assets checked out, most first (then by id): a summary reads the
   * first ten that count instead of grouping and sorting every gig per question (at scale 10,
   * ~2,000 gigs per category hold one or two assets each).
   */
  readonly outRanked: ReadonlyMap<string, readonly OutGroup[]>;
  /** The same groups with a window, by window end: the overdue ones are a prefix. */
  readonly outByWindowEnd: readonly OutGroup[];
  /** Per category: live assets not written off, and those in maintenance. */
  readonly ownedAssets: ReadonlyMap<string, number>;
  readonly inMaintenance: ReadonlyMap<string, readonly Asset[]>;
  readonly bulkByCategory: ReadonlyMap<string, readonly BulkItem[]>;
  /** Every category of live assets and bulk items. */
  readonly allCategories: readonly string[];
  /**
   * Live gigs of a holding status with a non-empty window: those of at most LONG_HOLD_MS by window
   * start, with the longest of them (a search walks back from the subject's end only that far), and
   * the few longer ones (a tour, a season) apart, always looked at — one year-long gig must not make
   * every search walk back a year.
   */
  readonly holdingByStart: readonly Dated[];
  readonly longestHold: number;
  readonly longHolds: readonly Dated[];
}

export function prepareAvailability(rows: AvailabilityRows): AvailabilityIndex {
  const children = new Map<string, Gig[]>();
  for (const g of rows.gigs) if (g.parentGigId !== null && g.deletedAt === null) append(children, g.parentGigId, g);
  const linesOf = new Map<string, KitAssignment[]>();
  for (const line of rows.kit) append(linesOf, line.gigId, line);
  const outByCategory = new Map<string, Map<string, Asset[]>>();
  const outByGig = new Map<string, Asset[]>();
  const ownedAssets = new Map<string, number>();
  const inMaintenance = new Map<string, Asset[]>();
  const categories = new Set<string>();
  for (const a of rows.assets) {
    if (a.deletedAt !== null) continue;
    categories.add(a.category);
    if (a.currentGigId !== null) {
      let byGig = outByCategory.get(a.category);
      if (byGig === undefined) outByCategory.set(a.category, (byGig = new Map<string, Asset[]>()));
      append(byGig, a.currentGigId, a);
      append(outByGig, a.currentGigId, a);
    }
    if (a.status !== 'lost' && a.status !== 'retired') add(ownedAssets, a.category, 1);
    if (a.status === 'in_maintenance' || a.status === 'quarantined') append(inMaintenance, a.category, a);
  }
  const bulkByCategory = new Map<string, BulkItem[]>();
  for (const item of rows.bulk) {
    append(bulkByCategory, item.category, item);
    categories.add(item.category);
  }
  const windowOf = gigWindows(rows.gigs, rows.buffers);
  const outRanked = new Map<string, OutGroup[]>();
  const outByWindowEnd: OutGroup[] = [];
  for (const [category, byGig] of outByCategory) {
    const groups: OutGroup[] = [];
    for (const [gigId, assets] of byGig) {
      const checkedOut = assets.filter((a) => a.status === 'checked_out');
      if (checkedOut.length === 0) continue;
      const group = { category, gigId, assets: checkedOut, windowTo: windowOf(gigId)?.to ?? null };
      groups.push(group);
      if (group.windowTo !== null) outByWindowEnd.push(group);
    }
    outRanked.set(
      category,
      groups.sort((a, b) => b.assets.length - a.assets.length || byText(a.gigId, b.gigId)),
    );
  }
  outByWindowEnd.sort((a, b) => (a.windowTo ?? 0) - (b.windowTo ?? 0));
  const holdingByStart: Dated[] = [];
  const longHolds: Dated[] = [];
  let longestHold = 0;
  for (const g of rows.gigs) {
    const w = g.deletedAt === null && HOLDING_STATUSES.includes(g.status) ? windowOf(g.id) : null;
    if (w === null || w.from >= w.to) continue;
    const dated = { id: g.id, from: w.from, to: w.to };
    if (w.to - w.from > LONG_HOLD_MS) longHolds.push(dated);
    else {
      holdingByStart.push(dated);
      longestHold = Math.max(longestHold, w.to - w.from);
    }
  }
  holdingByStart.sort((a, b) => a.from - b.from);
  const walk = caseContents(rows.cases, rows.assets);
  const contentsMemo = new Map<string, readonly Asset[]>();
  const contents = (caseId: string): readonly Asset[] => {
    let found = contentsMemo.get(caseId);
    if (found === undefined) contentsMemo.set(caseId, (found = walk(caseId)));
    return found;
  };
  return {
    rows,
    windowOf,
    gigById: new Map(rows.gigs.map((g) => [g.id, g])),
    children,
    assetById: new Map(rows.assets.map((a) => [a.id, a])),
    contents,
    linesOf,
    outByGig,
    outRanked,
    outByWindowEnd,
    ownedAssets,
    inMaintenance,
    bulkByCategory,
    allCategories: [...categories],
    holdingByStart,
    longestHold,
    longHolds,
  };
}

const sameRows = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((row, i) => row === b[i]);

/**
 * An index kept between questions: rebuilt only when a table's rows are not the same row objects
 * as last time (the cache index replaces a row object when the row changes) or the buffers differ.
 */
export function availabilityIndexer(): (rows: AvailabilityRows) => AvailabilityIndex {
  let held: AvailabilityIndex | null = null;
  return (rows) => {
    const last = held?.rows;
    if (
      held === null ||
      last === undefined ||
      last.buffers.prepHours !== rows.buffers.prepHours ||
      last.buffers.returnHours !== rows.buffers.returnHours ||
      !sameRows(last.gigs, rows.gigs) ||
      !sameRows(last.assets, rows.assets) ||
      !sameRows(last.cases, rows.cases) ||
      !sameRows(last.kit, rows.kit) ||
      !sameRows(last.bulk, rows.bulk)
    )
      held = prepareAvailability(rows);
    return held;
  };
}

/** Rows are indexed for this one question; an index is reused as it is. */
const indexed = (source: AvailabilityIndex | AvailabilityRows): AvailabilityIndex =>
  'windowOf' in source ? source : prepareAvailability(source);

/** Assets (by id) and bulk units out to gigs whose window ended before `now` (ms), in the given categories. */
export function overdueReturns(
  source: AvailabilityIndex | AvailabilityRows,
  now: number,
  categories: ReadonlySet<string> | null,
): OverdueDetail[] {
  const index = indexed(source);
  const late = (gigId: string): boolean => (index.windowOf(gigId)?.to ?? Number.POSITIVE_INFINITY) < now;
  const entries = new Map<string, OverdueDetail>();
  const entry = (gigId: string, category: string): OverdueDetail => {
    const key = `${gigId} ${category}`;
    let found = entries.get(key);
    if (found === undefined) entries.set(key, (found = { gigId, category, assets: [], units: 0 }));
    return found;
  };
  for (const group of index.outByWindowEnd) {
    if ((group.windowTo ?? now) >= now) break;
    if (categories === null || categories.has(group.category))
      entry(group.gigId, group.category).assets.push(...group.assets.map((a) => a.id));
  }
  for (const category of categories ?? index.allCategories) {
    for (const item of index.bulkByCategory.get(category) ?? [])
      for (const [gigId, units] of Object.entries(item.outTo)) if (late(gigId)) entry(gigId, category).units += units;
  }
  return [...entries.values()]
    .map((e) => ({ ...e, assets: e.assets.sort(byText) }))
    .sort((a, b) => byText(a.gigId, b.gigId) || byText(a.category, b.category));
}

function checkNames(names: readonly string[] | null, max: number, what: string): void {
  if (names === null) return;
  if (names.length > max) throw new StationError('invalid_arguments', `${what} at most ${max} categories at once, not ${names.length}`);
  if (names.some((c) => typeof c !== 'string' || c.length > 80))
    throw new StationError('invalid_arguments', 'categories are a flat list of names of at most 80 characters');
}

function checkInput(subject: AvailabilitySubject, categories: readonly string[] | null, expand: readonly string[] | null): void {
  checkNames(categories, MAX_CATEGORIES, 'ask for');
  checkNames(expand, MAX_EXPAND, 'expand');
  if ('gigId' in subject) return;
  const from = Date.parse(subject.from);
  const to = Date.parse(subject.to);
  if (Number.isNaN(from) || Number.isNaN(to)) throw new StationError('invalid_arguments', 'the date range needs a start and an end');
  if (from >= to) throw new StationError('invalid_arguments', 'the date range must start before it ends');
  if (to - from > MAX_RANGE_DAYS * 24 * HOUR)
    throw new StationError('invalid_arguments', `a date range covers at most ${MAX_RANGE_DAYS} days`);
}

/** What a gig holds of one category while the answer is built. */
interface Holding {
  gigId: string;
  assets: string[];
  units: number;
}

/** Holding most first, then by id; the summary keeps the first LIST_LIMIT, without ids. */
function held(map: Map<string, Holding>, expanded: boolean, named: Set<string>, gigs = map.size): { list: Held[]; more: number } {
  const all = [...map.values()].sort((a, b) => b.assets.length + b.units - (a.assets.length + a.units) || byText(a.gigId, b.gigId));
  const shown = expanded ? all : all.slice(0, LIST_LIMIT);
  for (const h of shown) named.add(h.gigId);
  return {
    list: shown.map((h) => ({
      gigId: h.gigId,
      assets: h.assets.length,
      units: h.units,
      assetIds: expanded ? h.assets.sort(byText) : null,
    })),
    more: gigs - shown.length,
  };
}

/**
 * What is available for the subject, from the station's cached rows (or their index from
 * prepareAvailability, when asking many times), at `now` (ms, injected). Throws not_found for a gig the rows do not hold
 * (or a deleted one), invalid_arguments for bad input.
 */
export function availability(
  source: AvailabilityIndex | AvailabilityRows,
  subject: AvailabilitySubject,
  options: AvailabilityOptions,
): Availability {
  const asked = options.categories ?? null;
  const expand = options.expand ?? null;
  checkInput(subject, asked, expand);
  const index = indexed(source);
  const { windowOf, gigById } = index;

  // The subject: its window, the subtree that plans for it, and the gigs above it (its own event).
  const subtree = new Set<string>();
  const own = new Set<string>();
  let window: Window | null;
  if ('gigId' in subject) {
    const root = gigById.get(subject.gigId);
    if (root === undefined || root.deletedAt !== null) throw new StationError('not_found', 'That gig is not known here.');
    const stack = [root.id];
    while (stack.length > 0) {
      const id = stack.pop() ?? '';
      if (subtree.has(id)) continue;
      subtree.add(id);
      own.add(id);
      for (const child of index.children.get(id) ?? []) stack.push(child.id);
    }
    for (let up = root.parentGigId; up !== null && !own.has(up); up = gigById.get(up)?.parentGigId ?? null) own.add(up);
    window = windowOf(root.id);
  } else {
    window = { from: Date.parse(subject.from), to: Date.parse(subject.to) };
  }
  const late = (gigId: string): boolean => (windowOf(gigId)?.to ?? Number.POSITIVE_INFINITY) < options.now;
  const notBack = (gigId: string): boolean => {
    const w = windowOf(gigId);
    return window === null || w === null || w.to > window.from || late(gigId);
  };
  const countsOut = (gigId: string): boolean => !own.has(gigId) && notBack(gigId);

  // Demand: the subtree's lines.
  const liveAsset = (id: string | null): readonly Asset[] => {
    const a = id === null ? undefined : index.assetById.get(id);
    return a === undefined || a.deletedAt !== null ? [] : [a];
  };
  const behind = (line: KitAssignment): readonly Asset[] =>
    line.assetId !== null ? liveAsset(line.assetId) : line.caseId !== null ? index.contents(line.caseId) : [];
  const ownLines = [...subtree].flatMap((id) => index.linesOf.get(id) ?? []);
  const demandAssets = new Map<string, Asset>();
  const demandOf = new Map<string, number>();
  for (const line of ownLines) {
    for (const a of behind(line)) demandAssets.set(a.id, a);
    if (line.category !== null) add(demandOf, line.category, line.quantity ?? 0);
  }
  for (const a of demandAssets.values()) add(demandOf, a.category, 1);

  const cats = new Set(asked ?? ('gigId' in subject ? demandOf.keys() : index.allCategories));
  for (const c of expand ?? []) cats.add(c);
  const listed = [...cats].sort(byText);
  const open = new Set(expand);

  // Gigs holding gear against the subject (by window start, near the subject's), and what they
  // plan of the listed categories: specific assets and category units.
  const holding: Dated[] = [];
  if (window !== null && window.from < window.to) {
    const starts = index.holdingByStart;
    let hi = starts.length;
    for (let lo = 0; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid]?.from ?? 0) < window.to) lo = mid + 1;
      else hi = mid;
    }
    for (let i = hi - 1; i >= 0; i -= 1) {
      const g = starts[i];
      if (g === undefined || g.from + index.longestHold <= window.from) break;
      if (g.to > window.from && !own.has(g.id)) holding.push(g);
    }
    for (const g of index.longHolds) if (g.from < window.to && g.to > window.from && !own.has(g.id)) holding.push(g);
  }
  const startOf = new Map(holding.map((g) => [g.id, g.from]));
  const earlier = (a: string, b: string): boolean => {
    const wa = startOf.get(a) ?? 0;
    const wb = startOf.get(b) ?? 0;
    return wa < wb || (wa === wb && a < b);
  };
  const plannedBy = new Map<string, string>();
  const linesOn = new Map<string, Map<string, number>>(); // gig → category → quantity
  const looseOut = new Map<string, number>(); // `${gig} ${category}` → loose assets out to a holding gig
  for (const { id: gigId } of holding) {
    const specific = new Set<string>();
    for (const line of index.linesOf.get(gigId) ?? []) {
      for (const a of behind(line)) {
        specific.add(a.id);
        if (!cats.has(a.category)) continue;
        const current = plannedBy.get(a.id);
        if (current === undefined || earlier(gigId, current)) plannedBy.set(a.id, gigId);
      }
      if (line.category !== null && cats.has(line.category)) {
        let byCategory = linesOn.get(gigId);
        if (byCategory === undefined) linesOn.set(gigId, (byCategory = new Map<string, number>()));
        add(byCategory, line.category, line.quantity ?? 0);
      }
    }
    if (linesOn.has(gigId))
      for (const a of index.outByGig.get(gigId) ?? []) if (!specific.has(a.id)) add(looseOut, `${gigId} ${a.category}`, 1);
  }

  // Each serialized asset's one reason.
  const reasonOf = (a: Asset): { reason: Reason; gigId: string | null } | null => {
    if (a.status === 'in_maintenance' || a.status === 'quarantined') return { reason: 'maintenance', gigId: null };
    if (a.status === 'checked_out' && a.currentGigId !== null && countsOut(a.currentGigId)) return { reason: 'out', gigId: a.currentGigId };
    if (a.status === 'lost' || a.status === 'retired') return { reason: 'written_off', gigId: null };
    const gigId = plannedBy.get(a.id);
    return gigId === undefined ? null : { reason: 'planned', gigId };
  };

  interface Tally {
    owned: number;
    /** The gigs listed for gear out (all when expanded), and all of them counted. */
    out: Map<string, Holding>;
    outCount: number;
    outGigs: number;
    planned: Map<string, Holding>;
  }
  const tallies = new Map<string, Tally>(
    listed.map((c) => [c, { owned: index.ownedAssets.get(c) ?? 0, out: new Map(), outCount: 0, outGigs: 0, planned: new Map() }]),
  );
  const holdingOf = (map: Map<string, Holding>, gigId: string): Holding => {
    let found = map.get(gigId);
    if (found === undefined) map.set(gigId, (found = { gigId, assets: [], units: 0 }));
    return found;
  };
  // Gear out: every gig counted; listed, in a summary, only the ten holding most assets and those
  // holding bulk units — enough to rank by assets plus units, as a gig in neither is beaten by ten
  // that are (get_availability lists them the same way).
  for (const [c, t] of tallies) {
    const units = new Map<string, number>();
    for (const item of index.bulkByCategory.get(c) ?? []) {
      t.owned += item.inWarehouse;
      for (const [gigId, n] of Object.entries(item.outTo)) {
        t.owned += n;
        if (countsOut(gigId)) add(units, gigId, n);
      }
    }
    const all = open.has(c);
    let top = 0;
    for (const g of index.outRanked.get(c) ?? []) {
      if (own.has(g.gigId) || !(window === null || g.windowTo === null || g.windowTo > window.from || g.windowTo < options.now)) continue;
      t.outCount += g.assets.length;
      t.outGigs += 1;
      if (all || top < LIST_LIMIT || units.has(g.gigId)) holdingOf(t.out, g.gigId).assets.push(...g.assets.map((a) => a.id));
      top += 1;
    }
    for (const [gigId, n] of units) {
      if (!t.out.has(gigId)) t.outGigs += 1;
      holdingOf(t.out, gigId).units += n;
      t.outCount += n;
    }
  }
  for (const [assetId, gigId] of plannedBy) {
    const a = index.assetById.get(assetId);
    const t = a === undefined ? undefined : tallies.get(a.category);
    if (a !== undefined && t !== undefined && reasonOf(a)?.reason === 'planned') holdingOf(t.planned, gigId).assets.push(a.id);
  }
  for (const [gigId, byCategory] of linesOn)
    for (const [category, quantity] of byCategory) {
      let filled = looseOut.get(`${gigId} ${category}`) ?? 0;
      for (const item of index.bulkByCategory.get(category) ?? []) filled += item.outTo[gigId] ?? 0;
      const t = tallies.get(category);
      if (t !== undefined && quantity - filled > 0) holdingOf(t.planned, gigId).units += quantity - filled;
    }

  const named = new Set<string>();
  const categories = listed.map((category): CategoryFigures => {
    const t = tallies.get(category) ?? {
      owned: 0,
      out: new Map<string, Holding>(),
      outCount: 0,
      outGigs: 0,
      planned: new Map<string, Holding>(),
    };
    const expanded = open.has(category);
    const maintenance = index.inMaintenance.get(category) ?? [];
    const sum = (map: Map<string, Holding>): number => {
      let n = 0;
      for (const h of map.values()) n += h.assets.length + h.units;
      return n;
    };
    const out = t.outCount;
    const planned = sum(t.planned);
    const available = t.owned - maintenance.length - out - planned;
    const demand = demandOf.get(category) ?? 0;
    const outGigs = held(t.out, expanded, named, t.outGigs);
    const plannedGigs = held(t.planned, expanded, named);
    return {
      category,
      owned: t.owned,
      maintenance: maintenance.length,
      out,
      planned,
      available,
      demand,
      shortage: Math.max(demand - available, 0),
      expanded,
      maintenanceAssets: expanded ? maintenance.map((a) => a.id).sort(byText) : null,
      outGigs: outGigs.list,
      moreOutGigs: outGigs.more,
      plannedGigs: plannedGigs.list,
      morePlannedGigs: plannedGigs.more,
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

  const overdue = overdueReturns(index, options.now, cats).map((o) => ({
    gigId: o.gigId,
    category: o.category,
    assets: o.assets.length,
    units: o.units,
    assetIds: open.has(o.category) ? o.assets : null,
  }));
  for (const o of overdue) named.add(o.gigId);
  const iso = (w: Window | null) => (w === null ? null : { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });
  const gigs = [...named]
    .sort(byText)
    .map((id) => ({ id, name: gigById.get(id)?.name ?? '', code: gigById.get(id)?.code ?? null, window: iso(windowOf(id)) }));
  return { subject: { gigId: 'gigId' in subject ? subject.gigId : null, window: iso(window) }, categories, lines, overdue, gigs };
}

/**
 * availability with every listed category expanded, asked MAX_EXPAND categories at a time (the
 * station's Plan screen opens each figure of a gig's own categories, usually a handful).
 */
export function expandedAvailability(index: AvailabilityIndex, subject: AvailabilitySubject, options: AvailabilityOptions): Availability {
  const summary = availability(index, subject, options);
  const names = summary.categories.map((c) => c.category);
  const parts = [];
  for (let i = 0; i < names.length; i += MAX_EXPAND) {
    const chunk = names.slice(i, i + MAX_EXPAND);
    parts.push(availability(index, subject, { ...options, categories: chunk, expand: chunk }));
  }
  const gigs = new Map([...summary.gigs, ...parts.flatMap((p) => p.gigs)].map((g) => [g.id, g]));
  return {
    subject: summary.subject,
    categories: parts.flatMap((p) => p.categories),
    lines: summary.lines,
    overdue: parts.flatMap((p) => p.overdue).sort((a, b) => byText(a.gigId, b.gigId) || byText(a.category, b.category)),
    gigs: [...gigs.values()].sort((a, b) => byText(a.id, b.id)),
  };
}
