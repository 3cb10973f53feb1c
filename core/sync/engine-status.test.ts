import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { seededRandom } from '../random';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import { SyncEngine, type SyncStatus } from './engine';
import type { SyncTransport } from './transport';

// Issue 18 (the phone, 4x CPU): a status read of the queue (counts, conflicts, quarantine, the
// oldest op) took as long as a scan on a phone, and one followed every few scans of a burst. The
// status after an enqueue is now counted on from the last one told; the store is read again once
// the enqueues pause, and at least every few seconds during an unbroken burst.
const offline: SyncTransport = {
  push: () => Promise.reject(new Error('not used')),
  pull: () => Promise.reject(new Error('not used')),
  refreshSession: () => Promise.resolve(true),
};

const asset = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const checkOut = (i: number) => ({ table: 'assets', action: 'check_out', payload: { id: asset(i), gig_id: asset(999) }, base_version: 1 });

function setup() {
  const clock = new FakeClock();
  let ids = 0;
  const newId = (): string => `00000000-0000-4000-9000-${String((ids += 1)).padStart(12, '0')}`;
  const store = new Queue(new MemoryStorage(), { newId, clock: () => clock.now(), devicePrefix: 'test-' });
  let reads = 0;
  const stats = store.stats.bind(store);
  store.stats = () => {
    reads += 1;
    return stats();
  };
  // Never started: no timers of its own push or pull; the platform says offline.
  const engine = new SyncEngine({ store, transport: offline, clock, random: seededRandom(1), newId });
  engine.setPlatformOnline(false);
  const told: SyncStatus[] = [];
  engine.subscribe((status) => told.push(status));
  return { clock, store, engine, told, reads: () => reads };
}

describe('the sync status during a burst of scans', () => {
  it('counts each enqueue on from the last status told, reading the store only when the burst pauses or every 5 s', async () => {
    const { clock, store, engine, told, reads } = setup();
    await engine.refreshStatus();
    const before = reads();
    for (let i = 0; i < 20; i += 1) {
      await engine.enqueue(checkOut(i));
      await clock.advance(300);
    }
    // 6 s of scans one every 300 ms: one read at the 5 s mark, not one every 250 ms.
    expect(reads() - before).toBe(1);
    expect(told.map((s) => s.depth).slice(-3)).toEqual([18, 19, 20]);
    expect(told.at(-1)).toMatchObject({ pending: 20, oldestPendingAt: told.at(-20)?.oldestPendingAt, online: false });
    // The burst pauses: the store is read and what was counted is what it holds.
    await clock.advance(1000);
    expect(reads() - before).toBe(2);
    expect(told.at(-1)).toEqual({ ...(await engine.status()) });
    expect((await store.stats()).depth).toBe(20);
  });

  it('reads the store after an enqueue when there is nothing to count on from (no status told yet)', async () => {
    const { engine, told, reads } = setup();
    await engine.enqueue(checkOut(1));
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads()).toBe(1);
    expect(told.at(-1)).toMatchObject({ depth: 1, pending: 1 });
  });
});

describe('a status read that an enqueue overtakes', () => {
  it('is not told: a read begun before the scan would say “0 to sync” while the scan waits to be sent', async () => {
    const { clock, store, engine, told } = setup();
    await engine.refreshStatus();
    expect(told.at(-1)).toMatchObject({ depth: 0 });
    // A read begins (as after a drain or another tab's change) and is slow to answer, as on a phone.
    let release: () => void = () => undefined;
    const stats = store.stats.bind(store);
    store.stats = async () => {
      const before = await stats();
      await new Promise<void>((resolve) => (release = resolve));
      return before;
    };
    const slowRead = engine.refreshStatus();
    await new Promise((resolve) => setImmediate(resolve));
    store.stats = stats;
    // The scan is queued meanwhile, and counted on from the last status told.
    await engine.enqueue(checkOut(1));
    expect(told.at(-1)).toMatchObject({ depth: 1, pending: 1 });
    // The slow read answers with what it saw before the scan.
    release();
    await slowRead;
    expect(told.at(-1)).toMatchObject({ depth: 1, pending: 1 });
    // Once the enqueues pause the store is read again, and agrees.
    await clock.advance(1000);
    expect(told.at(-1)).toEqual(await engine.status());
    expect(told.at(-1)).toMatchObject({ depth: 1 });
  });
});
