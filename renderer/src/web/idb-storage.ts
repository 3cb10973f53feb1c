import { openDB, unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { CachedTable, OpStatus, Row } from '../../../core/sync/model';
import {
  serverVersion,
  type ConflictRecord,
  type KeyedCollection,
  type OpRecord,
  type QuarantineRecord,
  type QueueStorage,
  type StorageTx,
  type StoredConflictRecord,
  type StoredOpRecord,
  type StoredQuarantineRecord,
  type TxMode,
} from '../../../core/store/port';

interface CacheRecord {
  id: string;
  row: Row | null;
  serverRow: Row | null;
  updatedAt: number;
}

interface EntityRecord extends CacheRecord {
  entity: string;
}

interface StationDb extends DBSchema {
  pending_sync: { key: string; value: OpRecord; indexes: { seq: number; entity: [string, number]; status: string; timestamp: number } };
  gig_cache: { key: string; value: CacheRecord };
  asset_cache: { key: string; value: CacheRecord };
  entity_cache: { key: [string, string]; value: EntityRecord; indexes: { entity: string } };
  conflicts: { key: string; value: ConflictRecord };
  quarantine: { key: string; value: QuarantineRecord };
  sync_state: { key: string; value: { key: string; value: string } };
}

type Names = StoreNames<StationDb>;

const ALL: Names[] = ['pending_sync', 'gig_cache', 'asset_cache', 'entity_cache', 'conflicts', 'quarantine', 'sync_state'];
const SIMPLE_CACHE: Partial<Record<CachedTable, 'gig_cache' | 'asset_cache'>> = { gigs: 'gig_cache', assets: 'asset_cache' };

/**
 * The schema by version; an upgrade runs every step after the version the database is at, so a
 * database from any earlier version arrives at the latest with its data.
 */
export const IDB_VERSION = 2;
function upgrade(database: IDBPDatabase<StationDb>, oldVersion: number, tx: IDBPTransaction<StationDb, Names[], 'versionchange'>): void {
  if (oldVersion < 1) {
    // 1: the seed's stores (pending_sync, gig_cache, asset_cache) and what the engine needs.
    const ops = database.createObjectStore('pending_sync', { keyPath: 'id' });
    ops.createIndex('seq', 'seq', { unique: true });
    ops.createIndex('entity', ['entityKey', 'seq']);
    ops.createIndex('status', 'status');
    database.createObjectStore('gig_cache', { keyPath: 'id' });
    database.createObjectStore('asset_cache', { keyPath: 'id' });
    database.createObjectStore('entity_cache', { keyPath: ['entity', 'id'] }).createIndex('entity', 'entity');
    database.createObjectStore('conflicts', { keyPath: 'id' });
    database.createObjectStore('quarantine', { keyPath: 'id' });
    database.createObjectStore('sync_state', { keyPath: 'key' });
  }
  if (oldVersion < 2) {
    // 2: the oldest queued op by its time (stats), as SQLite's min(timestamp).
    tx.objectStore('pending_sync').createIndex('timestamp', 'timestamp');
  }
}

/** Queue order; a record without a numeric seq first, so that it is found (and quarantined) rather than skipped. */
function seqOrder(record: { seq?: unknown }): number {
  return typeof record.seq === 'number' ? record.seq : Number.MIN_SAFE_INTEGER;
}

/**
 * Several entities' ops (StorageTx.ops.forEntities): up to FEW_ENTITIES, or when the queue holds more
 * than RECORDS_PER_REQUEST records per entity asked for, one request per entity; else one read of
 * the whole queue. On a phone's CPU a request costs about as much as reading a few dozen records.
 */
const FEW_ENTITIES = 4;
const RECORDS_PER_REQUEST = 20;

const entityRange = (key: string, afterSeq?: number): IDBKeyRange =>
  afterSeq === undefined ? IDBKeyRange.bound([key, -Infinity], [key, Infinity]) : IDBKeyRange.bound([key, afterSeq], [key, Infinity], true);

/**
 * The storage port on IndexedDB, for the PWA page and its service worker, with the seed's store
 * names. A transaction is one IndexedDB transaction over every store; the queue awaits nothing
 * but its requests, so it stays open until the work is done. IndexedDB serializes read-write
 * transactions, so two tabs or a tab and the service worker never claim the same op. Records are
 * stored as values (structured clone): nothing needs decoding.
 *
 * Requests go to IndexedDB directly (idb only opens and upgrades the database): on a phone's CPU
 * each request's wrapping (a Proxy, two listeners added and removed, a promise) cost as much as
 * the request, and a scan makes several.
 */
export class IdbStorage implements QueueStorage {
  private constructor(
    private readonly db: IDBPDatabase<StationDb>,
    private readonly raw: IDBDatabase,
  ) {}

  static async open(name: string): Promise<IdbStorage> {
    const db = await openDB<StationDb>(name, IDB_VERSION, {
      upgrade: (database, oldVersion, _newVersion, tx) => upgrade(database, oldVersion, tx),
      // Another context upgrades the schema: this one closes so the upgrade can proceed.
      blocking: () => db.close(),
    });
    return new IdbStorage(db, unwrap(db));
  }

  get name(): string {
    return this.db.name;
  }

  close(): void {
    this.db.close();
  }

  async transaction<T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T> {
    // Durability "strict": a write resolves only once it is flushed, like SQLite's synchronous=FULL.
    const tx = this.raw.transaction(ALL, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
    const requests = new Requests(tx);
    try {
      const result = await work(port(tx, requests));
      await requests.done;
      return result;
    } catch (error) {
      // Nothing of a failed transaction may stay: abort, and let the abort's own rejection go.
      requests.done.catch(() => undefined);
      try {
        tx.abort();
      } catch {
        // already finished
      }
      // A write that failed aborted the transaction: its error, not a later request's "aborted", is the cause.
      throw requests.failure ?? error;
    }
  }
}

/**
 * One transaction's requests as promises. A write is not waited for: IndexedDB runs a
 * transaction's requests in the order issued (a read after a write sees it), and a write that
 * fails aborts the transaction, so its error comes out of `done` (the commit) instead — all of
 * the work is kept or none, as before, with one round trip less per write.
 */
class Requests {
  failure: Error | undefined = undefined;
  readonly done: Promise<void>;

  constructor(tx: IDBTransaction) {
    this.done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(this.failure ?? tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
    });
  }

  /** A read: resolves with its result. A request that cannot even be made (a bad key) rejects, never throws. */
  read<R>(make: () => IDBRequest<R>): Promise<R> {
    return new Promise((resolve, reject) => {
      const request = make();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new DOMException('the request failed', 'UnknownError'));
    });
  }

  /** A write: issued now, its failure reported by the transaction (see above). */
  write(make: () => IDBRequest): Promise<void> {
    try {
      const request = make();
      request.onerror = () => {
        this.failure ??= request.error ?? new DOMException('a write failed', 'UnknownError');
      };
      return Promise.resolve();
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      this.failure ??= error;
      return Promise.reject(error);
    }
  }
}

function keyed<Stored extends { readonly id: string }, Written>(
  name: 'conflicts' | 'quarantine',
  tx: IDBTransaction,
  requests: Requests,
): KeyedCollection<Stored, Written> {
  const store = tx.objectStore(name);
  return {
    get: (id) => requests.read(() => store.get(id) as IDBRequest<Stored | undefined>),
    all: () => requests.read(() => store.getAll() as IDBRequest<Stored[]>),
    keys: async () => (await requests.read(() => store.getAllKeys())).map(String),
    put: (record) => requests.write(() => store.put(record)),
    delete: (id) => requests.write(() => store.delete(id)),
    count: () => requests.read(() => store.count()),
    entityKeys: async () =>
      (await requests.read(() => store.getAll() as IDBRequest<{ entityKey?: unknown }[]>)).map((r) => String(r.entityKey)),
  };
}

function port(tx: IDBTransaction, requests: Requests): StorageTx {
  const ops = tx.objectStore('pending_sync');
  const entities = tx.objectStore('entity_cache');
  const state = tx.objectStore('sync_state');
  // The ops this transaction has read or written, as stored now: a patch of one of them (claiming a
  // batch, settling a retry) is one write, not a read and a write. Nothing else writes meanwhile
  // (a read-write transaction has the stores to itself), so they stay current.
  const seen = new Map<string, StoredOpRecord>();
  const remember = (records: StoredOpRecord[]): StoredOpRecord[] => {
    if (tx.mode === 'readwrite') for (const record of records) seen.set(record.id, record);
    return records;
  };
  const simpleStore = (table: CachedTable): IDBObjectStore | undefined => {
    const simple = SIMPLE_CACHE[table];
    return simple === undefined ? undefined : tx.objectStore(simple);
  };
  const cacheAll = (table: CachedTable): Promise<CacheRecord[]> => {
    const simple = simpleStore(table);
    return requests.read(
      () => (simple === undefined ? entities.index('entity').getAll(table) : simple.getAll()) as IDBRequest<CacheRecord[]>,
    );
  };
  const putOp = (record: StoredOpRecord): Promise<void> => {
    if (tx.mode === 'readwrite') seen.set(record.id, record);
    return requests.write(() => ops.put(record));
  };
  return {
    ops: {
      get: async (id) => {
        const record = await requests.read(() => ops.get(id) as IDBRequest<StoredOpRecord | undefined>);
        if (record !== undefined) remember([record]);
        return record;
      },
      put: (op) => putOp(op),
      patch: async (id, fields) => {
        const record = seen.get(id) ?? (await requests.read(() => ops.get(id) as IDBRequest<StoredOpRecord | undefined>));
        if (record !== undefined) await putOp({ ...record, ...fields });
      },
      delete: (id) => {
        seen.delete(id);
        return requests.write(() => ops.delete(id));
      },
      scan: async (visit) => {
        // One getAll, not a cursor: a request per record costs more than reading a few thousand at once.
        // The store, not the seq index: a record whose seq is missing or not a number is in no index,
        // and would otherwise sit in the queue's count forever, never sent and never listed.
        const records = remember(await requests.read(() => ops.getAll() as IDBRequest<StoredOpRecord[]>)).sort(
          (a, b) => seqOrder(a) - seqOrder(b),
        );
        for (const record of records) if (!visit(record)) break;
      },
      forEntity: async (key, afterSeq) =>
        remember(await requests.read(() => ops.index('entity').getAll(entityRange(key, afterSeq)) as IDBRequest<StoredOpRecord[]>)),
      forEntities: async (keys) => {
        const wanted = new Set(keys);
        const out = new Map<string, StoredOpRecord[]>(keys.map((key) => [key, []]));
        const perEntity = async (): Promise<Map<string, StoredOpRecord[]>> => {
          const lists = await Promise.all(
            [...wanted].map((key) => requests.read(() => ops.index('entity').getAll(entityRange(key)) as IDBRequest<StoredOpRecord[]>)),
          );
          [...wanted].forEach((key, i) => out.set(key, remember(lists[i] ?? [])));
          return out;
        };
        if (wanted.size <= FEW_ENTITIES || wanted.size * RECORDS_PER_REQUEST < (await requests.read(() => ops.count()))) return perEntity();
        // Many entities (a settled batch, a pulled page): one read of the queue, not a request each.
        // As the entity index holds them: a string entity key and a numeric seq, in seq order.
        const records = remember(await requests.read(() => ops.getAll() as IDBRequest<StoredOpRecord[]>));
        for (const record of records) {
          const key = record.entityKey;
          if (typeof key !== 'string' || typeof record.seq !== 'number' || Number.isNaN(record.seq) || !wanted.has(key)) continue;
          out.get(key)?.push(record);
        }
        for (const list of out.values()) list.sort((a, b) => seqOrder(a) - seqOrder(b));
        return out;
      },
      count: (status?: OpStatus) => requests.read(() => (status === undefined ? ops.count() : ops.index('status').count(status))),
      countForEntity: (key) => requests.read(() => ops.index('entity').count(entityRange(key))),
      // One read over the entity index's range: the ops of these entities (a few queued case moves).
      entityKeys: async (prefix) => {
        const range = IDBKeyRange.bound([prefix, -Infinity], [`${prefix}\uffff`, Infinity]);
        const records = await requests.read(() => ops.index('entity').getAll(range) as IDBRequest<StoredOpRecord[]>);
        return [...new Set(records.map((r) => r.entityKey).filter((k): k is string => typeof k === 'string'))].sort();
      },
      oldestTimestamp: async () => {
        const first = await requests.read(() => ops.index('timestamp').openCursor());
        const timestamp: unknown = (first?.value as { timestamp?: unknown } | undefined)?.timestamp;
        return typeof timestamp === 'number' ? timestamp : null;
      },
    },
    cache: {
      get: (table, id) => {
        const simple = simpleStore(table);
        return requests.read(
          () => (simple === undefined ? entities.get([table, id]) : simple.get(id)) as IDBRequest<CacheRecord | undefined>,
        );
      },
      put: (table, id, { row, serverRow }, updatedAt) => {
        const simple = simpleStore(table);
        return requests.write(() =>
          simple === undefined
            ? entities.put({ entity: table, id, row, serverRow, updatedAt })
            : simple.put({ id, row, serverRow, updatedAt }),
        );
      },
      delete: (table, id) => {
        const simple = simpleStore(table);
        return requests.write(() => (simple === undefined ? entities.delete([table, id]) : simple.delete(id)));
      },
      rows: async (table) => (await cacheAll(table)).flatMap((r) => (r.row === null ? [] : [r.row])),
      serverVersions: async (table, afterId, limit) => {
        const simple = simpleStore(table);
        const records = await requests.read(
          () =>
            (simple === undefined
              ? entities.getAll(IDBKeyRange.bound([table, afterId ?? ''], [table, '\uffff'], afterId !== null), limit)
              : simple.getAll(IDBKeyRange.lowerBound(afterId ?? '', afterId !== null), limit)) as IDBRequest<CacheRecord[]>,
        );
        // Paged by the records read, not the ones kept: a row created here (no server row yet) is skipped, not taken for the end.
        return {
          versions: records.flatMap((r) => (r.serverRow === null ? [] : [serverVersion(r.id, r.serverRow)])),
          next: records.length === limit ? (records[records.length - 1]?.id ?? null) : null,
        };
      },
      ids: async (table) => {
        const simple = simpleStore(table);
        if (simple !== undefined) return (await requests.read(() => simple.getAllKeys())).map(String);
        return (await requests.read(() => entities.index('entity').getAllKeys(table))).map((key) => String((key as [string, string])[1]));
      },
      count: async (table) => (await cacheAll(table)).filter((r) => r.row !== null).length,
      clear: async () => {
        for (const name of ['gig_cache', 'asset_cache', 'entity_cache'] as const) await requests.write(() => tx.objectStore(name).clear());
      },
    },
    conflicts: keyed<StoredConflictRecord, ConflictRecord>('conflicts', tx, requests),
    quarantine: keyed<StoredQuarantineRecord, QuarantineRecord>('quarantine', tx, requests),
    state: {
      get: async (key) => (await requests.read(() => state.get(key) as IDBRequest<{ value: string } | undefined>))?.value ?? null,
      put: (key, value) => requests.write(() => state.put({ key, value })),
      delete: (key) => requests.write(() => state.delete(key)),
    },
  };
}
