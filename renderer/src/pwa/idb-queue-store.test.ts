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
