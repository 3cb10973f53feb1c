import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedTable } from '../../core/sync/model';
import { SNAPSHOT_TABLES } from '../../core/sync/snapshot';
import type { SyncScope } from '../../core/sync/scope';
import { TransportError, type SyncTransport } from '../../core/sync/transport';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { drainUntilSettled, openStation, type Station } from '../helpers/station';

// A touring laptop's scope (issue 20) with the real engine, SQLite on disk and the local stack:
// it holds its tour and nothing else, gains an asset planned for the tour and loses one taken off
// it, a change of scope fetches and drops only the difference, and queued ops outlive it.
let stack: TestStack;
let org: Org;
const dir = mkdtempSync(join(tmpdir(), 'sync-scope-'));
const ids = { autumn: '', hamburg: '', spring: '', vienna: '', loose: '' };
const assets: Record<string, string> = {};

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'scope-engine');
  ids.autumn = await insertGig(stack.db, org.id, { name: 'Autumn tour', status: 'confirmed' });
  ids.hamburg = await insertGig(stack.db, org.id, { parent: ids.autumn, name: 'Hamburg', status: 'confirmed' });
  ids.spring = await insertGig(stack.db, org.id, { name: 'Spring tour', status: 'confirmed' });
  ids.vienna = await insertGig(stack.db, org.id, { parent: ids.spring, name: 'Vienna', status: 'confirmed' });
  for (const serial of ['AUT-1', 'AUT-2', 'SPR-1', 'SPR-2', 'WH-1', 'WH-2', 'WH-3'])
    assets[serial] = await insertAsset(stack.db, org.id, serial);
  const plan = (gig: string, asset: string): Promise<unknown> =>
    stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, gig, asset]);
  await plan(ids.hamburg, assets['AUT-1'] ?? '');
  await plan(ids.hamburg, assets['AUT-2'] ?? '');
  await plan(ids.vienna, assets['SPR-1'] ?? '');
  await plan(ids.vienna, assets['SPR-2'] ?? '');
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The real transport, counting the rows each table's snapshot pages brought, and pushes that fail while `offline`. */
function counting(fetched: Map<CachedTable, number>, state: { offline: boolean }): (inner: SyncTransport) => SyncTransport {
  return (inner) => ({
    push: (...args) => (state.offline ? Promise.reject(new TransportError('network', 'no network')) : inner.push(...args)),
    pull: (...args) => inner.pull(...args),
    verify: (...args) => inner.verify!(...args),
    refreshSession: () => inner.refreshSession(),
    async snapshot(...args) {
      const page = await inner.snapshot!(...args);
      fetched.set(page.table, (fetched.get(page.table) ?? 0) + page.rows.length);
      return page;
    },
  });
}

async function laptop(scope: SyncScope, fetched = new Map<CachedTable, number>(), state = { offline: false }): Promise<Station> {
  const member = org.members.manager;
  const station = await openStation({
    url: stack.url,
    anonKey: stack.anonKey,
    email: member.email,
    password: member.password,
    dbPath: join(dir, `${randomUUID()}.sqlite`),
    snapshotLimit: 3,
    scopedCheckGapMs: 0,
    wrap: counting(fetched, state),
  });
  await station.store.settings.syncScope.set(scope);
  return station;
}

/** What the server says the scope holds (pull_snapshot of every table), against what the laptop holds. */
async function expectHolds(station: Station, scope: SyncScope, keep: string[] = []): Promise<void> {
  for (const table of SNAPSHOT_TABLES) {
    const expected: string[] = [];
    let after: string | null = null;
    do {
      const { data, error } = await org.members.manager.client.rpc('pull_snapshot', { tbl: table, after, limit: 1000, scope });
      if (error !== null) throw new Error(error.message);
      const page = data as { rows: { id: string }[]; next: string | null };
      expected.push(...page.rows.map((r) => r.id));
      after = page.next;
    } while (after !== null);
    const extra = keep.filter((id) => !expected.includes(id) && table === 'assets');
    expect(await station.store.countCached(table), table).toBe(expected.length + extra.length);
    for (const id of [...expected, ...extra]) expect(await station.store.getCached(table, id), `${table}:${id}`).not.toBeNull();
  }
}

const autumn = (): SyncScope => ({ kind: 'gigs', roots: [ids.autumn] });

describe('a touring laptop’s scope', () => {
  it('first sync brings the tour only, verified; an asset planned for the tour arrives and one taken off leaves', async () => {
    const station = await laptop(autumn());
    await station.engine.pull();
    await expectHolds(station, autumn());
    expect(await station.store.getCached('assets', assets['SPR-1'] ?? '')).toBeNull();
    expect((await station.engine.status()).copy).toMatchObject({ mismatched: [] });
    expect((await station.engine.status()).copy.verifiedAt).not.toBeNull();

    // The office plans a warehouse item for Hamburg: the asset has no change of its own.
    await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [
      org.id,
      ids.hamburg,
      assets['WH-1'],
    ]);
    await station.engine.pull();
    expect(await station.store.getCached('assets', assets['WH-1'] ?? '')).not.toBeNull();
    await expectHolds(station, autumn());
    // …and takes AUT-2 off the tour: it leaves the laptop.
    await stack.db.query('delete from public.kit_assignments where asset_id = $1', [assets['AUT-2']]);
    await station.engine.pull();
    expect(await station.store.getCached('assets', assets['AUT-2'] ?? '')).toBeNull();
    await expectHolds(station, autumn());
    expect((await station.engine.status()).copy.mismatched).toEqual([]);
    station.store.close();
  });

  it('a change of scope fetches and drops only the difference, and the copy is verified against the new scope', async () => {
    const fetched = new Map<CachedTable, number>();
    const station = await laptop(autumn(), fetched);
    await station.engine.pull();
    fetched.clear();
    const both: SyncScope = { kind: 'gigs', roots: [ids.autumn, ids.spring] };
    await station.store.settings.syncScope.set(both);
    await station.engine.rescope();
    await expectHolds(station, both);
    // Re-read: the tables that differ (gigs, plan lines, assets); not the bulk catalogue or crew, which are the same.
    expect([...fetched.keys()].sort()).toEqual(['assets', 'gigs', 'kit_assignments']);
    expect((await station.engine.status()).scope).toEqual(both);

    // Back to the spring tour alone: the autumn tour's rows leave.
    const spring: SyncScope = { kind: 'gigs', roots: [ids.spring] };
    await station.store.settings.syncScope.set(spring);
    await station.engine.rescope();
    await expectHolds(station, spring);
    expect(await station.store.getCached('gigs', ids.hamburg)).toBeNull();

    // And the whole organization again: everything, verified.
    await station.store.settings.syncScope.set({ kind: 'org' });
    await station.engine.rescope();
    await expectHolds(station, { kind: 'org' });
    expect((await station.engine.status()).copy.mismatched).toEqual([]);
    station.store.close();
  });

  it('keeps what queued ops refer to when the scope moves away, and sends them once the network is back', async () => {
    const state = { offline: true };
    const station = await laptop(autumn(), new Map(), state);
    await station.engine.pull();
    // Offline in Hamburg: AUT-1 is checked out to the night; the op waits.
    await station.engine.enqueue({
      table: 'assets',
      action: 'check_out',
      payload: { id: assets['AUT-1'], gig_id: ids.hamburg },
      base_version: 1,
    });
    await station.engine.drain();
    expect((await station.store.stats()).depth).toBe(1);

    const spring: SyncScope = { kind: 'gigs', roots: [ids.spring] };
    await station.store.settings.syncScope.set(spring);
    await station.engine.rescope();
    // The autumn tour has left, but the item the queued op is about stays, with its queued state.
    expect(await station.store.getCached('gigs', ids.hamburg)).toBeNull();
    expect(await station.store.getCached('assets', assets['AUT-1'] ?? '')).toMatchObject({ status: 'checked_out' });
    expect((await station.store.stats()).depth).toBe(1);

    state.offline = false;
    await station.store.retryNow();
    await drainUntilSettled(station);
    const { rows } = await stack.db.query<{ status: string }>('select status from public.assets where id = $1', [assets['AUT-1']]);
    expect(rows[0]?.status).toBe('checked_out');
    // Sent and no longer queued: at the next check it leaves like the rest of the tour.
    await station.engine.verifyNow();
    await station.engine.pull();
    await expectHolds(station, spring);
    station.store.close();
  });
});
