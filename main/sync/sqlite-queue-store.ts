import Database from 'better-sqlite3';
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
} from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
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
} from '../../core/sync/queue-store';
import { migrate } from './migrations';

interface OpRecord {
  id: string;
  seq: number;
  timestamp: number;
  action: string;
  table: string;
  payload: string;
  base_version: number | null;
  status: string;
  retry_count: number;
  next_attempt_at: number;
  last_error: string | null;
  entity_key: string;
}

interface QuarantineRecord {
  id: string;
  entity_key: string;
  op: string;
  code: string;
  message: string;
  quarantined_at: number;
}

function parseJson(text: unknown): { value: unknown; error?: string } {
  try {
    return { value: JSON.parse(String(text)) };
  } catch (error) {
    return { value: undefined, error: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** A stored row under QueuedOp's field names, for reading and for quarantine's report. */
function opFields(record: OpRecord, payload: unknown): Record<string, unknown> {
  return {
    id: record.id,
    seq: record.seq,
    timestamp: record.timestamp,
    table: record.table,
    action: record.action,
    payload,
    baseVersion: record.base_version,
    status: record.status,
    retryCount: record.retry_count,
    nextAttemptAt: record.next_attempt_at,
    lastError: record.last_error,
  };
}

interface ConflictRecord {
  id: string;
  entity_key: string;
  op: string;
  server_row: string | null;
  changed_fields: string;
  message: string;
  detected_at: number;
}

interface CacheRecord {
  row: string | null;
  server_row: string | null;
}

const CACHE_TABLE: Record<CachedTable, { table: string; entity: string | null }> = {
  gigs: { table: 'gig_cache', entity: null },
  assets: { table: 'asset_cache', entity: null },
  cases: { table: 'entity_cache', entity: 'cases' },
  kit_assignments: { table: 'entity_cache', entity: 'kit_assignments' },
  gig_staff: { table: 'entity_cache', entity: 'gig_staff' },
  staff_profiles: { table: 'entity_cache', entity: 'staff_profiles' },
};

export interface SqliteQueueStoreOptions {
  /** A file path (":memory:" only in tests that need no durability). */
  path: string;
  newId: () => string;
}

/** Store methods report failures as rejections, never as synchronous throws. */
function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The station's QueueStore: one SQLite file in WAL mode with synchronous=FULL, so an op is on
 * disk before enqueue returns and survives a crash or power loss.
 */
export class SqliteQueueStore implements QueueStore {
  readonly db: Database.Database;
  private readonly newId: () => string;

  constructor(options: SqliteQueueStoreOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.newId = options.newId;
  }

  close(): void {
    this.db.close();
  }

  private readonly changeListeners = new Set<(tables: ReadonlySet<CachedTable>) => void>();
  private touched = new Set<CachedTable>();

  /** Tables whose cached rows changed, reported once per turn of the event loop. */
  onCacheChange(listener: (tables: ReadonlySet<CachedTable>) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private touch(table: CachedTable): void {
    if (this.changeListeners.size === 0) return;
    if (this.touched.size === 0) {
      queueMicrotask(() => {
        const tables = this.touched;
        this.touched = new Set();
        for (const listener of this.changeListeners) listener(tables);
      });
    }
    this.touched.add(table);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once, reused: preparing is a large share of a small statement's cost. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  deviceId(): Promise<string> {
    return attempt(() =>
      this.db.transaction(() => {
        const existing = this.meta('device_id');
        if (existing !== null) return existing;
        const id = `station-${this.newId()}`;
        this.writeMeta('device_id', id);
        return id;
      })(),
    );
  }

  enqueue(op: NewOp, meta: { id: string; now: number }): Promise<QueuedOp> {
    return attempt(() =>
      this.db.transaction(() => {
        const queued: QueuedOp = {
          id: meta.id,
          seq: this.nextSeq(),
          timestamp: meta.now,
          table: op.table,
          action: op.action,
          payload: op.payload,
          baseVersion: op.base_version ?? null,
          status: 'pending',
          retryCount: 0,
          nextAttemptAt: 0,
          lastError: null,
        };
        this.insertOp(queued);
        this.refreshCache(op.table, String(op.payload['id']), meta.now);
        return queued;
      })(),
    );
  }

  readyBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return attempt(() => this.readySync(now, limit));
  }

  private readySync(now: number, limit: number): QueuedOp[] {
    const held = this.heldKeys();
    const blocked = new Set<string>();
    const batch: QueuedOp[] = [];
    const corrupt: { record: OpRecord; problems: string }[] = [];
    for (const record of this.stmt('select * from pending_sync order by seq').iterate() as Iterable<OpRecord>) {
      if (batch.length >= limit) break;
      const key = record.entity_key;
      if (blocked.has(key)) continue;
      if (held.has(key) || record.status === 'syncing' || record.next_attempt_at > now) {
        blocked.add(key);
        continue;
      }
      const read = this.readOp(record);
      if (!read.ok) {
        corrupt.push({ record, problems: read.problems });
        blocked.add(key);
        continue;
      }
      batch.push(read.op);
    }
    if (corrupt.length > 0) this.quarantineCorrupt(corrupt, now);
    return batch;
  }

  claimBatch(now: number, limit: number): Promise<QueuedOp[]> {
    return attempt(() =>
      this.db.transaction(() => {
        const batch = this.readySync(now, limit);
        const mark = this.stmt("update pending_sync set status = 'syncing' where id = ?");
        for (const op of batch) mark.run(op.id);
        return batch.map((op) => ({ ...op, status: 'syncing' as const }));
      })(),
    );
  }

  recoverInFlight(): Promise<number> {
    return Promise.resolve(this.stmt("update pending_sync set status = 'pending' where status = 'syncing'").run().changes);
  }

  settle(outcomes: Outcome[], now: number): Promise<void> {
    return attempt(() =>
      this.db.transaction(() => {
        for (const outcome of outcomes) {
          const { op } = outcome;
          const key = entityKey(op);
          const id = String(op.payload['id']);
          switch (outcome.kind) {
            case 'applied':
              this.deleteOp(op.id);
              if (outcome.row !== null) this.writeServerRow(op.table, outcome.row, now);
              this.refreshCache(op.table, id, now);
              break;
            case 'conflict':
              this.deleteOp(op.id);
              this.stmt(
                'insert or replace into conflicts (id, entity_key, op, server_row, changed_fields, message, detected_at) values (?, ?, ?, ?, ?, ?, ?)',
              ).run(
                op.id,
                key,
                JSON.stringify(op),
                outcome.serverRow === null ? null : JSON.stringify(outcome.serverRow),
                JSON.stringify(outcome.changedFields),
                outcome.message,
                now,
              );
              if (outcome.serverRow !== null) this.writeServerRow(op.table, outcome.serverRow, now);
              this.refreshCache(op.table, id, now);
              break;
            case 'rejected':
              this.deleteOp(op.id);
              this.stmt(
                'insert or replace into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)',
              ).run(op.id, key, JSON.stringify(op), outcome.code, outcome.message, now);
              this.refreshCache(op.table, id, now);
              break;
            case 'retry':
              this.stmt(
                'update pending_sync set status = ?, retry_count = retry_count + ?, next_attempt_at = ?, last_error = ? where id = ?',
              ).run(
                outcome.failure ? 'failed' : 'pending',
                outcome.failure ? 1 : 0,
                outcome.nextAttemptAt,
                outcome.failure ? outcome.error : null,
                op.id,
              );
              break;
          }
        }
      })(),
    );
  }

  retryNow(): Promise<number> {
    return attempt(
      () => this.stmt("update pending_sync set next_attempt_at = 0 where status <> 'syncing' and next_attempt_at > 0").run().changes,
    );
  }

  /** Queued ops on these entities ("assets:<id>", "cases:<id>"), in queue order. */
  queuedFor(entityKeys: string[]): QueuedOp[] {
    if (entityKeys.length === 0) return [];
    const records = this.db
      .prepare(`select * from pending_sync where entity_key in (${entityKeys.map(() => '?').join(', ')}) order by seq`)
      .all(...entityKeys) as OpRecord[];
    return records.map((r) => this.parseOp(r)).filter((op): op is QueuedOp => op !== null);
  }

  listQueue(limit: number): Promise<QueuedOp[]> {
    const records = this.stmt('select * from pending_sync order by seq limit ?').all(limit) as OpRecord[];
    return Promise.resolve(records.map((r) => this.parseOp(r)).filter((op): op is QueuedOp => op !== null));
  }

  applyPull(page: PullPage, rebaseRow: (serverRow: Row | null, queued: QueuedOp[]) => Row | null): Promise<void> {
    const now = Date.now();
    return attempt(() =>
      this.db.transaction(() => {
        for (const [table, rows] of Object.entries(page.changes) as [CachedTable, Row[]][]) {
          for (const row of rows) {
            this.writeServerRow(table, row, now);
            this.refreshCache(table, row.id, now, rebaseRow);
          }
        }
        for (const tombstone of page.tombstones) this.deleteCached(tombstone.table, tombstone.id);
        this.writeMeta('cursor', page.cursor);
      })(),
    );
  }

  cursor(): Promise<string | null> {
    return Promise.resolve(this.meta('cursor'));
  }

  getCached(table: CachedTable, id: string): Promise<Row | null> {
    const record = this.cacheRecord(table, id);
    return attempt(() => (record?.row == null ? null : this.parseRow(record.row)));
  }

  countCached(table: CachedTable): Promise<number> {
    const { table: name, entity } = CACHE_TABLE[table];
    const row = (
      entity === null
        ? this.stmt(`select count(*) as n from ${name} where row is not null`).get()
        : this.stmt(`select count(*) as n from ${name} where entity = ? and row is not null`).get(entity)
    ) as { n: number };
    return Promise.resolve(row.n);
  }

  /**
   * Every conflict, whatever was stored: a damaged record whose op reads is rewritten readable
   * (what could not be read is named in its message), one whose op does not goes to quarantine
   * as corrupt — one odd record never hides the others (see readStoredConflict).
   */
  conflicts(): Promise<Conflict[]> {
    const now = Date.now();
    return attempt(() =>
      this.db.transaction(() => {
        const out: Conflict[] = [];
        for (const r of this.stmt('select * from conflicts').all() as ConflictRecord[]) {
          const read = this.readConflict(r, now);
          if (read.ok && read.damage === null) {
            out.push(read.conflict);
            continue;
          }
          this.stmt('delete from conflicts where id = ?').run(r.id);
          if (read.ok) {
            const taken = (key: string): boolean => this.stmt('select 1 from conflicts where id = ?').get(key) !== undefined;
            const conflict = { ...read.conflict, id: taken(read.conflict.id) ? this.newId() : read.conflict.id };
            this.stmt(
              'insert into conflicts (id, entity_key, op, server_row, changed_fields, message, detected_at) values (?, ?, ?, ?, ?, ?, ?)',
            ).run(
              conflict.id,
              String(r.entity_key),
              JSON.stringify(conflict.op),
              conflict.serverRow === null ? null : JSON.stringify(conflict.serverRow),
              JSON.stringify(conflict.changedFields),
              conflict.message,
              conflict.detectedAt,
            );
            out.push(conflict);
          } else {
            const taken = (key: string): boolean => this.stmt('select 1 from quarantine where id = ?').get(key) !== undefined;
            const entry = corruptEntry({ ...read.op, id: r.id }, read.problems, quarantineKey(r.id, taken, this.newId), String(r.op));
            this.stmt('insert into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)').run(
              entry.op.id,
              String(r.entity_key),
              JSON.stringify(entry.op),
              entry.code,
              entry.message,
              now,
            );
          }
        }
        return out.sort((a, b) => a.detectedAt - b.detectedAt || (a.id < b.id ? -1 : 1));
      })(),
    );
  }

  resolveConflict(id: string, choice: ConflictChoice, meta: { newOpId: string; now: number }): Promise<void> {
    return attempt(() =>
      this.db.transaction(() => {
        const record = this.stmt('select * from conflicts where id = ?').get(id) as ConflictRecord | undefined;
        if (record === undefined) throw new QueueStoreError('not_found', `no conflict ${id}`);
        const read = this.readConflict(record, meta.now);
        if (!read.ok)
          throw new QueueStoreError(
            'corrupt',
            `conflict ${id} cannot be read (${read.problems}); list the conflicts to move it to quarantine, where it can be discarded`,
          );
        const { op, serverRow } = read.conflict;
        this.stmt('delete from conflicts where id = ?').run(id);
        if (choice === 'keep_local') {
          const serverVersion = serverRow?.['version'];
          // Same place in its entity's order (same seq), new id: the server already answered the old one.
          this.insertOp(requeued(op, meta.newOpId, typeof serverVersion === 'number' ? serverVersion : op.baseVersion));
        }
        this.refreshCache(op.table, String(op.payload['id']), meta.now);
      })(),
    );
  }

  private readConflict(r: ConflictRecord, now: number): StoredConflictRead {
    const op = parseJson(r.op);
    const serverRow = r.server_row === null ? { value: null } : parseJson(r.server_row);
    const changed = parseJson(r.changed_fields);
    const errors = Object.fromEntries(
      Object.entries({ op: op.error, serverRow: serverRow.error, changedFields: changed.error }).filter(([, error]) => error !== undefined),
    );
    return readStoredConflict(
      { id: r.id, op: op.value, serverRow: serverRow.value, changedFields: changed.value, message: r.message, detectedAt: r.detected_at },
      now,
      errors,
    );
  }

  /**
   * Every quarantined op, whatever was stored: an entry that no longer reads (an older version
   * kept a corrupt op under its non-UUID id, or the row was damaged) is rewritten as a corrupt
   * entry first, so one odd row never hides the others.
   */
  quarantined(): Promise<QuarantinedOp[]> {
    return attempt(() =>
      this.db.transaction(() => {
        const rows = this.stmt('select * from quarantine order by quarantined_at, id').all() as QuarantineRecord[];
        const out: QuarantinedOp[] = [];
        for (const r of rows) {
          const op = parseJson(r.op);
          const read = readStoredQuarantine(
            { id: r.id, op: op.value, code: r.code, message: r.message, quarantinedAt: r.quarantined_at },
            this.newId,
            op.error,
            r.op,
          );
          if (!read.ok) {
            this.stmt('delete from quarantine where id = ?').run(r.id);
            this.stmt('insert into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)').run(
              read.entry.id,
              r.entity_key,
              JSON.stringify(read.entry.op),
              read.entry.code,
              read.entry.message,
              read.entry.quarantinedAt,
            );
          }
          out.push(read.entry);
        }
        return out;
      })(),
    );
  }

  retryQuarantined(id: string, meta: { newOpId: string; now: number }): Promise<void> {
    return attempt(() =>
      this.db.transaction(() => {
        const record = this.stmt('select op, code from quarantine where id = ?').get(id) as { op: string; code: string } | undefined;
        if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
        const read = queuedOpSchema.safeParse(parseJson(record.op).value);
        if (record.code === CORRUPT_CODE || !read.success)
          throw new QueueStoreError('corrupt', `op ${id} has a corrupt payload; it can only be discarded`);
        const op = read.data;
        this.stmt('delete from quarantine where id = ?').run(id);
        if (record.code === REPLAY_EXPIRED) {
          const key = entityKey(op);
          const behind = this.stmt('select id from pending_sync where entity_key = ? and seq > ? order by seq').all(key, op.seq) as {
            id: string;
          }[];
          this.insertOp(reissued(op, meta.newOpId, meta.now, this.nextSeq()));
          const move = this.stmt('update pending_sync set seq = ? where id = ?');
          for (const later of behind) move.run(this.nextSeq(), later.id);
        } else {
          this.insertOp(requeued(op, meta.newOpId));
        }
        this.refreshCache(op.table, String(op.payload['id']), meta.now);
      })(),
    );
  }

  discardQuarantined(id: string): Promise<void> {
    return attempt(() =>
      this.db.transaction(() => {
        const record = this.stmt('select op from quarantine where id = ?').get(id) as { op: string } | undefined;
        if (record === undefined) throw new QueueStoreError('not_found', `no quarantined op ${id}`);
        this.stmt('delete from quarantine where id = ?').run(id);
        const op = queuedOpSchema.safeParse(parseJson(record.op).value);
        if (op.success) this.refreshCache(op.data.table, String(op.data.payload['id']), Date.now());
      })(),
    );
  }

  stats(): Promise<QueueStats> {
    const counts = this.stmt(
      `select count(*) as depth,
                coalesce(sum(status = 'pending'), 0) as pending,
                coalesce(sum(status = 'syncing'), 0) as syncing,
                coalesce(sum(status = 'failed'), 0) as failed,
                coalesce(sum(entity_key in (select entity_key from conflicts union select entity_key from quarantine)), 0) as held,
                min(timestamp) as oldest
           from pending_sync`,
    ).get() as { depth: number; pending: number; syncing: number; failed: number; held: number; oldest: number | null };
    const conflicts = (this.stmt('select count(*) as n from conflicts').get() as { n: number }).n;
    const quarantined = (this.stmt('select count(*) as n from quarantine').get() as { n: number }).n;
    return Promise.resolve({
      depth: counts.depth,
      pending: counts.pending,
      syncing: counts.syncing,
      failed: counts.failed,
      held: counts.held,
      conflicts,
      quarantined,
      oldestPendingAt: counts.oldest,
    });
  }

  getMetaSync(key: string): string | null {
    return this.meta(key);
  }

  /** Another backend's data must not linger: empty the caches and forget the pull cursor. */
  resetForNewBackend(): Promise<void> {
    return attempt(() => {
      this.db.transaction(() => {
        for (const table of ['gig_cache', 'asset_cache', 'entity_cache']) this.db.prepare(`delete from ${table}`).run();
        this.stmt('delete from sync_state where key = ?').run('cursor');
      })();
      for (const table of CACHED_TABLES) this.touch(table);
    });
  }

  getMeta(key: string): Promise<string | null> {
    return Promise.resolve(this.meta(key));
  }

  deleteMeta(key: string): Promise<void> {
    this.stmt('delete from sync_state where key = ?').run(key);
    return Promise.resolve();
  }

  setMeta(key: string, value: string): Promise<void> {
    this.writeMeta(key, value);
    return Promise.resolve();
  }

  // --- internals (always inside the caller's transaction) ---------------------------------

  private meta(key: string): string | null {
    const row = this.stmt('select value from sync_state where key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  /** The next device sequence (queue order), taken. */
  private nextSeq(): number {
    const seq = Number(this.meta('next_seq') ?? '1');
    this.writeMeta('next_seq', String(seq + 1));
    return seq;
  }

  private writeMeta(key: string, value: string): void {
    this.stmt('insert into sync_state (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(key, value);
  }

  private insertOp(op: QueuedOp): void {
    this.stmt(
      `insert into pending_sync (id, seq, timestamp, action, "table", payload, base_version, status, retry_count, next_attempt_at, last_error, entity_key)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      op.id,
      op.seq,
      op.timestamp,
      op.action,
      op.table,
      JSON.stringify(op.payload),
      op.baseVersion,
      op.status,
      op.retryCount,
      op.nextAttemptAt,
      op.lastError,
      entityKey(op),
    );
  }

  private deleteOp(id: string): void {
    this.stmt('delete from pending_sync where id = ?').run(id);
  }

  private parseOp(record: OpRecord): QueuedOp | null {
    const read = this.readOp(record);
    return read.ok ? read.op : null;
  }

  private readOp(record: OpRecord): StoredOpRead {
    const payload = parseJson(record.payload);
    return readStoredOp(opFields(record, payload.value), payload.error);
  }

  /** An op that cannot be read is kept, raw, in quarantine (under a key it can be discarded by): never dropped. */
  private quarantineCorrupt(records: { record: OpRecord; problems: string }[], now: number): void {
    this.db.transaction(() => {
      const taken = (id: string): boolean => this.stmt('select 1 from quarantine where id = ?').get(id) !== undefined;
      for (const { record, problems } of records) {
        const payload = parseJson(record.payload);
        const entry = corruptEntry(
          opFields(record, payload.value),
          problems,
          quarantineKey(record.id, taken, this.newId),
          String(record.payload),
        );
        this.stmt('insert into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)').run(
          entry.op.id,
          String(record.entity_key),
          JSON.stringify(entry.op),
          entry.code,
          entry.message,
          now,
        );
        this.deleteOp(record.id);
      }
    })();
  }

  private heldKeys(): Set<string> {
    const rows = this.stmt('select entity_key from conflicts union select entity_key from quarantine').all() as { entity_key: string }[];
    return new Set(rows.map((r) => r.entity_key));
  }

  private parseRow(text: string): Row {
    const parsed = rowSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new QueueStoreError('corrupt', `a cached row is not readable: ${parsed.error.message}`);
    return parsed.data;
  }

  private cacheRecord(table: CachedTable, id: string): CacheRecord | undefined {
    const { table: name, entity } = CACHE_TABLE[table];
    return (
      entity === null
        ? this.stmt(`select row, server_row from ${name} where id = ?`).get(id)
        : this.stmt(`select row, server_row from ${name} where entity = ? and id = ?`).get(entity, id)
    ) as CacheRecord | undefined;
  }

  private writeServerRow(table: string, row: Row, now: number): void {
    const cached = CACHE_TABLE[table as CachedTable];
    if (cached === undefined) return;
    const current = this.cacheRecord(table as CachedTable, row.id)?.server_row;
    if (current != null && isOlderRow(row, this.parseRow(current))) return;
    const text = JSON.stringify(row);
    if (cached.entity === null) {
      this.stmt(
        `insert into ${cached.table} (id, row, server_row, updated_at) values (?, ?, ?, ?) on conflict (id) do update set server_row = excluded.server_row, updated_at = excluded.updated_at`,
      ).run(row.id, text, text, now);
    } else {
      this.stmt(
        `insert into ${cached.table} (entity, id, row, server_row, updated_at) values (?, ?, ?, ?, ?) on conflict (entity, id) do update set server_row = excluded.server_row, updated_at = excluded.updated_at`,
      ).run(cached.entity, row.id, text, text, now);
    }
  }

  /** The station's view of a row: the server's last word with the still-queued ops on top. */
  private refreshCache(table: string, id: string, now: number, rebaseRow = rebase): void {
    const cached = CACHE_TABLE[table as CachedTable];
    if (cached === undefined) return;
    this.touch(table as CachedTable);
    const record = this.cacheRecord(table as CachedTable, id);
    const server = record?.server_row == null ? null : this.parseRow(record.server_row);
    const queued = (this.stmt('select * from pending_sync where entity_key = ? order by seq').all(`${table}:${id}`) as OpRecord[])
      .map((r) => this.parseOp(r))
      .filter((op): op is QueuedOp => op !== null);
    const view = rebaseRow(server, queued);
    const text = view === null ? null : JSON.stringify(view);
    if (record === undefined && text === null) return;
    if (cached.entity === null) {
      this.stmt(
        `insert into ${cached.table} (id, row, server_row, updated_at) values (?, ?, ?, ?) on conflict (id) do update set row = excluded.row, updated_at = excluded.updated_at`,
      ).run(id, text, record?.server_row ?? null, now);
    } else {
      this.stmt(
        `insert into ${cached.table} (entity, id, row, server_row, updated_at) values (?, ?, ?, ?, ?) on conflict (entity, id) do update set row = excluded.row, updated_at = excluded.updated_at`,
      ).run(cached.entity, id, text, record?.server_row ?? null, now);
    }
  }

  private deleteCached(table: CachedTable, id: string): void {
    this.touch(table);
    const { table: name, entity } = CACHE_TABLE[table];
    if (entity === null) this.stmt(`delete from ${name} where id = ?`).run(id);
    else this.stmt(`delete from ${name} where entity = ? and id = ?`).run(entity, id);
  }
}
