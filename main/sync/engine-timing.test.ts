import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { SyncEngine, type SyncEngineOptions } from '../../core/sync/engine';
import type { PullPage, PushResult } from '../../core/sync/model';
import { TransportError, type PushOptions, type SyncTransport, type WireOp } from '../../core/sync/transport';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { SqliteQueueStore } from './sqlite-queue-store';

// Held and slow answers (issue 15 follow-up to item 11): an answer held past its time must not
// stall the drain. The network is simulated on a fake clock; the store is real SQLite.
const dir = mkdtempSync(join(tmpdir(), 'engine-timing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GIG = '00000000-0000-4000-8000-0000000000f1';
const entity = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

interface Sent {
  n: number;
  ops: WireOp[];
  sentAt: number;
  /** When the engine gave up on it (aborted), if it did. */
  abortedAt: number | null;
  answeredAt: number | null;
}

/**
 * A network on the fake clock: each push is answered after `latencyMs`, except those `plan`
 * says to hang (never answered; an abort ends them, as a real transport's would) or to fail.
 * The server applies every op once (replays answer the same), so nothing can be double-counted.
 */
class SimulatedNetwork implements SyncTransport {
  readonly sent: Sent[] = [];
  readonly applied = new Set<string>();
  maxOutstanding = 0;
  private outstanding = new Set<Sent>();
  /** Two different ops of one entity chain in flight at once: must never happen. */
  chainViolations: string[] = [];

  constructor(
    private readonly clock: FakeClock,
    public latencyMs: number,
    public plan: (n: number, ops: WireOp[]) => 'answer' | 'hang' | Error | number = () => 'answer',
  ) {}

  push(_device: string, ops: WireOp[], options?: PushOptions): Promise<PushResult[]> {
    const request: Sent = { n: this.sent.length, ops, sentAt: this.clock.now(), abortedAt: null, answeredAt: null };
    this.sent.push(request);
    for (const other of this.outstanding) {
      for (const op of ops) {
        const clash = other.ops.find((o) => o.payload['id'] === op.payload['id'] && o.id !== op.id);
        if (clash !== undefined) this.chainViolations.push(`${String(op.payload['id'])}: ${clash.id} and ${op.id}`);
      }
    }
    this.outstanding.add(request);
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding.size);
    const step = this.plan(request.n, ops);
    return new Promise((resolve, reject) => {
      const end = (): boolean => this.outstanding.delete(request);
      options?.signal?.addEventListener(
        'abort',
        () => {
          if (!end()) return;
          request.abortedAt = this.clock.now();
          reject(new TransportError('timeout', 'aborted by the engine'));
        },
        { once: true },
      );
      if (step === 'hang') return;
      const delay = typeof step === 'number' ? step : this.latencyMs;
      this.clock.setTimeout(() => {
        if (!end()) return;
        request.answeredAt = this.clock.now();
        if (step instanceof Error) {
          reject(step);
          return;
        }
        for (const op of ops) this.applied.add(op.id);
        resolve(ops.map((op) => ({ op_id: op.id, status: 'applied', table: op.table, entity_id: String(op.payload['id']), row: null })));
      }, delay);
    });
  }

  pull(): Promise<PullPage> {
    return Promise.resolve({ changes: {}, tombstones: [], cursor: '1:1', has_more: false });
  }

  refreshSession(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

let clock: FakeClock;
let store: SqliteQueueStore;
let n = 0;

beforeEach(() => {
  clock = new FakeClock();
  store = new SqliteQueueStore({ path: join(dir, `timing-${(n += 1)}.sqlite`), newId: randomUUID });
});

function engineOver(network: SyncTransport, options: Partial<SyncEngineOptions> = {}): SyncEngine {
  return new SyncEngine({
    store,
    transport: network,
    clock,
    random: seededRandom(5),
    newId: randomUUID,
    backoff: { baseMs: 1000, maxMs: 8000 },
    ...options,
  });
}

/** `count` entities with `perEntity` ops each, queued in rounds (a chain per entity). */
async function queue(engine: SyncEngine, count: number, perEntity = 1): Promise<void> {
  for (let round = 0; round < perEntity; round += 1) {
    for (let i = 0; i < count; i += 1) {
      await engine.enqueue(
        round % 2 === 0
          ? { table: 'assets', action: 'check_in', payload: { id: entity(i), condition: 'ok' } }
          : { table: 'assets', action: 'check_out', payload: { id: entity(i), gig_id: GIG }, base_version: 1 },
      );
    }
  }
}

/** Runs work on the fake clock in small steps until it settles; resolves with the fake time it took. */
async function withTime(work: Promise<unknown>, stepMs = 10, boundMs = 60_000): Promise<number> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  const start = clock.now();
  while (!settled) {
    if (clock.now() - start > boundMs) throw new Error(`still running after ${boundMs} ms of fake time`);
    await clock.advance(stepMs);
  }
  await done;
  return clock.now() - start;
}

describe('an answer held past its time does not stall the drain', () => {
  it('applies every op within a few fake seconds while two requests hang for good, one op per entity chain in flight', async () => {
    const network = new SimulatedNetwork(clock, 40, (k) => (k === 2 || k === 3 ? 'hang' : 'answer'));
    const engine = engineOver(network, { batchSize: 10 });
    await queue(engine, 100, 2);
    const took = await withTime(engine.drain());
    expect((await store.stats()).depth).toBe(0);
    expect(network.applied.size).toBe(200);
    // Clean, this is 20 round trips of 40 ms per sender; two hung requests cost their timeouts, not the drain.
    expect(took).toBeLessThan(3000);
    expect(network.chainViolations).toEqual([]);
  });

  it('gives up on a hung request after a timeout learnt from the answers so far, not the configured maximum', async () => {
    const network = new SimulatedNetwork(clock, 40, (k) => (k === 6 ? 'hang' : 'answer'));
    const engine = engineOver(network, { batchSize: 10, concurrency: 1, timing: { maxMs: 15_000 } });
    await queue(engine, 100);
    await withTime(engine.drain());
    const hung = network.sent[6];
    expect(hung?.abortedAt).not.toBeNull();
    const waited = (hung?.abortedAt ?? 0) - (hung?.sentAt ?? 0);
    // Six answers of 40 ms: the engine waits a few times that (with a floor), far below 15 s.
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(waited).toBeLessThanOrEqual(1000);
    expect((await store.stats()).depth).toBe(0);
  });

  it('starts another batch beside a request whose answer is overdue, while that batch keeps its ops', async () => {
    // A long timeout, so only the batch started beside the hung one can make progress meanwhile.
    const network = new SimulatedNetwork(clock, 40, (k) => (k === 3 ? 'hang' : 'answer'));
    const engine = engineOver(network, { batchSize: 10, concurrency: 1, timing: { floorMs: 10_000, maxMs: 15_000 } });
    await queue(engine, 100);
    await withTime(engine.drain());
    const hung = network.sent[3];
    const hungOps = new Set(hung?.ops.map((op) => op.id));
    const others = network.sent.filter((s) => s.answeredAt !== null && s.answeredAt < (hung?.abortedAt ?? Infinity) && s.n !== 3);
    // Everything but the hung batch was answered while it hung…
    expect(others.flatMap((s) => s.ops).filter((op) => !hungOps.has(op.id))).toHaveLength(90);
    // …and its ops went out again only after it was given up on.
    expect(
      network.sent
        .filter((s) => s.n !== 3 && s.ops.some((op) => hungOps.has(op.id)))
        .every((s) => s.sentAt >= (hung?.abortedAt ?? Infinity)),
    ).toBe(true);
    expect((await store.stats()).depth).toBe(0);
    expect(network.applied.size).toBe(100);
  });

  it('keeps the batches in flight bounded when every request hangs, then leaves the ops to the per-op backoff', async () => {
    const network = new SimulatedNetwork(clock, 40, () => 'hang');
    const engine = engineOver(network, { batchSize: 10, concurrency: 2 });
    await queue(engine, 200);
    await withTime(engine.drain(), 50, 10 * 60_000);
    expect(network.maxOutstanding).toBeLessThanOrEqual(6);
    expect(network.sent.length).toBeLessThanOrEqual(6 * 8);
    expect((await engine.status()).online).toBe(false);
    const stats = await store.stats();
    expect(stats).toMatchObject({ depth: 200, syncing: 0 });
    expect(stats.failed).toBeGreaterThan(0);
  });

  it('waits longer after timeouts when the server is slow, instead of giving up on every answer', async () => {
    // Every answer takes 3 s; before any answer the engine waits 1 s: it must learn, not loop.
    const network = new SimulatedNetwork(clock, 3000);
    const engine = engineOver(network, { batchSize: 10, concurrency: 1 });
    await queue(engine, 50);
    await withTime(engine.drain(), 50, 10 * 60_000);
    expect((await store.stats()).depth).toBe(0);
    // Five batches: a few requests given up on while learning, then one request per batch.
    expect(network.sent.length).toBeLessThanOrEqual(5 + 4);
    expect(network.sent.slice(-3).every((s) => s.abortedAt === null)).toBe(true);
  });

  it('retries an unlucky batch after the base backoff while most requests are answered, instead of waiting longer each time', async () => {
    // The batch holding entity 0 fails five times in a row; every other request is answered.
    const unlucky = (ops: WireOp[]): boolean => ops.some((op) => op.payload['id'] === entity(0));
    const network: SimulatedNetwork = new SimulatedNetwork(clock, 40);
    network.plan = (_k, ops) =>
      unlucky(ops) && network.sent.filter((s) => unlucky(s.ops)).length <= 5 ? new TransportError('server', '503', 503) : 'answer';
    const engine = engineOver(network, { batchSize: 10, concurrency: 2 });
    await queue(engine, 200);
    await withTime(engine.drain());
    const tries = network.sent.filter((s) => unlucky(s.ops));
    expect(tries).toHaveLength(6);
    const gaps = tries.slice(1).map((t, i) => t.sentAt - (tries[i]?.answeredAt ?? 0));
    // The base backoff is a jittered wait of at most 250 ms; exponential would reach 2 s and more.
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(250);
    expect((await store.stats()).depth).toBe(0);
  });

  it('sends again when the retry of an abandoned request collides with it on the server (409)', async () => {
    const network = new SimulatedNetwork(clock, 40, (k) =>
      k === 0
        ? 'hang'
        : k === 1
          ? new TransportError('refused', 'push_changes: duplicate key value violates unique constraint "sync_ops_pkey"', 409)
          : 'answer',
    );
    const engine = engineOver(network, { batchSize: 10, concurrency: 1 });
    await queue(engine, 5);
    await withTime(engine.drain());
    expect(network.sent).toHaveLength(3);
    expect((await store.stats()).depth).toBe(0);
  });
});
