/**
 * The storage port under the queue (core/store/queue.ts): the few plain reads and writes the
 * queue's semantics need, over five named collections, inside one transaction. Each platform
 * implements it with plain I/O and no queue rules — better-sqlite3 on the station
 * (main/sync/sqlite-storage.ts), IndexedDB in the PWA page and its service worker
 * (renderer/src/web/idb-storage.ts), and memory for fast unit tests (core/store/memory-storage.ts).
 *
 * Shaped after RxDB's RxStorage (one document API, one adapter per platform) and PowerSync's
 * bucket storage written once over a DBAdapter, cut down to what this queue uses: get / put /
 * delete by key, a scan in queue order, an entity's ops, counts. The collections keep the seed's
 * names where a platform stores them: `pending_sync` (ops), `gig_cache` / `asset_cache` /
 * `entity_cache` (cache), `conflicts`, `quarantine`, `sync_state` (state).
 *
 * Reads return what is stored, unchecked: anything written by another version, a bad migration
 * or a damaged disk can be there, and the queue checks it (see queue-store.ts readStored*). A value
 * an adapter cannot even decode (SQLite's JSON text columns) comes back as `Unreadable`.
 */
import type { CachedTable, OpStatus, QueuedOp, Row } from '../sync/model';

/** A stored value the adapter could not decode: its raw text and why. */
export class Unreadable {
  constructor(
    readonly text: string,
    readonly error: string,
  ) {}
}

/** A queued op as written: its fields and its entity key ("assets:<id>"), which orders and holds. */
export type OpRecord = QueuedOp & { entityKey: string };
/** A queued op as read: QueuedOp's field names, any values. */
export type StoredOpRecord = { readonly [K in keyof OpRecord]?: unknown } & { readonly id: string };
/** The fields of a stored op that change while it waits (never its identity or payload). */
export type OpPatch = Partial<Pick<QueuedOp, 'seq' | 'status' | 'retryCount' | 'nextAttemptAt' | 'lastError'>>;

/** A cached row as stored: `row` what the device shows (server row + queued ops), `serverRow` the server's last word. */
export interface StoredCacheRecord {
  readonly row: unknown;
  readonly serverRow: unknown;
}

export interface ConflictRecord {
  id: string;
  entityKey: string;
  op: QueuedOp;
  serverRow: Row | null;
  changedFields: string[];
  message: string;
  detectedAt: number;
}
export type StoredConflictRecord = { readonly [K in keyof ConflictRecord]?: unknown } & { readonly id: string };

export interface QuarantineRecord {
  id: string;
  entityKey: string;
  op: QueuedOp;
  code: string;
  message: string;
  quarantinedAt: number;
}
export type StoredQuarantineRecord = { readonly [K in keyof QuarantineRecord]?: unknown } & { readonly id: string };

/** Records under a string key that name the entity they hold (conflicts, quarantine). */
export interface KeyedCollection<Stored, Written> {
  get(id: string): Promise<Stored | undefined>;
  all(): Promise<Stored[]>;
  keys(): Promise<string[]>;
  /** Inserts or replaces the record under its id. */
  put(record: Written): Promise<void>;
  delete(id: string): Promise<void>;
  count(): Promise<number>;
  /** The entity keys of every record (an entity with one here sends nothing). */
  entityKeys(): Promise<string[]>;
}

/** What a verification reads of a stored server row: as stored, unchecked (a damaged row must count as different). */
export interface ServerVersion {
  id: string;
  version: unknown;
  updated_at: unknown;
}

export interface StorageTx {
  readonly ops: {
    get(id: string): Promise<StoredOpRecord | undefined>;
    /** Inserts or replaces the op under its id. */
    put(op: OpRecord): Promise<void>;
    /** Changes these fields of the op stored under `id`, if there is one. */
    patch(id: string, fields: OpPatch): Promise<void>;
    delete(id: string): Promise<void>;
    /**
     * Every stored op in queue order (ascending seq; one whose seq is not a number first, so it is
     * found and quarantined rather than skipped), until `visit` returns false. `visit` may not
     * call the storage: it collects, the caller writes after.
     */
    scan(visit: (op: StoredOpRecord) => boolean): Promise<void>;
    /** An entity's ops in queue order, only those after `afterSeq` when given. */
    forEntity(entityKey: string, afterSeq?: number): Promise<StoredOpRecord[]>;
    /**
     * The ops of each of these entities, each list in queue order (as forEntity, without
     * `afterSeq`), every key present. Optional: an adapter whose requests are costly (IndexedDB on a
     * phone) reads many entities' ops in one request; the queue asks per entity where it is absent.
     */
    forEntities?(entityKeys: readonly string[]): Promise<Map<string, StoredOpRecord[]>>;
    count(status?: OpStatus): Promise<number>;
    countForEntity(entityKey: string): Promise<number>;
    /** The distinct entity keys of stored ops that start with `prefix` ("cases:"), in key order. */
    entityKeys(prefix: string): Promise<string[]>;
    /** The earliest `timestamp` of any stored op, null when there is none. */
    oldestTimestamp(): Promise<number | null>;
  };
  readonly cache: {
    get(table: CachedTable, id: string): Promise<StoredCacheRecord | undefined>;
    /** Inserts or replaces the record. */
    put(table: CachedTable, id: string, record: { row: Row | null; serverRow: Row | null }, updatedAt: number): Promise<void>;
    delete(table: CachedTable, id: string): Promise<void>;
    /** Every `row` of the table that is not null, as stored. */
    rows(table: CachedTable): Promise<unknown[]>;
    /**
     * The id, version and updated_at of the records that hold a server row among up to `limit`
     * records of the table in id order after `afterId` (null: from the first) — what a
     * verification sums (core/sync/verify.ts), read a slice at a time so a station keeps answering
     * scans meanwhile. `next`: the id to read on from, null when the table has no more.
     */
    serverVersions(table: CachedTable, afterId: string | null, limit: number): Promise<{ versions: ServerVersion[]; next: string | null }>;
    /** The ids of every record of the table. */
    ids(table: CachedTable): Promise<string[]>;
    /** How many records of the table have a row that is not null. */
    count(table: CachedTable): Promise<number>;
    /** Empties every cached table. */
    clear(): Promise<void>;
  };
  readonly conflicts: KeyedCollection<StoredConflictRecord, ConflictRecord>;
  readonly quarantine: KeyedCollection<StoredQuarantineRecord, QuarantineRecord>;
  /** Small named values (sync_state): device id, next device sequence, pull cursor, settings. */
  readonly state: {
    get(key: string): Promise<string | null>;
    put(key: string, value: string): Promise<void>;
    delete(key: string): Promise<void>;
  };
}

export type TxMode = 'readonly' | 'readwrite';

/**
 * One database. `transaction` runs `work` atomically: every write it made is kept when its
 * promise resolves, none when it rejects; transactions never interleave (what one reads, no other
 * writes before it ends). `work` awaits nothing but `tx` — IndexedDB commits a transaction as soon
 * as it is left without a request — and never opens another transaction (it would wait for itself).
 * It may issue requests side by side (Promise.all): they take effect in the order issued.
 */
export interface QueueStorage {
  transaction<T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T>;
  close(): void;
}

/** A stored server row's verification fields, whatever shape it is in. */
export function serverVersion(id: string, serverRow: unknown): ServerVersion {
  const row = typeof serverRow === 'object' && serverRow !== null ? (serverRow as Record<string, unknown>) : {};
  return { id, version: row['version'], updated_at: row['updated_at'] };
}
