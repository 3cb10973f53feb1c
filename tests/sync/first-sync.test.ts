import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../core/sync/engine';
import type { CachedTable, SnapshotPage } from '../../core/sync/model';
import { SNAPSHOT_TABLES } from '../../core/sync/snapshot';
import { TransportError, type SyncTransport } from '../../core/sync/transport';
import { seededRandom } from '../../core/random';
import { systemClock } from '../../main/sync/system-clock';
import { createOrg, insertAsset, insertCase, insertGig, liveIds, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { openStation, type Station } from '../helpers/station';
import { randomUUID } from 'node:crypto';

// A new station's first sync (pull_snapshot pages, then the log) against the real local stack:
// a connection lost half-way, a queued op on a row that arrives, two engines on one store.
let stack: TestStack;
let org: Org;
const dir = mkdtempSync(join(tmpdir(), 'first-sync-'));
let n = 0;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'first-sync');
  const tour = await insertGig(stack.db, org.id, { name: 'Autumn tour', status: 'confirmed' });
  for (let i = 0; i < 9; i += 1) await insertGig(stack.db, org.id, { parent: tour, name: `Night ${i}` });
  const box = await insertCase(stack.db, org.id, 'CASE-FS-1');
  for (let i = 0; i < 23; i += 1) await insertAsset(stack.db, org.id, `FS-${i}`, { caseId: i < 4 ? box : null });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Asked {
  table: CachedTable;
  after: string | null;
}

/** The real transport, recording what was asked, and dropping the answer of the pages `drop` picks (the server did the work). */
function recording(asked: Asked[], drop: (nth: number) => boolean, checks: string[] = []): (inner: SyncTransport) => SyncTransport {
  return (inner) => ({
    push: (...args) => inner.push(...args),
    pull: (...args) => inner.pull(...args),
    refreshSession: () => inner.refreshSession(),
    verify: (cursor) => {
      checks.push(cursor);
      return inner.verify!(cursor);
    },
    async snapshot(table, after, limit): Promise<SnapshotPage> {
      asked.push({ table, after });
      const page = await inner.snapshot!(table, after, limit);
      if (drop(asked.length)) throw new TransportError('network', 'socket hang up');
      return page;
    },
  });
}

function station(wrap: (inner: SyncTransport) => SyncTransport): Promise<Station> {
  const member = org.members.station;
  return openStation({
    url: stack.url,
    anonKey: stack.anonKey,
    email: member.email,
    password: member.password,
    dbPath: join(dir, `station-${(n += 1)}.sqlite`),
    snapshotLimit: 4,
    wrap,
  });
}

/** Every live row of the organization the server holds, per table, against what the station holds. */
async function expectComplete(s: Station): Promise<void> {
  for (const table of SNAPSHOT_TABLES) {
    const ids = await liveIds(stack.db, org.id, table);
    expect(await s.store.countCached(table), table).toBe(ids.length);
    for (const id of ids) expect(await s.store.getCached(table, id), `${table}:${id}`).not.toBeNull();
  }
}

describe('a new station’s first sync', () => {
  it('resumes at the page whose answer was lost, not from the start, and ends complete', async () => {
    const asked: Asked[] = [];
    const s = await station(recording(asked, (nth) => nth === 6));
    await s.engine.pull();
    const status = await s.engine.status();
    expect(status.lastError).toBe('socket hang up');
    expect(await s.store.cursor()).toBeNull();
    const lost = asked[5];
    // What the next page would have been (asked ahead while page 5 was written) is thrown away.
    const progress = await s.store.snapshotProgress();
    expect({ table: progress.table, after: progress.after }).toEqual(lost);
    const before = asked.length;
    await s.engine.pull();
    expect(asked[before]).toEqual(lost);
    expect(await s.store.cursor()).not.toBeNull();
    expect((await s.engine.status()).lastError).toBeNull();
    // Every table was read, each key asked once after the resume.
    const afterResume = asked.slice(before).map((a) => `${a.table}/${a.after ?? ''}`);
    expect(new Set(afterResume).size).toBe(afterResume.length);
    await expectComplete(s);
    s.store.close();
  });

  it('shows a queued op on top of the row the first sync brings, and keeps it queued', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Festival', status: 'confirmed' });
    const s = await station(recording([], () => false));
    // Queued before the row is known here (a scan saved offline on a just-installed station).
    await s.engine.enqueue({ table: 'gigs', action: 'update', payload: { id: gig, fields: { notes: 'Load-in 14:00' } }, base_version: 1 });
    await s.engine.pull();
    expect(await s.store.getCached('gigs', gig)).toMatchObject({ name: 'Festival', notes: 'Load-in 14:00' });
    expect((await s.store.stats()).depth).toBe(1);
    await expectComplete(s);
    s.store.close();
  });

  it('two engines on one store (a tab and its service worker) apply each page once and end complete', async () => {
    const asked: Asked[] = [];
    const s = await station(recording(asked, () => false));
    const second = new SyncEngine({
      store: s.store,
      transport: s.transport,
      clock: systemClock,
      random: seededRandom(2),
      newId: randomUUID,
      snapshotLimit: 4,
    });
    const changes: string[] = [];
    s.store.onCacheChange((change) => changes.push(...change));
    await Promise.all([s.engine.pull(), second.pull()]);
    expect((await s.engine.status()).lastError).toBeNull();
    expect((await second.status()).lastError).toBeNull();
    expect(await s.store.cursor()).not.toBeNull();
    await expectComplete(s);
    // No row was written twice by the snapshot: a page another engine applied first is not re-applied.
    expect(changes.length).toBeGreaterThanOrEqual(35);
    expect(new Set(changes).size).toBe(changes.length);
    // They did race: both asked for the same pages.
    const keys = asked.map((a) => `${a.table}/${a.after ?? ''}`);
    expect(new Set(keys).size).toBeLessThan(keys.length);
    s.store.close();
  });

  it('a page of another table than asked is refused once, in words, and changes nothing', async () => {
    let asks = 0;
    const s = await station((inner) => ({
      ...recording([], () => false)(inner),
      async snapshot(table, after, limit): Promise<SnapshotPage> {
        asks += 1;
        const page = await inner.snapshot!(table, after, limit);
        return { ...page, table: table === 'gigs' ? 'assets' : page.table };
      },
    }));
    // Thrown to the pull's caller (the timer's records it as the pull's error, as for any store failure).
    await expect(s.engine.pull()).rejects.toThrow(/^the server answered a page of assets when gigs was asked for: not applied$/);
    expect(await s.store.countCached('gigs')).toBe(0);
    expect(await s.store.countCached('assets')).toBe(0);
    expect(await s.store.cursor()).toBeNull();
    // Places and staff first, then gigs once (and the page asked ahead): not asked again and again.
    expect(asks).toBeLessThanOrEqual(4);
    s.store.close();
  });

  // Last in this file: it drops the functions from this file's stack.
  it('against an older server without pull_snapshot and sync_verify, replays the log and ends complete, unchecked, with no error', async () => {
    await stack.db.query('drop function public.pull_snapshot(text, text, integer, jsonb); drop function public.sync_verify(text, jsonb)');
    await stack.db.query("notify pgrst, 'reload schema'");
    const asked: Asked[] = [];
    const checks: string[] = [];
    const s = await station(recording(asked, () => false, checks));
    await s.engine.pull();
    expect(asked).toHaveLength(1);
    expect(checks).toHaveLength(1);
    const status = await s.engine.status();
    expect(status.lastError).toBeNull();
    expect(status.copy.verifiedAt).toBeNull();
    expect(await s.store.cursor()).not.toBeNull();
    await expectComplete(s);
    // The engine remembers the server lacks it: not asked at every poll.
    await s.engine.verifyNow();
    expect(checks).toHaveLength(1);
    s.store.close();
  });
});
