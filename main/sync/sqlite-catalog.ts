import type { ScanCatalog } from '../../core/scan/catalog';
import { rowSchema, type Row } from '../../core/sync/model';
import type { SqliteQueueStore } from './sqlite-queue-store';

/** ScanCatalog over the station database's caches (the station's view: queued ops applied). */
export class SqliteScanCatalog implements ScanCatalog {
  /** Reads through the store's prepared-statement cache: a scan runs several lookups. */
  constructor(private readonly store: SqliteQueueStore) {}

  private rows(sql: string, ...params: unknown[]): Row[] {
    return (this.store.stmt(sql).all(...params) as { row: string | null }[])
      .filter((r): r is { row: string } => r.row !== null)
      .map((r) => rowSchema.parse(JSON.parse(r.row)) as Row);
  }

  private first(sql: string, ...params: unknown[]): Promise<Row | null> {
    return Promise.resolve(this.rows(sql, ...params)[0] ?? null);
  }

  findAsset(code: string): Promise<Row | null> {
    const key = code.toUpperCase();
    return this.first(
      `select row from asset_cache where upper(json_extract(row, '$.serial_number')) = ?
       union all select row from asset_cache where upper(json_extract(row, '$.barcode')) = ? limit 1`,
      key,
      key,
    );
  }

  findAssetById(id: string): Promise<Row | null> {
    return this.first('select row from asset_cache where id = ?', id);
  }

  findCase(barcode: string): Promise<Row | null> {
    return this.first(
      `select row from entity_cache where entity = 'cases' and upper(json_extract(row, '$.barcode')) = ?`,
      barcode.toUpperCase(),
    );
  }

  findGig(code: string): Promise<Row | null> {
    return this.first(`select row from gig_cache where upper(json_extract(row, '$.code')) = ?`, code.toUpperCase());
  }

  findStaff(badge: string): Promise<Row | null> {
    return this.first(
      `select row from entity_cache where entity = 'staff_profiles' and upper(json_extract(row, '$.badge_code')) = ?`,
      badge.toUpperCase(),
    );
  }

  caseContents(caseId: string): Promise<Row[]> {
    const cases = [caseId];
    for (let i = 0; i < cases.length && i < 1000; i += 1) {
      for (const child of this.rows(
        `select row from entity_cache where entity = 'cases' and json_extract(row, '$.parent_case_id') = ?`,
        cases[i],
      )) {
        if (!cases.includes(child.id)) cases.push(child.id);
      }
    }
    return Promise.resolve(cases.flatMap((id) => this.rows(`select row from asset_cache where json_extract(row, '$.case_id') = ?`, id)));
  }

  pickList(gigId: string): Promise<Row[]> {
    return Promise.resolve(
      this.rows(`select row from entity_cache where entity = 'kit_assignments' and json_extract(row, '$.gig_id') = ?`, gigId),
    );
  }

  assetsOutTo(gigId: string): Promise<Row[]> {
    return Promise.resolve(this.rows(`select row from asset_cache where json_extract(row, '$.current_gig_id') = ?`, gigId));
  }
}
