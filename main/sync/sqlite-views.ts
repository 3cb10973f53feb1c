import type { AssetListItem, GigListItem } from '../../core/station-views';
import type { StationViews } from '../../core/station-handlers';
import type { QueuedOp } from '../../core/sync/model';
import { pickListFromCatalog, type PickLine } from '../../core/views/pick-list';
import { SqliteScanCatalog } from './sqlite-catalog';
import type { SqliteQueueStore } from './sqlite-queue-store';

type GigRecord = [string, string | null, string, string, string, string | null, string | null, number, number, number];
type AssetRecord = [string, string, string | null, string, string, string, string | null, string | null];

/**
 * The screens' lists, read straight from the caches' JSON with SQLite's json functions: only the
 * columns a list shows, as positional rows (20k assets in one statement, no per-row JSON.parse).
 */
export class SqliteStationViews implements StationViews {
  private readonly catalog: SqliteScanCatalog;

  constructor(private readonly store: SqliteQueueStore) {
    this.catalog = new SqliteScanCatalog(store);
  }

  listGigs(): Promise<GigListItem[]> {
    const records = this.store
      .stmt(
        `select g.id, g.row ->> '$.parent_gig_id', g.row ->> '$.code', g.row ->> '$.name', g.row ->> '$.status',
                g.row ->> '$.starts_at', g.row ->> '$.venue', coalesce(g.row ->> '$.version', 1), coalesce(o.n, 0), coalesce(p.n, 0)
           from gig_cache g
           left join (select row ->> '$.current_gig_id' as gig_id, count(*) as n from asset_cache
                       where row ->> '$.status' = 'checked_out' group by 1) o on o.gig_id = g.id
           left join (select row ->> '$.gig_id' as gig_id, sum(coalesce(row ->> '$.quantity', 1)) as n from entity_cache
                       where entity = 'kit_assignments' and row is not null group by 1) p on p.gig_id = g.id
          where g.row is not null and g.row ->> '$.deleted_at' is null
          order by g.row ->> '$.starts_at', g.row ->> '$.name'`,
      )
      .raw()
      .all() as GigRecord[];
    return Promise.resolve(
      records.map(([id, parentId, code, name, status, startsAt, venue, version, assetsOut, planned]) => ({
        id,
        parentId,
        code,
        name,
        status,
        startsAt,
        venue,
        version,
        assetsOut,
        planned,
      })),
    );
  }

  listAssets(): Promise<AssetListItem[]> {
    const records = this.store
      .stmt(
        `select id, row ->> '$.serial_number', row ->> '$.barcode', row ->> '$.name', row ->> '$.category', row ->> '$.status',
                row ->> '$.current_gig_id', row ->> '$.case_id'
           from asset_cache where row is not null and row ->> '$.deleted_at' is null`,
      )
      .raw()
      .all() as AssetRecord[];
    return Promise.resolve(
      records.map(([id, serial, barcode, name, category, status, gigId, caseId]) => ({
        id,
        serial,
        barcode,
        name,
        category,
        status,
        gigId,
        caseId,
      })),
    );
  }

  myAssignments(email: string): Promise<{ gigId: string; role: string }[]> {
    const rows = this.store
      .stmt(
        `select gs.row ->> '$.gig_id', gs.row ->> '$.role' from entity_cache gs
           join entity_cache sp on sp.entity = 'staff_profiles' and sp.id = gs.row ->> '$.staff_id'
          where gs.entity = 'gig_staff' and gs.row is not null and lower(sp.row ->> '$.email') = lower(?)`,
      )
      .raw()
      .all(email) as [string, string][];
    return Promise.resolve(rows.map(([gigId, role]) => ({ gigId, role })));
  }

  pickList(gigId: string): Promise<PickLine[]> {
    return pickListFromCatalog(gigId, this.catalog);
  }

  /** Queued ops on the asset or on the case it is in (what the history cannot show yet). */
  queuedFor(assetId: string, caseId: string | null): Promise<QueuedOp[]> {
    return Promise.resolve(this.store.queuedFor(caseId === null ? [`assets:${assetId}`] : [`assets:${assetId}`, `cases:${caseId}`]));
  }
}
