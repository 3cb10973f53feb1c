import type { CachedTable, OpStatus } from '../sync/model';
import {
  serverVersion,
  Unreadable,
  type ConflictRecord,
  type KeyedCollection,
  type OpRecord,
  type QuarantineRecord,
  type QueueStorage,
  type StorageTx,
  type StoredCacheRecord,
  type StoredOpRecord,
  type TxMode,
} from './port';

interface Tables {
  ops: Map<string, Record<string, unknown>>;
  cache: Map<string, { row: unknown; serverRow: unknown; updatedAt: number }>;
  conflicts: Map<string, Record<string, unknown>>;
  quarantine: Map<string, Record<string, unknown>>;
  state: Map<string, string>;
}

/** A deep copy, as a database hands back; an Unreadable stays one (it stands for text a real adapter could not decode). */
function copy<T>(value: T): T {
  if (value instanceof Unreadable || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Map) return new Map([...value.entries()].map(([k, v]) => [k, copy(v)])) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
}

/** Queue order: ascending seq, a record whose seq is not a number first (as IndexedDB's adapter). */
function seqOrder(record: Record<string, unknown>): number {
  return typeof record['seq'] === 'number' ? record['seq'] : Number.MIN_SAFE_INTEGER;
}

function keyed<W extends { id: string; entityKey: string }>(
  map: Map<string, Record<string, unknown>>,
): KeyedCollection<{ readonly [key: string]: unknown; readonly id: string }, W> {
  return {
    get: (id) => Promise.resolve(map.has(id) ? (copy(map.get(id)) as { id: string }) : undefined),
    all: () => Promise.resolve([...map.values()].map((r) => copy(r) as { id: string })),
    keys: () => Promise.resolve([...map.keys()]),
    put: (record) => {
      map.set(record.id, copy(record));
      return Promise.resolve();
    },
    delete: (id) => {
      map.delete(id);
      return Promise.resolve();
    },
    count: () => Promise.resolve(map.size),
    entityKeys: () => Promise.resolve([...map.values()].map((r) => String(r['entityKey']))),
  };
}

/**
 * The storage port in memory, for fast unit tests of the queue's semantics. Values are copied in
 * and out (as a database would), transactions run one at a time, and a transaction that fails
 * leaves nothing behind (it works on a copy that replaces the tables only when it succeeds).
 * `tables` is exposed for tests that damage what is stored.
 */
export class MemoryStorage implements QueueStorage {
  tables: Tables = { ops: new Map(), cache: new Map(), conflicts: new Map(), quarantine: new Map(), state: new Map() };
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  transaction<T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error('the memory storage is closed');
      const draft = mode === 'readwrite' ? copy(this.tables) : this.tables;
      const result = await work(this.tx(draft));
      if (mode === 'readwrite') this.tables = draft;
      return result;
    };
    const result = this.tail.then(run, run);
    // The caller gets this transaction's rejection; the tail only orders the next one.
    this.tail = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.closed = true;
  }

  private tx(t: Tables): StorageTx {
    const cacheKey = (table: CachedTable, id: string): string => `${table}:${id}`;
    const opsInOrder = (): Record<string, unknown>[] => [...t.ops.values()].sort((a, b) => seqOrder(a) - seqOrder(b));
    const ofEntity = (key: string): Record<string, unknown>[] => opsInOrder().filter((r) => r['entityKey'] === key);
    const ofTable = (table: CachedTable): [string, { row: unknown; serverRow: unknown }][] =>
      [...t.cache.entries()].filter(([key]) => key.startsWith(`${table}:`));
    return {
      ops: {
        get: (id) => Promise.resolve(t.ops.has(id) ? (copy(t.ops.get(id)) as StoredOpRecord) : undefined),
        put: (op: OpRecord) => {
          t.ops.set(op.id, copy(op));
          return Promise.resolve();
        },
        patch: (id, fields) => {
          const current = t.ops.get(id);
          if (current !== undefined) t.ops.set(id, { ...current, ...copy(fields) });
          return Promise.resolve();
        },
        delete: (id) => {
          t.ops.delete(id);
          return Promise.resolve();
        },
        scan: (visit) => {
          for (const record of opsInOrder()) if (!visit(copy(record) as StoredOpRecord)) break;
          return Promise.resolve();
        },
        forEntity: (key, afterSeq) =>
          Promise.resolve(
            ofEntity(key)
              .filter((r) => afterSeq === undefined || (typeof r['seq'] === 'number' && r['seq'] > afterSeq))
              .map((r) => copy(r) as StoredOpRecord),
          ),
        count: (status?: OpStatus) =>
          Promise.resolve([...t.ops.values()].filter((r) => status === undefined || r['status'] === status).length),
        countForEntity: (key) => Promise.resolve(ofEntity(key).length),
        entityKeys: (prefix) =>
          Promise.resolve(
            [
              ...new Set(
                [...t.ops.values()].map((r) => r['entityKey']).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)),
              ),
            ].sort(),
          ),
        oldestTimestamp: () => {
          const times = [...t.ops.values()].map((r) => r['timestamp']).filter((n): n is number => typeof n === 'number');
          return Promise.resolve(times.length === 0 ? null : Math.min(...times));
        },
      },
      cache: {
        get: (table, id) => {
          const record = t.cache.get(cacheKey(table, id));
          return Promise.resolve(
            record === undefined ? undefined : (copy({ row: record.row, serverRow: record.serverRow }) as StoredCacheRecord),
          );
        },
        put: (table, id, record, updatedAt) => {
          t.cache.set(cacheKey(table, id), { row: copy(record.row), serverRow: copy(record.serverRow), updatedAt });
          return Promise.resolve();
        },
        delete: (table, id) => {
          t.cache.delete(cacheKey(table, id));
          return Promise.resolve();
        },
        rows: (table) => Promise.resolve(ofTable(table).flatMap(([, r]) => (r.row === null ? [] : [copy(r.row)]))),
        serverVersions: (table, afterId, limit) => {
          const versions = ofTable(table)
            .map(([key, r]) => [key.slice(table.length + 1), r] as const)
            .filter(([id, r]) => r.serverRow !== null && (afterId === null || id > afterId))
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .slice(0, limit)
            .map(([id, r]) => serverVersion(id, r.serverRow));
          return Promise.resolve({ versions, next: versions.length === limit ? (versions[versions.length - 1]?.id ?? null) : null });
        },
        ids: (table) => Promise.resolve(ofTable(table).map(([key]) => key.slice(table.length + 1))),
        count: (table) => Promise.resolve(ofTable(table).filter(([, r]) => r.row !== null).length),
        clear: () => {
          t.cache.clear();
          return Promise.resolve();
        },
      },
      conflicts: keyed<ConflictRecord>(t.conflicts),
      quarantine: keyed<QuarantineRecord>(t.quarantine),
      state: {
        get: (key) => Promise.resolve(t.state.get(key) ?? null),
        put: (key, value) => {
          t.state.set(key, value);
          return Promise.resolve();
        },
        delete: (key) => {
          t.state.delete(key);
          return Promise.resolve();
        },
      },
    };
  }
}
