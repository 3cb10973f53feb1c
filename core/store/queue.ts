/**
 * The queue's semantics, written once over the storage port (./port.ts): enqueue with the device
 * sequence, ready selection per entity chain, claims, settling the server's answers, the cached
 * rows' view (server row + queued ops), conflicts, quarantine (corrupt rows of any shape
 * included), pulls with tombstones, cache-change events, backend reset and stats. The station
 * (SQLite), the PWA (IndexedDB) and unit tests (memory) differ only in the storage they pass.
 */
import {
  CACHED_TABLES,
  entityKey,
  isCachedTable,
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
  type SnapshotPage,
} from '../sync/model';
import { rebase } from '../sync/optimistic';
import {
  addToChecksum,
  copyStateSchema,
  NO_COPY_STATE,
  verified,
  type CopyState,
  type TableChecksum,
  type TableMismatch,
} from '../sync/verify';
import {
  advanceSnapshot,
  earlierCursor,
  SNAPSHOT_START,
  snapshotProgressSchema,
  type SnapshotProgress,
  type SnapshotStep,
} from '../sync/snapshot';
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
  keptLocal,
  requeued,
  type Outcome,
  type QueueStore,
  type StoredConflictRead,
  type StoredOpRead,
} from '../sync/queue-store';
import { json, sessionOver, settingsOver, type SessionStorage, type Settings } from './settings';
import {
  Unreadable,
  type OpRecord,
  type QueueStorage,
  type ServerVersion,
  type StorageTx,
  type StoredCacheRecord,
  type StoredConflictRecord,
  type StoredOpRecord,
  type TxMode,
} from './port';

/**
 * What a cache-change listener hears, once per committed transaction that changed the view of
 * cached rows: the entity keys ("assets:<id>", "gigs:<id>") of every row whose view may have
 * changed — written, rebased, deleted by a tombstone, or emptied by a backend reset. Never
 * before the change is committed, never for a transaction that rolled back.
 */
export type CacheChange = ReadonlySet<string> & {
  /**
   * What the view of each changed row is now (null: there is none), as this transaction wrote it
   * — so that a listener keeping rows in memory (core/store/cache-index.ts) need not read them
   * back in a transaction of its own. Absent for a key whose row the transaction did not write.
   */
  readonly rows?: ReadonlyMap<string, Row | null>;
};

/** The keys a transaction touched and the views it wrote (see CacheChange). */
class Touched extends Set<string> {
  readonly rows = new Map<string, Row | null>();

  /** The row under `key` changed and is now `view`. */
  wrote(key: string, view: Row | null): void {
    this.add(key);
    this.rows.set(key, view);
  }
}

/** The cached tables a change touched (for listeners that reload whole lists). */
export function changedTables(change: CacheChange): Set<CachedTable> {
  const tables = new Set<CachedTable>();
  for (const key of change) {
    const table = key.slice(0, key.indexOf(':'));
    if (isCachedTable(table)) tables.add(table);
  }
  return tables;
}

export interface QueueOptions {
  newId: () => string;
  /** The only source of time the store itself uses (pull and listing times); callers pass theirs in `meta`. */
  clock: () => number;
  /** Prefix of this installation's device id ("station-", "pwa-"). */
  devicePrefix: string;
}

/** One op to enqueue, with its id and when it was decided. */
export interface EnqueueEntry {
  op: NewOp;
  id: string;
  now: number;
}

type Work<T> = (tx: StorageTx, touched: Touched) => Promise<T>;

/** sync_state key of a first sync's progress (core/sync/snapshot.ts). */
const SNAPSHOT_KEY = 'snapshot';
/** sync_state key of the copy state (core/sync/verify.ts). */
const COPY_KEY = 'copy';
/** Rows per transaction of a verification's local read. */
const CHECKSUM_SLICE = 5000;

/** Every method is one transaction (listing conflicts or quarantine that need repair: a read, then a write); none throws synchronously. */
export class Queue implements QueueStore {
  private readonly listeners = new Set<(change: CacheChange) => void>();

  /** This installation's settings, one typed home each (see settings.ts). */
  readonly settings: Settings;
  /** The sign-in session's storage (supabase-js's auth tokens). */
  readonly session: SessionStorage;

  constructor(
    protected readonly storage: QueueStorage,
    private readonly options: QueueOptions,
  ) {
    const run = <T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T> => this.run(mode, (tx) => work(tx));
    this.settings = settingsOver(run);
    this.session = sessionOver(run);
  }

  close(): void {
    this.storage.close();
  }

  /** See CacheChange. Returns the unsubscribe. */
  onCacheChange(listener: (change: CacheChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `work` in one transaction and, once it committed, tells listeners which rows it touched. */
  protected async run<T>(mode: TxMode, work: Work<T>): Promise<T> {
    const touched = new Touched();
    const result = await this.storage.transaction(mode, (tx) => work(tx, touched));
    if (touched.size > 0) {
      for (const listener of [...this.listeners]) {
        try {
          listener(touched);
        } catch (error) {
          // A listener's failure is its own: the write is committed; report it without failing the caller.
          setTimeout(() => {
            throw error;
          });
        }
      }
    }
    return result;
  }

  deviceId(): Promise<string> {
    return this.run('readwrite', async (tx) => {
      const existing = await tx.state.get('device_id');
      if (existing !== null) return existing;
      const id = `${this.options.devicePrefix}${this.options.newId()}`;
      await tx.state.put('device_id', id);
      return id;
    });
  }

  async enqueue(op: NewOp, meta: { id: string; now: number }): Promise<QueuedOp> {
    const [queued] = await this.enqueueMany([{ op, ...meta }]);
    if (queued === undefined) throw new QueueStoreError('invalid_op', 'nothing was enqueued');
    return queued;
  }

  /** Several ops in one transaction: all of them queued, in this order, or none. */
  enqueueMany(entries: readonly EnqueueEntry[]): Promise<QueuedOp[]> {
    return this.run('readwrite', async (tx, touched) => {
      const out: QueuedOp[] = [];
      // What this transaction queued, already checked: the cache's view need not read it back through the schema.
      const written = new Map<string, QueuedOp>();
      for (const { op, id, now } of entries) {
        const rowId = String(op.payload['id']);
        const cachedTable = isCachedTable(op.table) ? op.table : null;
        const key = entityKey(op);
        // Every read this op needs, at once: on IndexedDB each awaited round of requests is a task
        // hop, and on a phone's CPU the hop, not the request, is what a scan waits for.
        const [seq, existing, record, before] = await Promise.all([
          nextSeq(tx),
          tx.ops.get(id),
          cachedTable !== null ? tx.cache.get(cachedTable, rowId) : undefined,
          cachedTable !== null ? tx.ops.forEntity(key) : [],
        ]);
        if (existing !== undefined) throw new QueueStoreError('invalid_op', `op ${id} is already queued`);
        const queued: QueuedOp = {
          id,
          seq,
          timestamp: now,
          table: op.table,
          action: op.action,
          payload: op.payload,
          baseVersion: op.base_version ?? null,
          status: 'pending',
          retryCount: 0,
          nextAttemptAt: 0,
          lastError: null,
        };
        const stored: OpRecord = { ...queued, entityKey: entityKey(queued) };
        await tx.ops.put(stored);
        written.set(id, queued);
        await refreshCache(tx, touched, op.table, rowId, now, rebase, undefined, [...before, stored], written, { record });
        out.push(queued);
      }
      return out;
    });
  }

  readyBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return this.run('readwrite', (tx) => this.ready(tx, now, limit));
  }

  claimBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return this.run('readwrite', async (tx) => {
      const batch = await this.ready(tx, now, limit);
      // Side by side: on IndexedDB each awaited request is a round trip.
      await Promise.all(batch.map((op) => tx.ops.patch(op.id, { status: 'syncing' })));
      return batch.map((op) => ({ ...op, status: 'syncing' as const }));
    });
  }

  recoverInFlight(): Promise<number> {
    return this.run('readwrite', async (tx) => {
      // Every drain starts here: a count, not a read of the whole queue, when nothing is in flight.
      if ((await tx.ops.count('syncing')) === 0) return 0;
      const ids: string[] = [];
      await tx.ops.scan((op) => {
        if (op.status === 'syncing') ids.push(op.id);
        return true;
      });
      for (const id of ids) await tx.ops.patch(id, { status: 'pending' });
      return ids.length;
    });
  }

  retryNow(): Promise<number> {
    return this.run('readwrite', async (tx) => {
      const ids: string[] = [];
      await tx.ops.scan((op) => {
        if (op.status !== 'syncing' && typeof op.nextAttemptAt === 'number' && op.nextAttemptAt > 0) ids.push(op.id);
        return true;
      });
      for (const id of ids) await tx.ops.patch(id, { nextAttemptAt: 0 });
      return ids.length;
    });
  }

  settle(outcomes: Outcome[], now: number): Promise<void> {
    return this.run('readwrite', async (tx, touched) => {
      // First every op's own write (side by side: on IndexedDB each awaited request is a round trip),
      // then one read of what stays queued for the answered entities, then their cached rows.
      const refresh: { key: string; table: string; id: string; incoming: Row | undefined }[] = [];
      const settleOne = async (outcome: Outcome): Promise<void> => {
        const { op } = outcome;
        const key = entityKey(op);
        const id = String(op.payload['id']);
        switch (outcome.kind) {
          case 'applied':
            await tx.ops.delete(op.id);
            refresh.push({ key, table: op.table, id, incoming: outcome.row ?? undefined });
            break;
          case 'conflict':
            await tx.ops.delete(op.id);
            await tx.conflicts.put({
              id: op.id,
              entityKey: key,
              op,
              serverRow: outcome.serverRow,
              changedFields: outcome.changedFields,
              message: outcome.message,
              detectedAt: now,
            });
            refresh.push({ key, table: op.table, id, incoming: outcome.serverRow ?? undefined });
            break;
          case 'rejected':
            await tx.ops.delete(op.id);
            await tx.quarantine.put({ id: op.id, entityKey: key, op, code: outcome.code, message: outcome.message, quarantinedAt: now });
            refresh.push({ key, table: op.table, id, incoming: undefined });
            break;
          case 'retry': {
            const stored = await tx.ops.get(op.id);
            if (stored === undefined) break;
            const count = typeof stored.retryCount === 'number' ? stored.retryCount : 0;
            await tx.ops.patch(op.id, {
              status: outcome.failure ? 'failed' : 'pending',
              retryCount: count + (outcome.failure ? 1 : 0),
              nextAttemptAt: outcome.nextAttemptAt,
              lastError: outcome.failure ? outcome.error : null,
            });
            break;
          }
        }
      };
      await Promise.all(outcomes.map(settleOne));
      const cached = refresh.filter((r) => isCachedTable(r.table));
      const queued = await queuedOfEntities(tx, [...new Set(cached.map((r) => r.key))]);
      // Entities side by side; one entity's answers in queue order, so its cache ends on the newest server row.
      const byEntity = new Map<string, typeof cached>();
      for (const r of cached) byEntity.set(r.key, [...(byEntity.get(r.key) ?? []), r]);
      await Promise.all(
        [...byEntity].map(async ([key, list]) => {
          for (const r of list) await refreshCache(tx, touched, r.table, r.id, now, rebase, r.incoming, queued.get(key) ?? []);
        }),
      );
    });
  }

  listQueue(limit: number): Promise<QueuedOp[]> {
    return this.run('readonly', async (tx) => {
      const out: QueuedOp[] = [];
      await tx.ops.scan((stored) => {
        const read = readOp(stored);
        if (read.ok) out.push(read.op);
        return out.length < limit;
      });
      return out;
    });
  }

  /** The ids of the entities of a table with queued ops ("cases" → the cases a queued op moves). */
  queuedEntities(table: string): Promise<string[]> {
    return this.run('readonly', async (tx) => (await tx.ops.entityKeys(`${table}:`)).map((key) => key.slice(table.length + 1)));
  }

  /** Queued ops on these entities ("assets:<id>", "cases:<id>"), in queue order; unreadable ones left out. */
  queuedFor(entityKeys: readonly string[]): Promise<QueuedOp[]> {
    return this.run('readonly', async (tx) => {
      const out: QueuedOp[] = [];
      for (const key of entityKeys) for (const stored of await tx.ops.forEntity(key)) pushReadable(out, stored);
      return out.sort((a, b) => a.seq - b.seq);
    });
  }

  async applyPull(page: PullPage, rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void> {
    const now = this.options.clock();
    return this.run('readwrite', async (tx, touched) => {
      await applyServerRows(tx, touched, Object.entries(page.changes) as [CachedTable, Row[]][], now, rebaseRow);
      for (const tombstone of page.tombstones) {
        touched.wrote(`${tombstone.table}:${tombstone.id}`, null);
        await tx.cache.delete(tombstone.table, tombstone.id);
      }
      await tx.state.put('cursor', page.cursor);
      // Nothing more to pull: the copy is the server's as of now (the header's "as of 14:32").
      if (!page.has_more) await writeCopyState(tx, { ...(await readCopyState(tx)), asOf: now });
    });
  }

  cursor(): Promise<string | null> {
    return this.run('readonly', (tx) => tx.state.get('cursor'));
  }

  snapshotProgress(): Promise<SnapshotProgress> {
    return this.run('readonly', (tx) => readSnapshotProgress(tx));
  }

  async applySnapshot(
    asked: Pick<SnapshotProgress, 'table' | 'after'>,
    page: SnapshotPage,
    rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null,
  ): Promise<SnapshotStep> {
    const now = this.options.clock();
    return this.run('readwrite', async (tx, touched) => {
      if (page.table !== asked.table)
        throw new QueueStoreError('corrupt', `the server answered a page of ${page.table} when ${asked.table} was asked for: not applied`);
      const progress = await readSnapshotProgress(tx);
      // A page asked for another place than the one stored (another engine on this store applied
      // it already, or the first sync finished) would repeat or skip rows: refused, nothing changes.
      if ((await tx.state.get('cursor')) !== null || progress.table !== asked.table || progress.after !== asked.after) {
        throw new QueueStoreError('stale', `a page of ${page.table} for a first sync that has moved on was not applied`);
      }
      await applyServerRows(tx, touched, [[page.table, page.rows]], now, rebaseRow);
      const step = advanceSnapshot(progress, page);
      if (step.done) {
        await tx.state.delete(SNAPSHOT_KEY);
        await tx.state.put('cursor', step.cursor);
      } else {
        await tx.state.put(SNAPSHOT_KEY, snapshotProgressCodec.encode(step.progress));
      }
      return step;
    });
  }

  getCached(table: CachedTable, id: string): Promise<Row | null> {
    return this.run('readonly', async (tx) => {
      const record = await tx.cache.get(table, id);
      return record?.row == null ? null : parseRow(record.row);
    });
  }

  /** Every cached row of a table (the crew views read whole lists); rows that cannot be read are left out. */
  listCached(table: CachedTable): Promise<Row[]> {
    return this.run('readonly', async (tx) =>
      (await tx.cache.rows(table)).filter((row): row is Row => typeof row === 'object' && row !== null && !(row instanceof Unreadable)),
    );
  }

  countCached(table: CachedTable): Promise<number> {
    return this.run('readonly', (tx) => tx.cache.count(table));
  }

  /**
   * Every conflict, whatever was stored: a damaged record whose op reads is rewritten readable
   * (what could not be read is named in its message), one whose op does not goes to quarantine
   * as corrupt — one odd record never hides the others (see readStoredConflict).
   */
  async conflicts(): Promise<Conflict[]> {
    const now = this.options.clock();
    const sorted = (list: Conflict[]): Conflict[] => list.sort((a, b) => a.detectedAt - b.detectedAt || (a.id < b.id ? -1 : 1));
    const reads = await this.run('readonly', async (tx) => (await tx.conflicts.all()).map((r) => readConflict(r, now)));
    if (reads.every((read) => read.ok && read.damage === null)) return sorted(reads.flatMap((read) => (read.ok ? [read.conflict] : [])));
    return this.run('readwrite', async (tx) => {
      const out: Conflict[] = [];
      for (const r of await tx.conflicts.all()) {
        const read = readConflict(r, now);
        if (read.ok && read.damage === null) {
          out.push(read.conflict);
          continue;
        }
        await tx.conflicts.delete(r.id);
        if (read.ok) {
          const id = (await tx.conflicts.get(read.conflict.id)) === undefined ? read.conflict.id : this.options.newId();
          const conflict = { ...read.conflict, id };
          await tx.conflicts.put({ ...conflict, entityKey: String(r.entityKey) });
          out.push(conflict);
        } else {
          const taken = new Set(await tx.quarantine.keys());
          const entry = corruptEntry(
            { ...read.op, id: r.id },
            read.problems,
            quarantineKey(r.id, (key) => taken.has(key), this.options.newId),
            textOf(r.op),
          );
          await tx.quarantine.put({
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

  resolveConflict(id: string, choice: ConflictChoice, meta: { newOpId: string; now: number }): Promise<void> {
    return this.run('readwrite', async (tx, touched) => {
      const record = await tx.conflicts.get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no conflict ${id}`);
      const read = readConflict(record, meta.now);
      if (!read.ok)
        throw new QueueStoreError(
          'corrupt',
          `conflict ${id} cannot be read (${read.problems}); list the conflicts to move it to quarantine, where it can be discarded`,
        );
      const { op, serverRow } = read.conflict;
      await tx.conflicts.delete(id);
      if (choice === 'keep_local') {
        const serverVersion = serverRow?.['version'];
        // Same place in its entity's order (same seq), new id: the server already answered the old one.
        await putOp(tx, keptLocal(op, meta.newOpId, typeof serverVersion === 'number' ? serverVersion : op.baseVersion));
      }
      await refreshCache(tx, touched, op.table, String(op.payload['id']), meta.now);
    });
  }

  /**
   * Every quarantined op, whatever was stored: an entry that no longer reads (an older version
   * kept a corrupt op under its non-UUID id, or the record was damaged) is rewritten as a corrupt
   * entry first, so one odd record never hides the others.
   */
  async quarantined(): Promise<QuarantinedOp[]> {
    const sorted = (list: QuarantinedOp[]): QuarantinedOp[] =>
      list.sort((a, b) => a.quarantinedAt - b.quarantinedAt || (a.id < b.id ? -1 : 1));
    const reads = await this.run('readonly', async (tx) => (await tx.quarantine.all()).map((r) => this.readQuarantine(r)));
    if (reads.every((read) => read.ok)) return sorted(reads.map((read) => read.entry));
    return this.run('readwrite', async (tx) => {
      const out: QuarantinedOp[] = [];
      for (const r of await tx.quarantine.all()) {
        const read = this.readQuarantine(r);
        if (!read.ok) {
          await tx.quarantine.delete(r.id);
          await tx.quarantine.put({ ...read.entry, entityKey: String(r.entityKey) });
        }
        out.push(read.entry);
      }
      return sorted(out);
    });
  }

  retryQuarantined(id: string, meta: { newOpId: string; now: number }): Promise<void> {
    return this.run('readwrite', async (tx, touched) => {
      const record = await tx.quarantine.get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
      const read = queuedOpSchema.safeParse(record.op);
      if (record.code === CORRUPT_CODE || !read.success)
        throw new QueueStoreError('corrupt', `op ${id} has a corrupt payload; it can only be discarded`);
      const op = read.data;
      await tx.quarantine.delete(id);
      if (record.code === REPLAY_EXPIRED) {
        const behind = await tx.ops.forEntity(entityKey(op), op.seq);
        await putOp(tx, reissued(op, meta.newOpId, meta.now, await nextSeq(tx)));
        for (const later of behind) await tx.ops.patch(later.id, { seq: await nextSeq(tx) });
      } else {
        await putOp(tx, requeued(op, meta.newOpId));
      }
      await refreshCache(tx, touched, op.table, String(op.payload['id']), meta.now);
    });
  }

  async discardQuarantined(id: string): Promise<void> {
    const now = this.options.clock();
    return this.run('readwrite', async (tx, touched) => {
      const record = await tx.quarantine.get(id);
      if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
      await tx.quarantine.delete(id);
      const op = queuedOpSchema.safeParse(record.op);
      if (op.success) await refreshCache(tx, touched, op.data.table, String(op.data.payload['id']), now);
    });
  }

  stats(): Promise<QueueStats> {
    return this.run('readonly', async (tx) => {
      // Every read at once (on IndexedDB each awaited request is a round trip); the conflicts' and
      // quarantine's entity keys give their counts too.
      const [conflictKeys, quarantineKeys, depth, pending, syncing, failed, oldestPendingAt, copy] = await Promise.all([
        tx.conflicts.entityKeys(),
        tx.quarantine.entityKeys(),
        tx.ops.count(),
        tx.ops.count('pending'),
        tx.ops.count('syncing'),
        tx.ops.count('failed'),
        tx.ops.oldestTimestamp(),
        readCopyState(tx),
      ]);
      const held = (await Promise.all([...new Set([...conflictKeys, ...quarantineKeys])].map((key) => tx.ops.countForEntity(key)))).reduce(
        (sum, n) => sum + n,
        0,
      );
      return {
        depth,
        pending,
        syncing,
        failed,
        held,
        conflicts: conflictKeys.length,
        quarantined: quarantineKeys.length,
        oldestPendingAt,
        copy,
      };
    });
  }

  /** Another backend's data must not linger: empty the caches and forget the pull cursor (listeners hear every row that went). */
  resetForNewBackend(): Promise<void> {
    return this.run('readwrite', async (tx, touched) => {
      for (const table of CACHED_TABLES) for (const id of await tx.cache.ids(table)) touched.wrote(`${table}:${id}`, null);
      await tx.cache.clear();
      await tx.state.delete('cursor');
      await tx.state.delete(SNAPSHOT_KEY);
      await tx.state.delete(COPY_KEY);
    });
  }

  /**
   * Count and checksum of the server rows held, per table (core/sync/verify.ts), read 5,000 rows
   * per transaction with a turn of the event loop between (405k rows take ~0.5 s: a station keeps
   * answering scans meanwhile). A write between slices is the server's answer to a push, a commit
   * after the cursor being verified, which the server then reports instead of counting.
   */
  async localChecksums(): Promise<Record<CachedTable, TableChecksum>> {
    const sums = {} as Record<CachedTable, TableChecksum>;
    for (const table of CACHED_TABLES) {
      let sum: TableChecksum = { count: 0, checksum: 0 };
      let after: string | null = null;
      for (;;) {
        const from: string | null = after;
        const slice: { versions: ServerVersion[]; next: string | null } = await this.run('readonly', (tx) =>
          tx.cache.serverVersions(table, from, CHECKSUM_SLICE),
        );
        sum = addToChecksum(sum, slice.versions);
        if (slice.next === null) break;
        after = slice.next;
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
      sums[table] = sum;
    }
    return sums;
  }

  /** The copy is no longer known to be complete (its scope changed): unchecked until the next check. */
  forgetVerification(): Promise<CopyState> {
    return this.run('readwrite', async (tx) => {
      const next: CopyState = { ...(await readCopyState(tx)), verifiedAt: null, counts: {}, mismatched: [] };
      await writeCopyState(tx, next);
      return next;
    });
  }

  /** Stores what a verification found (the server's counts, the tables that differ). */
  recordVerification(server: Partial<Record<CachedTable, TableChecksum>>, found: TableMismatch[]): Promise<CopyState> {
    const now = this.options.clock();
    return this.run('readwrite', async (tx) => {
      const next = verified(await readCopyState(tx), server, found, now);
      await writeCopyState(tx, next);
      return next;
    });
  }

  /**
   * One page of a table re-read to repair it: the server's rows replace what is held, even a
   * "newer" version (a damaged copy may hold any); queued ops go on top as on a pull. A row
   * answered to a push after the page was read comes back with the pull that ends the repair.
   */
  applyRepairPage(page: SnapshotPage, rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void> {
    const now = this.options.clock();
    return this.run('readwrite', async (tx, touched) => {
      for (const row of page.rows) await tx.cache.delete(page.table, row.id);
      await applyServerRows(tx, touched, [[page.table, page.rows]], now, rebaseRow);
    });
  }

  /**
   * Ends a table's repair: the server rows held that its pages did not hold are dropped (an entity
   * with ops queued keeps its view: the ops still need it), and the cursor goes back to the pages'
   * cursor when that is earlier, so what committed while the table was re-read is pulled again.
   */
  finishRepair(table: CachedTable, seen: ReadonlySet<string>, cursor: string): Promise<number> {
    return this.run('readwrite', async (tx, touched) => {
      let dropped = 0;
      for (const id of await tx.cache.ids(table)) {
        if (seen.has(id)) continue;
        const record = await tx.cache.get(table, id);
        if (record?.serverRow == null) continue;
        if ((await tx.ops.countForEntity(`${table}:${id}`)) > 0) continue;
        touched.wrote(`${table}:${id}`, null);
        await tx.cache.delete(table, id);
        dropped += 1;
      }
      // No cursor held (the backend was switched meanwhile): the first sync starts over, not from here.
      const held = await tx.state.get('cursor');
      if (held !== null) await tx.state.put('cursor', earlierCursor(held, cursor));
      return dropped;
    });
  }

  /** Up to `limit` ready ops in queue order; ops that cannot be read go to quarantine on the way. */
  private async ready(tx: StorageTx, now: number, limit: number): Promise<QueuedOp[]> {
    const held = await heldKeys(tx);
    const blocked = new Set<string>();
    const batch: QueuedOp[] = [];
    const corrupt: { stored: StoredOpRecord; problems: string }[] = [];
    await tx.ops.scan((stored) => {
      if (batch.length >= limit) return false;
      const key = String(stored.entityKey);
      if (blocked.has(key)) return true;
      if (held.has(key) || stored.status === 'syncing' || (typeof stored.nextAttemptAt === 'number' && stored.nextAttemptAt > now)) {
        blocked.add(key);
        return true;
      }
      const read = readOp(stored);
      if (read.ok) batch.push(read.op);
      else {
        corrupt.push({ stored, problems: read.problems });
        blocked.add(key);
      }
      return true;
    });
    if (corrupt.length > 0) {
      // An op that cannot be read is kept, raw, in quarantine (under a key it can be discarded by): never dropped.
      const taken = new Set(await tx.quarantine.keys());
      for (const { stored, problems } of corrupt) {
        const { entityKey: key, payload, ...fields } = stored;
        const entry = corruptEntry(
          { ...fields, payload: payload instanceof Unreadable ? undefined : payload },
          problems,
          quarantineKey(stored.id, (id) => taken.has(id), this.options.newId),
          textOf(payload),
        );
        taken.add(entry.op.id);
        await tx.quarantine.put({
          id: entry.op.id,
          entityKey: String(key),
          op: entry.op,
          code: entry.code,
          message: entry.message,
          quarantinedAt: now,
        });
        await tx.ops.delete(stored.id);
      }
    }
    return batch;
  }

  private readQuarantine(r: { readonly [key: string]: unknown; readonly id: string }): { ok: boolean; entry: QuarantinedOp } {
    const op = r['op'];
    // An op that is not even an object is reported with what was stored, whichever platform stored it.
    const opError =
      op instanceof Unreadable
        ? op.error
        : typeof op !== 'object' || op === null || Array.isArray(op)
          ? `not an object (${Array.isArray(op) ? 'array' : op === null ? 'null' : typeof op})`
          : undefined;
    return readStoredQuarantine(
      {
        id: r.id,
        op: op instanceof Unreadable ? undefined : op,
        code: String(r['code']),
        message: String(r['message']),
        quarantinedAt: Number(r['quarantinedAt']) || 0,
      },
      this.options.newId,
      opError,
      textOf(op),
    );
  }
}

// --- inside the caller's transaction -------------------------------------------------------

/** The next device sequence (queue order), taken. */
async function nextSeq(tx: StorageTx): Promise<number> {
  const seq = Number((await tx.state.get('next_seq')) ?? '1');
  await tx.state.put('next_seq', String(seq + 1));
  return seq;
}

function putOp(tx: StorageTx, op: QueuedOp): Promise<void> {
  return tx.ops.put({ ...op, entityKey: entityKey(op) });
}

function textOf(value: unknown): string {
  return value instanceof Unreadable ? value.text : (JSON.stringify(value) ?? 'undefined');
}

function readOp(stored: StoredOpRecord): StoredOpRead {
  const { entityKey: _key, payload, ...fields } = stored;
  return payload instanceof Unreadable
    ? readStoredOp({ ...fields, payload: undefined }, payload.error)
    : readStoredOp({ ...fields, payload });
}

function pushReadable(out: QueuedOp[], stored: StoredOpRecord): void {
  const read = readOp(stored);
  if (read.ok) out.push(read.op);
}

function readConflict(r: StoredConflictRecord, now: number): StoredConflictRead {
  const errors: Partial<Record<'op' | 'serverRow' | 'changedFields', string>> = {};
  const decoded = (name: 'op' | 'serverRow' | 'changedFields'): unknown => {
    const value = r[name];
    if (!(value instanceof Unreadable)) return value;
    errors[name] = value.error;
    return undefined;
  };
  return readStoredConflict(
    {
      id: r.id,
      op: decoded('op'),
      serverRow: decoded('serverRow'),
      changedFields: decoded('changedFields'),
      message: r.message,
      detectedAt: r.detectedAt,
    },
    now,
    errors,
  );
}

function parseRow(value: unknown): Row {
  if (value instanceof Unreadable) throw new QueueStoreError('corrupt', `a cached row is not readable: ${value.error}`);
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) throw new QueueStoreError('corrupt', `a cached row is not readable: ${parsed.error.message}`);
  return parsed.data;
}

/** The server's rows as a pull or a snapshot page sends them: each cached as the server's last word, queued ops on top. */
async function applyServerRows(
  tx: StorageTx,
  touched: Touched,
  changes: readonly (readonly [CachedTable, readonly Row[]])[],
  now: number,
  rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null,
): Promise<void> {
  // What is queued for the page's rows, in one read where the storage can (a page is up to thousands of rows).
  const queued = await queuedOfEntities(
    tx,
    changes.flatMap(([table, rows]) => rows.map((row) => `${table}:${row.id}`)),
  );
  for (const [table, rows] of changes) {
    for (const row of rows) {
      await refreshCache(tx, touched, table, row.id, now, rebaseRow, row, queued.get(`${table}:${row.id}`) ?? []);
    }
  }
}

const copyStateCodec = json(copyStateSchema);
const snapshotProgressCodec = json(snapshotProgressSchema);

/** The copy state stored, or none when it is absent or unreadable (it is learned again). */
async function readCopyState(tx: StorageTx): Promise<CopyState> {
  const text = await tx.state.get(COPY_KEY);
  return (text === null ? null : copyStateCodec.decode(text)) ?? NO_COPY_STATE;
}

function writeCopyState(tx: StorageTx, state: CopyState): Promise<void> {
  return tx.state.put(COPY_KEY, copyStateCodec.encode(state));
}

/** Where the first sync stands: stored progress, or the start when there is none or it is unreadable (it starts over). */
async function readSnapshotProgress(tx: StorageTx): Promise<SnapshotProgress> {
  const text = await tx.state.get(SNAPSHOT_KEY);
  return (text === null ? null : snapshotProgressCodec.decode(text)) ?? SNAPSHOT_START;
}

/** The queued ops of each entity, in one read where the storage offers it (StorageTx.ops.forEntities). */
async function queuedOfEntities(tx: StorageTx, keys: readonly string[]): Promise<Map<string, StoredOpRecord[]>> {
  if (keys.length === 0) return new Map();
  if (tx.ops.forEntities !== undefined) return tx.ops.forEntities(keys);
  const lists = await Promise.all(keys.map((key) => tx.ops.forEntity(key)));
  return new Map(keys.map((key, i) => [key, lists[i] ?? []]));
}

async function heldKeys(tx: StorageTx): Promise<Set<string>> {
  return new Set([...(await tx.conflicts.entityKeys()), ...(await tx.quarantine.entityKeys())]);
}

/** The server row to keep: the incoming one, unless it is older than the server's last word already cached. */
function newerServerRow(incoming: Row, stored: StoredCacheRecord | undefined): Row {
  if (stored?.serverRow == null) return incoming;
  const current = parseRow(stored.serverRow);
  return isOlderRow(incoming, current) ? current : incoming;
}

/**
 * The view of a row: the server's last word with the still-queued ops on top. `incoming`: a row
 * the server just sent (a pull, an answer), kept as its last word unless older than the one cached.
 * One read and one write per row.
 */
async function refreshCache(
  tx: StorageTx,
  touched: Touched,
  table: string,
  id: string,
  now: number,
  rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null = rebase,
  incoming?: Row,
  /** The entity's queued ops, when the caller read them already (see queuedOfEntities). */
  queuedNow?: StoredOpRecord[],
  /** Ops the caller wrote in this transaction, as written (checked already): used as they are, not read back through the schema. */
  written?: ReadonlyMap<string, QueuedOp>,
  /** The cached record, when the caller read it already in this transaction. */
  recordNow?: { record: StoredCacheRecord | undefined },
): Promise<void> {
  if (!isCachedTable(table)) return;
  const key = `${table}:${id}`;
  touched.add(key);
  // Both reads at once: on IndexedDB each awaited request is a round trip.
  const [record, stored] = await Promise.all([
    recordNow !== undefined ? recordNow.record : tx.cache.get(table, id),
    queuedNow ?? tx.ops.forEntity(key),
  ]);
  const server = incoming !== undefined ? newerServerRow(incoming, record) : record?.serverRow == null ? null : parseRow(record.serverRow);
  const queued: QueuedOp[] = [];
  for (const op of stored) {
    const known = written?.get(op.id);
    if (known === undefined) pushReadable(queued, op);
    else queued.push(known);
  }
  const view = rebaseRow(server, queued);
  // What getCached answers from now on: the view, or no row at all.
  touched.wrote(key, view);
  if (record === undefined && server === null && view === null) return;
  await tx.cache.put(table, id, { row: view, serverRow: server }, now);
}
