/**
 * The cached rows in memory, decoded (core/sync/rows.ts) and indexed by what the scan catalog and
 * the list views look up: an asset by serial number or barcode, a case's contents, a gig's pick
 * list. One implementation for every platform: it reads the queue's cached rows (core/store/queue.ts,
 * over SQLite on the station, IndexedDB in the PWA, memory in tests) and follows its cache-change
 * events. Neither SQLite's json functions nor IndexedDB can index an upper-cased JSON field, and a
 * scan looks up several rows, so the lookups are map reads over rows decoded once.
 *
 * Each table is read on first use (one listCached), then kept current: a change that carries the
 * rows it wrote (a scan, a settled batch, a pull page) is put in place; one that only names its rows
 * (another tab, the service worker) re-reads them in place when they are few, and drops the table,
 * rebuilt on its next read, when they are many. A row that fails its schema is absent (and reported
 * by decodeRow), never a crash.
 */
import type { CachedTable } from '../sync/model';
import { decodeRow, decodeRows, type RowOf } from '../sync/rows';
import type { CacheChange, Queue } from './queue';

/** What the index reads: the queue's cached rows and its change events. */
export type CacheSource = Pick<Queue, 'listCached' | 'getCached' | 'onCacheChange'>;

/**
 * A change that names up to this many rows of a table without carrying them, or up to 1 in
 * IN_PLACE_SHARE of its rows, is re-read row by row; a larger one drops the table (reading it whole
 * is then cheaper).
 */
const IN_PLACE_LIMIT = 50;
const IN_PLACE_SHARE = 20;

/** How each table's rows are grouped: a group's key (null: in no group of that kind). */
const GROUPS = {
  gigs: {
    code: (gig: RowOf<'gigs'>) => gig.code?.toUpperCase() ?? null,
    parentId: (gig: RowOf<'gigs'>) => gig.parentGigId,
  },
  assets: {
    serial: (asset: RowOf<'assets'>) => asset.serialNumber.toUpperCase(),
    barcode: (asset: RowOf<'assets'>) => asset.barcode?.toUpperCase() ?? null,
    caseId: (asset: RowOf<'assets'>) => asset.caseId,
    gigId: (asset: RowOf<'assets'>) => asset.currentGigId,
  },
  cases: {
    barcode: (box: RowOf<'cases'>) => box.barcode.toUpperCase(),
    parentId: (box: RowOf<'cases'>) => box.parentCaseId,
  },
  kit_assignments: { gigId: (line: RowOf<'kit_assignments'>) => line.gigId },
  gig_staff: { gigId: (assignment: RowOf<'gig_staff'>) => assignment.gigId },
  staff_profiles: {
    badge: (person: RowOf<'staff_profiles'>) => person.badgeCode.toUpperCase(),
    email: (person: RowOf<'staff_profiles'>) => person.email?.toLowerCase() ?? null,
  },
  bulk_items: {
    barcode: (item: RowOf<'bulk_items'>) => item.barcode.toUpperCase(),
    category: (item: RowOf<'bulk_items'>) => item.category,
  },
  locations: {
    code: (place: RowOf<'locations'>) => (place.deletedAt === null ? place.code.toUpperCase() : null),
    parentId: (place: RowOf<'locations'>) => place.parentLocationId,
  },
} as const satisfies { [T in CachedTable]: Record<string, (row: RowOf<T>) => string | null> };

type GroupName<T extends CachedTable> = keyof (typeof GROUPS)[T] & string;

/**
 * One table's decoded rows by id (in the order the store listed them; a changed row keeps its
 * place, a new one comes last) and grouped by each of its keys.
 */
export class RowTable<R extends { id: string }, G extends string> {
  private readonly rows = new Map<string, R>();
  private readonly groups = new Map<G, Map<string, R[]>>();

  constructor(private readonly keys: Readonly<Record<G, (row: R) => string | null>>) {
    for (const name of Object.keys(keys) as G[]) this.groups.set(name, new Map());
  }

  get byId(): ReadonlyMap<string, R> {
    return this.rows;
  }

  get(id: string): R | null {
    return this.rows.get(id) ?? null;
  }

  /** The rows whose `group` key is `key` (an empty list when none). */
  find(group: G, key: string): readonly R[] {
    return this.groups.get(group)?.get(key) ?? [];
  }

  /** The first row whose `group` key is `key`. */
  first(group: G, key: string): R | null {
    return this.find(group, key)[0] ?? null;
  }

  /** Sets the row stored under `id` (null: there is none now). */
  put(id: string, row: R | null): void {
    const old = this.rows.get(id);
    for (const [name, groups] of this.groups) {
      const keyOf = this.keys[name];
      const before = old === undefined ? null : keyOf(old);
      const after = row === null ? null : keyOf(row);
      if (before !== null && before === after && row !== null) {
        // Same group: the row keeps its place in it.
        const same = groups.get(before);
        const at = same?.findIndex((r) => r.id === id) ?? -1;
        if (same !== undefined && at >= 0) {
          same[at] = row;
          continue;
        }
      }
      if (before !== null) {
        const list = (groups.get(before) ?? []).filter((r) => r.id !== id);
        if (list.length === 0) groups.delete(before);
        else groups.set(before, list);
      }
      if (after !== null && row !== null) {
        const list = groups.get(after);
        if (list === undefined) groups.set(after, [row]);
        else list.push(row);
      }
    }
    if (row === null) this.rows.delete(id);
    else this.rows.set(id, row);
  }
}

export type TableOf<T extends CachedTable> = RowTable<RowOf<T>, GroupName<T>>;

/** The index over one queue store's caches. */
export class CacheIndex {
  private readonly tables = new Map<CachedTable, Promise<TableOf<CachedTable>>>();
  /** Each held table's row count when last settled (decides in place or rebuild as a change arrives). */
  private readonly sizes = new Map<CachedTable, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly source: CacheSource) {
    this.unsubscribe = source.onCacheChange((keys) => this.changed(keys));
  }

  /** The table's rows, decoded: read from the store on first use, current with every change since. */
  table<T extends CachedTable>(table: T): Promise<TableOf<T>> {
    const held = this.tables.get(table);
    if (held !== undefined) return held as Promise<unknown> as Promise<TableOf<T>>;
    return this.hold(table, this.build(table));
  }

  /**
   * Forgets every table, read again on next use: for changes the store does not announce to this
   * index (another tab or the PWA's service worker wrote the same IndexedDB).
   */
  invalidate(): void {
    this.tables.clear();
  }

  /**
   * Rows another context changed in the same store (a tab, the PWA's service worker: it names
   * them): re-read as this store's own changes are — in place, or the table dropped when many.
   */
  reread(keys: ReadonlySet<string>): void {
    this.changed(keys);
  }

  /** Reads every table now (the station warms the index at start, so its first scan and list pay no build). */
  async warm(): Promise<void> {
    await Promise.all((Object.keys(GROUPS) as CachedTable[]).map((table) => this.table(table)));
  }

  /** Stops following the store's changes. */
  close(): void {
    this.unsubscribe();
    this.tables.clear();
  }

  private async build<T extends CachedTable>(table: T): Promise<TableOf<T>> {
    const rows = decodeRows(table, await this.source.listCached(table));
    const index = new RowTable(GROUPS[table] as Record<GroupName<T>, (row: RowOf<T>) => string | null>);
    for (const row of rows) index.put(row.id, row);
    return index;
  }

  /** Keeps `pending` as the table's index; one that fails is dropped, so the next read builds again. */
  private hold<T extends CachedTable>(table: T, pending: Promise<TableOf<T>>): Promise<TableOf<T>> {
    const stored = pending as Promise<unknown> as Promise<TableOf<CachedTable>>;
    this.tables.set(table, stored);
    stored.then(
      (index) => this.sizes.set(table, index.byId.size),
      () => {
        // The reader sees the failure; the index only forgets the table (not an unhandled rejection).
        if (this.tables.get(table) === stored) this.tables.delete(table);
      },
    );
    return pending;
  }

  private changed(keys: CacheChange): void {
    const byTable = new Map<CachedTable, string[]>();
    for (const key of keys) {
      const at = key.indexOf(':');
      const table = key.slice(0, at) as CachedTable;
      if (!this.tables.has(table)) continue;
      const ids = byTable.get(table);
      if (ids === undefined) byTable.set(table, [key.slice(at + 1)]);
      else ids.push(key.slice(at + 1));
    }
    for (const [table, ids] of byTable) {
      const current = this.tables.get(table);
      if (current === undefined) continue;
      // The rows the change wrote usually come with it (a scan, a settled batch, a pull page): no
      // read then — on a phone a transaction per scan to read back the row it had just written cost
      // as much as the scan's own. Carried rows are always put in place, however many: decoding them
      // costs less than reading and decoding the whole table again (a phone's drain rebuilt its
      // 3,000 assets after every batch of 200, ~0.8 s of a 4× drain).
      const written = keys.rows;
      const known = written !== undefined && ids.every((id) => written.has(`${table}:${id}`));
      if (!known && ids.length > Math.max(IN_PLACE_LIMIT, (this.sizes.get(table) ?? 0) / IN_PLACE_SHARE)) {
        this.tables.delete(table);
        continue;
      }
      // Chained on the table's current state: a read after this change waits for it, in order. If
      // the rows cannot be read now, the table is read whole instead (never left half-updated).
      // Its readers see any failure; hold drops a table that failed (nothing is lost by not awaiting).
      void this.hold(
        table,
        current
          .then(async (index) => {
            const rows = known
              ? ids.map((id) => written.get(`${table}:${id}`) ?? null)
              : await Promise.all(ids.map((id) => this.source.getCached(table, id)));
            ids.forEach((id, i) => index.put(id, decodeRow(table, rows[i])));
            return index;
          })
          .catch(() => this.build(table)),
      );
    }
  }
}
