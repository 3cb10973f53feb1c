import type { ScanCatalog } from '../../core/scan/catalog';
import type { CachedTable } from '../../core/sync/model';
import { decodeRow, type Asset, type Case, type Gig, type KitAssignment, type RowOf, type StaffProfile } from '../../core/sync/rows';
import type { SqliteQueueStore } from './sqlite-queue-store';

/**
 * ScanCatalog over the station database's caches (the station's view: queued ops applied). Rows
 * are decoded here, as they leave the database; one that fails its schema is left out.
 */
export class SqliteScanCatalog implements ScanCatalog {
  /** Reads through the store's prepared-statement cache: a scan runs several lookups. */
  constructor(private readonly store: SqliteQueueStore) {}

  private rows<T extends CachedTable>(table: T, sql: string, ...params: unknown[]): RowOf<T>[] {
    const out: RowOf<T>[] = [];
    for (const { row } of this.store.stmt(sql).all(...params) as { row: string | null }[]) {
      if (row === null) continue;
      const decoded = decodeRow(table, parseJson(row));
      if (decoded !== null) out.push(decoded);
    }
    return out;
  }

  private first<T extends CachedTable>(table: T, sql: string, ...params: unknown[]): Promise<RowOf<T> | null> {
    return Promise.resolve(this.rows(table, sql, ...params)[0] ?? null);
  }

  findAsset(code: string): Promise<Asset | null> {
    const key = code.toUpperCase();
    return this.first(
      'assets',
      `select row from asset_cache where upper(json_extract(row, '$.serial_number')) = ?
       union all select row from asset_cache where upper(json_extract(row, '$.barcode')) = ? limit 1`,
      key,
      key,
    );
  }

  findAssetById(id: string): Promise<Asset | null> {
    return this.first('assets', 'select row from asset_cache where id = ?', id);
  }

  findCase(barcode: string): Promise<Case | null> {
    return this.first(
      'cases',
      `select row from entity_cache where entity = 'cases' and upper(json_extract(row, '$.barcode')) = ?`,
      barcode.toUpperCase(),
    );
  }

  findCaseById(id: string): Promise<Case | null> {
    return this.first('cases', `select row from entity_cache where entity = 'cases' and id = ?`, id);
  }

  findGig(code: string): Promise<Gig | null> {
    return this.first('gigs', `select row from gig_cache where upper(json_extract(row, '$.code')) = ?`, code.toUpperCase());
  }

  findStaff(badge: string): Promise<StaffProfile | null> {
    return this.first(
      'staff_profiles',
      `select row from entity_cache where entity = 'staff_profiles' and upper(json_extract(row, '$.badge_code')) = ?`,
      badge.toUpperCase(),
    );
  }

  caseContents(caseId: string): Promise<Asset[]> {
    const cases = [caseId];
    for (let i = 0; i < cases.length && i < 1000; i += 1) {
      for (const child of this.rows(
        'cases',
        `select row from entity_cache where entity = 'cases' and json_extract(row, '$.parent_case_id') = ?`,
        cases[i],
      )) {
        if (!cases.includes(child.id)) cases.push(child.id);
      }
    }
    return Promise.resolve(
      cases.flatMap((id) => this.rows('assets', `select row from asset_cache where json_extract(row, '$.case_id') = ?`, id)),
    );
  }

  pickList(gigId: string): Promise<KitAssignment[]> {
    return Promise.resolve(
      this.rows(
        'kit_assignments',
        `select row from entity_cache where entity = 'kit_assignments' and json_extract(row, '$.gig_id') = ?`,
        gigId,
      ),
    );
  }

  assetsOutTo(gigId: string): Promise<Asset[]> {
    return Promise.resolve(this.rows('assets', `select row from asset_cache where json_extract(row, '$.current_gig_id') = ?`, gigId));
  }
}

/** Cache text that is not JSON is a damaged row: decodeRow reports it and it reads as absent. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparsable: text.slice(0, 64) };
  }
}
