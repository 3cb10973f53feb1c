import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, randomInt } from '../../../core/random';
import { createOrg, insertAsset, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// pull_changes: pages, tombstones, isolation, and a cursor no late commit can slip behind.
let stack: TestStack;
let org: Org;
let other: Org;

interface Page {
  changes: Record<string, { id: string; version?: number; notes?: string | null }[]>;
  tombstones: { table: string; id: string }[];
  cursor: string;
  has_more: boolean;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'pull');
  other = await createOrg(stack, 'hidden');
});
afterAll(async () => {
  await stack?.stop();
});

async function pull(cursor: string | null, limit = 500, who: Org = org): Promise<Page> {
  const { data, error } = await who.members.crew.client.rpc('pull_changes', { cursor, limit });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return data as Page;
}

/** Pulls until the server has nothing more, returning every row seen (latest wins) and the cursor. */
async function pullAll(
  cursor: string | null,
  limit = 500,
  who: Org = org,
): Promise<{ rows: Map<string, unknown>; tombstones: Set<string>; cursor: string }> {
  const rows = new Map<string, unknown>();
  const tombstones = new Set<string>();
  let next = cursor;
  for (;;) {
    const page = await pull(next, limit, who);
    for (const [table, list] of Object.entries(page.changes)) for (const row of list) rows.set(`${table}:${row.id}`, row);
    for (const t of page.tombstones) tombstones.add(`${t.table}:${t.id}`);
    next = page.cursor;
    if (!page.has_more) return { rows, tombstones, cursor: page.cursor };
  }
}

describe('pull_changes', () => {
  it('pages through changes with a cursor and returns each entity as it is now', async () => {
    const start = (await pullAll(null)).cursor;
    const gigs = [];
    for (let i = 0; i < 7; i += 1) gigs.push(await insertGig(stack.db, org.id, { name: `Pull ${i}` }));
    await stack.db.query("update public.gigs set notes = 'second write' where id = $1", [gigs[0]]);
    const first = await pull(start, 3);
    expect(first.has_more).toBe(true);
    const seen = await pullAll(start, 3);
    expect([...seen.rows.keys()].sort()).toEqual(gigs.map((id) => `gigs:${id}`).sort());
    expect(seen.rows.get(`gigs:${gigs[0]}`)).toMatchObject({ notes: 'second write', version: 2 });
    expect((await pull(seen.cursor)).changes).toEqual({});
  });

  it('turns deletions into tombstones', async () => {
    const start = (await pullAll(null)).cursor;
    const gig = await insertGig(stack.db, org.id);
    const asset = await insertAsset(stack.db, org.id, 'TOMB-1');
    const { rows } = await stack.db.query<{ id: string }>(
      'insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3) returning id',
      [org.id, gig, asset],
    );
    await stack.db.query('delete from public.kit_assignments where id = $1', [rows[0]?.id]);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [gig]);
    const seen = await pullAll(start);
    expect(seen.tombstones).toEqual(new Set([`gigs:${gig}`, `kit_assignments:${rows[0]?.id}`]));
    expect(seen.rows.has(`assets:${asset}`)).toBe(true);
  });

  it('shows each organization only its own changes', async () => {
    const mine = await insertGig(stack.db, org.id, { name: 'Mine' });
    const theirs = await insertGig(stack.db, other.id, { name: 'Theirs' });
    const forOther = await pullAll(null, 500, other);
    expect(forOther.rows.has(`gigs:${theirs}`)).toBe(true);
    expect(forOther.rows.has(`gigs:${mine}`)).toBe(false);
    const forMe = await pullAll(null);
    expect(forMe.rows.has(`gigs:${theirs}`)).toBe(false);
  });

  it('refuses a forged cursor, a bad limit and anonymous callers', async () => {
    const client = org.members.crew.client;
    const forged = await client.rpc('pull_changes', { cursor: '1:1; drop table app.sync_changes' });
    expect(forged.status).toBe(400);
    expect(forged.error?.message).toMatch(/^cursor '1:1; drop table app.sync_changes' is not one this server issued$/);
    const limit = await client.rpc('pull_changes', { cursor: null, limit: 5000 });
    expect(limit.error?.message).toBe('limit must be between 1 and 1000, got 5000');
  });

  it('never skips a row committed late by a long transaction (concurrent writers)', async () => {
    const start = (await pullAll(null)).cursor;
    const random = seededRandom(2026);
    const writers = Array.from({ length: 6 }, () => new pg.Client({ connectionString: stack.dbUrl }));
    await Promise.all(writers.map((w) => w.connect()));
    const gigIds: string[] = [];
    const seen = new Map<string, number>();
    let cursor = start;
    const pullOnce = async (): Promise<void> => {
      const page = await pull(cursor, 50);
      for (const row of page.changes['gigs'] ?? []) seen.set(row.id, Math.max(seen.get(row.id) ?? 0, row.version ?? 0));
      cursor = page.cursor;
    };
    try {
      // Each round: writers open transactions in a random order, write, and commit in another
      // random order with pulls in between, so later-started transactions often commit first.
      for (let round = 0; round < 15; round += 1) {
        const order = [...writers].sort(() => random() - 0.5);
        for (const writer of order) {
          await writer.query('begin');
          const id = randomUUID();
          gigIds.push(id);
          await writer.query('insert into public.gigs (id, org_id, name) values ($1, $2, $3)', [id, org.id, `Concurrent ${round}`]);
          if (gigIds.length > 3 && random() < 0.5) {
            const earlier = gigIds[randomInt(random, 0, gigIds.length - 2)];
            await writer.query("update public.gigs set notes = 'touched' where id = $1", [earlier]).catch(() => undefined);
          }
          await pullOnce();
        }
        const commitOrder = [...order].sort(() => random() - 0.5);
        for (const writer of commitOrder) {
          await writer.query('commit');
          await pullOnce();
        }
      }
      for (let i = 0; i < 20; i += 1) await pullOnce();
    } finally {
      await Promise.all(writers.map((w) => w.end()));
    }
    const { rows } = await stack.db.query<{ id: string; version: number }>('select id, version from public.gigs where id = any($1)', [
      gigIds,
    ]);
    expect(rows).toHaveLength(gigIds.length);
    const missing = rows.filter((r) => seen.get(r.id) !== r.version);
    expect(missing).toEqual([]);
  });

  it('holds the cursor below a transaction still in flight, then delivers it', async () => {
    const start = (await pullAll(null)).cursor;
    const slow = new pg.Client({ connectionString: stack.dbUrl });
    await slow.connect();
    try {
      await slow.query('begin');
      const early = randomUUID();
      await slow.query('insert into public.gigs (id, org_id, name) values ($1, $2, $3)', [early, org.id, 'Started first, commits last']);
      const late = await insertGig(stack.db, org.id, { name: 'Started second, commits first' });
      const during = await pull(start);
      expect(during.changes).toEqual({});
      expect(during.cursor).toBe(start);
      await slow.query('commit');
      const after = await pullAll(start);
      expect(after.rows.has(`gigs:${early}`)).toBe(true);
      expect(after.rows.has(`gigs:${late}`)).toBe(true);
    } finally {
      await slow.end();
    }
  });
});
