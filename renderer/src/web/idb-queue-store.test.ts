import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { queueStoreContract } from '../../../core/sync/queue-store.contract';
import { damageIdbOp } from './idb-damage';
import { IdbQueueStore } from './idb-queue-store';

const randomUUID = (): string => crypto.randomUUID();

// The PWA's store passes the same contract as the station's SQLite store (fake-indexeddb here;
// the end-to-end run uses real IndexedDB in Chromium).
const opened: IdbQueueStore[] = [];
let n = 0;
async function open(clock?: () => number): Promise<IdbQueueStore> {
  const store = await IdbQueueStore.open(`contract-${(n += 1)}`, { newId: randomUUID, ...(clock === undefined ? {} : { clock }) });
  opened.push(store);
  return store;
}
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

queueStoreContract('IndexedDB (idb, fake-indexeddb)', open, damageIdbOp);

describe('IndexedDB store specifics', () => {
  it('keeps the queue across a reopen (a closed tab, a new one)', async () => {
    const name = `reopen-${randomUUID()}`;
    const first = await IdbQueueStore.open(name, { newId: randomUUID });
    await first.enqueue(
      { table: 'assets', action: 'check_in', payload: { id: randomUUID(), condition: 'ok' } },
      { id: randomUUID(), now: 5 },
    );
    const device = await first.deviceId();
    first.close();
    const second = await IdbQueueStore.open(name, { newId: randomUUID });
    expect((await second.stats()).depth).toBe(1);
    expect(await second.deviceId()).toBe(device);
    second.close();
  });

  it('quarantines an op whose stored payload no longer parses, raw, instead of dropping it', async () => {
    const name = `corrupt-${randomUUID()}`;
    const store = await IdbQueueStore.open(name, { newId: randomUUID });
    const op = await store.enqueue(
      { table: 'assets', action: 'check_in', payload: { id: randomUUID(), condition: 'ok' } },
      { id: randomUUID(), now: 5 },
    );
    store.close();
    // Damage the record underneath the store, as a bad migration or a bug elsewhere could.
    const raw = await openDB(name);
    const record = (await raw.get('pending_sync', op.id)) as Record<string, unknown>;
    await raw.put('pending_sync', { ...record, payload: 'not an object' });
    raw.close();
    const reopened = await IdbQueueStore.open(name, { newId: randomUUID });
    expect(await reopened.readyBatch(10, 10)).toEqual([]);
    const [quarantined] = await reopened.quarantined();
    expect(quarantined).toMatchObject({ id: op.id, code: 'corrupt_payload' });
    expect(quarantined?.message).toContain('not an object');
    await expect(reopened.retryQuarantined(op.id, { newOpId: randomUUID(), now: 6 })).rejects.toThrow('corrupt payload');
    reopened.close();
  });

  it('finds, lists and discards an op whose record lost its seq (in no index, yet counted)', async () => {
    const store = await open();
    const op = await store.enqueue(
      { table: 'assets', action: 'check_in', payload: { id: randomUUID(), condition: 'ok' } },
      { id: randomUUID(), now: 5 },
    );
    await damageIdbOp(store, op.id, { seq: undefined, retryCount: undefined });
    expect((await store.stats()).depth).toBe(1);
    expect(await store.claimBatch(10, 10)).toEqual([]);
    const [entry] = await store.quarantined();
    expect(entry).toMatchObject({ id: op.id, code: 'corrupt_payload' });
    expect(entry?.message).toMatch(/seq/);
    await store.discardQuarantined(op.id);
    expect(await store.stats()).toMatchObject({ depth: 0, quarantined: 0 });
  });
});

describe('a PWA database from every earlier schema opens with its data', () => {
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

  it('from version 1 (the seed’s stores)', async () => {
    const name = `schema-1-${randomUUID()}`;
    // The database as version 1 of the app created and filled it.
    const old = await openDB(name, 1, {
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
    });
    const asset = { id: ASSET, version: 3, status: 'available', serial_number: 'SPK-1' };
    for (const [key, value] of [
      ['device_id', 'pwa-old'],
      ['next_seq', '8'],
      ['cursor', '40:2'],
      ['backend', '{"url":"http://x.test","anonKey":"anon"}'],
      ['push_vapid_key', 'vapid'],
      ['push_prompt_dismissed', 'yes'],
      ['auth:sb-token', '{"access_token":"t"}'],
    ])
      await old.put('sync_state', { key, value });
    await old.put('gig_cache', { id: GIG, row: { id: GIG, code: 'G-1', version: 1 }, serverRow: null, updatedAt: 1 });
    await old.put('asset_cache', { id: ASSET, row: asset, serverRow: asset, updatedAt: 1 });
    await old.put('entity_cache', { entity: 'cases', id: CASE, row: { id: CASE, barcode: 'C-1' }, serverRow: null, updatedAt: 1 });
    await old.put('pending_sync', { ...op(OP, 7), entityKey: `assets:${ASSET}` });
    await old.put('conflicts', {
      id: CONFLICT,
      entityKey: `assets:${ASSET}`,
      op: op(CONFLICT, 5),
      serverRow: asset,
      changedFields: ['status'],
      message: 'changed',
      detectedAt: 50,
    });
    await old.put('quarantine', {
      id: REFUSED,
      entityKey: `assets:${ASSET}`,
      op: op(REFUSED, 6),
      code: 'asset_retired',
      message: 'retired',
      quarantinedAt: 60,
    });
    old.close();

    const store = await IdbQueueStore.open(name, { newId: randomUUID });
    expect(await store.deviceId()).toBe('pwa-old');
    expect(await store.cursor()).toBe('40:2');
    expect(await store.settings.backend.get()).toEqual({ url: 'http://x.test', anonKey: 'anon' });
    expect(await store.settings.pushKey.get()).toBe('vapid');
    expect(await store.settings.pushPromptDismissed.get()).toBe(true);
    expect(await store.session.getItem('sb-token')).toBe('{"access_token":"t"}');
    expect(await store.listQueue(10)).toMatchObject([{ id: OP, seq: 7, timestamp: 107 }]);
    expect(await store.getCached('assets', ASSET)).toMatchObject({ serial_number: 'SPK-1', version: 3 });
    expect(await store.getCached('gigs', GIG)).toMatchObject({ code: 'G-1' });
    expect(await store.getCached('cases', CASE)).toMatchObject({ barcode: 'C-1' });
    expect(await store.conflicts()).toMatchObject([{ id: CONFLICT, changedFields: ['status'], detectedAt: 50 }]);
    expect(await store.quarantined()).toMatchObject([{ id: REFUSED, code: 'asset_retired', quarantinedAt: 60 }]);
    // The oldest op comes from the index version 2 added over the records version 1 wrote.
    expect(await store.stats()).toMatchObject({ depth: 1, held: 1, conflicts: 1, quarantined: 1, oldestPendingAt: 107 });
    expect(
      (await store.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } }, { id: randomUUID(), now: 200 })).seq,
    ).toBe(8);
    store.close();
  });
});
