/**
 * The scan catalog (core/scan/catalog.ts) over the cache index: barcode → asset, case, gig or
 * staff member, and what a gig's progress needs. The same code on the station and the phone; codes
 * compare upper-cased, an asset answers to its serial number first, then its barcode.
 */
import type { ScanCatalog } from '../scan/catalog';
import type { Asset, BulkItem, Case, Gig, KitAssignment, Location, StaffProfile } from '../sync/rows';
import type { CacheIndex, TableOf } from './cache-index';

/** How many nested cases one case's contents follow (a damaged parent chain must not loop). */
const MAX_NESTED_CASES = 1000;

/** Every asset in a case and the cases nested in it, case by case (the case first). */
export function caseContents(caseId: string, cases: TableOf<'cases'>, assets: TableOf<'assets'>): Asset[] {
  const ids = [caseId];
  const seen = new Set(ids);
  for (let i = 0; i < ids.length && i < MAX_NESTED_CASES; i += 1) {
    for (const child of cases.find('parentId', ids[i] ?? '')) {
      if (!seen.has(child.id)) {
        seen.add(child.id);
        ids.push(child.id);
      }
    }
  }
  return ids.flatMap((id) => assets.find('caseId', id));
}

export class CacheScanCatalog implements ScanCatalog {
  constructor(private readonly index: CacheIndex) {}

  async findAsset(code: string): Promise<Asset | null> {
    const assets = await this.index.table('assets');
    const key = code.toUpperCase();
    return assets.first('serial', key) ?? assets.first('barcode', key);
  }

  async findAssetById(id: string): Promise<Asset | null> {
    return (await this.index.table('assets')).get(id);
  }

  async findCase(barcode: string): Promise<Case | null> {
    return (await this.index.table('cases')).first('barcode', barcode.toUpperCase());
  }

  async findCaseById(id: string): Promise<Case | null> {
    return (await this.index.table('cases')).get(id);
  }

  async findGig(code: string): Promise<Gig | null> {
    return (await this.index.table('gigs')).first('code', code.toUpperCase());
  }

  async findStaff(badge: string): Promise<StaffProfile | null> {
    return (await this.index.table('staff_profiles')).first('badge', badge.toUpperCase());
  }

  async findStaffByEmail(email: string): Promise<StaffProfile | null> {
    return (await this.index.table('staff_profiles')).first('email', email.toLowerCase());
  }

  async findBulkItem(barcode: string): Promise<BulkItem | null> {
    return (await this.index.table('bulk_items')).first('barcode', barcode.toUpperCase());
  }

  async findLocation(code: string): Promise<Location | null> {
    const place = (await this.index.table('locations')).first('code', code.toUpperCase());
    return place === null || place.deletedAt !== null ? null : place;
  }

  async findLocationById(id: string): Promise<Location | null> {
    const place = (await this.index.table('locations')).get(id);
    return place === null || place.deletedAt !== null ? null : place;
  }

  async bulkItemsOutTo(gigId: string): Promise<BulkItem[]> {
    // A few dozen bulk items per organization: read them all rather than index a map's keys.
    return [...(await this.index.table('bulk_items')).byId.values()].filter((item) => (item.outTo[gigId] ?? 0) > 0);
  }

  async childGigs(gigId: string): Promise<Gig[]> {
    return [...(await this.index.table('gigs')).find('parentId', gigId)];
  }

  async caseContents(caseId: string): Promise<Asset[]> {
    const [cases, assets] = await Promise.all([this.index.table('cases'), this.index.table('assets')]);
    return caseContents(caseId, cases, assets);
  }

  async pickList(gigId: string): Promise<KitAssignment[]> {
    return [...(await this.index.table('kit_assignments')).find('gigId', gigId)];
  }

  async assetsOutTo(gigId: string): Promise<Asset[]> {
    return [...(await this.index.table('assets')).find('gigId', gigId)];
  }
}
