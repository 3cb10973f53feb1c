import type { Asset, Case, Gig, KitAssignment, StaffProfile } from '../sync/rows';

/**
 * What the scan workflow looks up, offline, in the station's caches. Implementations decode each
 * row once, where it leaves the store (core/sync/rows.ts): a row that fails its table's schema
 * is absent here, never an error.
 */
export interface ScanCatalog {
  /** An asset by serial number or barcode (case-insensitive). */
  findAsset(code: string): Promise<Asset | null>;
  findAssetById(id: string): Promise<Asset | null>;
  findCase(barcode: string): Promise<Case | null>;
  findCaseById(id: string): Promise<Case | null>;
  findGig(code: string): Promise<Gig | null>;
  findStaff(badge: string): Promise<StaffProfile | null>;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): Promise<Asset[]>;
  /** The gig's kit assignments (its pick list). */
  pickList(gigId: string): Promise<KitAssignment[]>;
  /** Assets the station believes are out to the gig now (queued ops included). */
  assetsOutTo(gigId: string): Promise<Asset[]>;
}
