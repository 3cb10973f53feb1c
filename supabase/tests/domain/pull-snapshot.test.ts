import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, randomInt } from '../../../core/random';
import { advanceSnapshot, SNAPSHOT_START, SNAPSHOT_TABLES, type SnapshotProgress } from '../../../core/sync/snapshot';
import { snapshotPageSchema, type SnapshotPage } from '../../../core/sync/model';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// pull_snapshot (migration 20261206000100): a new device's first sync reads each table as it is
// now; with the pull after it from the pages' cursor, it must end where a full log replay ends.
let stack: TestStack;
let org: Org;
let other: Org;

interface PullPage {
  changes: Record<string, { id: string; version?: number }[]>;
  tombstones: { table: string; id: string }[];
  cursor: string;
  has_more: boolean;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'snapshot');
  other = await createOrg(stack, 'snapshot-other');
});
afterAll(async () => {
  await stack?.stop();
});

async function page(table: string, after: string | null, limit: number, who: Org = org): Promise<SnapshotPage> {
  const { data, error } = await who.members.crew.client.rpc('pull_snapshot', { tbl: table, after, limit });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return snapshotPageSchema.parse(data);
}

/** Every page of every table, as the engine asks for them; rows by `table:id` and the cursor to pull from. */
async function snapshotAll(
  limit: number,
  who: Org = org,
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<{ rows: Map<string, Record<string, unknown>>; cursor: string; pages: number }> {
  const rows = new Map<string, Record<string, unknown>>();
  let place: SnapshotProgress = SNAPSHOT_START;
  for (let pages = 1; ; pages += 1) {
    const got = await page(place.table, place.after, limit, who);
    for (const row of got.rows) rows.set(`${got.table}:${row.id}`, row);
    const step = advanceSnapshot(place, got);
    if (step.done) return { rows, cursor: step.cursor, pages };
    place = step.progress;
    await between();
  }
}

/** Applies the change log from `cursor` to `rows` as the device does: rows replace, tombstones delete. */
async function pullInto(rows: Map<string, Record<string, unknown>>, cursor: string | null, who: Org = org): Promise<string | null> {
  let next = cursor;
  for (;;) {
    const { data, error } = await who.members.crew.client.rpc('pull_changes', { cursor: next, limit: 1000 });
    if (error !== null) throw new Error(`${error.code}: ${error.message}`);
    const got = data as PullPage;
    for (const [table, list] of Object.entries(got.changes)) for (const row of list) rows.set(`${table}:${row.id}`, row);
    for (const t of got.tombstones) rows.delete(`${t.table}:${t.id}`);
    next = got.cursor;
    if (!got.has_more) return next;
  }
}

/** What a full log replay from the start leaves on a device: the reference a snapshot must equal. */
async function replay(who: Org = org): Promise<Map<string, Record<string, unknown>>> {
  const rows = new Map<string, Record<string, unknown>>();
  await pullInto(rows, null, who);
  return rows;
}

/** One row in every synced table of `target`, bulk stock out to a gig and a soft-deleted gig and asset. */
async function everyKind(target: Org, tag: string): Promise<{ deletedGig: string; deletedAsset: string }> {
  const tour = await insertGig(stack.db, target.id, { name: `Tour ${tag}`, status: 'confirmed' });
  const show = await insertGig(stack.db, target.id, { parent: tour, name: `Show ${tag}` });
  const box = await insertCase(stack.db, target.id, `CASE-${tag}`);
  const asset = await insertAsset(stack.db, target.id, `SER-${tag}`, { barcode: `BC-${tag}`, caseId: box });
  // A warehouse with a shelf the asset lives on, and a removed shelf (a tombstone for the replay).
  const { rows: shelf } = await stack.db.query<{ id: string }>(
    `with w as (insert into public.locations (org_id, kind, code, name) values ($1, 'warehouse', $2, 'North') returning id)
     insert into public.locations (org_id, kind, parent_location_id, code, name)
     select $1, 'shelf'::public.location_kind, w.id, $3, 'Shelf A1' from w
     union all select $1, 'shelf', w.id, $4, 'Old shelf' from w returning id`,
    [target.id, `WH-${tag}`, `A1-${tag}`, `OLD-${tag}`],
  );
  await stack.db.query('update public.assets set location_id = $2, home_location_id = $2 where id = $1', [asset, shelf[0]?.id]);
  await stack.db.query('update public.locations set deleted_at = now() where id = $1', [shelf[1]?.id]);
  await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [target.id, show, asset]);
  const { rows: staff } = await stack.db.query<{ id: string }>(
    `insert into public.staff_profiles (org_id, user_id, display_name, email, phone, badge_code)
     values ($1, $2, $3, $4, '+33 6 00 00 00 00', $5) returning id`,
    [target.id, target.members.crew.userId, `Crew ${tag}`, `crew-${tag}@example.com`, `BADGE-${tag}`],
  );
  await stack.db.query("insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, 'Rigger')", [
    target.id,
    show,
    staff[0]?.id,
  ]);
  const { rows: bulk } = await stack.db.query<{ id: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, in_warehouse)
     values ($1, 'XLR', $2, $3, 'pcs', 40) returning id`,
    [target.id, `XLR ${tag}`, `BULK-${tag}`],
  );
  await stack.db.query('insert into public.bulk_stock (org_id, bulk_item_id, gig_id, quantity) values ($1, $2, $3, 12)', [
    target.id,
    bulk[0]?.id,
    show,
  ]);
  const deletedGig = await insertGig(stack.db, target.id, { name: `Cancelled ${tag}` });
  await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [deletedGig]);
  const deletedAsset = await insertAsset(stack.db, target.id, `GONE-${tag}`);
  await stack.db.query('update public.assets set deleted_at = now() where id = $1', [deletedAsset]);
  return { deletedGig, deletedAsset };
}

describe('pull_snapshot', () => {
  it('answers, for every synced table, exactly the rows a full log replay leaves — the same row, column for column', async () => {
    const { deletedGig, deletedAsset } = await everyKind(org, 'A');
    await everyKind(other, 'B');
    const snap = await snapshotAll(2);
    const reference = await replay();
    expect([...snap.rows.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, row] of reference) expect(snap.rows.get(key), key).toEqual(row);
    // Every kind is there (the test would pass on empty tables otherwise), out_to included.
    for (const table of SNAPSHOT_TABLES)
      expect(
        [...snap.rows.keys()].some((k) => k.startsWith(`${table}:`)),
        table,
      ).toBe(true);
    const bulk = [...snap.rows.entries()].find(([k]) => k.startsWith('bulk_items:'))?.[1];
    expect(Object.values(bulk?.['out_to'] as Record<string, number>)).toEqual([12]);
    // Columns a device never gets, and rows it has nothing to do with.
    for (const [key, row] of snap.rows) {
      expect(row, key).not.toHaveProperty('search_vector');
      if (key.startsWith('staff_profiles:')) expect(row).not.toHaveProperty('user_id');
      expect(row['org_id'], key).toBe(org.id);
    }
    expect(snap.rows.has(`gigs:${deletedGig}`)).toBe(false);
    expect(snap.rows.has(`assets:${deletedAsset}`)).toBe(false);
  });

  it('pages in key order without a gap or a repeat, and says when a table is done', async () => {
    for (let i = 0; i < 11; i += 1) await insertAsset(stack.db, org.id, `PAGE-${i}`);
    const { rows } = await stack.db.query<{ id: string }>(
      'select id from public.assets where org_id = $1 and deleted_at is null order by id',
      [org.id],
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const got = await page('assets', after, 4);
      expect(got.rows.length).toBeLessThanOrEqual(4);
      seen.push(...got.rows.map((r) => r.id));
      if (got.next === null) break;
      expect(got.rows).toHaveLength(4);
      after = got.next;
    }
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('never shows another company, even to its own admin asking with a forged page key', async () => {
    await insertGig(stack.db, other.id, { name: 'Theirs' });
    await insertAsset(stack.db, other.id, 'THEIRS-1');
    const theirs = await snapshotAll(100, other);
    const mine = await snapshotAll(100);
    for (const key of theirs.rows.keys()) expect(mine.rows.has(key)).toBe(false);
    // A key pointing just before the other company's rows answers the caller's own rows after it, nothing else.
    const forged = await org.members.admin.client.rpc('pull_snapshot', {
      tbl: 'gigs',
      after: `${other.id}/00000000-0000-0000-0000-000000000000`,
      limit: 100,
    });
    expect(forged.error).toBeNull();
    for (const row of snapshotPageSchema.parse(forged.data).rows) expect(row['org_id']).toBe(org.id);
  });

  it('refuses anonymous callers and a removed member, and a bad table, key or limit with a clear error', async () => {
    const anon = nodeSupabaseClient(stack.url, stack.anonKey);
    const anonymous = await anon.rpc('pull_snapshot', { tbl: 'gigs', after: null, limit: 10 });
    expect(anonymous.error).not.toBeNull();
    expect(anonymous.data).toBeNull();

    const gone = await createOrg(stack, 'snapshot-gone');
    await insertGig(stack.db, gone.id, { name: 'Left behind' });
    await stack.db.query('delete from public.memberships where user_id = $1', [gone.members.crew.userId]);
    expect((await snapshotAll(100, gone)).rows.size).toBe(0);

    const client = org.members.crew.client;
    const table = await client.rpc('pull_snapshot', { tbl: 'sync_changes; drop table public.gigs', after: null, limit: 10 });
    expect(table.error).toMatchObject({ code: '22023', message: "table 'sync_changes; drop table public.gigs' is not synced" });
    const key = await client.rpc('pull_snapshot', { tbl: 'gigs', after: "x' or 1=1 --", limit: 10 });
    expect(key.error).toMatchObject({ code: '22023', hint: 'ask for the first page (after null)' });
    expect(key.error?.message).toBe("page key 'x'' or 1=1 --' is not one this server issued");
    for (const limit of [0, -5, 10001]) {
      const bad = await client.rpc('pull_snapshot', { tbl: 'gigs', after: null, limit });
      expect(bad.error, String(limit)).toMatchObject({ code: '22023', message: `limit must be between 1 and 10000, got ${limit}` });
    }
    expect((await stack.db.query('select 1 from public.gigs')).rowCount).toBeGreaterThan(0);
  });

  it('with concurrent writers committing out of order between pages, snapshot then pull ends exactly where a full replay ends', async () => {
    const random = seededRandom(2006);
    const writers = Array.from({ length: 5 }, () => new pg.Client({ connectionString: stack.dbUrl }));
    const long = new pg.Client({ connectionString: stack.dbUrl });
    await Promise.all([...writers, long].map((w) => w.connect()));
    const live: string[] = [];
    for (let i = 0; i < 60; i += 1) live.push(await insertGig(stack.db, org.id, { name: `Before ${i}` }));
    // Open transactions and the gig each one holds (another writer touching it would wait on the lock).
    const open = new Map<pg.Client, string>();
    // Between pages: a writer begins or commits; each write inserts a gig, edits one or deletes one.
    const step = async (): Promise<void> => {
      const writer = writers[randomInt(random, 0, writers.length - 1)];
      if (writer === undefined) return;
      if (open.has(writer)) {
        await writer.query('commit');
        open.delete(writer);
        return;
      }
      const held = new Set(open.values());
      const free = live.filter((id) => !held.has(id));
      const pick = free[randomInt(random, 0, free.length - 1)] ?? '';
      await writer.query('begin');
      open.set(writer, pick);
      const roll = random();
      if (roll < 0.4) {
        const id = randomUUID();
        live.push(id);
        await writer.query('insert into public.gigs (id, org_id, name) values ($1, $2, $3)', [id, org.id, 'During']);
      } else if (roll < 0.7) {
        await writer.query("update public.gigs set notes = 'edited during' where id = $1", [pick]);
      } else {
        await writer.query('update public.gigs set deleted_at = now() where id = $1 and deleted_at is null', [pick]);
      }
    };
    const between = async (): Promise<void> => {
      for (let i = 0; i < 3; i += 1) await step();
    };
    try {
      // A long transaction open before the first page and committed after the last: its insert,
      // edit and delete are in no page, so only the pull from the pages' cursor can bring them.
      const [edited, removed] = [await insertGig(stack.db, org.id), await insertGig(stack.db, org.id)];
      const added = randomUUID();
      await long.query('begin');
      await long.query("insert into public.gigs (id, org_id, name) values ($1, $2, 'Long insert')", [added, org.id]);
      await long.query("update public.gigs set notes = 'long edit' where id = $1", [edited]);
      await long.query('update public.gigs set deleted_at = now() where id = $1', [removed]);
      const snap = await snapshotAll(3, org, between);
      await long.query('commit');
      for (const writer of open.keys()) await writer.query('commit');
      await pullInto(snap.rows, snap.cursor);
      const reference = await replay();
      expect([...snap.rows.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [key, row] of reference) expect(snap.rows.get(key), key).toEqual(row);
    } finally {
      await Promise.all([...writers, long].map((w) => w.end()));
    }
  });
});
