import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_TABLES } from '../../core/sync/snapshot';
import type { SyncTransport } from '../../core/sync/transport';
import { createOrg, insertAsset, insertCase, insertGig, liveCount, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { openStation, type Station } from '../helpers/station';
import { nodeSupabaseClient } from '../helpers/supabase-client';

// Proof that a station's copy is complete (sync_verify and core/sync/verify.ts) against the real
// local stack: the copy a first sync leaves is verified; a copy damaged behind the app's back is
// found out table by table, and repaired.
let stack: TestStack;
let org: Org;
let other: Org;
const dir = mkdtempSync(join(tmpdir(), 'verify-copy-'));
let n = 0;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'verify');
  other = await createOrg(stack, 'verify-other');
  const tour = await insertGig(stack.db, org.id, { name: 'Spring tour', status: 'confirmed' });
  for (let i = 0; i < 6; i += 1) await insertGig(stack.db, org.id, { parent: tour, name: `Night ${i}` });
  const box = await insertCase(stack.db, org.id, 'CASE-V-1');
  for (let i = 0; i < 12; i += 1) await insertAsset(stack.db, org.id, `V-${i}`, { caseId: i < 3 ? box : null });
  await stack.db.query(
    "insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Ana Lima', 'BADGE-V-ANA'), ($1, 'Bo Chen', 'BADGE-V-BO')",
    [org.id],
  );
  // Times the JSON writes short (whole seconds, trailing zeros dropped) must count as the server counts them.
  await stack.db.query("update public.assets set updated_at = '2026-03-01 10:00:00+00' where serial_number = 'V-0' and org_id = $1", [
    org.id,
  ]);
  await stack.db.query("update public.assets set updated_at = '2026-03-01 10:00:00.5+02' where serial_number = 'V-1' and org_id = $1", [
    org.id,
  ]);
  await insertGig(stack.db, other.id, { name: 'Not ours' });
  await insertAsset(stack.db, other.id, 'V-THEIRS');
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function station(wrap?: (inner: SyncTransport) => SyncTransport): Promise<{ s: Station; path: string }> {
  const path = join(dir, `station-${(n += 1)}.sqlite`);
  const member = org.members.station;
  const s = await openStation({
    url: stack.url,
    anonKey: stack.anonKey,
    email: member.email,
    password: member.password,
    dbPath: path,
    snapshotLimit: 5,
    ...(wrap === undefined ? {} : { wrap }),
  });
  return { s, path };
}

/** How many times the station reads its whole copy to checksum it, from now on. */
function countLocalReads(s: Station): () => number {
  let reads = 0;
  const read = s.store.localChecksums.bind(s.store);
  s.store.localChecksums = () => {
    reads += 1;
    return read();
  };
  return () => reads;
}

function serverCount(table: string): Promise<number> {
  return liveCount(stack.db, org.id, table);
}

describe('verifying a station’s copy', () => {
  it('a first sync ends verified, with the server’s counts of this company only', async () => {
    const { s } = await station();
    await s.engine.pull();
    const { copy } = await s.engine.status();
    expect(copy.mismatched).toEqual([]);
    expect(copy.verifiedAt).not.toBeNull();
    expect(copy.asOf).not.toBeNull();
    for (const table of SNAPSHOT_TABLES) expect(copy.counts[table], table).toBe(await serverCount(table));
    expect(copy.counts.assets).toBe(12);
    s.store.close();
  });

  it('finds a dropped row, a row at another version and an extra row, table by table, and Repair restores the server’s copy', async () => {
    const { s, path } = await station();
    await s.engine.pull();
    expect((await s.engine.status()).copy.mismatched).toEqual([]);
    const { rows: assets } = await stack.db.query<{ id: string }>(
      "select id from public.assets where org_id = $1 and serial_number in ('V-5', 'V-6') order by serial_number",
      [org.id],
    );
    const { rows: gigs } = await stack.db.query<{ id: string }>("select id from public.gigs where org_id = $1 and name = 'Night 2'", [
      org.id,
    ]);
    const [dropped, queuedOn] = assets.map((a) => a.id);
    const changed = gigs[0]?.id ?? '';
    const extra = '00000000-0000-4000-8000-00000000e001';
    // Behind the app's back, on the file: what a bug or a damaged disk would leave.
    const raw = new Database(path);
    raw.prepare('delete from asset_cache where id = ?').run(dropped);
    const gigRow = JSON.parse(raw.prepare('select row from gig_cache where id = ?').pluck().get(changed) as string) as Record<
      string,
      unknown
    >;
    raw.prepare('update gig_cache set row = ? where id = ?').run(JSON.stringify({ ...gigRow, version: 99 }), changed);
    raw
      .prepare('insert into asset_cache (id, row, server_row, server_same, updated_at) values (?, ?, null, 1, 0)')
      .run(extra, JSON.stringify({ id: extra, name: 'Ghost', version: 1, updated_at: '2026-01-01T00:00:00+00:00' }));
    raw.close();
    // An op queued on a row the repair re-reads stays queued and shown on top.
    await s.engine.enqueue({
      table: 'assets',
      action: 'update',
      payload: { id: queuedOn, fields: { notes: 'Cracked grille' } },
      base_version: 1,
    });

    await s.engine.verifyNow();
    const found = (await s.engine.status()).copy.mismatched;
    expect(found).toEqual([
      { table: 'gigs', local: 7, server: 7 },
      { table: 'assets', local: 12, server: 12 },
    ]);

    // A copy found different is not read again at every poll: Repair (or Check now) does that.
    const reads = countLocalReads(s);
    await s.engine.pull();
    expect(reads()).toBe(0);

    await s.engine.repair();
    const after = await s.engine.status();
    expect(after.copy.mismatched).toEqual([]);
    expect(await s.store.getCached('assets', dropped ?? '')).not.toBeNull();
    expect(await s.store.getCached('assets', extra)).toBeNull();
    expect(await s.store.getCached('gigs', changed)).toMatchObject({ version: 1 });
    expect(await s.store.getCached('assets', queuedOn ?? '')).toMatchObject({ notes: 'Cracked grille' });
    expect((await s.store.stats()).depth).toBe(1);
    s.store.close();
  });

  it('a commit between the pull and the verification is not taken for a damaged copy: it is checked again later, or when asked', async () => {
    let sneak = true;
    let always = false;
    let late = 0;
    const { s } = await station((inner) => ({
      push: (...args) => inner.push(...args),
      pull: (...args) => inner.pull(...args),
      snapshot: (...args) => inner.snapshot!(...args),
      refreshSession: () => inner.refreshSession(),
      async verify(cursor) {
        if (sneak || always) {
          sneak = false;
          late += 1;
          await insertAsset(stack.db, org.id, `V-LATE-${late}`);
        }
        return inner.verify!(cursor);
      },
    }));
    await s.engine.pull();
    const first = (await s.engine.status()).copy;
    expect(first.verifiedAt).toBeNull();
    expect(first.mismatched).toEqual([]);
    // Not again at the next poll (a busy station would read its whole copy every 15 s): later, or when asked.
    const reads = countLocalReads(s);
    await s.engine.pull();
    expect(reads()).toBe(0);
    expect((await s.engine.status()).copy.verifiedAt).toBeNull();
    expect(await s.engine.verifyNow()).toBe('verified');
    const second = (await s.engine.status()).copy;
    expect(second.verifiedAt).not.toBeNull();
    expect(second.mismatched).toEqual([]);
    expect(second.counts.assets).toBe(await serverCount('assets'));
    // A server that keeps changing under an explicit check: pulled and asked again three times, then said so.
    const before = late;
    always = true;
    expect(await s.engine.verifyNow()).toBe('moved');
    expect(late - before).toBe(3);
    s.store.close();
  });

  it('refuses anonymous callers and a cursor it could not have issued, in words', async () => {
    const anon = nodeSupabaseClient(stack.url, stack.anonKey);
    const anonymous = await anon.rpc('sync_verify', { cursor: '1:1' });
    expect(anonymous.error).not.toBeNull();
    for (const cursor of ['1:1; select 1', '', '99999999999999999999999:1']) {
      const bad = await org.members.crew.client.rpc('sync_verify', { cursor });
      expect(bad.error, cursor).toMatchObject({ code: '22023', hint: 'verify after a pull, with the cursor it answered' });
    }
  });
});
