import { beforeEach, describe, expect, it } from 'vitest';
import { conflictSchema, quarantinedOpSchema } from '../station-api';
import type { Conflict, NewOp, QuarantinedOp, QueuedOp, Row } from './model';
import { rebase } from './optimistic';
import type { QueueStore } from './queue-store';
import { addToChecksum } from './verify';

/**
 * Overwrites fields of a queued op (or, with `target` 'conflict', of a stored conflict) underneath
 * the store, as a bad migration, a bug elsewhere or a damaged disk could: field names are
 * QueuedOp's (Conflict's); a `RawText` value is stored as that text where the store keeps text
 * (SQLite's JSON columns), and as that string value where it keeps values (IndexedDB).
 */
export type DamageOp = (
  store: QueueStore,
  id: string,
  patch: Partial<Record<keyof QueuedOp | keyof Conflict | keyof QuarantinedOp, unknown>>,
  target?: 'queue' | 'conflict' | 'quarantine',
) => Promise<void>;
export class RawText {
  constructor(readonly text: string) {}
}

/**
 * The QueueStore contract, run against every storage the queue runs on (memory, better-sqlite3,
 * fake-indexeddb, Chromium's IndexedDB). `open` returns a fresh, empty store whose only source of
 * time is `clock`; `damage` corrupts a stored record in place (overwritten fields: `undefined`
 * removes one).
 */
export function queueStoreContract(name: string, open: (clock: () => number) => Promise<QueueStore>, damage: DamageOp): void {
  const ASSET = '00000000-0000-4000-8000-0000000000a1';
  const OTHER = '00000000-0000-4000-8000-0000000000a2';
  const GIG = '00000000-0000-4000-8000-0000000000f1';
  let ids = 0;
  const nextId = (): string => `00000000-0000-4000-9000-${String((ids += 1)).padStart(12, '0')}`;
  const checkOut = (asset: string, version: number): NewOp => ({
    table: 'assets',
    action: 'check_out',
    payload: { id: asset, gig_id: GIG },
    base_version: version,
  });
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
    let time = 1_000_000;
    beforeEach(async () => {
      store = await open(() => time);
    });

    const seedAsset = (row: Row): Promise<void> =>
      store.applyPull({ changes: { assets: [row] }, tombstones: [], cursor: '1:1', has_more: false }, rebase);

    it('gives every op the next device sequence and keeps a stable device id', async () => {
      const a = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1000 });
      const b = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 1001 });
      expect(b.seq).toBe(a.seq + 1);
      expect(a).toMatchObject({
        status: 'pending',
        retryCount: 0,
        baseVersion: null,
        timestamp: 1000,
        table: 'assets',
        action: 'check_in',
      });
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
      await store.settle(
        [{ kind: 'conflict', op: out, serverRow: server, changedFields: ['status', 'current_gig_id'], message: 'changed' }],
        5,
      );
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

      await store.settle(
        [{ kind: 'conflict', op: batch[0] as QueuedOp, serverRow: server, changedFields: ['status'], message: 'again' }],
        7,
      );
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

    it('re-issues a replay_expired op the operator retries as a new op decided now, still ahead of its item’s later ops', async () => {
      const old = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1000 });
      const later = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2000 });
      const other = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 3000 });
      await store.settle(
        [{ kind: 'rejected', op: old, code: 'replay_expired', message: 'op created at … is older than the server remembers' }],
        5000,
      );
      const newId = nextId();
      await store.retryQuarantined(old.id, { newOpId: newId, now: 90_000_000 });
      const queue = await store.listQueue(10);
      // A new op: new id, created now, the next device sequence; the item's later op still follows it.
      expect(queue.map((op) => op.id)).toEqual([other.id, newId, later.id]);
      const [, reissued, moved] = queue;
      expect(reissued).toMatchObject({
        action: 'check_out',
        timestamp: 90_000_000,
        baseVersion: 1,
        status: 'pending',
        retryCount: 0,
        lastError: null,
      });
      expect(reissued?.seq).toBeGreaterThan(other.seq);
      expect(moved).toMatchObject({ id: later.id, timestamp: 2000 });
      expect(moved?.seq).toBeGreaterThan(reissued?.seq ?? Infinity);
      expect((await store.enqueue(checkIn(OTHER), { id: nextId(), now: 90_000_001 })).seq).toBeGreaterThan(moved?.seq ?? Infinity);
      expect((await store.readyBatch(90_000_002, 10)).map((op) => op.id).slice(0, 3)).toEqual([other.id, newId, later.id]);

      // Any other refusal, retried, keeps the op's time and place.
      const [first] = await store.claimBatch(90_000_003, 1);
      await store.settle([{ kind: 'rejected', op: first as QueuedOp, code: 'asset_quarantined', message: 'quarantined' }], 90_000_004);
      await store.retryQuarantined(first?.id ?? '', { newOpId: nextId(), now: 95_000_000 });
      expect((await store.listQueue(10))[0]).toMatchObject({ seq: first?.seq, timestamp: first?.timestamp });
    });

    it('counts a failure only when something went wrong with the op', async () => {
      const op = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      await store.settle([{ kind: 'retry', op, error: 'waiting', nextAttemptAt: 0, failure: false }], 2);
      expect((await store.listQueue(10))[0]).toMatchObject({ status: 'pending', retryCount: 0, lastError: null });
      await store.settle([{ kind: 'retry', op, error: '503 from the server', nextAttemptAt: 50, failure: true }], 3);
      expect((await store.listQueue(10))[0]).toMatchObject({
        status: 'failed',
        retryCount: 1,
        lastError: '503 from the server',
        nextAttemptAt: 50,
      });
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

    it('settles a batch and applies a page over many entities at once, each row rebased on what stays queued for it alone', async () => {
      // Enough entities that a storage may read the queue once for all of them (IndexedDB's forEntities).
      const assets = Array.from({ length: 8 }, (_, i) => `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
      for (const id of assets) await seedAsset(serverAsset(id, 1));
      const outs: QueuedOp[] = [];
      for (const id of assets) outs.push(await store.enqueue(checkOut(id, 1), { id: nextId(), now: 1 }));
      // Behind the first two, a check-in each stays queued; another entity's op is not theirs.
      for (const id of assets.slice(0, 2)) await store.enqueue(checkIn(id), { id: nextId(), now: 2 });
      await store.enqueue(checkIn(OTHER), { id: nextId(), now: 3 });
      const third = outs[2];
      if (third === undefined) throw new Error('no ops');
      await store.settle(
        [
          ...outs
            .filter((op) => op !== third)
            .map((op) => ({
              kind: 'applied' as const,
              op,
              row: serverAsset(String(op.payload['id']), 2, { status: 'checked_out', current_gig_id: GIG }),
            })),
          { kind: 'rejected' as const, op: third, code: 'forbidden', message: 'no' },
        ],
        5,
      );
      expect(await store.getCached('assets', assets[0] ?? '')).toMatchObject({ status: 'available', current_gig_id: null, version: 3 });
      expect(await store.getCached('assets', assets[2] ?? '')).toMatchObject({ status: 'available', version: 1 });
      for (const id of assets.slice(3)) expect(await store.getCached('assets', id)).toMatchObject({ status: 'checked_out', version: 2 });
      expect(await store.stats()).toMatchObject({ depth: 3, quarantined: 1 });
      // A page over all of them: the first two still carry their queued check-in, the rest are as pulled.
      await store.applyPull(
        {
          changes: { assets: assets.map((id) => serverAsset(id, 3, { serial_number: `P-${id.slice(-2)}` })) },
          tombstones: [],
          cursor: '9:9',
          has_more: false,
        },
        rebase,
      );
      expect(await store.getCached('assets', assets[1] ?? '')).toMatchObject({ serial_number: 'P-01', status: 'available', version: 4 });
      expect(await store.getCached('assets', assets[5] ?? '')).toMatchObject({ serial_number: 'P-05', status: 'available', version: 3 });
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

    it('names the entities of a table that have queued ops, each once (a case picked offline shows on pick lists)', async () => {
      const CASE_A = '00000000-0000-4000-8000-0000000000c1';
      const CASE_B = '00000000-0000-4000-8000-0000000000c2';
      const caseOp = (id: string, action: 'check_out' | 'check_in'): NewOp =>
        action === 'check_out'
          ? { table: 'cases', action, payload: { id, gig_id: GIG }, base_version: 1 }
          : { table: 'cases', action, payload: { id, condition: 'ok' } };
      expect(await store.queuedEntities('cases')).toEqual([]);
      await store.enqueue(caseOp(CASE_B, 'check_out'), { id: nextId(), now: 1 });
      await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      await store.enqueue(caseOp(CASE_A, 'check_out'), { id: nextId(), now: 3 });
      await store.enqueue(caseOp(CASE_B, 'check_in'), { id: nextId(), now: 4 });
      expect(await store.queuedEntities('cases')).toEqual([CASE_A, CASE_B]);
      expect(await store.queuedEntities('assets')).toEqual([ASSET]);
      expect(await store.queuedEntities('gigs')).toEqual([]);
    });

    it('reports depth, states and the oldest queued op', async () => {
      const a = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 100 });
      await store.enqueue(checkIn(OTHER), { id: nextId(), now: 200 });
      await store.settle([{ kind: 'retry', op: a, error: 'x', nextAttemptAt: 10, failure: true }], 5);
      expect(await store.stats()).toMatchObject({
        depth: 2,
        pending: 1,
        failed: 1,
        syncing: 0,
        conflicts: 0,
        quarantined: 0,
        oldestPendingAt: 100,
      });
    });

    it('keeps the newest server row when an older one arrives later (a pull that raced a push)', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      // The push's answer (version 2) lands first; the pull's page was read before the push committed.
      await store.settle([{ kind: 'applied', op: out, row: serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG }) }], 5);
      await store.applyPull({ changes: { assets: [serverAsset(ASSET, 1)] }, tombstones: [], cursor: '3:1', has_more: false }, rebase);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'checked_out', current_gig_id: GIG, version: 2 });
      expect(await store.cursor()).toBe('3:1');
      await store.applyPull(
        {
          changes: { assets: [serverAsset(ASSET, 3, { status: 'available', current_gig_id: null })] },
          tombstones: [],
          cursor: '4:1',
          has_more: false,
        },
        rebase,
      );
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', version: 3 });
    });

    it('does not apply an op in flight again on top of a pulled row that already includes it', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const out = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      await store.enqueue(checkIn(ASSET), { id: nextId(), now: 2 });
      expect((await store.claimBatch(10, 1)).map((op) => op.id)).toEqual([out.id]);
      // The server applied the check-out; a pull reads its row before the push's answer arrives.
      await store.applyPull(
        {
          changes: { assets: [serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG })] },
          tombstones: [],
          cursor: '2:1',
          has_more: false,
        },
        rebase,
      );
      // The check-in still queued behind it goes on top, once: version 3, not 4.
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'available', current_gig_id: null, version: 3 });
      await store.settle(
        [
          {
            kind: 'applied',
            op: { ...out, status: 'syncing' },
            row: serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG }),
          },
        ],
        3,
      );
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
        expect(
          listed.some((entry) => why.test(entry.message)),
          `${label} is listed with why`,
        ).toBe(true);
      }
      await expect(store.retryQuarantined(listed[0]?.id ?? '', { newOpId: nextId(), now: 60 })).rejects.toThrow(/corrupt/);
      // The op behind the corrupt one on the same entity waits for the operator.
      expect(await store.claimBatch(100, 100)).toEqual([]);
      for (const entry of listed) await store.discardQuarantined(entry.id);
      expect(await store.quarantined()).toEqual([]);
      expect(await store.stats()).toMatchObject({ quarantined: 0, held: 0 });
      expect((await store.claimBatch(100, 100)).map((op) => op.id)).toEqual([behind.id]);
    });

    it('lists the conflicts it can read, repairs damaged ones whose op reads and quarantines the rest, holding only their own entity', async () => {
      const shapes: [string, Partial<Record<keyof Conflict, unknown>>, 'repaired' | 'corrupt', RegExp][] = [
        ['a conflict id that is not a UUID', { id: 'conflict-7' }, 'repaired', /conflict-7/],
        ['an op that is not JSON', { op: new RawText('{"id": "truncated…') }, 'corrupt', /truncated…/],
        ['an op of the wrong shape', { op: { id: 'op-1', seq: 'seven', table: 'assets' } }, 'corrupt', /seq/],
        ['a server row without an id', { serverRow: { version: 3 } }, 'repaired', /serverRow/],
        ['changed fields that are not a list', { changedFields: new RawText('status') }, 'repaired', /changedFields/],
        ['a detection time of the wrong type', { detectedAt: 'yesterday' }, 'repaired', /detectedAt/],
      ];
      const entity = (i: number): string => `00000000-0000-4000-8000-0000000003${String(i).padStart(2, '0')}`;
      const conflictOn = async (asset: string, now: number): Promise<QueuedOp> => {
        const op = await store.enqueue(checkOut(asset, 1), { id: nextId(), now });
        await store.settle(
          [{ kind: 'conflict', op, serverRow: serverAsset(asset, 2), changedFields: ['status'], message: 'changed on the server' }],
          now,
        );
        return op;
      };
      const good = await conflictOn(ASSET, 1);
      const damaged: QueuedOp[] = [];
      const behind: QueuedOp[] = [];
      for (const [i] of shapes.entries()) {
        damaged.push(await conflictOn(entity(i), 10 + i));
        behind.push(await store.enqueue(checkIn(entity(i)), { id: nextId(), now: 30 + i }));
      }
      for (const [i, [, patch]] of shapes.entries()) await damage(store, damaged[i]?.id ?? '', patch, 'conflict');

      const listed = await store.conflicts();
      const quarantined = await store.quarantined();
      const repaired = shapes.filter(([, , fate]) => fate === 'repaired');
      const corrupt = shapes.filter(([, , fate]) => fate === 'corrupt');
      // What the station API hands the Conflicts and Sync screens must hold for every entry.
      for (const entry of listed) expect(conflictSchema.safeParse(entry).error).toBeUndefined();
      for (const entry of quarantined) expect(quarantinedOpSchema.safeParse(entry).error).toBeUndefined();
      expect(listed).toHaveLength(1 + repaired.length);
      expect(listed.find((c) => c.id === good.id)).toMatchObject({ changedFields: ['status'], message: 'changed on the server' });
      for (const [label, , , why] of repaired)
        expect(
          listed.some((c) => c.id !== good.id && why.test(c.message)),
          `${label} is listed with why`,
        ).toBe(true);
      expect(quarantined).toHaveLength(corrupt.length);
      for (const [label, , , why] of corrupt)
        expect(
          quarantined.some((q) => q.code === 'corrupt_payload' && why.test(q.message)),
          `${label} is quarantined with why`,
        ).toBe(true);
      expect(await store.stats()).toMatchObject({ conflicts: 1 + repaired.length, quarantined: corrupt.length });
      // Listing again changes nothing.
      expect((await store.conflicts()).map((c) => c.id)).toEqual(listed.map((c) => c.id));

      // Every damaged entity still holds the op behind it until the operator decides.
      expect(await store.claimBatch(100, 100)).toEqual([]);
      for (const entry of listed)
        await store.resolveConflict(entry.id, entry.id === good.id ? 'keep_local' : 'use_server', { newOpId: nextId(), now: 60 });
      for (const entry of quarantined) await store.discardQuarantined(entry.id);
      expect(await store.stats()).toMatchObject({ conflicts: 0, quarantined: 0, held: 0 });
      const ready = (await store.claimBatch(100, 100)).map((op) => op.id);
      expect(ready).toHaveLength(1 + behind.length);
      expect(ready).toEqual(expect.arrayContaining(behind.map((op) => op.id)));
    });

    it('tells listeners, once each change committed, the entity keys of the cached rows it changed', async () => {
      const heard: string[][] = [];
      const off = store.onCacheChange((keys) => heard.push([...keys].sort()));
      const take = (): string[][] => heard.splice(0);
      await seedAsset(serverAsset(ASSET, 1));
      expect(take()).toEqual([[`assets:${ASSET}`]]);

      const op = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      expect(take()).toEqual([[`assets:${ASSET}`]]);
      // Sending and backing off change no cached row.
      const [claimed] = await store.claimBatch(10, 10);
      await store.settle([{ kind: 'retry', op: claimed as QueuedOp, error: 'offline', nextAttemptAt: 20, failure: true }], 10);
      await store.recoverInFlight();
      await store.retryNow();
      expect(take()).toEqual([]);

      await store.settle([{ kind: 'applied', op, row: serverAsset(ASSET, 2, { status: 'checked_out', current_gig_id: GIG }) }], 30);
      expect(take()).toEqual([[`assets:${ASSET}`]]);

      // A page: every row it wrote and every row a tombstone removed, in one change.
      await store.applyPull(
        {
          changes: { assets: [serverAsset(OTHER, 1)], gigs: [{ id: GIG, version: 1, name: 'Gig', status: 'confirmed' }] },
          tombstones: [{ table: 'assets', id: ASSET }],
          cursor: '5:1',
          has_more: false,
        },
        rebase,
      );
      expect(take()).toEqual([[`assets:${ASSET}`, `assets:${OTHER}`, `gigs:${GIG}`].sort()]);

      // A listener hears after the commit: what it reads is the new state.
      const seen: Promise<Row | null>[] = [];
      const offRead = store.onCacheChange(() => seen.push(store.getCached('assets', OTHER)));
      await store.enqueue(checkIn(OTHER), { id: nextId(), now: 40 });
      offRead();
      expect(await Promise.all(seen)).toEqual([expect.objectContaining({ id: OTHER, version: 2 })]);
      take();

      // A change that failed is not heard.
      await expect(store.resolveConflict(nextId(), 'keep_local', { newOpId: nextId(), now: 50 })).rejects.toThrow(/no conflict/);
      await expect(store.discardQuarantined(nextId())).rejects.toThrow(/no quarantined op/);
      expect(take()).toEqual([]);

      // Reading tells nobody; an unsubscribed listener hears nothing more.
      await store.getCached('assets', OTHER);
      await store.stats();
      await store.conflicts();
      await store.quarantined();
      expect(take()).toEqual([]);
      off();
      await store.enqueue(checkIn(OTHER), { id: nextId(), now: 60 });
      expect(heard).toEqual([]);
    });

    it('empties the caches and forgets the cursor for a new backend, keeping the queue, conflicts, quarantine and device id, and says which rows went', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      await store.applyPull(
        {
          changes: {
            gigs: [{ id: GIG, version: 1, name: 'Gig', status: 'confirmed' }],
            cases: [{ id: OTHER, version: 1, barcode: 'C-1' }],
          },
          tombstones: [],
          cursor: '9:9',
          has_more: false,
        },
        rebase,
      );
      const device = await store.deviceId();
      const queued = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      const refused = await store.enqueue(checkIn('00000000-0000-4000-8000-0000000000b1'), { id: nextId(), now: 2 });
      await store.settle([{ kind: 'rejected', op: refused, code: 'asset_retired', message: 'retired' }], 3);
      const heard: string[][] = [];
      store.onCacheChange((keys) => heard.push([...keys].sort()));

      await store.resetForNewBackend();

      expect(heard).toEqual([[`assets:${ASSET}`, `cases:${OTHER}`, `gigs:${GIG}`].sort()]);
      expect(await store.cursor()).toBeNull();
      expect(await store.getCached('assets', ASSET)).toBeNull();
      expect(await store.getCached('gigs', GIG)).toBeNull();
      expect(await store.countCached('cases')).toBe(0);
      expect(await store.deviceId()).toBe(device);
      expect((await store.listQueue(10)).map((op) => op.id)).toEqual([queued.id]);
      expect((await store.quarantined()).map((q) => q.id)).toEqual([refused.id]);
    });

    it('takes time only from its clock, and reports every failure as a rejection, never a synchronous throw', async () => {
      // A damaged detection time is shown as the time of listing: the store's clock, not the machine's.
      const op = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      await store.settle([{ kind: 'conflict', op, serverRow: serverAsset(ASSET, 2), changedFields: ['status'], message: 'changed' }], 2);
      await damage(store, op.id, { detectedAt: 'yesterday' }, 'conflict');
      time = 4_242;
      expect((await store.conflicts())[0]).toMatchObject({ id: op.id, detectedAt: 4_242 });

      const realNow = Date.now;
      let machineTime = 0;
      Date.now = () => {
        // The store's own code, not a stand-in database's internals (fake-indexeddb reads the time).
        if (!/fake-indexeddb/.test(new Error().stack ?? '')) machineTime += 1;
        return realNow();
      };
      try {
        await seedAsset(serverAsset(OTHER, 1));
        await store.settle(
          [{ kind: 'rejected', op: await store.enqueue(checkIn(OTHER), { id: nextId(), now: 5 }), code: 'x', message: 'y' }],
          6,
        );
        await store.discardQuarantined((await store.quarantined())[0]?.id ?? '');
        await store.conflicts();
        await store.resetForNewBackend();
      } finally {
        Date.now = realNow;
      }
      expect(machineTime).toBe(0);

      // Whatever goes wrong — a clock that fails, arguments no caller should pass — comes back as a rejection.
      const broken = await open(() => {
        throw new Error('the clock is broken');
      });
      const bad = null as unknown as NewOp;
      const calls: [string, () => Promise<unknown>][] = [
        ['applyPull', () => broken.applyPull({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }, rebase)],
        ['discardQuarantined', () => broken.discardQuarantined(nextId())],
        ['conflicts', () => broken.conflicts()],
        ['enqueue', () => broken.enqueue(bad, { id: nextId(), now: 1 })],
        ['settle', () => broken.settle([null as unknown as never], 1)],
        ['getCached', () => broken.getCached('nope' as never, ASSET)],
      ];
      for (const [label, call] of calls) {
        let result: Promise<unknown> | undefined;
        expect(() => {
          result = call();
        }, label).not.toThrow();
        await (result ?? Promise.resolve()).catch(() => undefined);
      }
      await expect(broken.applyPull({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }, rebase)).rejects.toThrow(
        /clock is broken/,
      );
      await expect(broken.enqueue(bad, { id: nextId(), now: 1 })).rejects.toThrow();
      expect((await broken.stats()).depth).toBe(0);
    });

    it('lists and discards quarantine entries that no longer read, next to readable ones', async () => {
      const refused = await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      const notJson = await store.enqueue(checkIn(OTHER), { id: nextId(), now: 2 });
      const wrongShape = await store.enqueue(checkIn('00000000-0000-4000-8000-0000000000b2'), { id: nextId(), now: 3 });
      await store.settle(
        [
          { kind: 'rejected', op: refused, code: 'asset_retired', message: 'retired' },
          { kind: 'rejected', op: notJson, code: 'asset_retired', message: 'retired' },
          { kind: 'rejected', op: wrongShape, code: 'asset_retired', message: 'retired' },
        ],
        5,
      );
      await damage(store, notJson.id, { op: new RawText('not json at all') }, 'quarantine');
      // What an older version kept for a corrupt op: under a non-UUID id.
      await damage(store, wrongShape.id, { id: 'op-17', op: { ...wrongShape, id: 'op-17', payload: {} } }, 'quarantine');
      const listed = await store.quarantined();
      expect(listed).toHaveLength(3);
      for (const entry of listed) expect(quarantinedOpSchema.safeParse(entry).error).toBeUndefined();
      expect(listed.find((q) => q.id === refused.id)).toMatchObject({ code: 'asset_retired' });
      const corrupt = listed.filter((q) => q.code === 'corrupt_payload');
      expect(corrupt).toHaveLength(2);
      expect(corrupt.some((q) => /not json at all/.test(q.message))).toBe(true);
      expect(corrupt.some((q) => /quarantine entry "op-17"/.test(q.message))).toBe(true);
      // Listing again changes nothing; the corrupt ones can only be discarded.
      expect((await store.quarantined()).map((q) => q.id)).toEqual(listed.map((q) => q.id));
      await expect(store.retryQuarantined(corrupt[0]?.id ?? '', { newOpId: nextId(), now: 6 })).rejects.toThrow(/corrupt/);
      for (const entry of corrupt) await store.discardQuarantined(entry.id);
      expect((await store.quarantined()).map((q) => q.id)).toEqual([refused.id]);
      expect((await store.stats()).quarantined).toBe(1);
    });

    it('keeps each setting and the session in its own typed home, apart from the queue’s own state, across a backend reset', async () => {
      expect(await store.settings.backend.get()).toBeNull();
      await store.settings.backend.set({ url: 'https://project.example', anonKey: 'anon-key' });
      await store.settings.stationName.set('Dock 2');
      await store.settings.scanners.set('[{"id":"s1"}]');
      await store.settings.pushKey.set('vapid-key');
      await store.settings.pushPromptDismissed.set(true);
      await store.session.setItem('sb-auth-token', '{"access_token":"t"}');
      await store.applyPull({ changes: {}, tombstones: [], cursor: '7:7', has_more: false }, rebase);
      await store.resetForNewBackend();
      expect(await store.cursor()).toBeNull();
      expect(await store.settings.backend.get()).toEqual({ url: 'https://project.example', anonKey: 'anon-key' });
      expect(await store.settings.stationName.get()).toBe('Dock 2');
      expect(await store.settings.scanners.get()).toBe('[{"id":"s1"}]');
      expect(await store.settings.pushKey.get()).toBe('vapid-key');
      expect(await store.settings.pushPromptDismissed.get()).toBe(true);
      expect(await store.session.getItem('sb-auth-token')).toBe('{"access_token":"t"}');
      // The session and the settings do not share keys: the same name in one is not the other.
      expect(await store.session.getItem('backend')).toBeNull();
      await store.session.removeItem('sb-auth-token');
      expect(await store.session.getItem('sb-auth-token')).toBeNull();
      await store.settings.pushPromptDismissed.set(false);
      expect(await store.settings.pushPromptDismissed.get()).toBe(false);
      await store.settings.stationName.clear();
      expect(await store.settings.stationName.get()).toBeNull();
      // Enqueueing (the device sequence) leaves the settings alone.
      await store.enqueue(checkIn(ASSET), { id: nextId(), now: 1 });
      expect(await store.settings.backend.get()).toEqual({ url: 'https://project.example', anonKey: 'anon-key' });
    });

    it('refuses an op id already queued, changing nothing', async () => {
      await seedAsset(serverAsset(ASSET, 1));
      const first = await store.enqueue(checkOut(ASSET, 1), { id: nextId(), now: 1 });
      await expect(store.enqueue(checkIn(ASSET), { id: first.id, now: 2 })).rejects.toThrow(/already queued/);
      // A batch with a repeated id is refused whole.
      await expect(
        store.enqueueMany([
          { op: checkIn(OTHER), id: nextId(), now: 3 },
          { op: checkIn(OTHER), id: first.id, now: 3 },
        ]),
      ).rejects.toThrow(/already queued/);
      expect((await store.listQueue(10)).map((op) => [op.id, op.action])).toEqual([[first.id, 'check_out']]);
      expect(await store.getCached('assets', ASSET)).toMatchObject({ status: 'checked_out', version: 2 });
      expect((await store.enqueue(checkIn(OTHER), { id: nextId(), now: 4 })).seq).toBe(first.seq + 1);
    });

    it('checksums every server row held, past a row created here in the first slice, and none of the local ones', async () => {
      const line = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      const gig = '00000000-0000-4000-8000-0000000000f9';
      const rows = Array.from({ length: 5003 }, (_, i) => ({
        id: line(i + 1),
        gig_id: gig,
        category: 'XLR',
        quantity: 2,
        version: 1,
        updated_at: '2026-12-01T10:00:00.5+00:00',
      }));
      await store.applyPull({ changes: { kit_assignments: rows }, tombstones: [], cursor: '1:1', has_more: false }, rebase);
      // Sorts before every server row: in the first 5,000 records read, holding no server row.
      await store.enqueue(
        { table: 'kit_assignments', action: 'create', payload: { id: line(0), gig_id: gig, category: 'DMX', quantity: 1 } },
        { id: nextId(), now: 2000 },
      );
      expect(await store.getCached('kit_assignments', line(0))).toMatchObject({ category: 'DMX' });
      const sums = await store.localChecksums();
      expect(sums.kit_assignments).toEqual(
        addToChecksum(
          { count: 0, checksum: 0 },
          rows.map((r) => ({ id: r.id, version: 1, updated_at: r.updated_at })),
        ),
      );
      expect(sums.kit_assignments.count).toBe(5003);
      expect(sums.assets).toEqual({ count: 0, checksum: 0 });
    });

    it('refuses to resolve what does not exist', async () => {
      await expect(
        store.resolveConflict('00000000-0000-4000-8000-000000000999', 'keep_local', { newOpId: nextId(), now: 1 }),
      ).rejects.toThrow(/no conflict/);
      await expect(store.discardQuarantined('00000000-0000-4000-8000-000000000999')).rejects.toThrow(/no quarantined op/);
    });
  });
}
