import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import {
  CACHED_TABLES,
  entityKey,
  queuedOpSchema,
  rowSchema,
  type CachedTable,
  type Conflict,
  type ConflictChoice,
  type NewOp,
  type PullPage,
  type QueuedOp,
  type QuarantinedOp,
  type QueueStats,
  type Row,
} from '../../../core/sync/model';
import { rebase } from '../../../core/sync/optimistic';
import {
  CORRUPT_CODE,
  corruptEntry,
  isOlderRow,
  quarantineKey,
  QueueStoreError,
  readStoredConflict,
  readStoredOp,
  readStoredQuarantine,
  reissued,
  REPLAY_EXPIRED,
  requeued,
  type Outcome,
  type QueueStore,
  type StoredConflictRead,
  type StoredOpRead,
} from '../../../core/sync/queue-store';

/** A queued op as stored: the op's fields, with its entity key for ordering and holds. */
interface OpRecord {
  id: string;
  seq: number;
  timestamp: number;
  table: string;
  action: string;
  payload: unknown;
  baseVersion: number | null;
  status: string;
  retryCount: number;
  nextAttemptAt: number;
  lastError: string | null;
  entityKey: string;
}

interface QuarantineRecord {
  id: string;
  entityKey: string;
  op: QueuedOp;
  code: string;
  message: string;
  quarantinedAt: number;
}

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
  pending_sync: { key: string; value: OpRecord; indexes: { seq: number; entity: [string, number]; status: string } };
  gig_cache: { key: string; value: CacheRecord };
  asset_cache: { key: string; value: CacheRecord };
  entity_cache: { key: [string, string]; value: EntityRecord; indexes: { entity: string } };
  conflicts: {
    key: string;
    value: {
      id: string;
      entityKey: string;
      op: QueuedOp;
      serverRow: Row | null;
      changedFields: string[];
      message: string;
      detectedAt: number;
    };
  };
  quarantine: { key: string; value: QuarantineRecord };
  sync_state: { key: string; value: { key: string; value: string } };
}

type Names = StoreNames<StationDb>;
type Tx = IDBPTransaction<StationDb, Names[], 'readwrite' | 'readonly'>;
type WriteTx = IDBPTransaction<StationDb, Names[], 'readwrite'>;

const ALL: Names[] = ['pending_sync', 'gig_cache', 'asset_cache', 'entity_cache', 'conflicts', 'quarantine', 'sync_state'];
const SIMPLE_CACHE: Partial<Record<CachedTable, 'gig_cache' | 'asset_cache'>> = { gigs: 'gig_cache', assets: 'asset_cache' };

/**
 * The PWA's QueueStore on IndexedDB (idb), with the seed's store names: `pending_sync`,
 * `gig_cache`, `asset_cache`, plus what the engine needs. Every method is one transaction, and
 * awaits nothing but IndexedDB inside it (a transaction commits as soon as it has no requests
 * pending). IndexedDB serializes read-write transactions over the same stores, so two tabs or a
 * tab and the service worker never claim the same op.
 */
export class IdbQueueStore implements QueueStore {
  private constructor(
    private readonly db: IDBPDatabase<StationDb>,
    private readonly newId: () => string,
  ) {}

  static async open(name: string, options: { newId: () => string; indexedDB?: IDBFactory }): Promise<IdbQueueStore> {
    const db = await openDB<StationDb>(name, 1, {
      upgrade(database) {
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
      },
      // Another context upgraded the schema: this one closes so the upgrade can proceed.
      blocking() {
        db.close();
      },
    });
    return new IdbQueueStore(db, options.newId);
  }

  close(): void {
    this.db.close();
  }

  get databaseName(): string {
    return this.db.name;
  }

  private readonly changeListeners = new Set<(keys: ReadonlySet<string>) => void>();

  /**
   * Called after a committed write changed cached rows, with their keys ("assets:<id>"): lists
   * reload, and lookups update just those rows.
   */
  onCacheChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Queued ops on these entities ("assets:<id>"), in queue order. */
  async queuedFor(entityKeys: string[]): Promise<QueuedOp[]> {
    const index = this.tx('readonly').objectStore('pending_sync').index('entity');
    const out: QueuedOp[] = [];
    for (const key of entityKeys) {
      for (const record of await index.getAll(IDBKeyRange.bound([key, -Infinity], [key, Infinity]))) {
        const op = parseOp(record);
        if (op !== null) out.push(op);
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  private tx(mode: 'readwrite'): WriteTx;
  private tx(mode: 'readonly'): Tx;
  private tx(mode: 'readwrite' | 'readonly'): Tx {
    // Durability "strict": an enqueue resolves only once the op is flushed, like SQLite's FULL.
    return this.db.transaction(ALL, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
  }

  private async write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T> {
    const tx = this.tx('readwrite');
    const keys = new Set<string>();
    touchedBy.set(tx, keys);
    try {
      const result = await work(tx);
      await tx.done;
      if (keys.size > 0) for (const listener of this.changeListeners) listener(keys);
      return result;
    } catch (error) {
      // Nothing of a failed method may stay: abort, and let the abort's own rejection go.
      tx.done.catch(() => undefined);
      try {
        tx.abort();
      } catch {
        // already finished
      }
      throw error;
    }
  }

  async deviceId(): Promise<string> {
    return this.write(async (tx) => {
      const existing = await meta(tx, 'device_id');
      if (existing !== null) return existing;
      const id = `pwa-${this.newId()}`;
      await tx.objectStore('sync_state').put({ key: 'device_id', value: id });
      return id;
    });
  }

  async enqueue(op: NewOp, info: { id: string; now: number }): Promise<QueuedOp> {
    return this.write(async (tx) => {
      const queued: QueuedOp = {
        id: info.id,
        seq: await nextSeq(tx),
        timestamp: info.now,
        table: op.table,
        action: op.action,
        payload: op.payload,
        baseVersion: op.base_version ?? null,
        status: 'pending',
        retryCount: 0,
        nextAttemptAt: 0,
        lastError: null,
      };
      await tx.objectStore('pending_sync').add(toRecord(queued));
      await refreshCache(tx, op.table, String(op.payload['id']), info.now);
      return queued;
    });
  }

  async readyBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return this.write((tx) => ready(tx, now, limit, this.newId));
  }

  async claimBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return this.write(async (tx) => {
      const batch = await ready(tx, now, limit, this.newId);
      const ops = tx.objectStore('pending_sync');
      await Promise.all(batch.map((op) => ops.put(toRecord({ ...op, status: 'syncing' }))));
      return batch.map((op) => ({ ...op, status: 'syncing' as const }));
    });
  }

  async recoverInFlight(): Promise<number> {
    return this.write(async (tx) => {
      let n = 0;
      for (let cursor = await tx.objectStore('pending_sync').openCursor(); cursor !== null; cursor = await cursor.continue()) {
        if (cursor.value.status !== 'syncing') continue;
        await cursor.update({ ...cursor.value, status: 'pending' });
        n += 1;
      }
      return n;
    });
  }

  async retryNow(): Promise<number> {
    return this.write(async (tx) => {
      let n = 0;
      for (let cursor = await tx.objectStore('pending_sync').openCursor(); cursor !== null; cursor = await cursor.continue()) {
        if (cursor.value.status === 'syncing' || cursor.value.nextAttemptAt <= 0) continue;
        await cursor.update({ ...cursor.value, nextAttemptAt: 0 });
        n += 1;
      }
      return n;
    });
  }

  async settle(outcomes: Outcome[], now: number): Promise<void> {
    await this.write(async (tx) => {
      const ops = tx.objectStore('pending_sync');
      const settleOne = async (outcome: Outcome): Promise<void> => {
        const { op } = outcome;
        const key = entityKey(op);
        const id = String(op.payload['id']);
        switch (outcome.kind) {
          case 'applied':
            await ops.delete(op.id);
            if (outcome.row !== null) await writeServerRow(tx, op.table, outcome.row, now);
            await refreshCache(tx, op.table, id, now);
            break;
          case 'conflict':
            await ops.delete(op.id);
            await tx.objectStore('conflicts').put({
              id: op.id,
              entityKey: key,
              op,
              serverRow: outcome.serverRow,
              changedFields: outcome.changedFields,
              message: outcome.message,
              detectedAt: now,
            });
            if (outcome.serverRow !== null) await writeServerRow(tx, op.table, outcome.serverRow, now);
            await refreshCache(tx, op.table, id, now);
            break;
          case 'rejected':
            await ops.delete(op.id);
            await tx
              .objectStore('quarantine')
              .put({ id: op.id, entityKey: key, op, code: outcome.code, message: outcome.message, quarantinedAt: now });
            await refreshCache(tx, op.table, id, now);
            break;
          case 'retry': {
            const record = await ops.get(op.id);
            if (record === undefined) break;
            await ops.put({
              ...record,
              status: outcome.failure ? 'failed' : 'pending',
              retryCount: record.retryCount + (outcome.failure ? 1 : 0),
              nextAttemptAt: outcome.nextAttemptAt,
              lastError: outcome.failure ? outcome.error : null,
            });
            break;
          }
        }
      };
      // Entities settle side by side (no round trip per request across the batch); one entity's
      // ops in queue order, so its cache ends on the newest server row.
      const byEntity = new Map<string, Outcome[]>();
      for (const outcome of outcomes) byEntity.set(entityKey(outcome.op), [...(byEntity.get(entityKey(outcome.op)) ?? []), outcome]);
      await Promise.all(
        [...byEntity.values()].map(async (list) => {
          for (const outcome of list) await settleOne(outcome);
        }),
      );
    });
  }

  async listQueue(limit: number): Promise<QueuedOp[]> {
    const tx = this.tx('readonly');
    const out: QueuedOp[] = [];
    for (
      let cursor = await tx.objectStore('pending_sync').index('seq').openCursor();
      cursor !== null && out.length < limit;
      cursor = await cursor.continue()
    ) {
      const op = parseOp(cursor.value);
      if (op !== null) out.push(op);
    }
    return out;
  }

  async applyPull(page: PullPage, rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void> {
    const now = Date.now();
    await this.write(async (tx) => {
      for (const [table, rows] of Object.entries(page.changes) as [CachedTable, Row[]][]) {
        for (const row of rows) {
          await writeServerRow(tx, table, row, now);
          await refreshCache(tx, table, row.id, now, rebaseRow);
        }
      }
      for (const tombstone of page.tombstones) await deleteCached(tx, tombstone.table, tombstone.id);
      await tx.objectStore('sync_state').put({ key: 'cursor', value: page.cursor });
    });
  }

  async cursor(): Promise<string | null> {
    return this.getMeta('cursor');
  }

  async getCached(table: CachedTable, id: string): Promise<Row | null> {
    const record = await cacheRecord(this.tx('readonly'), table, id);
    return record?.row == null ? null : parseRow(record.row);
  }

  /** Every cached row of a table (the crew views read whole lists). */
  async listCached(table: CachedTable): Promise<Row[]> {
    const tx = this.tx('readonly');
    const simple = SIMPLE_CACHE[table];
    const records =
      simple === undefined ? await tx.objectStore('entity_cache').index('entity').getAll(table) : await tx.objectStore(simple).getAll();
    return records.flatMap((r) => (r.row === null ? [] : [r.row]));
  }

  async countCached(table: CachedTable): Promise<number> {
    return (await this.listCached(table)).length;
  }

  /**
   * Every conflict, whatever was stored: a damaged record whose op reads is rewritten readable
   * (what could not be read is named in its message), one whose op does not goes to quarantine
   * as corrupt — one odd record never hides the others (see readStoredConflict).
   */
  async conflicts(): Promise<Conflict[]> {
    const now = Date.now();
    const sorted = (list: Conflict[]): Conflict[] => list.sort((a, b) => a.detectedAt - b.detectedAt || (a.id < b.id ? -1 : 1));
    const reads = (await this.tx('readonly').objectStore('conflicts').getAll()).map((r) => readConflict(r, now));
    if (reads.every((read) => read.ok && read.damage === null)) return sorted(reads.flatMap((read) => (read.ok ? [read.conflict] : [])));
    return this.write(async (tx) => {
      const out: Conflict[] = [];
      const conflicts = tx.objectStore('conflicts');
      const quarantine = tx.objectStore('quarantine');
      for (const r of await conflicts.getAll()) {
        const read = readConflict(r, now);
        if (read.ok && read.damage === null) {
          out.push(read.conflict);
          continue;
        }
        await conflicts.delete(r.id);
        if (read.ok) {
          const id = (await conflicts.getKey(read.conflict.id)) === undefined ? read.conflict.id : this.newId();
          const conflict = { ...read.conflict, id };
          await conflicts.put({ ...conflict, entityKey: String(r.entityKey) });
          out.push(conflict);
        } else {
          const taken = new Set((await quarantine.getAllKeys()).map(String));
          const entry = corruptEntry(
            { ...read.op, id: r.id },
            read.problems,
            quarantineKey(r.id, (key) => taken.has(key), this.newId),
            JSON.stringify(r.op) ?? 'undefined',
          );
          await quarantine.put({
            id: entry.op.id,
            entityKey: String(r.entityKey),
            op: entry.op,
            code: entry.code,
            message: entry.message,
            quarantinedAt: now,
          });
        }
      }
      return sorted(out);
    });
  }

  async resolveConflict(id: string, choice: ConflictChoice, info: { newOpId: string; now: number }): Promise<void> {
    await this.write(async (tx) => {
      const record = await tx.objectStore('conflicts').get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no conflict ${id}`);
      const read = readConflict(record, info.now);
      if (!read.ok)
        throw new QueueStoreError(
          'corrupt',
          `conflict ${id} cannot be read (${read.problems}); list the conflicts to move it to quarantine, where it can be discarded`,
        );
      const { op } = read.conflict;
      await tx.objectStore('conflicts').delete(id);
      if (choice === 'keep_local') {
        const serverVersion = read.conflict.serverRow?.['version'];
        // Same place in its entity's order (same seq), new id: the server already answered the old one.
        await tx
          .objectStore('pending_sync')
          .put(toRecord(requeued(op, info.newOpId, typeof serverVersion === 'number' ? serverVersion : op.baseVersion)));
      }
      await refreshCache(tx, op.table, String(op.payload['id']), info.now);
    });
  }

  /**
   * Every quarantined op, whatever was stored: an entry that no longer reads (an older version
   * kept a corrupt op under its non-UUID id, or the record was damaged) is rewritten as a corrupt
   * entry first, so one odd record never hides the others.
   */
  async quarantined(): Promise<QuarantinedOp[]> {
    const read = (r: QuarantineRecord) =>
      readStoredQuarantine(
        { id: r.id, op: r.op, code: String(r.code), message: String(r.message), quarantinedAt: Number(r.quarantinedAt) || 0 },
        this.newId,
      );
    let records = await this.tx('readonly').objectStore('quarantine').getAll();
    if (!records.every((r) => read(r).ok)) {
      await this.write(async (tx) => {
        const store = tx.objectStore('quarantine');
        for (const r of await store.getAll()) {
          const { ok, entry } = read(r);
          if (ok) continue;
          await store.delete(r.id);
          await store.put({ ...entry, entityKey: String(r.entityKey) });
        }
      });
      records = await this.tx('readonly').objectStore('quarantine').getAll();
    }
    return records
      .sort((a, b) => a.quarantinedAt - b.quarantinedAt || (a.id < b.id ? -1 : 1))
      .map((r) => ({ id: r.id, op: queuedOpSchema.parse(r.op), code: r.code, message: r.message, quarantinedAt: r.quarantinedAt }));
  }

  async retryQuarantined(id: string, info: { newOpId: string; now: number }): Promise<void> {
    await this.write(async (tx) => {
      const record = await tx.objectStore('quarantine').get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
      const read = queuedOpSchema.safeParse(record.op);
      if (record.code === CORRUPT_CODE || !read.success)
        throw new QueueStoreError('corrupt', `op ${id} has a corrupt payload; it can only be discarded`);
      const op = read.data;
      const ops = tx.objectStore('pending_sync');
      await tx.objectStore('quarantine').delete(id);
      if (record.code === REPLAY_EXPIRED) {
        const key = entityKey(op);
        const behind = await ops.index('entity').getAll(IDBKeyRange.bound([key, op.seq], [key, Infinity], true));
        await ops.put(toRecord(reissued(op, info.newOpId, info.now, await nextSeq(tx))));
        for (const later of behind) await ops.put({ ...later, seq: await nextSeq(tx) });
      } else {
        await ops.put(toRecord(requeued(op, info.newOpId)));
      }
      await refreshCache(tx, op.table, String(op.payload['id']), info.now);
    });
  }

  async discardQuarantined(id: string): Promise<void> {
    await this.write(async (tx) => {
      const record = await tx.objectStore('quarantine').get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
      await tx.objectStore('quarantine').delete(id);
      const op = queuedOpSchema.safeParse(record.op);
      if (op.success) await refreshCache(tx, op.data.table, String(op.data.payload['id']), Date.now());
    });
  }

  /** Counts from the indexes, not the records: status is read after every scan. */
  async stats(): Promise<QueueStats> {
    const tx = this.tx('readonly');
    const ops = tx.objectStore('pending_sync');
    const held = await heldKeys(tx);
    const [depth, pending, syncing, failed, conflicts, quarantined, first] = await Promise.all([
      ops.count(),
      ops.index('status').count('pending'),
      ops.index('status').count('syncing'),
      ops.index('status').count('failed'),
      tx.objectStore('conflicts').count(),
      tx.objectStore('quarantine').count(),
      ops.index('seq').openCursor(),
    ]);
    let heldCount = 0;
    for (const key of held) heldCount += await ops.index('entity').count(IDBKeyRange.bound([key, -Infinity], [key, Infinity]));
    // Seq order is enqueue order, so the first op is the oldest.
    return { depth, pending, syncing, failed, held: heldCount, conflicts, quarantined, oldestPendingAt: first?.value.timestamp ?? null };
  }

  async getMeta(key: string): Promise<string | null> {
    return meta(this.tx('readonly'), key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.write(async (tx) => {
      await tx.objectStore('sync_state').put({ key, value });
    });
  }

  async deleteMeta(key: string): Promise<void> {
    await this.write(async (tx) => {
      await tx.objectStore('sync_state').delete(key);
    });
  }

  /** Another backend's data must not linger: empty the caches and forget the pull cursor. */
  async resetForNewBackend(): Promise<void> {
    await this.write(async (tx) => {
      for (const name of ['gig_cache', 'asset_cache', 'entity_cache'] as const) await tx.objectStore(name).clear();
      await tx.objectStore('sync_state').delete('cursor');
    });
  }
}

// --- helpers: each runs inside the caller's transaction -----------------------------------

/** The cached rows each write transaction touched, reported once it commits. */
const touchedBy = new WeakMap<Tx, Set<string>>();

async function meta(tx: Tx, key: string): Promise<string | null> {
  return (await tx.objectStore('sync_state').get(key))?.value ?? null;
}

/** The next device sequence (queue order), taken. */
async function nextSeq(tx: WriteTx): Promise<number> {
  const seq = Number((await meta(tx, 'next_seq')) ?? '1');
  await tx.objectStore('sync_state').put({ key: 'next_seq', value: String(seq + 1) });
  return seq;
}

function toRecord(op: QueuedOp): OpRecord {
  return { ...op, entityKey: entityKey(op) };
}

function readOp(record: OpRecord): StoredOpRead {
  const { entityKey: _key, ...op } = record;
  return readStoredOp(op);
}

function readConflict(record: StationDb['conflicts']['value'], now: number): StoredConflictRead {
  return readStoredConflict(record, now);
}

function parseOp(record: OpRecord): QueuedOp | null {
  const read = readOp(record);
  return read.ok ? read.op : null;
}

function parseRow(value: unknown): Row {
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) throw new QueueStoreError('corrupt', `a cached row is not readable: ${parsed.error.message}`);
  return parsed.data;
}

async function heldKeys(tx: Tx): Promise<Set<string>> {
  const conflicts = await tx.objectStore('conflicts').getAll();
  const quarantine = await tx.objectStore('quarantine').getAll();
  return new Set([...conflicts.map((c) => c.entityKey), ...quarantine.map((q) => q.entityKey)]);
}

async function ready(tx: WriteTx, now: number, limit: number, newId: () => string): Promise<QueuedOp[]> {
  const held = await heldKeys(tx);
  const blocked = new Set<string>();
  const batch: QueuedOp[] = [];
  const corrupt: { record: OpRecord; problems: string }[] = [];
  // One getAll, not a cursor: a request per record costs more than reading a few thousand at once.
  // The store, not the seq index: a record whose seq is missing or not a number is in no index,
  // and would otherwise sit in the queue's count forever, never sent and never listed.
  const records = (await tx.objectStore('pending_sync').getAll()).sort((a, b) => seqOrder(a) - seqOrder(b));
  for (const record of records) {
    if (batch.length >= limit) break;
    const key = String(record.entityKey);
    if (blocked.has(key)) continue;
    if (held.has(key) || record.status === 'syncing' || record.nextAttemptAt > now) {
      blocked.add(key);
      continue;
    }
    const read = readOp(record);
    if (!read.ok) {
      corrupt.push({ record, problems: read.problems });
      blocked.add(key);
      continue;
    }
    batch.push(read.op);
  }
  // An op that cannot be read is kept, raw, in quarantine (under a key it can be discarded by): never dropped.
  const quarantine = tx.objectStore('quarantine');
  const taken = new Set(corrupt.length === 0 ? [] : (await quarantine.getAllKeys()).map(String));
  for (const { record, problems } of corrupt) {
    const { entityKey: _key, ...stored } = record;
    const entry = corruptEntry(
      stored,
      problems,
      quarantineKey(record.id, (id) => taken.has(id), newId),
      JSON.stringify(record.payload) ?? 'undefined',
    );
    taken.add(entry.op.id);
    await quarantine.put({
      id: entry.op.id,
      entityKey: String(record.entityKey),
      op: entry.op,
      code: entry.code,
      message: entry.message,
      quarantinedAt: now,
    });
    await tx.objectStore('pending_sync').delete(record.id);
  }
  return batch;
}

/** Queue order; a record without a numeric seq first, so that it is found (and quarantined) rather than skipped. */
function seqOrder(record: OpRecord): number {
  return typeof record.seq === 'number' ? record.seq : Number.MIN_SAFE_INTEGER;
}

async function cacheRecord(tx: Tx, table: CachedTable, id: string): Promise<CacheRecord | undefined> {
  const simple = SIMPLE_CACHE[table];
  return simple === undefined ? tx.objectStore('entity_cache').get([table, id]) : tx.objectStore(simple).get(id);
}

async function putCache(tx: WriteTx, table: CachedTable, record: CacheRecord): Promise<void> {
  const simple = SIMPLE_CACHE[table];
  if (simple === undefined) await tx.objectStore('entity_cache').put({ ...record, entity: table });
  else await tx.objectStore(simple).put(record);
}

function isCached(table: string): table is CachedTable {
  return (CACHED_TABLES as readonly string[]).includes(table);
}

async function writeServerRow(tx: WriteTx, table: string, row: Row, now: number): Promise<void> {
  if (!isCached(table)) return;
  const existing = await cacheRecord(tx, table, row.id);
  if (existing?.serverRow != null && isOlderRow(row, existing.serverRow)) return;
  await putCache(tx, table, { id: row.id, row: existing?.row ?? row, serverRow: row, updatedAt: now });
}

/** The view of a row: the server's last word with the still-queued ops on top. */
async function refreshCache(tx: WriteTx, table: string, id: string, now: number, rebaseRow = rebase): Promise<void> {
  if (!isCached(table)) return;
  touchedBy.get(tx)?.add(`${table}:${id}`);
  const record = await cacheRecord(tx, table, id);
  const server = record?.serverRow == null ? null : parseRow(record.serverRow);
  const queued = (
    await tx
      .objectStore('pending_sync')
      .index('entity')
      .getAll(IDBKeyRange.bound([`${table}:${id}`, -Infinity], [`${table}:${id}`, Infinity]))
  )
    .map(parseOp)
    .filter((op): op is QueuedOp => op !== null);
  const view = rebaseRow(server, queued);
  if (record === undefined && view === null) return;
  await putCache(tx, table, { id, row: view, serverRow: record?.serverRow ?? null, updatedAt: now });
}

async function deleteCached(tx: WriteTx, table: CachedTable, id: string): Promise<void> {
  touchedBy.get(tx)?.add(`${table}:${id}`);
  const simple = SIMPLE_CACHE[table];
  if (simple === undefined) await tx.objectStore('entity_cache').delete([table, id]);
  else await tx.objectStore(simple).delete(id);
}
