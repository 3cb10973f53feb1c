import { z } from 'zod';
import type { SessionStorage, Settings } from '../store/settings';
import {
  ACTIONS,
  OP_TABLES,
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
} from './model';
import { opDefinition } from './ops';
import type { SnapshotProgress, SnapshotStep } from './snapshot';
import type { CopyState, TableChecksum, TableMismatch } from './verify';

/**
 * Durable queue, caches, conflicts, quarantine and sync state: the one storage contract the
 * engine uses, implemented once (core/store/queue.ts) over a storage port that SQLite (station),
 * IndexedDB (PWA) and memory (tests) provide; all three pass one contract suite. Every method is
 * atomic (it happens entirely or not at all), reports failure as a rejection (never a synchronous
 * throw), and takes time only from its arguments or the store's injected clock.
 */
export interface QueueStore {
  /** This installation's stable id, created on first use. */
  deviceId(): Promise<string>;

  /** Writes the op durably (with the next device sequence) and applies it to the cached row. */
  enqueue(op: NewOp, meta: { id: string; now: number }): Promise<QueuedOp>;
  /** Several ops in one transaction: all of them queued, in this order, or none (an id already queued refuses the batch). */
  enqueueMany(entries: readonly { op: NewOp; id: string; now: number }[]): Promise<QueuedOp[]>;
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
  /** The ids of the entities of a table with queued ops ("cases" → the cases a queued op moves). */
  queuedEntities(table: string): Promise<string[]>;
  /** "Sync now": every op waiting out a backoff becomes ready (its failure count stays). */
  retryNow(): Promise<number>;

  /** Applies a pulled page and moves the cursor in one transaction. */
  applyPull(page: PullPage, rebase: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void>;
  cursor(): Promise<string | null>;
  /** Where a new device's first sync stands (core/sync/snapshot.ts). */
  snapshotProgress(): Promise<SnapshotProgress>;
  /** Applies one page of the first sync and stores the progress; the last page sets the pull cursor. */
  applySnapshot(
    asked: Pick<SnapshotProgress, 'table' | 'after'>,
    page: SnapshotPage,
    rebase: (serverRow: Row | null, queued: QueuedOp[]) => Row | null,
  ): Promise<SnapshotStep>;
  /** Count and checksum of the server rows held, per table (core/sync/verify.ts). */
  localChecksums(): Promise<Record<CachedTable, TableChecksum>>;
  /** The copy's scope changed: not verified until it is checked again. */
  forgetVerification(): Promise<CopyState>;
  /** Stores what a verification found; the copy state as it is now. */
  recordVerification(server: Partial<Record<CachedTable, TableChecksum>>, found: TableMismatch[]): Promise<CopyState>;
  /** One page of a table re-read to repair it. */
  applyRepairPage(page: SnapshotPage, rebase: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void>;
  /** Drops the table's server rows its repair pages did not hold, moves the cursor back to `cursor` if earlier; how many went. */
  finishRepair(table: CachedTable, seen: ReadonlySet<string>, cursor: string): Promise<number>;
  getCached(table: CachedTable, id: string): Promise<Row | null>;
  countCached(table: CachedTable): Promise<number>;

  conflicts(): Promise<Conflict[]>;
  /** keep_local re-queues the op (new id, same place in its entity's order) on the server's version. */
  resolveConflict(id: string, choice: ConflictChoice, meta: { newOpId: string; now: number }): Promise<void>;
  quarantined(): Promise<QuarantinedOp[]>;
  /**
   * Sends a quarantined op again: under a new id (the server answered the old one) in the same
   * place of its entity's order — or, refused as REPLAY_EXPIRED, re-issued as an op decided now
   * (see reissued), with its entity's later queued ops moved behind it.
   */
  retryQuarantined(id: string, meta: { newOpId: string; now: number }): Promise<void>;
  discardQuarantined(id: string): Promise<void>;

  stats(): Promise<QueueStats>;
  /** This installation's settings, one typed home each (core/store/settings.ts). */
  readonly settings: Settings;
  /** The sign-in session's storage (supabase-js's auth tokens). */
  readonly session: SessionStorage;

  /**
   * Once per committed transaction that changed the view of cached rows, the entity keys
   * ("assets:<id>") of those rows — written, rebased, removed by a tombstone or by a backend
   * reset; never for a change that rolled back. Returns the unsubscribe.
   */
  onCacheChange(listener: (keys: ReadonlySet<string>) => void): () => void;
  /** Another backend's data must not linger: empties the caches and forgets the pull cursor; the queue, conflicts, quarantine and device id stay. */
  resetForNewBackend(): Promise<void>;
}

export type Outcome =
  | { kind: 'applied'; op: QueuedOp; row: Row | null }
  | { kind: 'conflict'; op: QueuedOp; serverRow: Row | null; changedFields: string[]; message: string }
  | { kind: 'rejected'; op: QueuedOp; code: string; message: string }
  /** Not applied yet; `failure` false when nothing went wrong with this op (it was held). */
  | { kind: 'retry'; op: QueuedOp; error: string; nextAttemptAt: number; failure: boolean };

export class QueueStoreError extends Error {
  constructor(
    /** stale: a first-sync page for a place the stored progress has left (core/sync/snapshot.ts). */
    readonly code: 'invalid_op' | 'not_found' | 'corrupt' | 'stale',
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

/** A conflicted op the operator keeps: sent again on the server's version, as its definition says (ops.ts keepLocal). */
export function keptLocal(op: QueuedOp, newId: string, baseVersion: number | null): QueuedOp {
  const again = opDefinition(op.table, op.action)?.keepLocal;
  return requeued(again === undefined ? op : { ...op, payload: again(op.payload) }, newId, baseVersion);
}

/**
 * The server's answer for an op it no longer remembers, created before its pruning watermark
 * (ops are remembered for 30 days, see migration 20261203000100_push_hardening): it may have been
 * applied already, so the server will never apply it under that created_at again.
 */
export const REPLAY_EXPIRED = 'replay_expired';

/**
 * A REPLAY_EXPIRED op the operator chose to send again: a new op decided now — new id, created
 * now (the server judges replays by created_at, and the operator's decision is today's), the
 * next device sequence `seq` — with fresh retry state. Its entity's later queued ops must follow
 * it, so the store gives them the sequences after `seq`.
 */
export function reissued(op: QueuedOp, newId: string, now: number, seq: number): QueuedOp {
  return { ...requeued(op, newId), seq, timestamp: now };
}

/**
 * A queued op as it is read back from storage. Anything written by another version, a bad
 * migration or a damaged disk can be there: every field is checked, and the action and row id
 * against what the op vocabulary allows, so a corrupt op is caught here, before it is sent.
 */
const storedOpSchema = queuedOpSchema.superRefine((op, ctx) => {
  if (!ACTIONS[op.table].includes(op.action))
    ctx.addIssue({ code: 'custom', path: ['action'], message: `unknown action "${op.action}" for ${op.table}` });
  if (!z.uuid().safeParse(op.payload['id']).success)
    ctx.addIssue({ code: 'custom', path: ['payload', 'id'], message: 'not the UUID of a row' });
});

export type StoredOpRead = { ok: true; op: QueuedOp } | { ok: false; problems: string };

/** Reads a stored op; `payloadError` when the store could not even decode the payload. */
export function readStoredOp(fields: Record<string, unknown>, payloadError?: string): StoredOpRead {
  const parsed = storedOpSchema.safeParse(payloadError === undefined ? fields : { ...fields, payload: {} });
  const problems = [
    ...(payloadError === undefined ? [] : [`payload: ${payloadError}`]),
    ...(parsed.success
      ? []
      : parsed.error.issues
          .filter((issue) => payloadError === undefined || issue.path[0] !== 'payload')
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
  ];
  return parsed.success && problems.length === 0 ? { ok: true, op: parsed.data } : { ok: false, problems: problems.join('; ') };
}

/** Quarantine's code for an op that cannot be read: it can only be discarded, never sent. */
export const CORRUPT_CODE = 'corrupt_payload';

/**
 * What quarantine keeps of an op that cannot be read, whatever its shape: an envelope that reads
 * (under `id`, a UUID the operator can discard it by), the fields that could be salvaged, and a
 * message with why it is corrupt and everything that was stored (never dropped; discarded by hand).
 */
export function corruptEntry(
  stored: Record<string, unknown>,
  problems: string,
  id: string,
  payloadText: string,
): { op: QueuedOp; code: string; message: string } {
  const int = (value: unknown, fallback: number): number => (Number.isSafeInteger(value) ? (value as number) : fallback);
  const table = (OP_TABLES as readonly unknown[]).includes(stored['table']) ? (stored['table'] as QueuedOp['table']) : 'assets';
  const { payload: _payload, ...envelope } = stored;
  return {
    op: {
      id,
      seq: Math.max(0, int(stored['seq'], 0)),
      timestamp: int(stored['timestamp'], 0),
      table,
      action: typeof stored['action'] === 'string' ? stored['action'] : '(unreadable)',
      payload: {},
      baseVersion: Number.isSafeInteger(stored['baseVersion']) ? (stored['baseVersion'] as number) : null,
      status: 'failed',
      retryCount: Math.max(0, int(stored['retryCount'], 0)),
      nextAttemptAt: int(stored['nextAttemptAt'], 0),
      lastError: 'corrupt: cannot be read',
    },
    code: CORRUPT_CODE,
    message: `stored op cannot be read (${problems}); stored as ${JSON.stringify(envelope).slice(0, 1000)} with payload ${payloadText.slice(0, 2000)}`,
  };
}

export interface StoredConflict {
  id: unknown;
  op: unknown;
  serverRow: unknown;
  changedFields: unknown;
  message: unknown;
  detectedAt: unknown;
}

export type StoredConflictRead =
  /** `damage` says what could not be read (and is now in the message); the store rewrites the record. */
  | { ok: true; conflict: Conflict; damage: string | null }
  /** The op itself cannot be read: nothing to resolve; the store quarantines it as corrupt. */
  | { ok: false; problems: string; op: Record<string, unknown> };

const changedFieldsSchema = z.array(z.string());

/**
 * Reads a stored conflict, whatever was stored. The op is what the operator decides on: when it
 * reads, the conflict is listed even if the rest is damaged — a server row, changed fields or a
 * detection time that cannot be read are shown as unknown (none, none, `now`) and the message
 * says why; an id that is not a UUID becomes the op's. When the op cannot be read there is
 * nothing to resolve, and it goes to quarantine as corrupt (see corruptEntry) to be discarded.
 * `decodeErrors`: fields the store could not even decode (SQLite's JSON columns).
 */
export function readStoredConflict(
  stored: StoredConflict,
  now: number,
  decodeErrors: Partial<Record<'op' | 'serverRow' | 'changedFields', string>> = {},
): StoredConflictRead {
  const opFields = isRecord(stored.op) ? stored.op : {};
  const op = decodeErrors.op !== undefined || !isRecord(stored.op) ? null : readStoredOp(stored.op);
  if (op === null || !op.ok) {
    const why = op === null ? `op: ${decodeErrors.op ?? `not an object (${typeof stored.op})`}` : op.problems;
    return { ok: false, problems: `conflict ${JSON.stringify(stored.id)}: ${why}`, op: opFields };
  }
  const damage: string[] = [];
  const field = <T>(
    name: 'serverRow' | 'changedFields' | 'detectedAt',
    read: { success: true; data: T } | { success: false; error?: z.ZodError },
    fallback: T,
  ): T => {
    if (read.success) return read.data;
    const error = name === 'detectedAt' ? undefined : decodeErrors[name];
    damage.push(
      `${name}: ${error ?? read.error?.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join(', ') ?? 'unreadable'}`,
    );
    return fallback;
  };
  const idRead = z.uuid().safeParse(stored.id);
  if (!idRead.success) damage.push(`id: ${JSON.stringify(stored.id)} is not a UUID (listed under the op's id)`);
  const serverRow = field<Conflict['serverRow']>(
    'serverRow',
    decodeErrors.serverRow !== undefined ? { success: false } : rowSchema.nullable().safeParse(stored.serverRow),
    null,
  );
  const changedFields = field(
    'changedFields',
    decodeErrors.changedFields !== undefined ? { success: false } : changedFieldsSchema.safeParse(stored.changedFields),
    [],
  );
  const detectedAt = field(
    'detectedAt',
    Number.isSafeInteger(stored.detectedAt) ? { success: true, data: stored.detectedAt as number } : { success: false },
    now,
  );
  if (typeof stored.message !== 'string') damage.push(`message: not text (${typeof stored.message})`);
  const message = typeof stored.message === 'string' ? stored.message : 'changed on the server';
  const note = damage.length === 0 ? null : damage.join('; ');
  return {
    ok: true,
    conflict: {
      id: idRead.success ? idRead.data : op.op.id,
      op: op.op,
      serverRow,
      changedFields,
      message:
        note === null
          ? message
          : `${message} (this stored conflict was partly unreadable and is shown without those parts: ${note})`.slice(0, 4000),
      detectedAt,
    },
    damage: note,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key a corrupt op is quarantined under: its own id when that is a UUID not yet taken. */
export function quarantineKey(storedId: unknown, taken: (id: string) => boolean, newId: () => string): string {
  return typeof storedId === 'string' && z.uuid().safeParse(storedId).success && !taken(storedId) ? storedId : newId();
}

/** A quarantine entry as stored; `op` decoded (`opError` when the store could not decode it, `rawOp` its text). */
export interface StoredQuarantine {
  id: string;
  op: unknown;
  code: string;
  message: string;
  quarantinedAt: number;
}

/**
 * Reads a stored quarantine entry. One that no longer reads (an older version kept a corrupt op
 * under its non-UUID id, or the record was damaged) comes back as the corrupt entry to store in its
 * place, under a key it can be discarded by: one odd entry never hides the others.
 */
export function readStoredQuarantine(
  stored: StoredQuarantine,
  newId: () => string,
  opError?: string,
  rawOp = '',
): { ok: boolean; entry: QuarantinedOp } {
  const read = queuedOpSchema.safeParse(stored.op);
  if (read.success && read.data.id === stored.id && z.uuid().safeParse(stored.id).success) {
    return {
      ok: true,
      entry: { id: stored.id, op: read.data, code: stored.code, message: stored.message, quarantinedAt: stored.quarantinedAt },
    };
  }
  const problems = [
    `quarantine entry ${JSON.stringify(stored.id)}`,
    ...(opError === undefined ? [] : [`op: ${opError}`]),
    ...(read.success ? [] : read.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
  ].join('; ');
  const fields = isRecord(stored.op) ? stored.op : {};
  const corrupt = corruptEntry(
    { ...fields, id: stored.id },
    problems,
    quarantineKey(stored.id, () => false, newId),
    opError === undefined ? JSON.stringify(fields['payload'] ?? null) : rawOp,
  );
  const message = `${corrupt.message}; quarantined as ${stored.code}: ${stored.message}`.slice(0, 4000);
  return { ok: false, entry: { id: corrupt.op.id, op: corrupt.op, code: CORRUPT_CODE, message, quarantinedAt: stored.quarantinedAt } };
}

/**
 * Server versions only go up: a row older than the one already cached (a pull page read before a
 * push committed, landing after the push's answer) must not replace it.
 */
export function isOlderRow(incoming: Row, current: Row | null): boolean {
  const next = incoming['version'];
  const now = current?.['version'];
  return typeof next === 'number' && typeof now === 'number' && next < now;
}
