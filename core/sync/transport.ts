import type { SyncScope } from './scope';
import type { VerifyAnswer } from './verify';
import type { CachedTable, PullPage, PushResult, QueuedOp, SnapshotPage } from './model';

/** How the engine reaches the server. Injected, so tests can fault it. */
export interface SyncTransport {
  push(deviceId: string, ops: WireOp[], options?: PushOptions): Promise<PushResult[]>;
  /** The log after `cursor`; with a scope, only the changes of its rows (the cursor is the whole log's). */
  pull(cursor: string | null, limit: number, scope?: SyncScope): Promise<PullPage>;
  /**
   * One page of a table as it is now, for a new device's first sync (core/sync/snapshot.ts).
   * Optional: without it a new device replays the change log from the start, as before.
   */
  snapshot?(table: CachedTable, after: string | null, limit: number, scope?: SyncScope): Promise<SnapshotPage>;
  /**
   * The server's counts and checksums for the caller's copy at `cursor` (core/sync/verify.ts).
   * Optional: without it the copy is not verified.
   */
  verify?(cursor: string, scope?: SyncScope): Promise<VerifyAnswer>;
  /** Gets a fresh access token (after a 401); resolves false when the session is gone. */
  refreshSession(): Promise<boolean>;
}

export interface PushOptions {
  /** Aborted when the engine gives up waiting: the transport drops the request (and its connection). */
  signal?: AbortSignal;
}

export interface WireOp {
  id: string;
  seq: number;
  created_at: string;
  table: string;
  action: string;
  payload: Record<string, unknown>;
  base_version: number | null;
}

export function toWire(op: QueuedOp): WireOp {
  return {
    id: op.id,
    seq: op.seq,
    created_at: new Date(op.timestamp).toISOString(),
    table: op.table,
    action: op.action,
    payload: op.payload,
    base_version: op.baseVersion,
  };
}

export type TransportErrorKind =
  /** No answer: offline, DNS, connection refused or dropped. */
  | 'network'
  | 'timeout'
  /** 5xx: the server may or may not have committed; replays are safe. */
  | 'server'
  /** 401: refresh the session and try again. */
  | 'unauthorized'
  /** The whole request was refused (4xx): a bug or a limit, not the network. */
  | 'refused'
  /** The answer did not have the expected shape. */
  | 'protocol'
  /**
   * pull_changes refused the cursor (SQLSTATE 22023: malformed, out of range, or past the
   * server's change log — one side restored from an older backup): pull from the start.
   */
  | 'cursor_refused'
  /** The server has no such function (PostgREST PGRST202): an older backend; the engine does without it. */
  | 'unsupported';

/** A server's error as PostgREST answers it. */
export interface ServerError {
  /** A PostgreSQL SQLSTATE (22P05: a value jsonb cannot hold) or PGRSTnnn. */
  code?: string;
  /** Which value it could not read, in its words ("\u0000 cannot be converted to text."). */
  details?: string;
}

export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly status?: number,
    /** What the server said beside its message, when it answered an error (a 4xx/5xx from PostgREST). */
    readonly server?: ServerError,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
