import Database from 'better-sqlite3';
import type { CachedTable, OpStatus } from '../../core/sync/model';
import {
  Unreadable,
  type ConflictRecord,
  type KeyedCollection,
  type OpPatch,
  type OpRecord,
  type QuarantineRecord,
  type QueueStorage,
  type ServerVersion,
  type StorageTx,
  type StoredCacheRecord,
  type StoredConflictRecord,
  type StoredOpRecord,
  type StoredQuarantineRecord,
  type TxMode,
} from '../../core/store/port';
import { migrate } from './migrations';
import { errorMessage } from '../../core/errors';

interface OpRow {
  id: string;
  seq: unknown;
  timestamp: unknown;
  action: unknown;
  table: unknown;
  payload: unknown;
  base_version: unknown;
  status: unknown;
  retry_count: unknown;
  next_attempt_at: unknown;
  last_error: unknown;
  entity_key: unknown;
}

interface ConflictRow {
  id: string;
  entity_key: unknown;
  op: unknown;
  server_row: unknown;
  changed_fields: unknown;
  message: unknown;
  detected_at: unknown;
}

interface QuarantineRow {
  id: string;
  entity_key: unknown;
  op: unknown;
  code: unknown;
  message: unknown;
  quarantined_at: unknown;
}

/** JSON text as stored; text that does not parse comes back as Unreadable (the queue reports it, never drops it). */
function json(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch (error) {
    return new Unreadable(String(text), `not valid JSON (${errorMessage(error)})`);
  }
}

function opRecord(r: OpRow): StoredOpRecord {
  return {
    id: r.id,
    seq: r.seq,
    timestamp: r.timestamp,
    table: r.table,
    action: r.action,
    payload: json(r.payload),
    baseVersion: r.base_version,
    status: r.status,
    retryCount: r.retry_count,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    entityKey: r.entity_key,
  };
}

const PATCH_COLUMNS: Record<keyof OpPatch, string> = {
  seq: 'seq',
  status: 'status',
  retryCount: 'retry_count',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
};

/** The seed's tables: gigs and assets have their own; the other cached tables share entity_cache. */
const CACHE_TABLE: Record<CachedTable, { name: string; entity: string | null }> = {
  gigs: { name: 'gig_cache', entity: null },
  assets: { name: 'asset_cache', entity: null },
  cases: { name: 'entity_cache', entity: 'cases' },
  kit_assignments: { name: 'entity_cache', entity: 'kit_assignments' },
  gig_staff: { name: 'entity_cache', entity: 'gig_staff' },
  staff_profiles: { name: 'entity_cache', entity: 'staff_profiles' },
  bulk_items: { name: 'entity_cache', entity: 'bulk_items' },
  locations: { name: 'entity_cache', entity: 'locations' },
};

/**
 * The storage port on one better-sqlite3 connection, in WAL mode with synchronous=FULL: a
 * committed transaction is on disk before its promise resolves. Transactions are serialized by a
 * promise chain (one connection; better-sqlite3 is synchronous, but `work` awaits between its
 * statements): a write transaction is BEGIN IMMEDIATE … COMMIT around the awaited work, rolled
 * back when the work fails.
 */
export class SqliteStorage implements QueueStorage {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly tx: StorageTx;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.tx = this.createTx();
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.stmt(mode === 'readwrite' ? 'begin immediate' : 'begin').run();
      try {
        const result = await work(this.tx);
        this.stmt('commit').run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.stmt('rollback').run();
        throw error;
      }
    };
    const result = this.tail.then(run, run);
    // The caller gets this transaction's rejection; the tail only orders the next one.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A sync_state value read outside any transaction (at startup, before anything else runs). */
  readStateNow(key: string): string | null {
    return (this.stmt('select value from sync_state where key = ?').pluck().get(key) as string | undefined) ?? null;
  }

  /** What the file promises about durability (checked by a test). */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
    };
  }

  /** Prepared once, reused: preparing is a large share of a small statement's cost. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private createTx(): StorageTx {
    const stmt = (sql: string): Database.Statement => this.stmt(sql);
    const count = (sql: string, ...params: unknown[]): Promise<number> =>
      Promise.resolve(
        stmt(sql)
          .pluck()
          .get(...params) as number,
      );
    const done = Promise.resolve();
    const cacheWhere = (table: CachedTable): { name: string; where: string; params: string[] } => {
      const { name, entity } = CACHE_TABLE[table];
      return entity === null ? { name, where: '', params: [] } : { name, where: 'entity = ? and', params: [entity] };
    };
    const conflicts: KeyedCollection<StoredConflictRecord, ConflictRecord> = {
      get: (id) => {
        const r = stmt('select * from conflicts where id = ?').get(id) as ConflictRow | undefined;
        return Promise.resolve(r === undefined ? undefined : conflictRecord(r));
      },
      all: () => Promise.resolve((stmt('select * from conflicts').all() as ConflictRow[]).map(conflictRecord)),
      keys: () => Promise.resolve(stmt('select id from conflicts').pluck().all() as string[]),
      put: (c) => {
        stmt(
          'insert or replace into conflicts (id, entity_key, op, server_row, changed_fields, message, detected_at) values (?, ?, ?, ?, ?, ?, ?)',
        ).run(
          c.id,
          c.entityKey,
          JSON.stringify(c.op),
          c.serverRow === null ? null : JSON.stringify(c.serverRow),
          JSON.stringify(c.changedFields),
          c.message,
          c.detectedAt,
        );
        return done;
      },
      delete: (id) => {
        stmt('delete from conflicts where id = ?').run(id);
        return done;
      },
      count: () => count('select count(*) from conflicts'),
      entityKeys: () => Promise.resolve(stmt('select entity_key from conflicts').pluck().all() as string[]),
    };
    const quarantine: KeyedCollection<StoredQuarantineRecord, QuarantineRecord> = {
      get: (id) => {
        const r = stmt('select * from quarantine where id = ?').get(id) as QuarantineRow | undefined;
        return Promise.resolve(r === undefined ? undefined : quarantineRecord(r));
      },
      all: () => Promise.resolve((stmt('select * from quarantine').all() as QuarantineRow[]).map(quarantineRecord)),
      keys: () => Promise.resolve(stmt('select id from quarantine').pluck().all() as string[]),
      put: (q) => {
        stmt('insert or replace into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)').run(
          q.id,
          q.entityKey,
          JSON.stringify(q.op),
          q.code,
          q.message,
          q.quarantinedAt,
        );
        return done;
      },
      delete: (id) => {
        stmt('delete from quarantine where id = ?').run(id);
        return done;
      },
      count: () => count('select count(*) from quarantine'),
      entityKeys: () => Promise.resolve(stmt('select entity_key from quarantine').pluck().all() as string[]),
    };
    return {
      ops: {
        get: (id) => {
          const r = stmt('select * from pending_sync where id = ?').get(id) as OpRow | undefined;
          return Promise.resolve(r === undefined ? undefined : opRecord(r));
        },
        put: (op: OpRecord) => {
          stmt(
            `insert into pending_sync (id, seq, timestamp, action, "table", payload, base_version, status, retry_count, next_attempt_at, last_error, entity_key)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             on conflict (id) do update set seq = excluded.seq, timestamp = excluded.timestamp, action = excluded.action, "table" = excluded."table",
               payload = excluded.payload, base_version = excluded.base_version, status = excluded.status, retry_count = excluded.retry_count,
               next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, entity_key = excluded.entity_key`,
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
            op.entityKey,
          );
          return done;
        },
        patch: (id, fields) => {
          const names = (Object.keys(PATCH_COLUMNS) as (keyof OpPatch)[]).filter((name) => fields[name] !== undefined);
          if (names.length === 0) return done;
          stmt(`update pending_sync set ${names.map((name) => `${PATCH_COLUMNS[name]} = ?`).join(', ')} where id = ?`).run(
            ...names.map((name) => fields[name]),
            id,
          );
          return done;
        },
        delete: (id) => {
          stmt('delete from pending_sync where id = ?').run(id);
          return done;
        },
        scan: (visit) => {
          // Read lazily and stop early: a claim of 500 reads ~500 rows, not the whole queue.
          for (const r of stmt('select * from pending_sync order by seq').iterate() as Iterable<OpRow>) if (!visit(opRecord(r))) break;
          return done;
        },
        forEntity: (key, afterSeq) =>
          Promise.resolve(
            (afterSeq === undefined
              ? (stmt('select * from pending_sync where entity_key = ? order by seq').all(key) as OpRow[])
              : (stmt('select * from pending_sync where entity_key = ? and seq > ? order by seq').all(key, afterSeq) as OpRow[])
            ).map(opRecord),
          ),
        forEntities: (keys) => {
          const lists = new Map<string, StoredOpRecord[]>(keys.map((key) => [key, []]));
          // One statement for a page's thousands of rows (usually nothing is queued on any of them).
          const rows = stmt('select * from pending_sync where entity_key in (select value from json_each(?)) order by entity_key, seq').all(
            JSON.stringify(keys),
          ) as OpRow[];
          for (const r of rows) lists.get(String(r.entity_key))?.push(opRecord(r));
          return Promise.resolve(lists);
        },
        count: (status?: OpStatus) =>
          status === undefined
            ? count('select count(*) from pending_sync')
            : count('select count(*) from pending_sync where status = ?', status),
        countForEntity: (key) => count('select count(*) from pending_sync where entity_key = ?', key),
        entityKeys: (prefix) =>
          Promise.resolve(
            stmt('select distinct entity_key from pending_sync where entity_key >= ? and entity_key < ? order by entity_key')
              .pluck()
              .all(prefix, `${prefix}\uffff`) as string[],
          ),
        oldestTimestamp: () => Promise.resolve((stmt('select min(timestamp) from pending_sync').pluck().get() as number | null) ?? null),
      },
      cache: {
        get: (table, id) => {
          const { name, where, params } = cacheWhere(table);
          const r = stmt(`select row, server_row, server_same from ${name} where ${where} id = ?`).get(...params, id) as
            { row: string | null; server_row: string | null; server_same: number } | undefined;
          return Promise.resolve(r === undefined ? undefined : cacheRecord(r.row, r.server_same === 1 ? r.row : r.server_row));
        },
        put: (table, id, record, updatedAt) => {
          const { name, entity } = CACHE_TABLE[table];
          // The view is the server's row itself when nothing is queued on it (rebase returns it): stored once.
          const same = record.row !== null && record.row === record.serverRow ? 1 : 0;
          const row = record.row === null ? null : JSON.stringify(record.row);
          const serverRow = same === 1 || record.serverRow === null ? null : JSON.stringify(record.serverRow);
          if (entity === null)
            stmt(
              `insert into ${name} (id, row, server_row, server_same, updated_at) values (?, ?, ?, ?, ?)
               on conflict (id) do update set row = excluded.row, server_row = excluded.server_row, server_same = excluded.server_same,
                 updated_at = excluded.updated_at`,
            ).run(id, row, serverRow, same, updatedAt);
          else
            stmt(
              `insert into ${name} (entity, id, row, server_row, server_same, updated_at) values (?, ?, ?, ?, ?, ?)
               on conflict (entity, id) do update set row = excluded.row, server_row = excluded.server_row, server_same = excluded.server_same,
                 updated_at = excluded.updated_at`,
            ).run(entity, id, row, serverRow, same, updatedAt);
          return done;
        },
        delete: (table, id) => {
          const { name, where, params } = cacheWhere(table);
          stmt(`delete from ${name} where ${where} id = ?`).run(...params, id);
          return done;
        },
        rows: (table) => {
          const { name, where, params } = cacheWhere(table);
          return Promise.resolve(
            (
              stmt(`select row from ${name} where ${where} row is not null`)
                .pluck()
                .all(...params) as string[]
            ).map(json),
          );
        },
        serverVersions: (table, afterId, limit) => {
          const { name, where, params } = cacheWhere(table);
          const versions = stmt(
            `select id, case when json_valid(r) then json_extract(r, '$.version') end as version,
                    case when json_valid(r) then json_extract(r, '$.updated_at') end as updated_at
               from (select id, case when server_same = 1 then row else server_row end as r from ${name}
                      where ${where} id > ? and (server_same = 1 or server_row is not null) order by id limit ?)`,
          ).all(...params, afterId ?? '', limit) as ServerVersion[];
          return Promise.resolve({ versions, next: versions.length === limit ? (versions[versions.length - 1]?.id ?? null) : null });
        },
        ids: (table) => {
          const { name, where, params } = cacheWhere(table);
          return Promise.resolve(
            stmt(`select id from ${name} where ${where} 1`)
              .pluck()
              .all(...params) as string[],
          );
        },
        count: (table) => {
          const { name, where, params } = cacheWhere(table);
          return count(`select count(*) from ${name} where ${where} row is not null`, ...params);
        },
        clear: () => {
          for (const name of ['gig_cache', 'asset_cache', 'entity_cache']) stmt(`delete from ${name}`).run();
          return done;
        },
      },
      conflicts,
      quarantine,
      state: {
        get: (key) => Promise.resolve(this.readStateNow(key)),
        put: (key, value) => {
          stmt('insert into sync_state (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(key, value);
          return done;
        },
        delete: (key) => {
          stmt('delete from sync_state where key = ?').run(key);
          return done;
        },
      },
    };
  }
}

/** A cached record whose JSON is decoded when read: most reads want only one of the two rows. */
function cacheRecord(row: string | null, serverRow: string | null): StoredCacheRecord {
  let decodedRow: unknown;
  let decodedServerRow: unknown;
  return {
    get row() {
      if (decodedRow === undefined) decodedRow = row === null ? null : json(row);
      return decodedRow;
    },
    get serverRow() {
      if (decodedServerRow === undefined) decodedServerRow = serverRow === null ? null : json(serverRow);
      return decodedServerRow;
    },
  };
}

function conflictRecord(r: ConflictRow): StoredConflictRecord {
  return {
    id: r.id,
    entityKey: r.entity_key,
    op: json(r.op),
    serverRow: r.server_row === null ? null : json(r.server_row),
    changedFields: json(r.changed_fields),
    message: r.message,
    detectedAt: r.detected_at,
  };
}

function quarantineRecord(r: QuarantineRow): StoredQuarantineRecord {
  return {
    id: r.id,
    entityKey: r.entity_key,
    op: json(r.op),
    code: r.code,
    message: r.message,
    quarantinedAt: r.quarantined_at,
  };
}
