import type { ScanCatalog } from '../../../core/scan/catalog';
import { decodeRow, decodeRows, type Asset, type Case, type Gig, type KitAssignment, type StaffProfile } from '../../../core/sync/rows';
import type { IdbQueueStore } from './idb-queue-store';

interface Lookup {
  assetsByCode: Map<string, Asset>;
  assetsById: Map<string, Asset>;
  assetsByCase: Map<string, Asset[]>;
  assetsByGig: Map<string, Asset[]>;
  casesByBarcode: Map<string, Case>;
  casesById: Map<string, Case>;
  caseChildren: Map<string, Case[]>;
  gigsByCode: Map<string, Gig>;
  staffByBadge: Map<string, StaffProfile>;
  kitByGig: Map<string, KitAssignment[]>;
}

function push<T>(map: Map<string, T[]>, key: string | null, row: T): void {
  if (key === null) return;
  const list = map.get(key);
  if (list === undefined) map.set(key, [row]);
  else list.push(row);
}

/**
 * ScanCatalog over the PWA's caches. IndexedDB cannot index an upper-cased JSON field, so the
 * lookups live in memory: built on the first scan after the caches change, then each scan is a
 * map lookup (one getAll per table per change, not per scan). Rows are decoded (core/sync/rows.ts)
 * as they are read into the lookups; one that fails its schema is left out.
 */
export class IdbScanCatalog implements ScanCatalog {
  private lookup: Promise<Lookup> | null = null;

  constructor(private readonly store: IdbQueueStore) {
    store.onCacheChange((keys) => {
      // A scan changes one asset: update it in place. Anything else (a pull, other tables) rebuilds.
      const ids = [...keys].map((key) => key.split(':'));
      if (this.lookup === null || ids.length > 50 || ids.some(([table]) => table !== 'assets')) {
        this.lookup = null;
        return;
      }
      const current = this.lookup;
      this.lookup = current.then(async (lookup) => {
        for (const [, id] of ids)
          if (id !== undefined) this.replaceAsset(lookup, id, decodeRow('assets', await store.getCached('assets', id)));
        return lookup;
      });
    });
  }

  private replaceAsset(lookup: Lookup, id: string, row: Asset | null): void {
    const old = lookup.assetsById.get(id);
    if (old !== undefined) {
      for (const code of codes(old)) lookup.assetsByCode.delete(code);
      for (const [map, key] of [
        [lookup.assetsByCase, old.caseId],
        [lookup.assetsByGig, old.currentGigId],
      ] as const) {
        if (key === null) continue;
        const list = map.get(key)?.filter((a) => a.id !== id) ?? [];
        if (list.length === 0) map.delete(key);
        else map.set(key, list);
      }
      lookup.assetsById.delete(id);
    }
    if (row === null) return;
    this.addAsset(lookup, row);
  }

  private addAsset(lookup: Lookup, asset: Asset): void {
    lookup.assetsById.set(asset.id, asset);
    for (const code of codes(asset)) lookup.assetsByCode.set(code, asset);
    push(lookup.assetsByCase, asset.caseId, asset);
    push(lookup.assetsByGig, asset.currentGigId, asset);
  }

  private index(): Promise<Lookup> {
    this.lookup ??= this.build();
    return this.lookup;
  }

  private async build(): Promise<Lookup> {
    const [assets, cases, gigs, staff, kit] = await Promise.all([
      this.store.listCached('assets').then((rows) => decodeRows('assets', rows)),
      this.store.listCached('cases').then((rows) => decodeRows('cases', rows)),
      this.store.listCached('gigs').then((rows) => decodeRows('gigs', rows)),
      this.store.listCached('staff_profiles').then((rows) => decodeRows('staff_profiles', rows)),
      this.store.listCached('kit_assignments').then((rows) => decodeRows('kit_assignments', rows)),
    ]);
    const lookup: Lookup = {
      assetsByCode: new Map(),
      assetsById: new Map(),
      assetsByCase: new Map(),
      assetsByGig: new Map(),
      casesByBarcode: new Map(),
      casesById: new Map(),
      caseChildren: new Map(),
      gigsByCode: new Map(),
      staffByBadge: new Map(),
      kitByGig: new Map(),
    };
    for (const asset of assets) this.addAsset(lookup, asset);
    for (const box of cases) {
      lookup.casesByBarcode.set(box.barcode.toUpperCase(), box);
      lookup.casesById.set(box.id, box);
      push(lookup.caseChildren, box.parentCaseId, box);
    }
    for (const gig of gigs) if (gig.code !== null) lookup.gigsByCode.set(gig.code.toUpperCase(), gig);
    for (const person of staff) lookup.staffByBadge.set(person.badgeCode.toUpperCase(), person);
    for (const line of kit) push(lookup.kitByGig, line.gigId, line);
    return lookup;
  }

  async findAsset(code: string): Promise<Asset | null> {
    return (await this.index()).assetsByCode.get(code.toUpperCase()) ?? null;
  }

  async findAssetById(id: string): Promise<Asset | null> {
    return (await this.index()).assetsById.get(id) ?? null;
  }

  async findCase(barcode: string): Promise<Case | null> {
    return (await this.index()).casesByBarcode.get(barcode.toUpperCase()) ?? null;
  }

  async findCaseById(id: string): Promise<Case | null> {
    return (await this.index()).casesById.get(id) ?? null;
  }

  async findGig(code: string): Promise<Gig | null> {
    return (await this.index()).gigsByCode.get(code.toUpperCase()) ?? null;
  }

  async findStaff(badge: string): Promise<StaffProfile | null> {
    return (await this.index()).staffByBadge.get(badge.toUpperCase()) ?? null;
  }

  async caseContents(caseId: string): Promise<Asset[]> {
    const lookup = await this.index();
    const cases = [caseId];
    for (let i = 0; i < cases.length && i < 1000; i += 1) {
      for (const child of lookup.caseChildren.get(cases[i] ?? '') ?? []) if (!cases.includes(child.id)) cases.push(child.id);
    }
    return cases.flatMap((id) => lookup.assetsByCase.get(id) ?? []);
  }

  async pickList(gigId: string): Promise<KitAssignment[]> {
    return (await this.index()).kitByGig.get(gigId) ?? [];
  }

  async assetsOutTo(gigId: string): Promise<Asset[]> {
    return (await this.index()).assetsByGig.get(gigId) ?? [];
  }
}

/** The codes an asset answers to: barcode and serial number, upper-cased. */
function codes(asset: Asset): string[] {
  return asset.barcode === null ? [asset.serialNumber.toUpperCase()] : [asset.barcode.toUpperCase(), asset.serialNumber.toUpperCase()];
}
