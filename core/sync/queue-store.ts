import { OP_TABLES, type CachedTable, type Conflict, type ConflictChoice, type NewOp, type PullPage, type QueuedOp, type QuarantinedOp, type QueueStats, type Row } from './model';

/**
 * Durable queue, caches, conflicts, quarantine and sync state: the one storage contract the
 * engine uses. better-sqlite3 (station) and IndexedDB (PWA) implement it and pass one contract
 * suite. Every method is atomic: it happens entirely or not at all.
 */
export interface QueueStore {
  /** This installation's stable id, created on first use. */
  deviceId(): Promise<string>;

  /** Writes the op durably (with the next device sequence) and applies it to the cached row. */
  enqueue(op: NewOp, meta: { id: string; now: number }): Promise<QueuedOp>;
  /**
   * Up to `limit` ops ready to send, oldest first, at most the first waiting op of any entity
   * chain: an entity whose earlier op is backing off, in flight, in conflict or quarantined
   * sends nothing.
   */
  readyBatch(now: number, limit: number): Promise<QueuedOp[]>;
  /** readyBatch, with the ops marked in flight in the same step: concurrent senders never share one. */
  claimBatch(now: number, limit: number): Promise<QueuedOp[]>;
  /** After a crash, ops left "syncing" go back to pending (the server dedupes replays). */
  recoverInFlight(): Promise<number>;
  /** Records the server's answers (or a failure) for a batch in one transaction. */
  settle(outcomes: Outcome[], now: number): Promise<void>;
  listQueue(limit: number): Promise<QueuedOp[]>;
  /** "Sync now": every op waiting out a backoff becomes ready (its failure count stays). */
  retryNow(): Promise<number>;

  /** Applies a pulled page and moves the cursor in one transaction. */
  applyPull(page: PullPage, rebase: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void>;
  cursor(): Promise<string | null>;
  getCached(table: CachedTable, id: string): Promise<Row | null>;
  countCached(table: CachedTable): Promise<number>;

  conflicts(): Promise<Conflict[]>;
  /** keep_local re-queues the op (new id, same place in its entity's order) on the server's version. */
  resolveConflict(id: string, choice: ConflictChoice, meta: { newOpId: string; now: number }): Promise<void>;
  quarantined(): Promise<QuarantinedOp[]>;
  retryQuarantined(id: string, meta: { newOpId: string; now: number }): Promise<void>;
  discardQuarantined(id: string): Promise<void>;

  stats(): Promise<QueueStats>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
}

export type Outcome =
  | { kind: 'applied'; op: QueuedOp; row: Row | null }
  | { kind: 'conflict'; op: QueuedOp; serverRow: Row | null; changedFields: string[]; message: string }
  | { kind: 'rejected'; op: QueuedOp; code: string; message: string }
  /** Not applied yet; `failure` false when nothing went wrong with this op (it was held). */
  | { kind: 'retry'; op: QueuedOp; error: string; nextAttemptAt: number; failure: boolean };

export class QueueStoreError extends Error {
  constructor(
    readonly code: 'invalid_op' | 'not_found' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'QueueStoreError';
  }
}

/** An op sent again (kept local, retried): a new id — the server answered the old one — in the same place of its entity's order, with fresh retry state. */
export function requeued(op: QueuedOp, newId: string, baseVersion: number | null = op.baseVersion): QueuedOp {
  return { ...op, id: newId, baseVersion, status: 'pending', retryCount: 0, nextAttemptAt: 0, lastError: null };
}

/**
 * What quarantine keeps of an op whose stored form no longer parses: its envelope as an op with
 * no payload, and a message holding the raw stored text (never dropped, only discarded by hand).
 */
export function corruptOp(
  record: { id: string; seq: number; timestamp: number; table: string; action: string; baseVersion: number | null; retryCount: number; nextAttemptAt: number },
  rawPayload: string,
): { op: QueuedOp; message: string } {
  return {
    op: {
      id: record.id,
      seq: record.seq,
      timestamp: record.timestamp,
      table: (OP_TABLES as readonly string[]).includes(record.table) ? (record.table as QueuedOp['table']) : 'assets',
      action: record.action,
      payload: {},
      baseVersion: record.baseVersion,
      status: 'failed',
      retryCount: record.retryCount,
      nextAttemptAt: record.nextAttemptAt,
      lastError: 'corrupt payload',
    },
    message: `stored op cannot be read (${record.table}.${record.action}): ${rawPayload.slice(0, 2000)}`,
  };
}
