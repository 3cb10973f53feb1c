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

// Issue 18, "Conflicts and sync in the operator's language": an error that is past does not stay
// on the Sync screen once syncing works again, and an op the server refuses later is told to
// whoever shows the scan that queued it (Recent scans), as a typed event from the engine.
const dir = mkdtempSync(join(tmpdir(), 'engine-refusals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ASSET = '00000000-0000-4000-8000-0000000000a1';
const OTHER = '00000000-0000-4000-8000-0000000000a2';
const GIG = '00000000-0000-4000-8000-0000000000f1';

type Step<T> = (ops: WireOp[]) => T | Error;

class Scripted implements SyncTransport {
  pushPlan: Step<PushResult[]>[] = [];
  pullPlan: (() => PullPage | Error)[] = [];
  push(_device: string, ops: WireOp[]): Promise<PushResult[]> {
    const result = (this.pushPlan.shift() ?? applied)(ops);
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  }
  pull(): Promise<PullPage> {
    const result = (this.pullPlan.shift() ?? (() => ({ changes: {}, tombstones: [], cursor: '1:1', has_more: false })))();
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  }
  refreshSession(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
const applied: Step<PushResult[]> = (ops) =>
  ops.map((op) => ({ op_id: op.id, status: 'applied', table: op.table, entity_id: String(op.payload['id']), row: null }));

let n = 0;
let clock: FakeClock;
let transport: Scripted;
let engine: SyncEngine;
beforeEach(() => {
  clock = new FakeClock();
  transport = new Scripted();
  const store = new SqliteQueueStore({ path: join(dir, `e-${(n += 1)}.sqlite`), newId: randomUUID });
  engine = new SyncEngine({
    store,
    transport,
    clock,
    random: seededRandom(1),
    newId: randomUUID,
    backoff: { baseMs: 1000, maxMs: 8000 },
    batchRetry: { baseMs: 10, maxMs: 10, attempts: 1 },
  });
});

const checkOut = (id: string) => ({ table: 'assets', action: 'check_out', payload: { id, gig_id: GIG }, base_version: 1 });

describe('the last error', () => {
  it('clears once a push succeeds after the network failed', async () => {
    await engine.enqueue(checkOut(ASSET));
    transport.pushPlan = [() => new TransportError('network', 'connect ECONNREFUSED')];
    await engine.drain();
    expect((await engine.status()).lastError).toBe('connect ECONNREFUSED');
    await engine.syncNow();
    const status = await engine.status();
    expect(status.depth).toBe(0);
    expect(status.lastError).toBeNull();
    expect(status.lastErrorAt).toBeNull();
  });

  it('a pull that works does not hide a push that still fails, and a pull error clears with the next pull', async () => {
    await engine.enqueue(checkOut(ASSET));
    transport.pushPlan = [() => new TransportError('server', 'push_changes: 500 Internal Server Error')];
    transport.pullPlan = [() => new TransportError('server', 'pull_changes: 502 Bad Gateway')];
    await engine.drain();
    await clock.advance(1000);
    await engine.pull();
    expect((await engine.status()).lastError).toBe('pull_changes: 502 Bad Gateway');
    // The pull works again; the push has not been retried yet: its failure is still the news.
    await engine.pull();
    expect((await engine.status()).lastError).toBe('push_changes: 500 Internal Server Error');
    await engine.syncNow();
    expect((await engine.status()).lastError).toBeNull();
  });
});

describe('an op the server refuses later', () => {
  it('is told to listeners with its op id, the kind of refusal and the server’s words', async () => {
    const first = await engine.enqueue(checkOut(ASSET));
    const second = await engine.enqueue(checkOut(OTHER));
    const heard: OpRefusal[] = [];
    engine.onRefused((refusal) => heard.push(refusal));
    transport.pushPlan = [
      (ops) => [
        {
          op_id: ops[0]?.id ?? null,
          status: 'rejected',
          table: 'assets',
          entity_id: ASSET,
          code: 'checked_out_elsewhere',
          message: 'MIC-1042 is checked out to Main Stage Day 2',
        },
        {
          op_id: ops[1]?.id ?? null,
          status: 'conflict',
          table: 'assets',
          entity_id: OTHER,
          row: { id: OTHER, version: 4 },
          changed_fields: ['status'],
          message: 'changed on the server',
        },
      ],
    ];
    await engine.drain();
    expect(heard).toEqual([
      { opId: first.id, kind: 'rejected', code: 'checked_out_elsewhere', message: 'MIC-1042 is checked out to Main Stage Day 2' },
      { opId: second.id, kind: 'conflict', code: 'conflict', message: 'changed on the server' },
    ]);
  });
});
