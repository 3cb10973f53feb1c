/**
 * A gig's pick list as crew see it, line by line: named assets, cases with their contents, bulk
 * lines counted in units — each with planned / scanned / still missing and where a missing item is
 * now — the extras out to the gig beyond its plan, and, for a gig with sets (a festival day, a
 * stage), one group per set so a truck for the whole stage is loaded in one pass. Check-in turns
 * the list around: what is still out to the gig, ticked off as it comes back.
 *
 * Counts follow the one definition (core/views/counts.ts, the server's app.gig_asset_counts): a
 * group's counts are countPickList's, and its lines add up to them (core/views/pick-list.test.ts).
 */
import type { PickCounts } from './counts';
import { bulkOutTo, countPickList } from './counts';
import type { PickGroup, PickItem, PickLineView, PickListView } from '../station-views';
import type { Asset, Case, Gig, KitAssignment, Location } from '../sync/rows';

export type PickLine = PickLineView;

/** Bulk stock as the pick list reads it (core/sync/rows.ts bulk_items): units per location. */
export interface BulkStock {
  id: string;
  category: string;
  name: string;
  barcode: string;
  unit: string;
  /** Not expected back: left out of check-in's expected returns. */
  consumable: boolean;
  inWarehouse: number;
  /** Gig id → units out there now. */
  outTo: Readonly<Record<string, number>>;
  /** The shelf its stock is on (issue 21), if known. */
  locationId?: string | null;
}

export interface PickListSource {
  gig(id: string): Gig | null;
  /** A gig's live child gigs (its sets), in any order. */
  children(id: string): readonly Gig[];
  /** The gig's kit assignments (its own pick list). */
  kit(gigId: string): readonly KitAssignment[];
  asset(id: string): Asset | null;
  kase(id: string): Case | null;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): readonly Asset[];
  /** Assets out to the gig now (queued check-outs included). */
  outTo(gigId: string): readonly Asset[];
  bulk: readonly BulkStock[];
  /** A place (shelf, bin, zone, warehouse) by id: where to find what is in the warehouse. */
  place?(id: string): Location | null;
}

/** How many levels of sets a pick list follows (a damaged parent chain must not loop). */
const MAX_DEPTH = 8;

const live = (asset: Asset): boolean => asset.deletedAt === null;

/** Where to find something on the shelves: "on Shelf A03 (WH1-A03)", or null when its place is not known here. */
export function placeWords(locationId: string | null | undefined, place: PickListSource['place']): string | null {
  const found = locationId == null || place === undefined ? null : place(locationId);
  return found === null || found.deletedAt !== null ? null : `on ${found.name} (${found.code})`;
}

/** Where an item is now, in the operator's words (its shelf when the device knows it). */
export function whereIs(asset: Asset, gigName: (id: string) => string | null, place?: PickListSource['place']): string {
  switch (asset.status) {
    case 'available':
      return placeWords(asset.locationId, place) ?? 'in the warehouse';
    case 'checked_out':
      return asset.currentGigId === null ? 'checked out' : `out to ${gigName(asset.currentGigId) ?? 'a gig not on this device'}`;
    case 'in_maintenance':
      return 'in maintenance';
    case 'quarantined':
      return 'in quarantine';
    case 'lost':
      return 'marked lost';
    case 'retired':
      return 'retired';
  }
}

const byStart = (a: Gig, b: Gig): number =>
  (a.startsAt ?? '\uffff').localeCompare(b.startsAt ?? '\uffff') || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** The gig and its live sets below it, depth first, each level by start time then name. */
export function subtree(gigId: string, source: Pick<PickListSource, 'gig' | 'children'>): Gig[] {
  const root = source.gig(gigId);
  if (root === null) return [];
  const out: Gig[] = [];
  const seen = new Set<string>();
  const walk = (gig: Gig, depth: number): void => {
    if (seen.has(gig.id) || depth > MAX_DEPTH) return;
    seen.add(gig.id);
    out.push(gig);
    for (const child of [...source.children(gig.id)].filter((g) => g.deletedAt === null).sort(byStart)) walk(child, depth + 1);
  };
  walk(root, 0);
  return out;
}

function item(asset: Asset, done: boolean, where: string): PickItem {
  return { id: asset.id, name: asset.name, code: asset.serialNumber, done, where };
}

/** One gig's own list (check-out): its lines, its extras and its counts. */
function pickGroup(gig: Gig, source: PickListSource, gigName: (id: string) => string | null): PickGroup {
  const kit = source.kit(gig.id);
  const outAssets = source.outTo(gig.id).filter(live);
  const outIds = new Set(outAssets.map((a) => a.id));
  const here = `out to ${gig.name}`;
  const place = source.place?.bind(source);
  const state = (asset: Asset): PickItem =>
    outIds.has(asset.id) ? item(asset, true, here) : item(asset, false, whereIs(asset, gigName, place));

  // Each planned asset belongs to the first line that names it (by itself or in a case).
  const claimed = new Set<string>();
  const lines: PickLine[] = [];
  for (const line of kit) {
    if (line.assetId !== null) {
      const asset = source.asset(line.assetId);
      if (asset !== null && !live(asset)) continue;
      if (asset === null || claimed.has(asset.id)) {
        if (asset === null)
          lines.push({ ...EMPTY_LINE, key: line.id, kind: 'asset', name: 'item not on this device yet', where: 'not on this device' });
        continue;
      }
      claimed.add(asset.id);
      const now = state(asset);
      lines.push({
        ...EMPTY_LINE,
        key: line.id,
        kind: 'asset',
        name: asset.name,
        code: asset.serialNumber,
        planned: 1,
        scanned: now.done ? 1 : 0,
        missing: now.done ? 0 : 1,
        where: now.where,
      });
    } else if (line.caseId !== null) {
      const box = source.kase(line.caseId);
      const contents = source
        .caseContents(line.caseId)
        .filter((a) => live(a) && !claimed.has(a.id))
        .map((a) => {
          claimed.add(a.id);
          return state(a);
        });
      const scanned = contents.filter((c) => c.done).length;
      lines.push({
        ...EMPTY_LINE,
        key: line.id,
        kind: 'case',
        name: box === null ? 'case not on this device yet' : (box.name ?? 'Case'),
        code: box?.barcode ?? '',
        planned: contents.length,
        scanned,
        missing: contents.length - scanned,
        // Where to pick the case up (its contents say where each missing one is).
        where: scanned < contents.length && box !== null ? placeWords(box.locationId, place) : null,
        contents,
      });
    }
  }

  // Bulk lines take what is out and on no line of its own, per category, in the lines' order:
  // bulk units first, then unplanned serialized items of that category; the rest is extra.
  const stockOf = new Map(source.bulk.map((stock) => [stock.category, stock]));
  const unitsLeft = bulkOutTo(gig.id, source.bulk);
  const looseLeft = new Map<string, Asset[]>();
  for (const asset of outAssets) {
    if (claimed.has(asset.id)) continue;
    looseLeft.set(asset.category, [...(looseLeft.get(asset.category) ?? []), asset]);
  }
  for (const line of kit) {
    if (line.assetId !== null || line.caseId !== null || line.category === null) continue;
    const planned = line.quantity ?? 0;
    const units = Math.min(planned, unitsLeft.get(line.category) ?? 0);
    unitsLeft.set(line.category, (unitsLeft.get(line.category) ?? 0) - units);
    const loose = looseLeft.get(line.category) ?? [];
    const taken = loose.splice(0, planned - units);
    const scanned = units + taken.length;
    const stock = stockOf.get(line.category);
    lines.push({
      ...EMPTY_LINE,
      key: line.id,
      kind: 'bulk',
      name: stock?.name ?? line.category,
      code: stock?.barcode ?? '',
      unit: stock?.unit ?? 'pcs',
      planned,
      scanned,
      missing: planned - scanned,
      where:
        scanned >= planned
          ? null
          : stock === undefined
            ? 'no stock of this kind on this device'
            : `${stock.inWarehouse} ${placeWords(stock.locationId, place) ?? 'in the warehouse'}`,
      contents: taken.map((a) => item(a, true, here)),
    });
  }

  const extras: PickGroup['extras'] = [];
  for (const [, assets] of looseLeft) for (const asset of assets) extras.push({ ...item(asset, true, here), units: 1 });
  for (const [category, units] of unitsLeft) {
    if (units <= 0) continue;
    const stock = stockOf.get(category);
    extras.push({ id: stock?.id ?? category, name: stock?.name ?? category, code: stock?.barcode ?? '', done: true, where: here, units });
  }

  const counts: PickCounts = countPickList({
    lines: kit,
    asset: (id) => source.asset(id),
    caseContents: (id) => source.caseContents(id),
    outAssets,
    bulkOut: bulkOutTo(gig.id, source.bulk),
  });
  return { gigId: gig.id, name: gig.name, startsAt: gig.startsAt, timeZone: gig.timeZone, lines, extras, counts };
}

const EMPTY_LINE: Omit<PickLine, 'key' | 'kind'> = {
  name: '',
  code: '',
  unit: null,
  planned: 0,
  scanned: 0,
  missing: 0,
  where: null,
  contents: [],
};

/** What is still out to one gig (check-in): assets by case, loose assets, bulk units expected back. */
function returnsGroup(gig: Gig, source: PickListSource): PickGroup {
  const byCase = new Map<string | null, Asset[]>();
  for (const asset of source.outTo(gig.id).filter(live)) byCase.set(asset.caseId, [...(byCase.get(asset.caseId) ?? []), asset]);
  const lines: PickLine[] = [];
  for (const [caseId, assets] of byCase) {
    if (caseId === null) continue;
    const box = source.kase(caseId);
    lines.push({
      ...EMPTY_LINE,
      key: `case:${caseId}`,
      kind: 'case',
      name: box?.name ?? 'Case',
      code: box?.barcode ?? '',
      planned: assets.length,
      missing: assets.length,
      contents: assets.map((a) => item(a, false, 'still out')),
    });
  }
  for (const asset of byCase.get(null) ?? []) {
    lines.push({
      ...EMPTY_LINE,
      key: `asset:${asset.id}`,
      kind: 'asset',
      name: asset.name,
      code: asset.serialNumber,
      planned: 1,
      missing: 1,
    });
  }
  for (const stock of source.bulk) {
    const units = stock.outTo[gig.id] ?? 0;
    if (units <= 0 || stock.consumable) continue;
    lines.push({
      ...EMPTY_LINE,
      key: `bulk:${stock.id}`,
      kind: 'bulk',
      name: stock.name,
      code: stock.barcode,
      unit: stock.unit,
      planned: units,
      missing: units,
    });
  }
  return { gigId: gig.id, name: gig.name, startsAt: gig.startsAt, timeZone: gig.timeZone, lines, extras: [], counts: sumLines(lines) };
}

/** Counts as the lines add them up (check-in's expected returns, whose plan is what went out). */
function sumLines(lines: readonly PickLine[]): PickCounts {
  const counts = { planned: 0, scanned: 0, missing: 0, extra: 0 };
  for (const line of lines) {
    counts.planned += line.planned;
    counts.scanned += line.scanned;
    counts.missing += line.missing;
  }
  return counts;
}

function addCounts(groups: readonly PickGroup[]): PickCounts {
  const totals = { planned: 0, scanned: 0, missing: 0, extra: 0 };
  for (const { counts } of groups) {
    totals.planned += counts.planned;
    totals.scanned += counts.scanned;
    totals.missing += counts.missing;
    totals.extra += counts.extra;
  }
  return totals;
}

/**
 * The gig's pick list (check-out) or its expected returns (check-in), over the gig and its sets.
 * A set with nothing planned and nothing out is left out; the gig itself always has a group.
 */
export function buildPickList(gigId: string, mode: PickListView['mode'], source: PickListSource): PickListView {
  const gigName = (id: string): string | null => source.gig(id)?.name ?? null;
  const groups: PickGroup[] = [];
  for (const gig of subtree(gigId, source)) {
    const group = mode === 'check_out' ? pickGroup(gig, source, gigName) : returnsGroup(gig, source);
    if (gig.id === gigId || group.lines.length > 0 || group.extras.length > 0) groups.push(group);
  }
  return { gigId, mode, groups, totals: addCounts(groups) };
}

/**
 * Check-in ticks off what came back: `baseline` is the expected returns when check-in began for
 * this gig, `now` what is still out. A line or case content no longer out is returned (done); a
 * bulk line keeps what went out as planned and counts the units back as scanned. What went out
 * since the baseline is added as it is.
 */
export function tickReturns(baseline: PickListView, now: PickListView): PickListView {
  const groups = now.groups.map((group) => ({ ...group }));
  const byGig = new Map(groups.map((g) => [g.gigId, g]));
  for (const before of baseline.groups) {
    let group = byGig.get(before.gigId);
    if (group === undefined) {
      group = { ...before, lines: [], extras: [] };
      groups.push(group);
      byGig.set(group.gigId, group);
    }
    const nowLines = new Map(group.lines.map((l) => [l.key, l]));
    const merged: PickLine[] = [];
    for (const old of before.lines) {
      const current = nowLines.get(old.key);
      nowLines.delete(old.key);
      if (current === undefined) {
        merged.push({
          ...old,
          scanned: old.planned,
          missing: 0,
          contents: old.contents.map((c) => ({ ...c, done: true, where: 'returned' })),
        });
        continue;
      }
      const still = new Set(current.contents.map((c) => c.id));
      const gone = old.contents.filter((c) => !still.has(c.id)).map((c) => ({ ...c, done: true, where: 'returned' }));
      const planned = Math.max(old.planned, current.missing + gone.length);
      merged.push({ ...current, planned, scanned: planned - current.missing, contents: [...current.contents, ...gone] });
    }
    group.lines = [...merged, ...nowLines.values()];
    group.counts = sumLines(group.lines);
  }
  return { ...now, groups, totals: addCounts(groups) };
}
