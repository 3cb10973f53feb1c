import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, waitFor, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../../tests/helpers/supabase-client';

// push_changes attacked from outside (issue 15, items 1–3 and 5): one asset twice in a batch on
// either path, a case racing another writer, unbounded sync_ops, replays after the retention,
// and role / soft-delete / existence rules.
let stack: TestStack;
let org: Org;
let other: Org;

interface Result {
  op_id: string | null;
  status: 'applied' | 'conflict' | 'rejected' | 'retry';
  table: string | null;
  entity_id: string | null;
  code?: string;
  message?: string;
  row?: Record<string, unknown>;
  assets_moved?: number;
  blocking?: { asset_id: string; serial_number: string; status: string; current_gig_id: string | null }[];
}

type Op = Record<string, unknown>;
const op = (table: string, action: string, payload: Record<string, unknown>, extra: Op = {}): Op => ({
  id: randomUUID(),
  table,
  action,
  payload,
  ...extra,
});

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'harden');
  other = await createOrg(stack, 'harden-rival');
});
afterAll(async () => {
  await stack?.stop();
});

async function pushAs(client: Org['members']['crew']['client'], ops: unknown, device: string): Promise<Result[]> {
  const { data, error } = await client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}
const push = (who: keyof Org['members'], ops: unknown, device = `dev-${randomUUID()}`): Promise<Result[]> =>
  pushAs(org.members[who].client, ops, device);

async function assetState(id: string): Promise<{ status: string; current_gig_id: string | null; version: number }> {
  const { rows } = await stack.db.query('select status, current_gig_id, version from public.assets where id = $1', [id]);
  return rows[0] as { status: string; current_gig_id: string | null; version: number };
}
async function movements(asset: string): Promise<[string, string | null][]> {
  const { rows } = await stack.db.query<{ kind: string; gig_id: string | null }>(
    'select kind, gig_id from public.asset_movements where asset_id = $1 order by id',
    [asset],
  );
  return rows.map((r) => [r.kind, r.gig_id]);
}
async function checkedOutTotal(gig: string): Promise<number> {
  const { rows } = await stack.db.query<{ n: number }>('select checked_out_total as n from public.gig_counters where gig_id = $1', [gig]);
  return rows[0]?.n ?? 0;
}
async function storedOps(device: string): Promise<{ bytes: number }[]> {
  const { rows } = await stack.db.query<{ bytes: number }>(
    'select octet_length(result::text) as bytes from app.sync_ops where device_id = $1',
    [device],
  );
  return rows;
}

// An op the set-based fast path never takes (a gig op): with it in the batch every op goes the per-op way.
const perOpMarker = (): Op => op('gigs', 'update', { id: randomUUID(), fields: { notes: 'x' } });

describe('item 1: one asset twice in one batch', () => {
  for (const path of ['fast', 'per-op'] as const) {
    for (const order of ['lower first', 'upper first'] as const) {
      it(`checks it out once and answers conflict for the second (${path} path, ${order})`, async () => {
        const asset = await insertAsset(stack.db, org.id, `TWICE-${path}-${order.split(' ')[0]}`.toUpperCase());
        const g1 = await insertGig(stack.db, org.id, { name: 'Twice A', status: 'confirmed' });
        const g2 = await insertGig(stack.db, org.id, { name: 'Twice B', status: 'confirmed' });
        const ids = order === 'lower first' ? [asset, asset.toUpperCase()] : [asset.toUpperCase(), asset];
        const batch: Op[] = [
          op('assets', 'check_out', { id: ids[0], gig_id: g1 }, { base_version: 1 }),
          op('assets', 'check_out', { id: ids[1], gig_id: g2 }, { base_version: 1 }),
        ];
        if (path === 'per-op') batch.push(perOpMarker());
        const results = await push('crew', batch);
        expect(results.slice(0, 2).map((r) => [r.status, r.code ?? null])).toEqual([
          ['applied', null],
          ['conflict', 'version_mismatch'],
        ]);
        expect(await movements(asset)).toEqual([['check_out', g1]]);
        expect([await checkedOutTotal(g1), await checkedOutTotal(g2)]).toEqual([1, 0]);
        expect(await assetState(asset)).toEqual({ status: 'checked_out', current_gig_id: g1, version: 2 });
      });
    }

    it(`holds a later op on the same asset written in another case behind one that did not apply (${path} path)`, async () => {
      const asset = await insertAsset(stack.db, org.id, `HELDCASE-${path}`.toUpperCase());
      const g1 = await insertGig(stack.db, org.id, { status: 'confirmed' });
      const g2 = await insertGig(stack.db, org.id, { status: 'confirmed' });
      await push('crew', [op('assets', 'check_out', { id: asset, gig_id: g1 }, { base_version: 1 })]);
      const batch: Op[] = [
        op('assets', 'check_out', { id: asset, gig_id: g2 }, { base_version: 1 }),
        op('assets', 'check_in', { id: asset.toUpperCase() }),
      ];
      if (path === 'per-op') batch.push(perOpMarker());
      const results = await push('crew', batch);
      expect(results.slice(0, 2).map((r) => [r.status, r.code ?? null])).toEqual([
        ['conflict', 'version_mismatch'],
        ['retry', 'held'],
      ]);
      expect(await movements(asset)).toEqual([['check_out', g1]]);
    });

    it(`refuses the same op id written in another case (${path} path)`, async () => {
      const a = await insertAsset(stack.db, org.id, `DUPID-A-${path}`.toUpperCase());
      const b = await insertAsset(stack.db, org.id, `DUPID-B-${path}`.toUpperCase());
      const g1 = await insertGig(stack.db, org.id, { status: 'confirmed' });
      const first = op('assets', 'check_out', { id: a, gig_id: g1 }, { base_version: 1 });
      const batch: Op[] = [
        first,
        op('assets', 'check_out', { id: b, gig_id: g1 }, { base_version: 1, id: String(first.id).toUpperCase() }),
      ];
      if (path === 'per-op') batch.push(perOpMarker());
      const results = await push('crew', batch);
      expect(results.slice(0, 2).map((r) => [r.status, r.code ?? null])).toEqual([
        ['applied', null],
        ['rejected', 'duplicate_op'],
      ]);
      expect(await movements(b)).toEqual([]);
    });
  }
});

async function waitForLockWait(): Promise<void> {
  await waitFor(async () => {
    const { rows } = await stack.db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%push_changes%'",
    );
    return (rows[0]?.n ?? 0) > 0;
  }, 60_000);
}

describe('item 2: a case check-out racing another writer', () => {
  it('moves all contents or none, and names the item that blocked it and where it went', async () => {
    const box = await insertCase(stack.db, org.id, 'RACE-1');
    const contents = [
      await insertAsset(stack.db, org.id, 'RACE-1-A', { caseId: box }),
      await insertAsset(stack.db, org.id, 'RACE-1-B', { caseId: box }),
      await insertAsset(stack.db, org.id, 'RACE-1-C', { caseId: box }),
    ];
    const stolen = contents[1] as string;
    const main = await insertGig(stack.db, org.id, { name: 'Race main', status: 'confirmed' });
    const side = await insertGig(stack.db, org.id, { name: 'Race side', status: 'confirmed' });

    // Crew checks asset B out to another gig in a transaction that stays open.
    const rival = new pg.Client({ connectionString: stack.authenticatorUrl });
    await rival.connect();
    try {
      await rival.query('begin');
      await rival.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true)",
        [JSON.stringify({ role: 'authenticated', sub: org.members.crew.userId }), org.members.crew.userId],
      );
      const rivalResult = await rival.query<{ r: { results: Result[] } }>('select public.push_changes($1, $2::jsonb) as r', [
        'rival-phone',
        JSON.stringify([op('assets', 'check_out', { id: stolen, gig_id: side }, { base_version: 1 })]),
      ]);
      expect(rivalResult.rows[0]?.r.results[0]?.status).toBe('applied');

      // The station sends the case while that transaction holds the asset; it must wait for it.
      const station = push('station', [op('cases', 'check_out', { id: box, gig_id: main }, { base_version: 1 })], 'race-station');
      await waitForLockWait();
      await rival.query('commit');
      const [result] = await station;
      expect(result).toMatchObject({ status: 'rejected', code: 'case_contents_unavailable' });
      expect(result?.message).toBe('case RACE-1 cannot go out: RACE-1-B is checked out to Race side');
      expect(result?.blocking).toEqual([{ asset_id: stolen, serial_number: 'RACE-1-B', status: 'checked_out', current_gig_id: side }]);
    } finally {
      await rival.end();
    }
    expect(await movements(contents[0] as string)).toEqual([]);
    expect(await movements(contents[2] as string)).toEqual([]);
    expect(await movements(stolen)).toEqual([['check_out', side]]);
    expect(await checkedOutTotal(main)).toBe(0);
  });
});

describe('item 3: bounded sync_ops', () => {
  it('refuses every op of a signed-in user with no membership and stores nothing', async () => {
    const email = `nobody.${randomUUID()}@example.com`;
    await stack.createUser(email, 'pw-nobody-secret');
    const client = nodeSupabaseClient(stack.url, stack.anonKey);
    const { error } = await client.auth.signInWithPassword({ email, password: 'pw-nobody-secret' });
    expect(error).toBeNull();
    const results = await pushAs(
      client,
      [op('x'.repeat(100_000), 'update', { id: randomUUID() }), op('gigs', 'create', { id: randomUUID(), name: 'n' })],
      'nobody-1',
    );
    expect(results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'not_a_member'],
      ['rejected', 'not_a_member'],
    ]);
    expect(results[0]?.table).toBeNull();
    expect(await storedOps('nobody-1')).toEqual([]);
  });

  it('never echoes a 2 MiB table or action into the stored result', async () => {
    const huge = 'T'.repeat(2 * 1024 * 1024);
    const results = await push('crew', [op(huge, 'update', { id: randomUUID() }), op('assets', huge, { id: randomUUID() })], 'echo-1');
    expect(results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'unknown_table'],
      ['rejected', 'unknown_action'],
    ]);
    for (const r of results) expect(JSON.stringify(r).length).toBeLessThan(2_000);
    const stored = await storedOps('echo-1');
    expect(stored.length).toBe(2);
    for (const s of stored) expect(s.bytes).toBeLessThan(2_000);
  });

  it('bounds a database error message that quotes the input', async () => {
    const gig = await insertGig(stack.db, org.id);
    const [result] = await push('manager', [op('gigs', 'update', { id: gig, fields: { starts_at: 'y'.repeat(15_000) } })], 'echo-2');
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_field' });
    const stored = await storedOps('echo-2');
    expect(stored[0]?.bytes).toBeLessThan(2_000);
  });

  for (const path of ['fast', 'per-op'] as const) {
    it(`measures the payload limit in bytes: 64,000 bytes of 4-byte characters are too large (${path} path)`, async () => {
      const asset = await insertAsset(stack.db, org.id, `BYTES-${path}`.toUpperCase());
      const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
      const batch: Op[] = [op('assets', 'check_out', { id: asset, gig_id: gig, note: '\u{1F600}'.repeat(16_000) }, { base_version: 1 })];
      if (path === 'per-op') batch.push(perOpMarker());
      const [result] = await push('crew', batch);
      expect(result).toMatchObject({ status: 'rejected', code: 'payload_too_large', message: 'op.payload is larger than 16384 bytes' });
      expect(await movements(asset)).toEqual([]);
    });
  }

  it('prunes sync_ops on the retention; a replay from before it is replay_expired and never applied twice', async () => {
    const asset = await insertAsset(stack.db, org.id, 'PRUNE-1');
    const fresh = await insertAsset(stack.db, org.id, 'PRUNE-2');
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const now = Date.now();
    const hoursAgo = (h: number): string => new Date(now - h * 3_600_000).toISOString();
    const old = op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1, seq: 1, created_at: hoursAgo(3) });
    const recent = op('assets', 'check_out', { id: fresh, gig_id: gig }, { base_version: 1, seq: 2, created_at: hoursAgo(0.5) });
    const first = await push('station', [old, recent], 'prune-station');
    expect(first.map((r) => r.status)).toEqual(['applied', 'applied']);

    // The retention is injected as the cut-off: everything created before it may be pruned.
    const { rows } = await stack.db.query<{ n: number }>('select app.prune_sync_ops($1::timestamptz) as n', [hoursAgo(1)]);
    expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
    expect((await storedOps('prune-station')).length).toBe(1);

    for (const path of ['fast', 'per-op'] as const) {
      const replay: Op[] = [old, recent];
      if (path === 'per-op') replay.push(perOpMarker());
      const again = await push('station', replay, 'prune-station');
      expect(again[0]).toMatchObject({ status: 'rejected', code: 'replay_expired', op_id: old.id });
      expect(again[1]).toEqual(first[1]);
    }
    expect(await movements(asset)).toEqual([['check_out', gig]]);
    expect(await movements(fresh)).toEqual([['check_out', gig]]);

    // An op never seen but created before the cut-off gets the same answer; a new one applies.
    const late = await insertAsset(stack.db, org.id, 'PRUNE-3');
    const [stale] = await push(
      'station',
      [op('assets', 'check_out', { id: late, gig_id: gig }, { base_version: 1, created_at: hoursAgo(2) })],
      'prune-station',
    );
    expect(stale).toMatchObject({ status: 'rejected', code: 'replay_expired' });
    const [now1] = await push(
      'station',
      [op('assets', 'check_out', { id: late, gig_id: gig }, { base_version: 1, created_at: hoursAgo(0) })],
      'prune-station',
    );
    expect(now1?.status).toBe('applied');
  });

  it('compacts old ops that carry no created_at instead of forgetting them', async () => {
    const asset = await insertAsset(stack.db, org.id, 'PRUNE-NOTS');
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const bare = op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1 });
    expect((await push('station', [bare], 'prune-bare'))[0]?.status).toBe('applied');
    await stack.db.query("update app.sync_ops set recorded_at = now() - interval '2 hours' where device_id = 'prune-bare'");
    await stack.db.query("select app.prune_sync_ops(now() - interval '1 hour')");
    const [again] = await push('station', [bare], 'prune-bare');
    expect(again).toMatchObject({ status: 'rejected', code: 'replay_expired', op_id: bare.id });
    expect(await movements(asset)).toEqual([['check_out', gig]]);
    const stored = await storedOps('prune-bare');
    expect(stored.length).toBe(1);
    expect(stored[0]?.bytes).toBeLessThan(400);
  });

  it('keeps the prune function away from clients', async () => {
    const { error } = await org.members.admin.client.schema('app' as 'public').rpc('prune_sync_ops', {});
    expect(error).not.toBeNull();
    const { rows } = await stack.db.query<{ ok: boolean }>(
      "select has_function_privilege('authenticated', 'app.prune_sync_ops(timestamptz)', 'execute') as ok",
    );
    expect(rows[0]?.ok).toBe(false);
  });
});

describe('item 5: role rules, soft-deleted gigs, existence', () => {
  it('lets stations edit asset notes only; managers may rename', async () => {
    const asset = await insertAsset(stack.db, org.id, 'ROLE-1', { name: 'Mixer', category: 'Audio' });
    const results = await push('station', [op('assets', 'update', { id: asset, fields: { name: 'Renamed' } })]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'forbidden', message: 'your role can change only notes of assets' });
    const [category] = await push('station', [op('assets', 'update', { id: asset, fields: { category: 'Lighting', notes: 'n' } })]);
    expect(category).toMatchObject({ status: 'rejected', code: 'forbidden' });
    const [notes] = await push('station', [op('assets', 'update', { id: asset, fields: { notes: 'cable frayed' } })]);
    expect(notes?.status).toBe('applied');
    const { rows } = await stack.db.query('select name, category, notes from public.assets where id = $1', [asset]);
    expect(rows[0]).toEqual({ name: 'Mixer', category: 'Audio', notes: 'cable frayed' });
    const [renamed] = await push('manager', [op('assets', 'update', { id: asset, fields: { name: 'Desk' } })]);
    expect(renamed?.row).toMatchObject({ name: 'Desk' });
  });

  it('refuses asset field values that are not text', async () => {
    const asset = await insertAsset(stack.db, org.id, 'ROLE-2');
    const [result] = await push('manager', [op('assets', 'update', { id: asset, fields: { name: { nested: true } } })]);
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_field', message: 'payload.fields.name must be a string' });
    const [nul] = await push('manager', [op('assets', 'update', { id: asset, fields: { name: null } })]);
    expect(nul).toMatchObject({ status: 'rejected', code: 'invalid_field' });
  });

  it('refuses set_status and move on a soft-deleted gig, and a move under a deleted parent', async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'draft' });
    const parent = await insertGig(stack.db, org.id);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [gig]);
    const version = (await stack.db.query<{ version: number }>('select version from public.gigs where id = $1', [gig])).rows[0]?.version;
    const [status] = await push('manager', [op('gigs', 'set_status', { id: gig, to: 'confirmed' }, { base_version: version })]);
    expect(status).toMatchObject({ status: 'rejected', code: 'deleted', message: `gig ${gig} was deleted` });
    const [move] = await push('manager', [op('gigs', 'move', { id: gig, parent_gig_id: parent }, { base_version: version })]);
    expect(move).toMatchObject({ status: 'rejected', code: 'deleted' });
    const { rows } = await stack.db.query('select status, parent_gig_id from public.gigs where id = $1', [gig]);
    expect(rows[0]).toEqual({ status: 'draft', parent_gig_id: null });

    const live = await insertGig(stack.db, org.id);
    const deadParent = await insertGig(stack.db, org.id);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [deadParent]);
    const [under] = await push('manager', [op('gigs', 'move', { id: live, parent_gig_id: deadParent }, { base_version: 1 })]);
    expect(under).toMatchObject({ status: 'rejected', code: 'not_found', message: `parent gig ${deadParent} not found` });
  });

  it('answers gigs.create with another company’s gig id exactly as with any id already taken, and creates an unknown id', async () => {
    const theirs = await insertGig(stack.db, other.id, { name: 'Their secret gig' });
    const mine = await insertGig(stack.db, org.id, { name: 'My gig' });
    const [foreign] = await push('manager', [op('gigs', 'create', { id: theirs, org_id: org.id, name: 'Probe' })]);
    const [own] = await push('manager', [op('gigs', 'create', { id: mine, org_id: org.id, name: 'Probe' })]);
    const strip = (r: Result | undefined, id: string): unknown => ({
      ...r,
      op_id: null,
      entity_id: r?.entity_id === id ? 'ID' : r?.entity_id,
      message: r?.message?.replace(id, 'ID'),
    });
    expect(foreign).toMatchObject({ status: 'rejected', code: 'id_unavailable' });
    expect(strip(foreign, theirs)).toEqual(strip(own, mine));
    expect(JSON.stringify(foreign)).not.toMatch(/exist|secret/i);
    const { rows } = await stack.db.query('select name, org_id from public.gigs where id = $1', [theirs]);
    expect(rows[0]).toEqual({ name: 'Their secret gig', org_id: other.id });

    const unknown = randomUUID();
    const [created] = await push('manager', [op('gigs', 'create', { id: unknown, org_id: org.id, name: 'Brand new' })]);
    expect(created).toMatchObject({ status: 'applied', row: { id: unknown, name: 'Brand new' } });
  });
});

describe('the same class of defect elsewhere in the push path', () => {
  for (const path of ['fast', 'per-op'] as const) {
    it(`refuses an ill-typed base_version on a check-in (${path} path)`, async () => {
      const asset = await insertAsset(stack.db, org.id, `BASEV-${path}`.toUpperCase());
      const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
      await push('crew', [op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1 })]);
      const batch: Op[] = [op('assets', 'check_in', { id: asset }, { base_version: 'two' })];
      if (path === 'per-op') batch.push(perOpMarker());
      const [result] = await push('crew', batch);
      expect(result).toMatchObject({ status: 'rejected', code: 'invalid_field', message: 'op.base_version must be a positive integer' });
      expect(await movements(asset)).toEqual([['check_out', gig]]);
    });
  }

  it('checks a lost asset in through its case as it would alone (one check-in rule)', async () => {
    const box = await insertCase(stack.db, org.id, 'LOSTBOX-1');
    const lost = await insertAsset(stack.db, org.id, 'LOSTBOX-1-A', { caseId: box, status: 'lost' });
    const alone = await insertAsset(stack.db, org.id, 'LOST-ALONE', { status: 'lost' });
    const [viaCase] = await push('crew', [op('cases', 'check_in', { id: box })]);
    const [single] = await push('crew', [op('assets', 'check_in', { id: alone })]);
    expect(single?.status).toBe('applied');
    expect(viaCase).toMatchObject({ status: 'applied', assets_moved: 1 });
    expect((await assetState(lost)).status).toBe('available');
    expect(await movements(lost)).toEqual([['check_in', null]]);
  });

  it('refuses gig field values that are not text instead of storing JSON as a name', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Plain' });
    const [update] = await push('manager', [op('gigs', 'update', { id: gig, fields: { name: { html: '<b>' } } })]);
    expect(update).toMatchObject({ status: 'rejected', code: 'invalid_field', message: 'payload.fields.name must be a string' });
    const id = randomUUID();
    const [create] = await push('manager', [op('gigs', 'create', { id, org_id: org.id, name: 'Venue probe', venue: ['a', 'b'] })]);
    expect(create).toMatchObject({ status: 'rejected', code: 'invalid_field', message: 'payload.venue must be a string' });
    const { rows } = await stack.db.query('select name from public.gigs where id = any($1::uuid[])', [[gig, id]]);
    expect(rows).toEqual([{ name: 'Plain' }]);
  });
});

describe('an item’s name, category and notes as a person or an attacker types them', () => {
  it('refuses terminal escapes, bells and line breaks where one line is meant, and over-long text, each with its field; keeps real notes', async () => {
    const asset = await insertAsset(stack.db, org.id, `TXT-${randomUUID().slice(0, 6)}`);
    const before = (await stack.db.query('select name, category, notes, version from public.assets where id = $1', [asset])).rows[0];
    const refused = async (fields: Record<string, unknown>, message: string): Promise<void> => {
      const [result] = await push('manager', [op('assets', 'update', { id: asset, fields })]);
      expect(result, JSON.stringify(fields)).toMatchObject({ status: 'rejected', code: 'invalid_field', message });
    };
    await refused({ notes: 'ok\u001b[2J\u001b[H' }, 'payload.fields.notes: control characters are not allowed (line breaks and tabs are)');
    await refused({ notes: 'ring\u0007' }, 'payload.fields.notes: control characters are not allowed (line breaks and tabs are)');
    await refused({ notes: 'c1\u009b31m' }, 'payload.fields.notes: control characters are not allowed (line breaks and tabs are)');
    await refused(
      { name: 'Desk\nsecond line' },
      'payload.fields.name: control characters and line breaks are not allowed (one line of text)',
    );
    await refused(
      { category: 'Audio\t' },
      'payload.fields.category: control characters and line breaks are not allowed (one line of text)',
    );
    await refused({ name: 'x'.repeat(201) }, 'payload.fields.name must be 1–200 characters, got 201');
    await refused({ name: '   ' }, 'payload.fields.name must be 1–200 characters, got 0');
    await refused({ category: 'y'.repeat(81) }, 'payload.fields.category must be 1–80 characters, got 81');
    await refused({ notes: 'z'.repeat(10_001) }, 'payload.fields.notes must be at most 10000 characters, got 10001');
    // Nothing changed by any of them.
    expect((await stack.db.query('select name, category, notes, version from public.assets where id = $1', [asset])).rows[0]).toEqual(
      before,
    );

    const notes = 'Fan rattles.\n\tCheck the PSU before the next gig — ✓ Ünïcode fine';
    expect(await push('manager', [op('assets', 'update', { id: asset, fields: { notes, name: 'Mixing desk Mk II' } })])).toMatchObject([
      { status: 'applied' },
    ]);
    expect((await stack.db.query('select name, notes from public.assets where id = $1', [asset])).rows[0]).toEqual({
      name: 'Mixing desk Mk II',
      notes,
    });
  });
});
