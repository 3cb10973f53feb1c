import type { Row } from '../sync/model';

/** What the scan workflow looks up, offline, in the station's caches. */
export interface ScanCatalog {
  /** An asset by serial number or barcode (case-insensitive). */
  findAsset(code: string): Promise<Row | null>;
  findAssetById(id: string): Promise<Row | null>;
  findCase(barcode: string): Promise<Row | null>;
  findGig(code: string): Promise<Row | null>;
  findStaff(badge: string): Promise<Row | null>;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): Promise<Row[]>;
  /** The gig's kit assignments (its pick list). */
  pickList(gigId: string): Promise<Row[]>;
  /** Assets the station believes are out to the gig now (queued ops included). */
  assetsOutTo(gigId: string): Promise<Row[]>;
}
