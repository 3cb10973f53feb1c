import type { Asset, BulkItem, Case, Gig, KitAssignment, Location, StaffProfile } from '../sync/rows';

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
  /** The staff profile with this email (case-insensitive): the signed-in crew member on a phone. */
  findStaffByEmail(email: string): Promise<StaffProfile | null>;
  /** A bulk item by its category/shelf barcode (case-insensitive). */
  findBulkItem(barcode: string): Promise<BulkItem | null>;
  /** A warehouse, zone, shelf or bin by the code on its label (case-insensitive); removed places are not found. */
  findLocation(code: string): Promise<Location | null>;
  findLocationById(id: string): Promise<Location | null>;
  /** Bulk items with units out to the gig now (their outTo names it; queued ops included). */
  bulkItemsOutTo(gigId: string): Promise<BulkItem[]>;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): Promise<Asset[]>;
  /**
   * A gig's child gigs (the sets of a festival day or stage), picked with it. Absent: a gig is
   * picked on its own.
   */
  childGigs?(gigId: string): Promise<Gig[]>;
  /** The gig's kit assignments (its pick list). */
  pickList(gigId: string): Promise<KitAssignment[]>;
  /** Assets the station believes are out to the gig now (queued ops included). */
  assetsOutTo(gigId: string): Promise<Asset[]>;
}
