import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendLink, type BackendStore } from '../../core/backend-link';
import type { StationError } from '../../core/errors';
import type { Setting } from '../../core/store/settings';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { NO_COPY_STATE } from '../../core/sync/verify';

// Outside tester, issue 18 (movements export, commit 87da6a1): get_gig_movements and the station's
// link to it, attacked as a removed member, a station, a forged or null id, with a soft-deleted set
// in the subtree, with a gig that has more movements than one default page, signed out and offline.
let stack: TestStack;
let org: Org;
let stage: string;
let set: string;
let asset: string;
let mika: string;

/** A station's saved settings and session in memory (the link's store), as the host gives them. */
function memoryStore(): BackendStore {
  const values = new Map<string, unknown>();
  const setting = <T>(name: string): Setting<T> => ({
    get: () => Promise.resolve((values.get(name) as T | undefined) ?? null),
    set: (value) => Promise.resolve(void values.set(name, value)),
    clear: () => Promise.resolve(void values.delete(name)),
  });
  const session = new Map<string, string>();
  return {
    settings: {
      backend: setting('backend'),
      stationName: setting('stationName'),
      memberRoles: setting('memberRoles'),
      syncScope: setting('syncScope'),
    },
    session: {
      getItem: (key) => Promise.resolve(session.get(key) ?? null),
      setItem: (key, value) => Promise.resolve(void session.set(key, value)),
      removeItem: (key) => Promise.resolve(void session.delete(key)),
    },
    stats: () =>
      Promise.resolve({
        depth: 0,
        pending: 0,
        syncing: 0,
        failed: 0,
        held: 0,
        conflicts: 0,
        quarantined: 0,
        oldestPendingAt: null,
        copy: NO_COPY_STATE,
      }),
    resetForNewBackend: () => Promise.resolve(),
  };
}
const link = (url = stack.url): BackendLink =>
  new BackendLink(memoryStore(), {
    saved: { url, anonKey: stack.anonKey },
    launchDefault: null,
    defaultStationName: 'Dock door 1',
    autoRefreshToken: false,
  });
const failure = (promise: Promise<unknown>): Promise<StationError> =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as StationError,
  );

/** `count` movements of one asset to `gig`, out and back in turn, one second apart, as the push would record them. */
async function moves(gig: string, count: number, startMinutesAgo: number): Promise<void> {
  await stack.db.query(
    `insert into public.asset_movements (org_id, asset_id, kind, gig_id, from_gig_id, staff_id, device_id, occurred_at, note)
     select $1, $2, case when i % 2 = 0 then 'check_out' else 'check_in' end::public.movement_kind,
            case when i % 2 = 0 then $3::uuid end, case when i % 2 = 1 then $3::uuid end, $4, 'dock-1',
            now() - make_interval(mins => $5) + make_interval(secs => i), case when i % 2 = 1 then 'note ' || i end
       from generate_series(0, $6 - 1) i`,
    [org.id, asset, gig, mika, startMinutesAgo, count],
  );
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'export-attack');
  stage = await insertGig(stack.db, org.id, { name: 'Festival Day 1', status: 'confirmed' });
  set = await insertGig(stack.db, org.id, { name: 'Opening set', status: 'confirmed', parent: stage });
  asset = await insertAsset(stack.db, org.id, 'EXA-DESK-1');
  mika = (
    await stack.db.query<{ id: string }>(
      "insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Mika Moreau', 'B-MIKA-EXA') returning id",
      [org.id],
    )
  ).rows[0]?.id as string;
  await moves(set, 4, 600);
});
afterAll(async () => {
  await stack?.stop();
});

describe('who may export', () => {
  it('a station may (it scanned them); so may crew, who read the same who/device/when per item in its history anyway', async () => {
    for (const who of ['station', 'crew'] as const) {
      const { data, error } = await org.members[who].client.rpc('get_gig_movements', { p_gig_id: stage });
      expect(error, who).toBeNull();
      expect((data as unknown[]).length, who).toBe(4);
    }
    const history = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset });
    expect(history.error).toBeNull();
    expect(history.data).toContainEqual(expect.objectContaining({ staff_name: 'Mika Moreau', device_id: 'dock-1' }));
  });

  it('a member removed from the organization gets PT404 with the session they still hold, never rows', async () => {
    const removed = await createOrg(stack, 'export-removed');
    const other = removed.members.manager;
    await stack.db.query('insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)', [org.id, other.userId, 'manager']);
    expect((await other.client.rpc('get_gig_movements', { p_gig_id: stage })).error).toBeNull();
    await stack.db.query('delete from public.memberships where org_id = $1 and user_id = $2', [org.id, other.userId]);
    const after = await other.client.rpc('get_gig_movements', { p_gig_id: stage });
    expect(after.data).toBeNull();
    expect(after.error).toMatchObject({ code: 'PT404' });
  });

  it('a null id, a null or out-of-range limit are refused with their reason; 100,000 is the largest limit', async () => {
    const call = (args: Record<string, unknown>) => org.members.manager.client.rpc('get_gig_movements', { p_gig_id: stage, ...args });
    expect((await call({ p_gig_id: null })).error).toMatchObject({ code: '22023', message: 'p_gig_id is required' });
    expect((await call({ p_limit: null })).error).toMatchObject({ code: '22023' });
    expect((await call({ p_limit: 100_001 })).error).toMatchObject({ code: '22023' });
    expect((await call({ p_limit: 100_000 })).error).toBeNull();
    expect((await call({ p_gig_id: 'not-a-uuid' })).error).toMatchObject({ code: '22P02' });
  });
});

describe('what the export holds', () => {
  it('a set deleted after its gear moved keeps its movements in the parent’s export; the deleted set itself is not found', async () => {
    const gone = await insertGig(stack.db, org.id, { name: 'Cancelled late set', status: 'confirmed', parent: stage });
    await moves(gone, 2, 500);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [gone]);
    const { data } = await org.members.manager.client.rpc('get_gig_movements', { p_gig_id: stage });
    expect((data as { gig_name: string }[]).filter((r) => r.gig_name === 'Cancelled late set')).toHaveLength(2);
    expect((await org.members.manager.client.rpc('get_gig_movements', { p_gig_id: gone })).error).toMatchObject({ code: 'PT404' });
  });

  it('a gig with 50,000 movements exports every one through the station’s link, oldest first, or says it cannot — never a silent first 20,000', async () => {
    const big = await insertGig(stack.db, org.id, { name: 'Residency', status: 'confirmed' });
    await moves(big, 50_000, 400);
    const manager = link();
    await manager.signIn(org.members.manager.email, org.members.manager.password);
    const started = performance.now();
    const rows = await manager.gigMovements(big);
    const ms = performance.now() - started;
    console.info(`export of 50,000 movements through the link: ${Math.round(ms)} ms`);
    expect(rows).toHaveLength(50_000);
    expect(rows[0]?.note).toBeNull();
    expect(rows.at(-1)?.note).toBe('note 49999');
    // At the server's largest page the file could be cut: it is refused, in words, not saved as complete.
    await moves(big, 50_000, 300);
    expect(await failure(manager.gigMovements(big))).toMatchObject({
      code: 'conflict',
      message: '100,000 movements or more: too many for one file, export its sets one at a time',
    });
  });
});

describe('the station’s link when it cannot export', () => {
  it('signed out: unauthorized, in words', async () => {
    const error = await failure(link().gigMovements(stage));
    expect(error).toMatchObject({ code: 'unauthorized', message: 'sign in again to export movements' });
  });

  it('a gig of another company or a forged id: not_found', async () => {
    const rival = await createOrg(stack, 'export-attack-rival');
    const theirs = link();
    await theirs.signIn(rival.members.admin.email, rival.members.admin.password);
    expect(await failure(theirs.gigMovements(stage))).toMatchObject({ code: 'not_found' });
    expect(await failure(theirs.gigMovements(randomUUID()))).toMatchObject({ code: 'not_found' });
  });

  it('the server out of reach: offline', async () => {
    expect(await failure(link('http://127.0.0.1:9').gigMovements(stage))).toMatchObject({ code: 'offline' });
  });
});
