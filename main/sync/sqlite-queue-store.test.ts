import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Conflict, QuarantinedOp, QueuedOp } from '../../core/sync/model';
import { queueStoreContract, RawText, type DamageOp } from '../../core/sync/queue-store.contract';
import { migrate } from './migrations';
import { SqliteQueueStore } from './sqlite-queue-store';
import { rebase } from '../../core/sync/optimistic';

const dir = mkdtempSync(join(tmpdir(), 'queue-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const paths = new WeakMap<object, string>();
const open = (clock?: () => number): SqliteQueueStore => {
  const path = join(dir, `store-${(files += 1)}.sqlite`);
  const store = new SqliteQueueStore({ path, newId: randomUUID, ...(clock === undefined ? {} : { clock }) });
  paths.set(store, path);
  return store;
};

/** A second connection to the store's file, as another process or a damaged disk would change it. */
function underneath<T>(store: object, work: (db: Database.Database) => T): T {
  const path = paths.get(store);
  if (path === undefined) throw new Error('not a store this test opened');
  const db = new Database(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const COLUMNS: Record<keyof QueuedOp, string> = {
  id: 'id',
  seq: 'seq',
  timestamp: 'timestamp',
  table: '"table"',
  action: 'action',
  payload: 'payload',
  baseVersion: 'base_version',
  status: 'status',
  retryCount: 'retry_count',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
};

const CONFLICT_COLUMNS: Record<keyof Conflict, string> = {
  id: 'id',
  op: 'op',
  serverRow: 'server_row',
  changedFields: 'changed_fields',
  message: 'message',
  detectedAt: 'detected_at',
};
const QUARANTINE_COLUMNS: Record<keyof QuarantinedOp, string> = {
  id: 'id',
  op: 'op',
  code: 'code',
  message: 'message',
  quarantinedAt: 'quarantined_at',
};
const JSON_COLUMNS = new Set(['payload', 'op', 'server_row', 'changed_fields']);

/** Writes straight into the row (SQLite keeps whatever type it is given; JSON columns are text). */
const damage: DamageOp = (store, id, patch, target = 'queue') =>
  underneath(store, (db) => {
    const [table, columns] = (
      {
        queue: ['pending_sync', COLUMNS],
        conflict: ['conflicts', CONFLICT_COLUMNS],
        quarantine: ['quarantine', QUARANTINE_COLUMNS],
      } as const satisfies Record<string, readonly [string, Record<string, string>]>
    )[target] as readonly [string, Record<string, string>];
    // The status check constraint stands in the way of an unknown status; a damaged file has none.
    db.pragma('ignore_check_constraints = on');
    for (const [field, value] of Object.entries(patch)) {
      const column = columns[field];
      if (column === undefined) throw new Error(`no column for ${field} in ${table}`);
      const stored = value instanceof RawText ? value.text : JSON_COLUMNS.has(column) ? JSON.stringify(value) : value;
      db.prepare(`update ${table} set ${column} = ? where id = ?`).run(stored, id);
      if (field === 'id') id = String(value);
    }
    db.pragma('ignore_check_constraints = off');
    return Promise.resolve();
  });

queueStoreContract('better-sqlite3 on disk', (clock) => Promise.resolve(open(clock)), damage);

describe('SqliteQueueStore on disk', () => {
  it('runs in WAL mode with synchronous=FULL', () => {
    const store = open();
    expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
    store.close();
  });

  it('keeps queued ops and the device id across a reopen', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = new SqliteQueueStore({ path, newId: randomUUID });
    const device = await first.deviceId();
    await first.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 1 });
    first.close();
    const second = new SqliteQueueStore({ path, newId: randomUUID });
    expect(await second.deviceId()).toBe(device);
    expect((await second.stats()).depth).toBe(1);
    const next = await second.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 2 });
    expect(next.seq).toBe(2);
    second.close();
  });

  it('quarantines an op whose stored payload is corrupt, keeping the raw text, without touching others', async () => {
    const store = open();
    const bad = await store.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 1 });
    const good = await store.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 2 });
    underneath(store, (db) => db.prepare('update pending_sync set payload = ? where id = ?').run('{"id": "truncated…', bad.id));
    expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([good.id]);
    const [quarantined] = await store.quarantined();
    expect(quarantined).toMatchObject({ id: bad.id, code: 'corrupt_payload' });
    expect(quarantined?.message).toContain('{"id": "truncated…');
    await expect(store.retryQuarantined(bad.id, { newOpId: randomUUID(), now: 3 })).rejects.toThrow(
      /corrupt payload; it can only be discarded/,
    );
    store.close();
  });

  it('lists and discards a quarantine entry an older version kept under a non-UUID id, next to readable ones', async () => {
    const store = open();
    const refused = await store.enqueue(
      { table: 'assets', action: 'check_in', payload: { id: randomUUID() } },
      { id: randomUUID(), now: 1 },
    );
    await store.settle([{ kind: 'rejected', op: refused, code: 'asset_retired', message: 'retired' }], 2);
    // What the previous version wrote for a corrupt queue row whose id was "op-17".
    const oldEnvelope = { ...refused, id: 'op-17', payload: {}, status: 'failed', lastError: 'corrupt payload' };
    underneath(store, (db) => {
      const insert = db.prepare('insert into quarantine (id, entity_key, op, code, message, quarantined_at) values (?, ?, ?, ?, ?, ?)');
      insert.run('op-17', 'assets:x', JSON.stringify(oldEnvelope), 'corrupt_payload', 'stored op cannot be read (assets.check_in): {}', 3);
      insert.run(randomUUID(), 'assets:y', 'not json at all', 'asset_retired', 'retired', 4);
    });
    const listed = await store.quarantined();
    expect(listed.map((q) => q.code)).toEqual(['asset_retired', 'corrupt_payload', 'corrupt_payload']);
    expect(listed[1]?.message).toMatch(/quarantine entry "op-17"/);
    expect(listed[2]?.message).toMatch(/not json at all/);
    expect((await store.stats()).quarantined).toBe(3);
    for (const entry of listed.slice(1)) await store.discardQuarantined(entry.id);
    expect((await store.quarantined()).map((q) => q.id)).toEqual([refused.id]);
    store.close();
  });

  it('refuses a database from a newer app version', () => {
    const path = join(dir, 'future.sqlite');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteQueueStore({ path, newId: randomUUID })).toThrow(/schema 99, newer than this app/);
  });
});

describe('station database migrations', () => {
  it('002 adds entity keys to ops queued under 001 and indexes them', () => {
    const db = new Database(join(dir, 'migrate.sqlite'));
    expect(migrate(db, 1)).toBe(1);
    db.prepare(
      `insert into pending_sync (id, seq, timestamp, action, "table", payload, status) values ('op-1', 1, 5, 'check_in', 'assets', '{"id":"abc"}', 'pending')`,
    ).run();
    expect(migrate(db, 2)).toBe(2);
    expect(db.prepare('select id, entity_key, payload from pending_sync').all()).toEqual([
      { id: 'op-1', entity_key: 'assets:abc', payload: '{"id":"abc"}' },
    ]);
    const indexes = (
      db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'pending_sync'").all() as { name: string }[]
    ).map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining(['pending_sync_entity_idx', 'pending_sync_ready_idx']));
    db.close();
  });

  it('003 adds lookup indexes that serve serial, code and badge lookups', () => {
    const db = new Database(join(dir, 'migrate-3.sqlite'));
    migrate(db, 2);
    db.prepare(
      `insert into asset_cache (id, row, server_row, updated_at) values ('a1', '{"id":"a1","serial_number":"spk-1"}', null, 1)`,
    ).run();
    expect(migrate(db, 3)).toBe(3);
    const plan = db
      .prepare("explain query plan select row from asset_cache where upper(json_extract(row, '$.serial_number')) = 'SPK-1'")
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX asset_cache_serial_idx/);
    expect(db.prepare("select id from asset_cache where upper(json_extract(row, '$.serial_number')) = 'SPK-1'").all()).toEqual([
      { id: 'a1' },
    ]);
    db.close();
  });

  it('004 drops the lookup indexes (lookups are in memory) and stores a row once when it is the server’s', async () => {
    const path = join(dir, 'migrate-4.sqlite');
    const db = new Database(path);
    migrate(db, 3);
    db.close();
    const store = new SqliteQueueStore({ path, newId: randomUUID });
    const ASSET = '00000000-0000-4000-8000-0000000000a4';
    const OTHER = '00000000-0000-4000-8000-0000000000a5';
    const row = (id: string, notes: string) => ({ id, version: 1, status: 'available', serial_number: `S-${id.slice(-2)}`, notes });
    await store.applyPull(
      {
        changes: { assets: [row(ASSET, 'from the server'), row(OTHER, 'from the server')] },
        tombstones: [],
        cursor: '9:1',
        has_more: false,
      },
      rebase,
    );
    // A queued edit makes the view differ from the server's row: both are kept.
    await store.enqueue(
      { table: 'assets', action: 'update', payload: { id: OTHER, fields: { notes: 'edited here' } }, base_version: 1 },
      { id: randomUUID(), now: 5 },
    );
    store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("select name from sqlite_master where type = 'index' and name like '%cache%idx'").all()).toEqual([]);
    const stored = raw.prepare('select id, server_same, server_row is null as no_server_row from asset_cache order by id').all();
    expect(stored).toEqual([
      { id: ASSET, server_same: 1, no_server_row: 1 },
      { id: OTHER, server_same: 0, no_server_row: 0 },
    ]);
    raw.close();
    const reopened = new SqliteQueueStore({ path, newId: randomUUID });
    expect(await reopened.getCached('assets', ASSET)).toMatchObject({ notes: 'from the server' });
    expect(await reopened.getCached('assets', OTHER)).toMatchObject({ notes: 'edited here' });
    // The server's row under the edit is still there: a pull of a newer version rebases the edit on it.
    await reopened.applyPull(
      {
        changes: { assets: [{ ...row(OTHER, 'from the server'), version: 2, status: 'maintenance' }] },
        tombstones: [],
        cursor: '9:2',
        has_more: false,
      },
      rebase,
    );
    expect(await reopened.getCached('assets', OTHER)).toMatchObject({ notes: 'edited here', status: 'maintenance' });
    reopened.close();
  });
});

describe('a station database from every earlier schema opens with its data', () => {
  const ASSET = '00000000-0000-4000-8000-0000000000a1';
  const CASE = '00000000-0000-4000-8000-0000000000c1';
  const GIG = '00000000-0000-4000-8000-0000000000f1';
  const OP = '00000000-0000-4000-9000-000000000001';
  const CONFLICT = '00000000-0000-4000-9000-000000000002';
  const REFUSED = '00000000-0000-4000-9000-000000000003';
  const op = (id: string, seq: number) => ({
    id,
    seq,
    timestamp: 100 + seq,
    table: 'assets',
    action: 'check_in',
    payload: { id: ASSET, condition: 'ok' },
    baseVersion: null,
    status: 'pending',
    retryCount: 0,
    nextAttemptAt: 0,
    lastError: null,
  });

  for (const version of [1, 2, 3]) {
    it(`from schema ${version}`, async () => {
      const path = join(dir, `schema-${version}.sqlite`);
      // The file as that version of the app left it, written with that schema's SQL.
      const db = new Database(path);
      migrate(db, version);
      const asset = JSON.stringify({ id: ASSET, version: 3, status: 'available', serial_number: 'SPK-1' });
      db.exec(`
        insert into sync_state (key, value) values ('device_id', 'station-old'), ('next_seq', '8'), ('cursor', '40:2'), ('backend', '{"url":"http://x.test","anonKey":"anon"}'),
          ('station_name', 'Dock 2'), ('scanners', '[]'), ('auth:sb-token', '{"access_token":"t"}');
        insert into gig_cache (id, row, server_row, updated_at) values ('${GIG}', '{"id":"${GIG}","code":"G-1","version":1}', '{"id":"${GIG}","code":"G-1","version":1}', 1);
        insert into asset_cache (id, row, server_row, updated_at) values ('${ASSET}', '${asset}', '${asset}', 1);
        insert into entity_cache (entity, id, row, server_row, updated_at) values ('cases', '${CASE}', '{"id":"${CASE}","barcode":"C-1"}', null, 1);
        insert into conflicts (id, entity_key, op, server_row, changed_fields, message, detected_at)
          values ('${CONFLICT}', 'assets:${ASSET}', '${JSON.stringify(op(CONFLICT, 5))}', '${asset}', '["status"]', 'changed', 50);
        insert into quarantine (id, entity_key, op, code, message, quarantined_at)
          values ('${REFUSED}', 'assets:${ASSET}', '${JSON.stringify(op(REFUSED, 6))}', 'asset_retired', 'retired', 60);
      `);
      // Schema 1 had no entity key (002 fills it in); from 2 on the app wrote it.
      const payload = JSON.stringify({ id: ASSET, condition: 'ok' });
      if (version === 1)
        db.prepare(
          `insert into pending_sync (id, seq, timestamp, action, "table", payload, status) values (?, 7, 107, 'check_in', 'assets', ?, 'pending')`,
        ).run(OP, payload);
      else
        db.prepare(
          `insert into pending_sync (id, seq, timestamp, action, "table", payload, status, entity_key) values (?, 7, 107, 'check_in', 'assets', ?, 'pending', ?)`,
        ).run(OP, payload, `assets:${ASSET}`);
      db.close();

      const store = new SqliteQueueStore({ path, newId: randomUUID });
      expect(await store.deviceId()).toBe('station-old');
      expect(await store.cursor()).toBe('40:2');
      expect(await store.settings.backend.get()).toEqual({ url: 'http://x.test', anonKey: 'anon' });
      expect(store.settingNow('backend')).toEqual({ url: 'http://x.test', anonKey: 'anon' });
      expect(await store.settings.stationName.get()).toBe('Dock 2');
      expect(await store.settings.scanners.get()).toBe('[]');
      expect(await store.session.getItem('sb-token')).toBe('{"access_token":"t"}');
      expect(await store.listQueue(10)).toMatchObject([{ id: OP, seq: 7, timestamp: 107, action: 'check_in' }]);
      expect(await store.queuedFor([`assets:${ASSET}`])).toMatchObject([{ id: OP }]);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ serial_number: 'SPK-1', version: 3 });
      expect(await store.getCached('gigs', GIG)).toMatchObject({ code: 'G-1' });
      expect(await store.getCached('cases', CASE)).toMatchObject({ barcode: 'C-1' });
      expect(await store.conflicts()).toMatchObject([{ id: CONFLICT, changedFields: ['status'], detectedAt: 50 }]);
      expect(await store.quarantined()).toMatchObject([{ id: REFUSED, code: 'asset_retired', quarantinedAt: 60 }]);
      expect(await store.stats()).toMatchObject({ depth: 1, held: 1, conflicts: 1, quarantined: 1, oldestPendingAt: 107 });
      // The device sequence carries on where it was.
      expect(
        (await store.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 200 })).seq,
      ).toBe(8);
      store.close();
    });
  }
});
