import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../core/random';
import { InvalidOpError, SyncEngine } from '../../core/sync/engine';
import type { PullPage, PushResult } from '../../core/sync/model';
import { TransportError, type SyncTransport, type WireOp } from '../../core/sync/transport';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { SqliteQueueStore } from './sqlite-queue-store';

// The engine over a real SQLite store, with a scripted transport and a fake clock.
const dir = mkdtempSync(join(tmpdir(), 'engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ASSET = '00000000-0000-4000-8000-0000000000a1';
const OTHER_ASSET = '00000000-0000-4000-8000-0000000000a2';
const GIG = '00000000-0000-4000-8000-0000000000f1';

class ScriptedTransport implements SyncTransport {
  pushes: WireOp[][] = [];
  pulls = 0;
  refreshes = 0;
  pushPlan: ((ops: WireOp[]) => PushResult[] | Error)[] = [];
  pullPlan: (() => PullPage | Error)[] = [];
  refreshWorks = true;
  /** While set, pushes (or pulls) stay open until released: a request that hangs. */
  holdPushes: Promise<void> | null = null;
  holdPulls: Promise<void> | null = null;

  async push(_device: string, ops: WireOp[]): Promise<PushResult[]> {
    this.pushes.push(ops);
    if (this.holdPushes !== null) await this.holdPushes;
    const step = this.pushPlan.shift() ?? applyAll;
    const result = step(ops);
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  }

  async pull(): Promise<PullPage> {
    this.pulls += 1;
    if (this.holdPulls !== null) await this.holdPulls;
    const step = this.pullPlan.shift() ?? (() => ({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }));
    const result = step();
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  }

  refreshSession(): Promise<boolean> {
    this.refreshes += 1;
    return Promise.resolve(this.refreshWorks);
  }
}

const applyAll = (ops: WireOp[]): PushResult[] =>
  ops.map((op) => ({ op_id: op.id, status: 'applied', table: op.table, entity_id: String(op.payload['id']), row: null }));

let clock: FakeClock;
let transport: ScriptedTransport;
let store: SqliteQueueStore;
let engine: SyncEngine;
let n = 0;

beforeEach(() => {
  clock = new FakeClock();
  transport = new ScriptedTransport();
  store = new SqliteQueueStore({ path: join(dir, `engine-${(n += 1)}.sqlite`), newId: randomUUID });
  engine = new SyncEngine({ store, transport, clock, random: seededRandom(1), newId: randomUUID, backoff: { baseMs: 1000, maxMs: 8000 } });
});

const checkIn = { table: 'assets', action: 'check_in', payload: { id: ASSET, condition: 'ok' } };

/** The engine with no retries inside a drain: what happens to ops once a batch is given up on. */
function perOpBackoffOnly(): void {
  engine = new SyncEngine({
    store,
    transport,
    clock,
    random: seededRandom(1),
    newId: randomUUID,
    backoff: { baseMs: 1000, maxMs: 8000 },
    batchRetry: { baseMs: 250, maxMs: 8000, attempts: 1 },
  });
}

/** A gate a test opens when it chooses: what a hanging request waits on. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Runs work whose retries wait on the fake clock, moving time in small steps until it settles; resolves with the fake time it took. */
async function withTime(work: Promise<unknown>, stepMs = 50, boundMs = 10 * 60_000): Promise<number> {
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

describe('enqueue', () => {
  it.each([
    [
      'an unknown action',
      { table: 'assets', action: 'teleport', payload: { id: ASSET } },
      'action: unknown action "teleport" for assets; expected one of check_out, check_in, update',
    ],
    [
      'an unknown table',
      { table: 'memberships', action: 'update', payload: { id: ASSET } },
      'table: Invalid option: expected one of "gigs"|"assets"|"cases"',
    ],
    [
      'a payload without an id',
      { table: 'assets', action: 'check_in', payload: {} },
      'payload.id: payload.id must be the UUID of the row the op acts on',
    ],
    [
      'a check-out without base_version',
      { table: 'assets', action: 'check_out', payload: { id: ASSET, gig_id: GIG } },
      'base_version: assets.check_out needs base_version (the row version it was decided on)',
    ],
    [
      'an oversized payload',
      { table: 'assets', action: 'update', payload: { id: ASSET, fields: { notes: 'x'.repeat(17000) } } },
      /^payload: payload is \d+ bytes; the limit is 16384$/,
    ],
    [
      'a stored Authorization header',
      { table: 'assets', action: 'check_in', payload: { id: ASSET }, authorization: 'Bearer stolen' },
      'op: Unrecognized key: "authorization"',
    ],
  ])('refuses %s with a specific message and writes nothing', async (_label, op, message) => {
    const attempt = engine.enqueue(op);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOpError);
    await expect(attempt).rejects.toThrow(message);
    expect((await store.stats()).depth).toBe(0);
  });
});

describe('push', () => {
  it('refreshes the session on a 401 and retries without counting a failure', async () => {
    await engine.enqueue(checkIn);
    transport.pushPlan = [() => new TransportError('unauthorized', 'JWT expired', 401)];
    await engine.drain();
    expect(transport.refreshes).toBe(1);
    expect(transport.pushes).toHaveLength(2);
    expect((await store.stats()).depth).toBe(0);
  });

  it('stops and asks for a sign-in when the session cannot be refreshed, losing nothing', async () => {
    await engine.enqueue(checkIn);
    transport.refreshWorks = false;
    transport.pushPlan = [() => new TransportError('unauthorized', 'JWT expired', 401)];
    await engine.drain();
    expect((await store.listQueue(5))[0]).toMatchObject({ status: 'pending', retryCount: 0 });
    expect((await engine.status()).lastError).toBe('signed out: sign in again to sync');
  });

  it('backs off exponentially with jitter up to the cap after network failures', async () => {
    perOpBackoffOnly();
    await engine.enqueue(checkIn);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      transport.pushPlan = [() => new TransportError('network', 'connect ECONNREFUSED')];
      await clock.advance(10 * 60_000);
      await engine.drain();
      const [op] = await store.listQueue(1);
      waits.push((op?.nextAttemptAt ?? 0) - clock.now());
      expect(op).toMatchObject({ status: 'failed', retryCount: attempt + 1, lastError: 'connect ECONNREFUSED' });
    }
    waits.forEach((wait, attempt) => {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(Math.min(8000, 1000 * 2 ** attempt));
    });
    expect(new Set(waits).size).toBeGreaterThan(1);
    expect((await engine.status()).online).toBe(false);
  });

  it('drains only inside the exclusive section it is given (one drainer across tabs and the worker)', async () => {
    let holder: Promise<void> = Promise.resolve();
    const log: string[] = [];
    const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
      const run = holder.then(async () => {
        log.push('enter');
        try {
          return await work();
        } finally {
          log.push('leave');
        }
      });
      holder = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    const other = new SyncEngine({ store, transport, clock, random: seededRandom(2), newId: randomUUID, exclusive });
    const mine = new SyncEngine({ store, transport, clock, random: seededRandom(3), newId: randomUUID, exclusive });
    await mine.enqueue(checkIn);
    await Promise.all([mine.drain(), other.drain()]);
    expect(log).toEqual(['enter', 'leave', 'enter', 'leave']);
    expect(transport.pushes.flat()).toHaveLength(1);
  });

  it('sends ops another engine left in flight (a tab closed mid-push) at its next drain', async () => {
    await engine.enqueue(checkIn);
    const abandoned = await store.claimBatch(clock.now(), 10);
    expect(abandoned).toHaveLength(1);
    const next = new SyncEngine({ store, transport, clock, random: seededRandom(4), newId: randomUUID });
    await next.drain();
    expect(transport.pushes.flat().map((op) => op.id)).toEqual([abandoned[0]?.id]);
    expect(await store.listQueue(1)).toEqual([]);
  });

  it('sends backed-off ops at once on "sync now" instead of waiting out the backoff', async () => {
    perOpBackoffOnly();
    await engine.enqueue(checkIn);
    transport.pushPlan = [() => new TransportError('network', 'connect ECONNREFUSED')];
    await engine.drain();
    expect((await store.listQueue(1))[0]?.nextAttemptAt).toBeGreaterThan(clock.now());
    await engine.drain();
    expect(transport.pushes).toHaveLength(1);
    await engine.syncNow();
    expect(transport.pushes).toHaveLength(2);
    expect(await store.listQueue(1)).toEqual([]);
    expect((await engine.status()).online).toBe(true);
  });

  it('keeps an op backing off when more work is queued or the timer fires: only "sync now" cuts it short', async () => {
    perOpBackoffOnly();
    transport.pushPlan = Array.from({ length: 10 }, () => () => new TransportError('network', 'connect ECONNREFUSED'));
    transport.pullPlan = Array.from({ length: 10 }, () => () => new TransportError('network', 'connect ECONNREFUSED'));
    await engine.start();
    const first = await engine.enqueue(checkIn);
    await clock.advance(0);
    expect((await store.listQueue(1))[0]).toMatchObject({ id: first.id, retryCount: 1 });
    // More work, and the timer: the backed-off op is not sent again before its time.
    await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: OTHER_ASSET, condition: 'ok' } });
    await clock.advance(0);
    const sent = (): number => transport.pushes.flat().filter((op) => op.id === first.id).length;
    expect(sent()).toBe(1);
    await engine.syncNow();
    expect(sent()).toBe(2);
    engine.stop();
  });

  it('sends backed-off ops as soon as a pull finds the server reachable again', async () => {
    perOpBackoffOnly();
    await engine.enqueue(checkIn);
    transport.pushPlan = [() => new TransportError('network', 'connect ECONNREFUSED')];
    await engine.drain();
    expect((await engine.status()).online).toBe(false);
    await engine.pull();
    await vi.waitFor(async () => expect(await store.listQueue(1)).toEqual([]));
    expect(transport.pushes).toHaveLength(2);
  });

  it('maps each answer onto its op: applied, conflict, rejected, held', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id } });
    transport.pushPlan = [
      (ops) => [
        {
          op_id: ops[0]?.id ?? null,
          status: 'applied',
          table: 'assets',
          entity_id: ids[0] ?? null,
          row: { id: ids[0] ?? '', version: 2, status: 'available' },
        },
        {
          op_id: ops[1]?.id ?? null,
          status: 'conflict',
          table: 'assets',
          entity_id: ids[1] ?? null,
          row: { id: ids[1] ?? '', version: 9 },
          changed_fields: ['status'],
          message: 'changed',
        },
        {
          op_id: ops[2]?.id ?? null,
          status: 'rejected',
          table: 'assets',
          entity_id: ids[2] ?? null,
          code: 'asset_retired',
          message: 'retired',
        },
      ],
    ];
    await engine.drain();
    expect(await store.getCached('assets', ids[0] ?? '')).toMatchObject({ version: 2 });
    expect((await store.conflicts()).map((c) => c.changedFields)).toEqual([['status']]);
    expect((await store.quarantined()).map((q) => [q.code, q.message])).toEqual([['asset_retired', 'retired']]);
    expect(await engine.status()).toMatchObject({ depth: 0, conflicts: 1, quarantined: 1, online: true });
  });

  it('treats an answer that does not match the op as a failure to retry', async () => {
    await engine.enqueue(checkIn);
    transport.pushPlan = [() => [{ op_id: randomUUID(), status: 'applied', table: 'assets', entity_id: ASSET }]];
    await engine.drain();
    expect((await store.listQueue(1))[0]).toMatchObject({ status: 'failed', retryCount: 1 });
  });
});

describe('triggers and independence', () => {
  it('drains on enqueue, and again when the platform says it is back online', async () => {
    await engine.start();
    await engine.enqueue(checkIn);
    await clock.advance(0);
    expect(transport.pushes).toHaveLength(1);

    engine.setPlatformOnline(false);
    transport.pushPlan = [() => new TransportError('network', 'offline')];
    await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } });
    await clock.advance(0);
    // The platform says offline: no attempt per enqueue…
    expect(transport.pushes).toHaveLength(1);
    // …but the timer still probes, in case the platform is wrong.
    await clock.advance(15_000);
    expect((await store.stats()).failed).toBe(1);
    await clock.advance(60_000);
    engine.setPlatformOnline(true);
    await clock.advance(0);
    expect((await store.stats()).depth).toBe(0);
    engine.stop();
  });

  it('probes with one op while the platform says offline, and sends whole batches once a probe gets through (issue 18)', async () => {
    await engine.start();
    await clock.advance(0);
    engine.setPlatformOnline(false);
    for (let i = 0; i < 5; i += 1) await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } });
    const offline = (): Error => new TransportError('network', 'offline');
    transport.pushPlan = [offline, offline];
    transport.pullPlan = [offline, offline, offline, offline];
    await clock.advance(15_000);
    // Claiming and putting back a whole batch every poll stalled a phone's scans: one op per sender.
    expect(transport.pushes.map((ops) => ops.length)).toEqual([1, 1]);
    expect((await store.stats()).failed).toBe(2);
    // The platform is wrong (the network works): the probe gets through, the rest goes as a batch.
    await clock.advance(60_000);
    await clock.advance(15_000);
    expect((await store.stats()).depth).toBe(0);
    expect(transport.pushes.slice(2).some((ops) => ops.length > 1)).toBe(true);
    engine.stop();
  });

  it('keeps pulling while pushes fail', async () => {
    perOpBackoffOnly();
    await engine.enqueue(checkIn);
    transport.pushPlan = [() => new TransportError('server', '503', 503)];
    transport.pullPlan = [
      () => ({ changes: { gigs: [{ id: GIG, name: 'Main Stage', version: 1 }] }, tombstones: [], cursor: '5:1', has_more: true }),
      () => ({ changes: {}, tombstones: [], cursor: '5:2', has_more: false }),
    ];
    await engine.syncNow();
    expect(await store.getCached('gigs', GIG)).toMatchObject({ name: 'Main Stage' });
    expect(await store.cursor()).toBe('5:2');
    expect((await store.stats()).failed).toBe(1);
  });

  it('refreshes the session once when a pull gets a 401, and stops if the token is refused again', async () => {
    transport.pullPlan = [
      () => new TransportError('unauthorized', 'JWT expired', 401),
      () => new TransportError('unauthorized', 'JWT expired', 401),
      () => ({ changes: {}, tombstones: [], cursor: '9:9', has_more: false }),
    ];
    await engine.pull();
    expect(transport.refreshes).toBe(1);
    expect(transport.pulls).toBe(2);
    expect((await engine.status()).lastError).toBe('JWT expired');
  });

  it('tells subscribers about status changes', async () => {
    const seen: number[] = [];
    engine.subscribe((status) => seen.push(status.depth));
    await engine.enqueue(checkIn);
    await engine.drain();
    expect(seen[0]).toBe(1);
    expect(seen[seen.length - 1]).toBe(0);
  });
});

describe('pulls and pushes on their own schedules (issue 15, item 10)', () => {
  it('applies a remote change within one pull period while a push hangs', async () => {
    const hang = gate();
    transport.holdPushes = hang.wait;
    await engine.start();
    await engine.enqueue(checkIn);
    await clock.advance(0);
    expect(transport.pushes).toHaveLength(1);
    expect((await engine.status()).draining).toBe(true);
    transport.pullPlan = [
      () => ({ changes: { gigs: [{ id: GIG, name: 'Changed elsewhere', version: 2 }] }, tombstones: [], cursor: '7:1', has_more: false }),
    ];
    await clock.advance(15_000);
    expect(await store.getCached('gigs', GIG)).toMatchObject({ name: 'Changed elsewhere' });
    expect((await engine.status()).draining).toBe(true);
    // The pull timer never starts a second drain: every push is the hung op, sent again after its timeouts.
    expect(new Set(transport.pushes.flat().map((op) => op.id)).size).toBe(1);
    hang.open();
    await vi.waitFor(async () => expect((await store.stats()).depth).toBe(0));
    engine.stop();
  });

  it('keeps pushing on its own timer while a pull hangs, with one pull in flight', async () => {
    const hang = gate();
    transport.holdPulls = hang.wait;
    transport.pushPlan = [() => new TransportError('refused', 'payload too large', 413)];
    await engine.start();
    await engine.enqueue(checkIn);
    await clock.advance(0);
    expect(transport.pushes).toHaveLength(1);
    expect((await store.stats()).failed).toBe(1);
    await clock.advance(15_000);
    expect(transport.pushes).toHaveLength(2);
    expect((await store.stats()).depth).toBe(0);
    expect(transport.pulls).toBe(1);
    hang.open();
    engine.stop();
  });

  it('drains again for an op queued while a drain was finishing', async () => {
    const hang = gate();
    transport.holdPushes = hang.wait;
    await engine.enqueue(checkIn);
    const first = engine.drain();
    await clock.advance(0);
    // Queued while the only drain is waiting on its last answer: that drain must not end without it.
    const later = await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: OTHER_ASSET, condition: 'ok' } });
    const second = engine.drain();
    transport.holdPushes = null;
    hang.open();
    await Promise.all([first, second]);
    expect(transport.pushes.flat().map((op) => op.id)).toContain(later.id);
    expect((await store.stats()).depth).toBe(0);
  });
});

describe('retries per batch under a flaky network (issue 15, item 11)', () => {
  const many = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i += 1)
      await engine.enqueue({
        table: 'assets',
        action: 'check_in',
        payload: { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, condition: 'ok' },
      });
  };

  it('retries a failed batch with a short backoff inside the drain, not at the next timer tick', async () => {
    engine = new SyncEngine({ store, transport, clock, random: seededRandom(7), newId: randomUUID, batchSize: 5, concurrency: 1 });
    await many(20);
    transport.pushPlan = [
      () => new TransportError('server', '503 from the gateway', 503),
      applyAll,
      () => new TransportError('network', 'socket hang up'),
      () => new TransportError('timeout', 'push_changes took longer than 15000 ms'),
      applyAll,
      () => new TransportError('network', 'ECONNRESET'),
      applyAll,
      applyAll,
    ];
    const took = await withTime(engine.drain());
    expect((await store.stats()).depth).toBe(0);
    expect(transport.pushes).toHaveLength(8);
    // Four failures, each waiting a jittered backoff of at most a few seconds: well inside one poll period.
    expect(took).toBeLessThan(15_000);
    expect((await engine.status()).online).toBe(true);
  });

  it('gives up on a batch when the network is clearly down, leaving the ops to the engine’s backoff', async () => {
    await many(3);
    transport.pushPlan = Array.from({ length: 50 }, () => () => new TransportError('network', 'connect ECONNREFUSED'));
    await withTime(engine.drain());
    const pushesWhenDown = transport.pushes.length;
    expect(pushesWhenDown).toBeGreaterThan(2);
    expect(pushesWhenDown).toBeLessThanOrEqual(10);
    expect((await engine.status()).online).toBe(false);
    expect((await store.listQueue(10)).map((op) => [op.status, op.retryCount])).toEqual([
      ['failed', 1],
      ['failed', 1],
      ['failed', 1],
    ]);
  });

  it('stops retrying as soon as the platform says it is offline', async () => {
    await many(2);
    transport.pushPlan = Array.from({ length: 50 }, () => () => new TransportError('network', 'connect ENETUNREACH'));
    const drained = engine.drain();
    await clock.advance(0);
    engine.setPlatformOnline(false);
    await withTime(drained);
    expect(transport.pushes.length).toBeLessThanOrEqual(2);
    expect((await store.stats()).failed).toBe(2);
  });

  it('does not retry a request the server refused as a whole', async () => {
    await many(1);
    transport.pushPlan = [() => new TransportError('refused', 'payload too large', 413)];
    await withTime(engine.drain());
    expect(transport.pushes).toHaveLength(1);
    expect((await store.listQueue(1))[0]).toMatchObject({ status: 'failed', retryCount: 1, lastError: 'payload too large' });
  });
});

describe('replay_expired after the server’s retention (issue 15 follow-up to item 3)', () => {
  it('re-issues an op the operator retries after replay_expired with a new id and a created_at of now', async () => {
    const op = await engine.enqueue({ table: 'assets', action: 'check_out', payload: { id: ASSET, gig_id: GIG }, base_version: 3 });
    transport.pushPlan = [
      (ops) =>
        ops.map((o) => ({
          op_id: o.id,
          status: 'rejected',
          table: 'assets',
          entity_id: ASSET,
          code: 'replay_expired',
          message: 'op created at … is older than the server remembers',
        })),
    ];
    await engine.drain();
    expect((await store.quarantined()).map((q) => [q.id, q.code])).toEqual([[op.id, 'replay_expired']]);
    // The operator looks at it 40 days later (the clock is injected) and retries.
    await clock.advance(40 * 86_400_000);
    await engine.retryQuarantined(op.id);
    await engine.drain();
    const sent = transport.pushes[1]?.[0];
    expect(sent?.id).not.toBe(op.id);
    expect(sent).toMatchObject({ action: 'check_out', base_version: 3, created_at: new Date(clock.now()).toISOString() });
    expect(sent?.seq).toBeGreaterThan(op.seq);
    expect(await store.stats()).toMatchObject({ depth: 0, quarantined: 0 });
  });
});
