/**
 * Search, filters and sort over every asset the station holds, in memory: built once per cache
 * change, queried on every keystroke. Each asset gets one lower-case haystack (serial, barcode,
 * name, category) and a location label; each sort order is computed once and reused, so a
 * keystroke is one pass over the assets.
 */

import type { AssetListItem } from '../station-views';

export const ASSET_SORTS = ['serial', 'name', 'category', 'status', 'location'] as const;
export type AssetSort = (typeof ASSET_SORTS)[number];

export const WAREHOUSE = 'warehouse';

export interface AssetFilter {
  query: string;
  status: string | null;
  category: string | null;
  /** `WAREHOUSE` or a gig id. */
  location: string | null;
  /** A place (warehouse, zone, shelf or bin): what is there or anywhere inside it. */
  place?: string | null;
}

export interface AssetEntry {
  asset: AssetListItem;
  location: string;
  locationLabel: string;
}

export class AssetIndex {
  readonly entries: readonly AssetEntry[];
  private readonly haystacks: string[];
  private readonly orders = new Map<AssetSort, number[]>();
  private readonly unfiltered = new Map<AssetSort, AssetEntry[]>();
  private facetCache: ReturnType<AssetIndex['countFacets']> | null = null;

  constructor(assets: readonly AssetListItem[], gigName: (id: string) => string | undefined) {
    this.entries = assets.map((asset) => {
      const location = asset.gigId ?? WAREHOUSE;
      // In the warehouse: its shelf when the device knows it.
      return {
        asset,
        location,
        locationLabel: asset.gigId === null ? (asset.place ?? 'Warehouse') : (gigName(asset.gigId) ?? 'Unknown gig'),
      };
    });
    // The place's words too: "WH1-A03" or "Shelf A03" finds what is on that shelf.
    this.haystacks = assets.map((a) =>
      `${a.serial}\u0000${a.barcode ?? ''}\u0000${a.name}\u0000${a.category}\u0000${a.place ?? ''}`.toLowerCase(),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  /** Distinct values with counts, for the filter menus (counted once per index). */
  facets(): ReturnType<AssetIndex['countFacets']> {
    this.facetCache ??= this.countFacets();
    return this.facetCache;
  }

  private countFacets(): {
    statuses: [string, number][];
    categories: [string, number][];
    locations: [string, string, number][];
    /** Items at each place or inside it, by place id. */
    places: ReadonlyMap<string, number>;
  } {
    const places = new Map<string, number>();
    const statuses = new Map<string, number>();
    const categories = new Map<string, number>();
    const locations = new Map<string, [string, number]>();
    for (const { asset, location, locationLabel } of this.entries) {
      statuses.set(asset.status, (statuses.get(asset.status) ?? 0) + 1);
      categories.set(asset.category, (categories.get(asset.category) ?? 0) + 1);
      const seen = locations.get(location);
      locations.set(location, [location === WAREHOUSE ? 'Warehouse' : locationLabel, (seen?.[1] ?? 0) + 1]);
      for (const placeId of asset.placeIds) places.set(placeId, (places.get(placeId) ?? 0) + 1);
    }
    const byName = (a: [string, unknown], b: [string, unknown]): number => a[0].localeCompare(b[0]);
    return {
      places,
      statuses: [...statuses].sort(byName),
      categories: [...categories].sort(byName),
      locations: [...locations]
        .map(([id, [label, count]]): [string, string, number] => [id, label, count])
        .sort((a, b) => (a[0] === WAREHOUSE ? -1 : b[0] === WAREHOUSE ? 1 : a[1].localeCompare(b[1]))),
    };
  }

  /** Opening the list (no filter) reuses the last answer: the screen mounts without a pass over every asset. */
  query(filter: AssetFilter, sort: AssetSort): AssetEntry[] {
    const needle = filter.query.trim().toLowerCase();
    const place = filter.place ?? null;
    const everything = needle === '' && filter.status === null && filter.category === null && filter.location === null && place === null;
    if (everything) {
      let all = this.unfiltered.get(sort);
      if (all === undefined) {
        all = this.order(sort).map((i) => this.entries[i] as AssetEntry);
        this.unfiltered.set(sort, all);
      }
      return all;
    }
    const out: AssetEntry[] = [];
    for (const i of this.order(sort)) {
      const entry = this.entries[i] as AssetEntry;
      if (filter.status !== null && entry.asset.status !== filter.status) continue;
      if (filter.category !== null && entry.asset.category !== filter.category) continue;
      if (filter.location !== null && entry.location !== filter.location) continue;
      if (place !== null && !entry.asset.placeIds.includes(place)) continue;
      if (needle !== '' && !(this.haystacks[i] as string).includes(needle)) continue;
      out.push(entry);
    }
    return out;
  }

  private order(sort: AssetSort): number[] {
    let order = this.orders.get(sort);
    if (order === undefined) {
      const key = (e: AssetEntry): string =>
        sort === 'serial'
          ? e.asset.serial
          : sort === 'name'
            ? e.asset.name
            : sort === 'category'
              ? e.asset.category
              : sort === 'status'
                ? e.asset.status
                : e.locationLabel;
      const keys = this.entries.map((e) => `${key(e).toLowerCase()}\u0000${e.asset.serial.toLowerCase()}`);
      order = keys
        .map((_, i) => i)
        .sort((a, b) => ((keys[a] as string) < (keys[b] as string) ? -1 : (keys[a] as string) > (keys[b] as string) ? 1 : 0));
      this.orders.set(sort, order);
    }
    return order;
  }
}
