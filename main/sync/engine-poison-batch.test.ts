import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { SyncEngine, type OpRefusal } from '../../core/sync/engine';
import type { PullPage, PushResult } from '../../core/sync/model';
import { TransportError, type SyncTransport, type WireOp } from '../../core/sync/transport';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { SqliteQueueStore } from './sqlite-queue-store';

// Outside tester, issue 18 (defect 4): a NUL in one op's note made the server refuse the whole
// request (HTTP 400, SQLSTATE 22P05: jsonb cannot hold \u0000, so push_changes never ran), and the
// engine sent the same batch again and again: one poison op stalled everything queued with it.
// A refusal of the whole request for a value the server cannot read (a data exception, SQLSTATE
// class 22) is now split in halves down to the op that fails, which is quarantined with the
// server's words; the rest are sent and applied.
const dir = mkdtempSync(join(tmpdir(), 'engine-poison-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asset = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** The server as PostgREST answers a body jsonb cannot hold: 400 for the whole request. */
class FakeNetwork implements SyncTransport {
  readonly requests: number[] = [];
  readonly applied: string[] = [];
  /** What to answer instead, for a request (by number, from 1), before the poison check. */
  fault: (request: number, ops: WireOp[]) => Error | null = () => null;
  refusal = (): Error =>
    new TransportError('refused', 'push_changes: unsupported Unicode escape sequence', 400, {
      code: '22P05',
      details: '\\u0000 cannot be converted to text.',
    });
  push(_device: string, ops: WireOp[]): Promise<PushResult[]> {
    this.requests.push(ops.length);
    const fault = this.fault(this.requests.length, ops);
    if (fault !== null) return Promise.reject(fault);
    if (ops.some((op) => JSON.stringify(op.payload).includes('\\u0000'))) return Promise.reject(this.refusal());
    this.applied.push(...ops.map((op) => String(op.payload['id'])));
    return Promise.resolve(
      ops.map((op) => ({ op_id: op.id, status: 'applied' as const, table: op.table, entity_id: String(op.payload['id']), row: null })),
    );
  }
  pull(): Promise<PullPage> {
    return Promise.resolve({ changes: {}, tombstones: [], cursor: '1:1', has_more: false });
  }
  refreshSession(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

let n = 0;
let clock: FakeClock;
let network: FakeNetwork;
let store: SqliteQueueStore;
let engine: SyncEngine;
beforeEach(() => {
  clock = new FakeClock();
  network = new FakeNetwork();
  store = new SqliteQueueStore({ path: join(dir, `e-${(n += 1)}.sqlite`), newId: randomUUID });
  engine = new SyncEngine({
    store,
    transport: network,
    clock,
    random: seededRandom(1),
    newId: randomUUID,
    batchSize: 200,
    concurrency: 1,
    backoff: { baseMs: 1000, maxMs: 8000 },
    batchRetry: { baseMs: 10, maxMs: 10, attempts: 1 },
  });
});

const checkIn = (i: number, note?: string) => ({
  table: 'assets',
  action: 'check_in',
  payload: { id: asset(i), condition: note === undefined ? 'ok' : 'damaged', ...(note === undefined ? {} : { note }) },
});

async function queue(count: number, poison: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await engine.enqueue(checkIn(i, poison.includes(i) ? 'lens\u0000cracked' : undefined))).id);
  return ids;
}

describe('a batch the server refuses whole for a value it cannot read', () => {
  it('is split down to the poison op, which is quarantined with the server’s words; the rest apply, in order', async () => {
    const ids = await queue(100, [61]);
    const heard: OpRefusal[] = [];
    engine.onRefused((refusal) => heard.push(refusal));
    await engine.drain();

    expect(network.applied).toEqual([...Array(100).keys()].filter((i) => i !== 61).map(asset));
    const quarantined = await store.quarantined();
    expect(quarantined.map((q) => [q.op.id, q.code])).toEqual([[ids[61], 'invalid_op']]);
    expect(quarantined[0]?.message).toBe(
      'the server cannot read this change: unsupported Unicode escape sequence (\\u0000 cannot be converted to text.)',
    );
    expect(heard).toEqual([{ opId: ids[61], kind: 'rejected', code: 'invalid_op', message: quarantined[0]?.message }]);
    expect(await store.stats()).toMatchObject({ depth: 0, quarantined: 1 });
    // Halving: the first request, then two per level down to the op (100 → 50 → 25 → 13 → 7 → 4 → 2 → 1).
    expect(network.requests.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
    expect((await engine.status()).lastError).toBeNull();
  });

  it('two poison ops in one batch are both set apart; an op alone that is refused is quarantined at once', async () => {
    const ids = await queue(9, [0, 8]);
    await engine.drain();
    expect(network.applied).toEqual([1, 2, 3, 4, 5, 6, 7].map(asset));
    expect((await store.quarantined()).map((q) => q.op.id).sort()).toEqual([ids[0], ids[8]].sort());

    const alone = await engine.enqueue(checkIn(20, 'a\u0000b'));
    await engine.drain();
    expect((await store.quarantined()).map((q) => q.op.id)).toContain(alone.id);
    expect(network.requests.at(-1)).toBe(1);
  });

  it('a later op on the poison op’s item waits behind it (held), as the server holds it when both come in one request', async () => {
    const ids = await queue(6, [2]);
    const later = await engine.enqueue({
      table: 'assets',
      action: 'check_out',
      payload: { id: asset(2), gig_id: asset(99) },
      base_version: 1,
    });
    await engine.drain();
    expect(network.applied).toEqual([0, 1, 3, 4, 5].map(asset));
    expect((await store.quarantined()).map((q) => q.op.id)).toEqual([ids[2]]);
    expect((await store.listQueue(5)).map((op) => op.id)).toEqual([later.id]);
    expect(await store.stats()).toMatchObject({ depth: 1, held: 1, quarantined: 1 });
  });

  it('when the network fails halfway, the halves not yet sent go back to the queue (not quarantined, not lost) and are sent later', async () => {
    const ids = await queue(8, [7]);
    // 1: all 8 refused; 2: the first half (0–3) applies; 3: the second half (4–7) finds the network down.
    network.fault = (request) => (request === 3 ? new TransportError('network', 'connect ECONNREFUSED') : null);
    await engine.drain();
    expect(network.applied).toEqual([0, 1, 2, 3].map(asset));
    expect(await store.quarantined()).toEqual([]);
    expect(await store.stats()).toMatchObject({ depth: 4 });

    network.fault = () => null;
    await engine.syncNow();
    expect(network.applied).toEqual([0, 1, 2, 3, 4, 5, 6].map(asset));
    expect((await store.quarantined()).map((q) => q.op.id)).toEqual([ids[7]]);
  });
});

describe('a refusal of the whole request that says nothing about one op is not split', () => {
  for (const [label, error] of [
    [
      'a bad device id (22023, raised by push_changes for the batch)',
      new TransportError('refused', 'push_changes: device_id must be …', 400, { code: '22023' }),
    ],
    ['an unreadable body (PGRST102)', new TransportError('refused', 'push_changes: Empty or invalid json', 400, { code: 'PGRST102' })],
    ['a 403 (permission denied)', new TransportError('refused', 'push_changes: permission denied', 403, { code: '42501' })],
    ['a 413 (too large)', new TransportError('refused', 'push_changes: request body is larger than …', 413, { code: 'PGRST413' })],
  ] as const) {
    it(`${label}: the batch goes back with its backoff, nothing is quarantined`, async () => {
      await queue(6, []);
      network.fault = () => error;
      await engine.drain();
      expect(network.requests).toEqual([6]);
      expect(await store.quarantined()).toEqual([]);
      expect(await store.stats()).toMatchObject({ depth: 6 });
      expect((await engine.status()).lastError).toBe(error.message);
    });
  }
});
