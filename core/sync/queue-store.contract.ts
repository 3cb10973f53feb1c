import { beforeEach, describe, expect, it } from 'vitest';
import { quarantinedOpSchema } from '../station-api';
import type { NewOp, QueuedOp, Row } from './model';
import { rebase } from './optimistic';
import type { QueueStore } from './queue-store';

/**
 * Overwrites fields of a queued op underneath the store, as a bad migration, a bug elsewhere or a
 * damaged disk could: field names are QueuedOp's; a `RawText` payload is stored as that text
 * where the store keeps text (SQLite), and as that string value where it keeps values (IndexedDB).
 */
export type DamageOp = (store: QueueStore, opId: string, patch: Partial<Record<keyof QueuedOp, unknown>>) => Promise<void>;
export class RawText {
  constructor(readonly text: string) {}
}

/**
 * The QueueStore contract, run against every implementation (better-sqlite3 now, IndexedDB in
 * the PWA). `open` returns a fresh, empty store; `damage` corrupts a stored op in place.
 */
export function queueStoreContract(name: string, open: () => Promise<QueueStore>, damage: DamageOp): void {
  const ASSET = '00000000-0000-4000-8000-0000000000a1';
  const OTHER = '00000000-0000-4000-8000-0000000000a2';
  const GIG = '00000000-0000-4000-8000-0000000000f1';
  let ids = 0;
  const nextId = (): string => `00000000-0000-4000-9000-${String((ids += 1)).padStart(12, '0')}`;
  const checkOut = (asset: string, version: number): NewOp => ({ table: 'assets', action: 'check_out', payload: { id: asset, gig_id: GIG }, base_version: version });
  const checkIn = (asset: string): NewOp => ({ table: 'assets', action: 'check_in', payload: { id: asset, condition: 'ok' } });
  const serverAsset = (id: string, version: number, extra: Record<string, unknown> = {}): Row => ({
    id,
    version,
    status: 'available',
    current_gig_id: null,
    serial_number: `SER-${id.slice(-4)}`,
    ...extra,
  });

  describe(`QueueStore contract: ${name}`, () => {
    let store: QueueStore;
    beforeEach(async () => {
      store = await open();
    });

    const seedAsset = (row: Row): Promise<void> =>
      store.applyPull({ changes: { assets: [row] }, tombstones: [], cursor: '1:1', has_more: false }, rebase);

    it('gives every op the next device sequence and keeps a stable device id', async () => {
      const a = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1000 });
      const b = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 1001 });
      expect(b.seq).toBe(a.seq + 1);
      expect(a).toMatchObject({ status: 'pending', retryCount: 0, baseVersion: null, timestamp: 1000, table: 'assets', action: 'check_in' });
      expect(await store.deviceId()).toBe(await store.deviceId());
    });

    it('shows queued ops in the cached row until the server answers', async () => {
      await seedAsset(serverAsset(ASSET, 4));
      await store.enqueue(checkOut(ASSET, 4), { id: nextId(), now: 1 });
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'checked_out', current_gig_id: GIG, version: 5 });
    });

    it('sends an entity’s ops in order and holds the rest of a chain behind one that is waiting', async () => {
      const first = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      const second = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      const other = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 3 });
      expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([first.id, second.id, other.id]);
      await store.settle([{ kind: 'retry', op: first, error: 'offline', nextAttemptAt: 1000, failure: true }], 10);
      expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([other.id]);
      expect((await store.readyBatch(1000, 10)).map((op) => op.id)).toEqual([first.id, second.id, other.id]);
      expect((await store.readyBatch(1000, 2)).map((op) => op.id)).toEqual([first.id, second.id]);
    });

    it('never hands the same op to two concurrent claims', async () => {
      for (let i = 0; i < 6; i += 1) await store.enqueue(checkIn(`00000000-0000-4000-8000-00000000010${i}`), { id: nextId(), now: i });
      const [first, second] = await Promise.all([store.claimBatch(10, 4), store.claimBatch(10, 4)]);
      const ids = [...(first ?? []), ...(second ?? [])].map((op) => op.id);
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
      expect((await store.stats()).syncing).toBe(6);
    });

    it('keeps in-flight ops out of batches and puts them back after a crash', async () => {
      const op = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      expect((await store.claimBatch(10, 10)).map((o) => o.id)).toEqual([op.id]);
      expect(await store.readyBatch(10, 10)).toEqual([]);
      expect((await store.stats()).syncing).toBe(1);
      expect(await store.recoverInFlight()).toBe(1);
      expect((await store.readyBatch(10, 10)).map((o) => o.id)).toEqual([op.id]);
    });

    it('removes an applied op and caches the server row with later queued ops on top', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      await store.settle([{ kind: 'applied', op: out, row: serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG }) }], 5);
      expect((await store.stats()).depth).toBe(1);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', current_gig_id: null, version: 3 });
    });

    it('records a conflict, holds the entity, and resolves it either way', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      const later = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      const server = serverAsset(ASSET, 3, { status: 'checked_out', current_gig_id: '00000000-0000-4000-8000-0000000000f2' });
      await store.settle([{ kind: 'conflict', op: out, serverRow: server, changedFields: ['status', 'current_gig_id'], message: 'changed' }], 5);
      const [conflict] = await store.conflicts();
      expect(conflict).toMatchObject({ id: out.id, changedFields: ['status', 'current_gig_id'], serverRow: server });
      expect(await store.readyBatch(10, 10)).toEqual([]);
      expect((await store.stats()).held).toBe(1);

      await store.resolveConflict(out.id, 'keep_local', { newOpId: nextId(), now: 6 });
      const batch = await store.readyBatch(10, 10);
      expect(batch.map((op) => [op.action, op.seq, op.baseVersion])).toEqual([
        ['check_out', out.seq, 3],
        ['check_in', later.seq, null],
      ]);
      expect(batch[0]?.id).not.toBe(out.id);

      await store.settle([{ kind: 'conflict', op: batch[0] as QueuedOp, serverRow: server, changedFields: ['status'], message: 'again' }], 7);
      await store.resolveConflict(batch[0]?.id ?? '', 'use_server', { newOpId: nextId(), now: 8 });
      expect(await store.conflicts()).toEqual([]);
      expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([later.id]);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', version: 4 });
    });

    it('quarantines a rejected op with its reason, takes it out of the cached row, and can retry or discard it', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      const after = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      const free = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 3 });
      await store.settle([{ kind: 'rejected', op: out, code: 'asset_quarantined', message: 'SER-00a1 is quarantined' }], 5);
      expect(await store.quarantined()).toMatchObject([{ id: out.id, code: 'asset_quarantined', message: 'SER-00a1 is quarantined' }]);
      expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([free.id]);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', version: 2 });

      await store.retryQuarantined(out.id, { newOpId: nextId(), now: 6 });
      expect((await store.readyBatch(10, 10)).map((op) => [op.action, op.seq])).toEqual([
        ['check_out', out.seq],
        ['check_in', after.seq],
        ['check_in', free.seq],
      ]);
      const [retried] = await store.readyBatch(10, 1);
      await store.settle([{ kind: 'rejected', op: retried as QueuedOp, code: 'asset_quarantined', message: 'still' }], 7);
      await store.discardQuarantined(retried?.id ?? '');
      expect(await store.quarantined()).toEqual([]);
      expect((await store.readyBatch(10, 10)).map((op) => op.id)).toEqual([after.id, free.id]);
    });

    it('counts a failure only when something went wrong with the op', async () => {
      const op = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      await store.settle([{ kind: 'retry', op, error: 'waiting', nextAttemptAt: 0, failure: false }], 2);
      expect((await store.listQueue(10))[0]).toMatchObject({ status: 'pending', retryCount: 0, lastError: null });
      await store.settle([{ kind: 'retry', op, error: '503 from the server', nextAttemptAt: 50, failure: true }], 3);
      expect((await store.listQueue(10))[0]).toMatchObject({ status: 'failed', retryCount: 1, lastError: '503 from the server', nextAttemptAt: 50 });
    });

    it('makes every backed-off op ready at once when asked to sync now, keeping its failure count', async () => {
      const first = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      const second = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 1 });
      await store.settle(
        [
          { kind: 'retry', op: first, error: 'offline', nextAttemptAt: 60_000, failure: true },
          { kind: 'retry', op: second, error: 'offline', nextAttemptAt: 90_000, failure: true },
        ],
        2,
      );
      expect(await store.readyBatch(3, 10)).toEqual([]);
      expect(await store.retryNow()).toBe(2);
      expect((await store.readyBatch(3, 10)).map((op) => [op.id, op.retryCount])).toEqual([
        [first.id, 1],
        [second.id, 1],
      ]);
    });

    it('applies a pulled page with tombstones and its cursor together, rebasing queued ops', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      await seedAsset(serverAsset(OTHER, 1));
      await store.enqueue(checkOut(ASSET, 2), { id: nextId(), now: 1 });
      await store.applyPull(
        {
          changes: { assets: [serverAsset(ASSET, 2, { serial_number: 'RENAMED' })] },
          tombstones: [{ table: 'assets', id: OTHER }],
          cursor: '42:7',
          has_more: false,
        },
        rebase,
      );
      expect(await store.getCached('assets', ASSET)).toMatchObject({ serial_number: 'RENAMED', status: 'checked_out', version: 3 });
      expect(await store.getCached('assets', OTHER)).toBeNull();
      expect(await store.cursor()).toBe('42:7');
    });

    it('reports depth, states and the oldest queued op', async () => {
      const a = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 100 });
      await store.enqueue(checkIn(OTHER), { id: nextId(), now: 200 });
      await store.settle([{ kind: 'retry', op: a, error: 'x', nextAttemptAt: 10, failure: true }], 5);
      expect(await store.stats()).toMatchObject({ depth: 2, pending: 1, failed: 1, syncing: 0, conflicts: 0, quarantined: 0, oldestPendingAt: 100 });
    });

    it('keeps the newest server row when an older one arrives later (a pull that raced a push)', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      // The push's answer (version 2) lands first; the pull's page was read before the push committed.
      await store.settle([{ kind: 'applied', op: out, row: serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG }) }], 5);
      await store.applyPull({ changes: { assets: [serverAsset(ASSET, 1)] }, tombstones: [], cursor: '3:1', has_more: false }, rebase);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'checked_out', current_gig_id: GIG, version: 2 });
      expect(await store.cursor()).toBe('3:1');
      await store.applyPull({ changes: { assets: [serverAsset(ASSET, 3, { status: 'available', current_gig_id: null })] }, tombstones: [], cursor: '4:1', has_more: false }, rebase);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', version: 3 });
    });

    it('lists and discards corrupt queued ops of any shape, holding only their own entity', async () => {
      const shapes: [string, Partial<Record<keyof QueuedOp, unknown>>, RegExp][] = [
        ['an id that is not a UUID', { id: 'op-17' }, /id/],
        ['a payload that is not JSON', { payload: new RawText('{"id": "truncated…') }, /truncated…/],
        ['a payload that is not an object', { payload: [1, 2, 3] }, /payload/],
        ['a payload without the row id', { payload: { condition: 'ok' } }, /payload\.id/],
        ['a timestamp of the wrong type', { timestamp: 'yesterday' }, /timestamp/],
        ['a sequence of the wrong type', { seq: 'seven' }, /seq/],
        ['an unknown table', { table: 'memberships' }, /memberships/],
        ['an unknown action', { action: 'teleport' }, /teleport/],
        ['an unknown status', { status: 'lost' }, /status/],
      ];
      const good = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      const entity = (i: number): string => `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`;
      const damaged: QueuedOp[] = [];
      for (const [i] of shapes.entries()) damaged.push(await store.enqueue(checkIn(entity(i)), { id: nextId(), now: 10 + i }));
      const behind = await store.enqueue(checkIn(entity(0)), { id: nextId(), now: 50 });
      for (const [i, [, patch]] of shapes.entries()) await damage(store, damaged[i]?.id ?? '', patch);

      expect((await store.claimBatch(100, 100)).map((op) => op.id)).toEqual([good.id]);
      const listed = await store.quarantined();
      expect(listed).toHaveLength(shapes.length);
      expect((await store.stats()).quarantined).toBe(shapes.length);
      for (const entry of listed) {
        // What the station API hands the Sync screen must hold for every entry, whatever was stored.
        expect(quarantinedOpSchema.safeParse(entry).error).toBeUndefined();
        expect(entry.code).toBe('corrupt_payload');
      }
      for (const [label, , why] of shapes) {
        expect(listed.some((entry) => why.test(entry.message)), `${label} is listed with why`).toBe(true);
      }
      await expect(store.retryQuarantined(listed[0]?.id ?? '', { newOpId: nextId(), now: 60 })).rejects.toThrow(/corrupt/);
      // The op behind the corrupt one on the same entity waits for the operator.
      expect(await store.claimBatch(100, 100)).toEqual([]);
      for (const entry of listed) await store.discardQuarantined(entry.id);
      expect(await store.quarantined()).toEqual([]);
      expect(await store.stats()).toMatchObject({ quarantined: 0, held: 0 });
      expect((await store.claimBatch(100, 100)).map((op) => op.id)).toEqual([behind.id]);
    });

    it('refuses to resolve what does not exist', async () => {
      await expect(store.resolveConflict('00000000-0000-4000-8000-000000000999', 'keep_local', { newOpId: nextId(), now: 1 })).rejects.toThrow(/no conflict/);
      await expect(store.discardQuarantined('00000000-0000-4000-8000-000000000999')).rejects.toThrow(/no quarantined op/);
    });
  });
}
