import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { SyncEngine } from '../../core/sync/engine';
import type { PullPage, PushResult } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import { supabaseTransport, type RpcClient } from '../../core/sync/supabase-transport';
import { TransportError, type SyncTransport } from '../../core/sync/transport';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { FakeClock } from '../helpers/fake-clock';

// A server that refuses the station's pull cursor (22023 from pull_changes: out of range,
// malformed, or past its change log after a restore) is answered by one pull from the start.
const dir = mkdtempSync(join(tmpdir(), 'cursor-refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GIG = '00000000-0000-4000-8000-0000000000f1';
const ASSET = '00000000-0000-4000-8000-0000000000a1';
const refused = (): TransportError =>
  new TransportError('cursor_refused', "pull_changes: cursor '99:0' is ahead of this server's change log", 400);

class PullScript implements SyncTransport {
  cursors: (string | null)[] = [];
  plan: ((cursor: string | null) => PullPage | Error)[] = [];
  push(): Promise<PushResult[]> {
    return Promise.reject(new TransportError('network', 'offline'));
  }
  pull(cursor: string | null): Promise<PullPage> {
    this.cursors.push(cursor);
    const step = this.plan.shift() ?? (() => ({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }));
    const result = step(cursor);
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  }
  refreshSession(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

let transport: PullScript;
let store: SqliteQueueStore;
let engine: SyncEngine;
let n = 0;

beforeEach(async () => {
  transport = new PullScript();
  store = new SqliteQueueStore({ path: join(dir, `s-${(n += 1)}.sqlite`), newId: randomUUID });
  engine = new SyncEngine({ store, transport, clock: new FakeClock(), random: seededRandom(1), newId: randomUUID });
  // The station last pulled at 99:0 (a position the server no longer has, e.g. restored from an older backup).
  await store.applyPull(
    { changes: { gigs: [{ id: GIG, name: 'Old name', version: 1 }] }, tombstones: [], cursor: '99:0', has_more: false },
    rebase,
  );
});

describe('a refused pull cursor', () => {
  it('forgets the cursor and pulls from the start once: every page applied, the new cursor kept, no error left', async () => {
    transport.plan = [
      () => refused(),
      () => ({ changes: { gigs: [{ id: GIG, name: 'Main Stage Friday', version: 3 }] }, tombstones: [], cursor: '12:4', has_more: true }),
      () => ({
        changes: { assets: [{ id: ASSET, name: 'Shure SM58', serial_number: 'MIC-1042', status: 'available', version: 2 }] },
        tombstones: [],
        cursor: '12:9',
        has_more: false,
      }),
    ];
    await engine.pull();
    expect(transport.cursors).toEqual(['99:0', null, '12:4']);
    expect(await store.cursor()).toBe('12:9');
    expect(await store.getCached('gigs', GIG)).toMatchObject({ name: 'Main Stage Friday', version: 3 });
    expect(await store.getCached('assets', ASSET)).toMatchObject({ name: 'Shure SM58' });
    expect((await engine.status()).lastError).toBeNull();
  });

  it('keeps queued ops queued and shows them on top of the full pull', async () => {
    await engine.enqueue({ table: 'gigs', action: 'update', payload: { id: GIG, fields: { notes: 'load-in 14:00' } }, base_version: 1 });
    transport.plan = [
      () => refused(),
      () => ({
        changes: { gigs: [{ id: GIG, name: 'Main Stage Friday', notes: null, version: 3 }] },
        tombstones: [],
        cursor: '12:4',
        has_more: false,
      }),
    ];
    await engine.pull();
    expect(await store.getCached('gigs', GIG)).toMatchObject({ name: 'Main Stage Friday', notes: 'load-in 14:00' });
    expect((await store.stats()).depth).toBe(1);
  });

  it('surfaces the error when the pull from the start is refused too, and asks only once', async () => {
    transport.plan = [() => refused(), () => refused(), () => refused()];
    await engine.pull();
    expect(transport.cursors).toEqual(['99:0', null]);
    expect((await engine.status()).lastError).toBe("pull_changes: cursor '99:0' is ahead of this server's change log");
    expect(await store.cursor()).toBe('99:0');
    expect(await store.getCached('gigs', GIG)).toMatchObject({ name: 'Old name' });
  });

  it('keeps the cursor when the pull from the start fails on the way (the next pull tries again)', async () => {
    transport.plan = [() => refused(), () => new TransportError('network', 'socket hang up')];
    await engine.pull();
    expect(transport.cursors).toEqual(['99:0', null]);
    expect((await engine.status()).lastError).toBe('socket hang up');
    transport.plan = [() => refused(), () => ({ changes: {}, tombstones: [], cursor: '12:4', has_more: false })];
    await engine.pull();
    expect(transport.cursors.slice(2)).toEqual(['99:0', null]);
    expect(await store.cursor()).toBe('12:4');
  });
});

describe('the Supabase transport', () => {
  function answering(error: { message: string; code?: string; hint?: string }, status: number): { client: RpcClient; calls: string[] } {
    const calls: string[] = [];
    const client: RpcClient = {
      rpc: (fn) => {
        calls.push(fn);
        return { abortSignal: () => Promise.resolve({ data: null, error, status }) };
      },
      auth: { refreshSession: () => Promise.resolve({ error: null }) },
    };
    return { client, calls };
  }
  const cursorRefusal = {
    code: '22023',
    message: "cursor '99:0' is ahead of this server's change log",
    hint: 'pull from the start (cursor null)',
  };

  it('types 22023 from pull_changes on a given cursor as cursor_refused', async () => {
    const { client } = answering(cursorRefusal, 400);
    const error = await supabaseTransport(client, { timeoutMs: 1000 })
      .pull('99:0', 500)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: 'cursor_refused', status: 400 });
  });

  it.each([
    ['22023 on a pull from the start', cursorRefusal, 400, null],
    ['another SQLSTATE on a pull', { code: '22003', message: 'value out of range for type xid8' }, 400, '99:0'],
    ['a 400 without a code', { message: 'Bad Request' }, 400, '99:0'],
  ])('leaves %s a plain refusal', async (_label, answer, status, cursor) => {
    const { client } = answering(answer, status);
    const error = await supabaseTransport(client, { timeoutMs: 1000 })
      .pull(cursor, 500)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'refused' });
  });

  it('leaves 22023 from push_changes a plain refusal', async () => {
    const { client } = answering({ code: '22023', message: 'ops must be an array' }, 400);
    const error = await supabaseTransport(client, { timeoutMs: 1000 })
      .push('device', [])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'refused' });
  });
});
