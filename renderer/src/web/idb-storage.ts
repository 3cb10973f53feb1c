import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { CachedTable, OpStatus, Row } from '../../../core/sync/model';
import type {
  ConflictRecord,
  KeyedCollection,
  OpRecord,
  QuarantineRecord,
  QueueStorage,
  StorageTx,
  StoredConflictRecord,
  StoredOpRecord,
  StoredQuarantineRecord,
  TxMode,
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
/** Typed as read-write: a read-only transaction's writes throw, and the queue writes only in read-write ones. */
type Tx = IDBPTransaction<StationDb, Names[], 'readwrite'>;

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

const entityRange = (key: string, afterSeq?: number): IDBKeyRange =>
  afterSeq === undefined ? IDBKeyRange.bound([key, -Infinity], [key, Infinity]) : IDBKeyRange.bound([key, afterSeq], [key, Infinity], true);

/**
 * The storage port on IndexedDB (idb), for the PWA page and its service worker, with the seed's
 * store names. A transaction is one IndexedDB transaction over every store; the queue awaits
 * nothing but its requests, so it stays open until the work is done. IndexedDB serializes
 * read-write transactions, so two tabs or a tab and the service worker never claim the same op.
 * Records are stored as values (structured clone): nothing needs decoding.
 */
export class IdbStorage implements QueueStorage {
  private constructor(private readonly db: IDBPDatabase<StationDb>) {}

  static async open(name: string): Promise<IdbStorage> {
    const db = await openDB<StationDb>(name, IDB_VERSION, {
      upgrade: (database, oldVersion, _newVersion, tx) => upgrade(database, oldVersion, tx),
      // Another context upgrades the schema: this one closes so the upgrade can proceed.
      blocking: () => db.close(),
    });
    return new IdbStorage(db);
  }

  get name(): string {
    return this.db.name;
  }

  close(): void {
    this.db.close();
  }

  async transaction<T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T> {
    // Durability "strict": a write resolves only once it is flushed, like SQLite's synchronous=FULL.
    const tx = this.db.transaction(ALL, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
    try {
      const result = await work(port(tx as Tx));
      await tx.done;
      return result;
    } catch (error) {
      // Nothing of a failed transaction may stay: abort, and let the abort's own rejection go.
      tx.done.catch(() => undefined);
      try {
        tx.abort();
      } catch {
        // already finished
      }
      throw error;
    }
  }
}

function keyed<K extends 'conflicts' | 'quarantine'>(
  tx: Tx,
  name: K,
): KeyedCollection<StoredConflictRecord & StoredQuarantineRecord, StationDb[K]['value']> {
  const store = tx.objectStore(name);
  return {
    get: (id) => store.get(id),
    all: () => store.getAll(),
    keys: async () => (await store.getAllKeys()).map(String),
    put: async (record) => {
      await store.put(record);
    },
    delete: (id) => store.delete(id),
    count: () => store.count(),
    entityKeys: async () => (await store.getAll()).map((r) => String(r.entityKey)),
  };
}

function port(tx: Tx): StorageTx {
  const ops = tx.objectStore('pending_sync');
  const cacheGet = (table: CachedTable, id: string): Promise<CacheRecord | undefined> => {
    const simple = SIMPLE_CACHE[table];
    return simple === undefined ? tx.objectStore('entity_cache').get([table, id]) : tx.objectStore(simple).get(id);
  };
  const cacheAll = (table: CachedTable): Promise<CacheRecord[]> => {
    const simple = SIMPLE_CACHE[table];
    return simple === undefined ? tx.objectStore('entity_cache').index('entity').getAll(table) : tx.objectStore(simple).getAll();
  };
  return {
    ops: {
      get: (id) => ops.get(id),
      put: async (op) => {
        await ops.put(op);
      },
      patch: async (id, fields) => {
        const record = await ops.get(id);
        if (record !== undefined) await ops.put({ ...record, ...fields });
      },
      delete: (id) => ops.delete(id),
      scan: async (visit) => {
        // One getAll, not a cursor: a request per record costs more than reading a few thousand at once.
        // The store, not the seq index: a record whose seq is missing or not a number is in no index,
        // and would otherwise sit in the queue's count forever, never sent and never listed.
        const records = ((await ops.getAll()) as StoredOpRecord[]).sort((a, b) => seqOrder(a) - seqOrder(b));
        for (const record of records) if (!visit(record)) break;
      },
      forEntity: (key, afterSeq) => ops.index('entity').getAll(entityRange(key, afterSeq)),
      count: (status?: OpStatus) => (status === undefined ? ops.count() : ops.index('status').count(status)),
      countForEntity: (key) => ops.index('entity').count(entityRange(key)),
      oldestTimestamp: async () => {
        const first = await ops.index('timestamp').openCursor();
        return typeof first?.value.timestamp === 'number' ? first.value.timestamp : null;
      },
    },
    cache: {
      get: cacheGet,
      put: async (table, id, { row, serverRow }, updatedAt) => {
        const simple = SIMPLE_CACHE[table];
        if (simple === undefined) await tx.objectStore('entity_cache').put({ entity: table, id, row, serverRow, updatedAt });
        else await tx.objectStore(simple).put({ id, row, serverRow, updatedAt });
      },
      delete: (table, id) => {
        const simple = SIMPLE_CACHE[table];
        return simple === undefined ? tx.objectStore('entity_cache').delete([table, id]) : tx.objectStore(simple).delete(id);
      },
      rows: async (table) => (await cacheAll(table)).flatMap((r) => (r.row === null ? [] : [r.row])),
      ids: async (table) => {
        const simple = SIMPLE_CACHE[table];
        if (simple !== undefined) return (await tx.objectStore(simple).getAllKeys()).map(String);
        return (await tx.objectStore('entity_cache').index('entity').getAllKeys(table)).map(([, id]) => id);
      },
      count: async (table) => (await cacheAll(table)).filter((r) => r.row !== null).length,
      clear: async () => {
        for (const name of ['gig_cache', 'asset_cache', 'entity_cache'] as const) await tx.objectStore(name).clear();
      },
    },
    conflicts: keyed(tx, 'conflicts'),
    quarantine: keyed(tx, 'quarantine'),
    state: {
      get: async (key) => (await tx.objectStore('sync_state').get(key))?.value ?? null,
      put: async (key, value) => {
        await tx.objectStore('sync_state').put({ key, value });
      },
      delete: (key) => tx.objectStore('sync_state').delete(key),
    },
  };
}
