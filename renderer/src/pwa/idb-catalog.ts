import type { ScanCatalog } from '../../../core/scan/catalog';
import type { Row } from '../../../core/sync/model';
import type { IdbQueueStore } from './idb-queue-store';

interface Lookup {
  assetsByCode: Map<string, Row>;
  assetsById: Map<string, Row>;
  assetsByCase: Map<string, Row[]>;
  assetsByGig: Map<string, Row[]>;
  casesByBarcode: Map<string, Row>;
  caseChildren: Map<string, Row[]>;
  gigsByCode: Map<string, Row>;
  staffByBadge: Map<string, Row>;
  kitByGig: Map<string, Row[]>;
}

function push(map: Map<string, Row[]>, key: unknown, row: Row): void {
  if (typeof key !== 'string') return;
  const list = map.get(key);
  if (list === undefined) map.set(key, [row]);
  else list.push(row);
}

const upper = (value: unknown): string | null => (typeof value === 'string' ? value.toUpperCase() : null);

/**
 * ScanCatalog over the PWA's caches. IndexedDB cannot index an upper-cased JSON field, so the
 * lookups live in memory: built on the first scan after the caches change, then each scan is a
 * map lookup (one getAll per table per change, not per scan).
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
        for (const [, id] of ids) if (id !== undefined) this.replaceAsset(lookup, id, await store.getCached('assets', id));
        return lookup;
      });
    });
  }

  private replaceAsset(lookup: Lookup, id: string, row: Row | null): void {
    const old = lookup.assetsById.get(id);
    if (old !== undefined) {
      for (const code of [upper(old['barcode']), upper(old['serial_number'])]) if (code !== null) lookup.assetsByCode.delete(code);
      for (const [map, key] of [
        [lookup.assetsByCase, old['case_id']],
        [lookup.assetsByGig, old['current_gig_id']],
      ] as const) {
        if (typeof key !== 'string') continue;
        const list = map.get(key)?.filter((a) => a.id !== id) ?? [];
        if (list.length === 0) map.delete(key);
        else map.set(key, list);
      }
      lookup.assetsById.delete(id);
    }
    if (row === null) return;
    lookup.assetsById.set(id, row);
    for (const code of [upper(row['barcode']), upper(row['serial_number'])]) if (code !== null) lookup.assetsByCode.set(code, row);
    push(lookup.assetsByCase, row['case_id'], row);
    push(lookup.assetsByGig, row['current_gig_id'], row);
  }

  private index(): Promise<Lookup> {
    this.lookup ??= this.build();
    return this.lookup;
  }

  private async build(): Promise<Lookup> {
    const [assets, cases, gigs, staff, kit] = await Promise.all(
      (['assets', 'cases', 'gigs', 'staff_profiles', 'kit_assignments'] as const).map((table) => this.store.listCached(table)),
    );
    const lookup: Lookup = {
      assetsByCode: new Map(),
      assetsById: new Map(),
      assetsByCase: new Map(),
      assetsByGig: new Map(),
      casesByBarcode: new Map(),
      caseChildren: new Map(),
      gigsByCode: new Map(),
      staffByBadge: new Map(),
      kitByGig: new Map(),
    };
    for (const asset of assets ?? []) {
      lookup.assetsById.set(asset.id, asset);
      for (const code of [upper(asset['barcode']), upper(asset['serial_number'])]) if (code !== null) lookup.assetsByCode.set(code, asset);
      push(lookup.assetsByCase, asset['case_id'], asset);
      push(lookup.assetsByGig, asset['current_gig_id'], asset);
    }
    for (const box of cases ?? []) {
      const code = upper(box['barcode']);
      if (code !== null) lookup.casesByBarcode.set(code, box);
      push(lookup.caseChildren, box['parent_case_id'], box);
    }
    for (const gig of gigs ?? []) {
      const code = upper(gig['code']);
      if (code !== null) lookup.gigsByCode.set(code, gig);
    }
    for (const person of staff ?? []) {
      const badge = upper(person['badge_code']);
      if (badge !== null) lookup.staffByBadge.set(badge, person);
    }
    for (const line of kit ?? []) push(lookup.kitByGig, line['gig_id'], line);
    return lookup;
  }

  async findAsset(code: string): Promise<Row | null> {
    return (await this.index()).assetsByCode.get(code.toUpperCase()) ?? null;
  }

  async findAssetById(id: string): Promise<Row | null> {
    return (await this.index()).assetsById.get(id) ?? null;
  }

  async findCase(barcode: string): Promise<Row | null> {
    return (await this.index()).casesByBarcode.get(barcode.toUpperCase()) ?? null;
  }

  async findGig(code: string): Promise<Row | null> {
    return (await this.index()).gigsByCode.get(code.toUpperCase()) ?? null;
  }

  async findStaff(badge: string): Promise<Row | null> {
    return (await this.index()).staffByBadge.get(badge.toUpperCase()) ?? null;
  }

  async caseContents(caseId: string): Promise<Row[]> {
    const lookup = await this.index();
    const cases = [caseId];
    for (let i = 0; i < cases.length && i < 1000; i += 1) {
      for (const child of lookup.caseChildren.get(cases[i] ?? '') ?? []) if (!cases.includes(child.id)) cases.push(child.id);
    }
    return cases.flatMap((id) => lookup.assetsByCase.get(id) ?? []);
  }

  async pickList(gigId: string): Promise<Row[]> {
    return (await this.index()).kitByGig.get(gigId) ?? [];
  }

  async assetsOutTo(gigId: string): Promise<Row[]> {
    return (await this.index()).assetsByGig.get(gigId) ?? [];
  }
}
