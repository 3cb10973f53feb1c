import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAsset, insertGig, waitFor } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { arrangeAttackers, callRpc, type Attackers, type Caller } from './rpc-attackers';

// Racing writers: two connections doing conflicting things at the same moment. Each race is
// staged deterministically — the first writer's transaction is held open, the second is started
// and seen waiting on a lock (pg_stat_activity), then the first commits — so the interleaving
// that breaks things is the one that runs, on any machine speed.
let stack: TestStack;
let who: Attackers;

beforeAll(async () => {
  stack = await startTestStack();
  who = await arrangeAttackers(stack, 'races');
});
afterAll(async () => {
  await stack?.stop();
});

interface Result {
  op_id: string | null;
  status: string;
  code?: string;
  message?: string;
}
type Op = Record<string, unknown>;
const op = (table: string, action: string, payload: Record<string, unknown>, extra: Op = {}): Op => ({
  id: randomUUID(),
  table,
  action,
  payload,
  ...extra,
});
// A gig op keeps a batch off the set-based fast path (every op then goes the per-op way).
const perOpMarker = (): Op => op('gigs', 'update', { id: randomUUID(), fields: { notes: 'marker' } });

/** A connection as PostgREST makes one for a request: authenticator, switched to the caller, in a transaction. */
class Request {
  private constructor(
    readonly client: pg.Client,
    readonly pid: number,
  ) {}

  static async open(userId: string): Promise<Request> {
    const client = new pg.Client({ connectionString: stack.authenticatorUrl });
    await client.connect();
    await client.query('begin');
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true)",
      [JSON.stringify({ role: 'authenticated', sub: userId }), userId],
    );
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return new Request(client, rows[0]?.pid ?? 0);
  }

  /** push_changes' results, or the error's SQLSTATE and message. */
  async push(device: string, ops: Op[]): Promise<Result[] | { error: string }> {
    try {
      const { rows } = await this.client.query<{ r: { results: Result[] } }>('select public.push_changes($1, $2::jsonb) as r', [
        device,
        JSON.stringify(ops),
      ]);
      return rows[0]?.r.results ?? [];
    } catch (error) {
      const e = error as { code?: string; message: string };
      return { error: `${e.code ?? ''} ${e.message}` };
    }
  }

  async end(outcome: 'commit' | 'rollback'): Promise<void> {
    await this.client.query(outcome).catch(() => undefined);
    await this.client.end();
  }
}

/** Waits until the backend is blocked on a lock held by another transaction. */
async function waitingOnLock(request: Request): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await stack.db.query<{ waiting: boolean }>(
        "select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = $1",
        [request.pid],
      );
      return rows[0]?.waiting === true;
    },
    30_000,
    `backend ${request.pid} to wait on a lock`,
  );
}

/**
 * Stages a race: `first` runs in a transaction held open, `second` starts and blocks on it, then
 * the first commits and the second finishes. Returns both answers.
 */
async function race<A, B>(
  firstUser: string,
  first: (r: Request) => Promise<A>,
  secondUser: string,
  second: (r: Request) => Promise<B>,
): Promise<[A, B]> {
  const one = await Request.open(firstUser);
  const two = await Request.open(secondUser);
  try {
    const a = await first(one);
    const pending = second(two);
    await waitingOnLock(two);
    await one.end('commit');
    const b = await pending;
    await two.end('commit');
    return [a, b];
  } finally {
    await one.end('rollback');
    await two.end('rollback');
  }
}

const statuses = (results: Result[] | { error: string }): unknown =>
  'error' in results ? results.error : results.map((r) => [r.status, r.code ?? null]);

async function gigRow(id: string): Promise<{ status: string; version: number; deleted: boolean; parent_gig_id: string | null }> {
  const { rows } = await stack.db.query(
    'select status, version, deleted_at is not null as deleted, parent_gig_id from public.gigs where id = $1',
    [id],
  );
  return rows[0] as { status: string; version: number; deleted: boolean; parent_gig_id: string | null };
}

/** Live gigs under `root` whose parent (or any ancestor) is deleted. */
async function liveGigsUnderDeletedParents(root: string): Promise<string[]> {
  const { rows } = await stack.db.query<{ name: string }>(
    `select c.name from public.gigs c join public.gigs p on p.path operator(extensions.@>) c.path and p.id <> c.id
      where c.deleted_at is null and p.deleted_at is not null and p.id = $1`,
    [root],
  );
  return rows.map((r) => r.name);
}

describe('the same op delivered twice at once (a retried request racing the original)', () => {
  for (const path of ['per-op', 'fast'] as const) {
    it(`answers the late copy with the first copy’s stored result and applies once (${path} path)`, async () => {
      const manager = who.member(who.a, 'manager');
      const asset = await insertAsset(stack.db, who.a.org.id, `TWICE-${path}`.toUpperCase());
      const batch: Op[] = [op('assets', 'check_in', { id: asset, condition: 'damaged' })];
      if (path === 'per-op') batch.push(perOpMarker());
      const device = `twice-${randomUUID()}`;
      const [first, second] = await race(
        manager.userId ?? '',
        (r) => r.push(device, batch),
        manager.userId ?? '',
        (r) => r.push(device, batch),
      );
      expect(statuses(first)).toEqual(
        path === 'per-op'
          ? [
              ['applied', null],
              ['rejected', 'not_found'],
            ]
          : [['applied', null]],
      );
      expect(second).toEqual(first);
      const { rows } = await stack.db.query<{ kind: string }>('select kind from public.asset_movements where asset_id = $1 order by id', [
        asset,
      ]);
      expect(rows.map((r) => r.kind)).toEqual(['check_in', 'quarantine']);
    });
  }
});

describe('a gig deleted while someone writes under it', () => {
  it('never leaves a live child under a deleted parent (delete first, create racing it)', async () => {
    const parent = await insertGig(stack.db, who.a.org.id, { name: 'Race parent 1', status: 'confirmed' });
    const child = randomUUID();
    const [deleted, created] = await race(
      who.a.org.members.manager.userId,
      (r) => r.push(`del-${randomUUID()}`, [op('gigs', 'delete', { id: parent })]),
      who.a.org.members.admin.userId,
      (r) => r.push(`add-${randomUUID()}`, [op('gigs', 'create', { id: child, parent_gig_id: parent, name: 'Race child 1' })]),
    );
    expect(statuses(deleted)).toEqual([['applied', null]]);
    expect(statuses(created)).toEqual([['rejected', 'not_found']]);
    expect(await liveGigsUnderDeletedParents(parent)).toEqual([]);
  });

  it('never leaves a live child under a deleted parent (create first, delete racing it)', async () => {
    const parent = await insertGig(stack.db, who.a.org.id, { name: 'Race parent 2', status: 'confirmed' });
    const child = randomUUID();
    const [created, deleted] = await race(
      who.a.org.members.admin.userId,
      (r) => r.push(`add-${randomUUID()}`, [op('gigs', 'create', { id: child, parent_gig_id: parent, name: 'Race child 2' })]),
      who.a.org.members.manager.userId,
      (r) => r.push(`del-${randomUUID()}`, [op('gigs', 'delete', { id: parent })]),
    );
    expect(statuses(created)).toEqual([['applied', null]]);
    expect(statuses(deleted)).toEqual([['applied', null]]);
    expect((await gigRow(child)).deleted).toBe(true);
    expect(await liveGigsUnderDeletedParents(parent)).toEqual([]);
  });

  it('never moves a gig under a parent deleted meanwhile', async () => {
    const parent = await insertGig(stack.db, who.a.org.id, { name: 'Race parent 3', status: 'confirmed' });
    const mover = await insertGig(stack.db, who.a.org.id, { name: 'Race mover', status: 'confirmed' });
    const [deleted, moved] = await race(
      who.a.org.members.manager.userId,
      (r) => r.push(`del-${randomUUID()}`, [op('gigs', 'delete', { id: parent })]),
      who.a.org.members.admin.userId,
      (r) => r.push(`mv-${randomUUID()}`, [op('gigs', 'move', { id: mover, parent_gig_id: parent }, { base_version: 1 })]),
    );
    expect(statuses(deleted)).toEqual([['applied', null]]);
    expect(statuses(moved)).toEqual([['rejected', 'not_found']]);
    expect(await gigRow(mover)).toMatchObject({ parent_gig_id: null, deleted: false });
    expect(await liveGigsUnderDeletedParents(parent)).toEqual([]);
  });

  it('never creates a cycle when two managers move two gigs under each other', async () => {
    const x = await insertGig(stack.db, who.a.org.id, { name: 'Cycle X', status: 'confirmed' });
    const y = await insertGig(stack.db, who.a.org.id, { name: 'Cycle Y', status: 'confirmed' });
    const [first, second] = await race(
      who.a.org.members.manager.userId,
      (r) => r.push(`mx-${randomUUID()}`, [op('gigs', 'move', { id: x, parent_gig_id: y }, { base_version: 1 })]),
      who.a.org.members.admin.userId,
      (r) => r.push(`my-${randomUUID()}`, [op('gigs', 'move', { id: y, parent_gig_id: x }, { base_version: 1 })]),
    );
    expect(statuses(first)).toEqual([['applied', null]]);
    expect(statuses(second)).toEqual([['rejected', 'cycle']]);
    expect([(await gigRow(x)).parent_gig_id, (await gigRow(y)).parent_gig_id]).toEqual([y, null]);
  });
});

describe('a check-out racing a change of its gig', () => {
  for (const path of ['fast', 'per-op'] as const) {
    for (const change of ['delete', 'complete'] as const) {
      it(`never checks an asset out to a gig that was ${change === 'delete' ? 'deleted' : 'completed'} meanwhile (${path} path)`, async () => {
        const gig = await insertGig(stack.db, who.a.org.id, {
          name: `Closing ${change} ${path}`,
          status: change === 'complete' ? 'in_progress' : 'confirmed',
        });
        const asset = await insertAsset(stack.db, who.a.org.id, `CLOSING-${change}-${path}`.toUpperCase());
        const closing =
          change === 'delete'
            ? op('gigs', 'delete', { id: gig })
            : op('gigs', 'set_status', { id: gig, to: 'completed' }, { base_version: 1 });
        const batch: Op[] = [op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1 })];
        if (path === 'per-op') batch.push(perOpMarker());
        const [closed, checkedOut] = await race(
          who.a.org.members.manager.userId,
          (r) => r.push(`close-${randomUUID()}`, [closing]),
          who.a.org.members.crew.userId,
          (r) => r.push(`scan-${randomUUID()}`, batch),
        );
        expect(statuses(closed)).toEqual([['applied', null]]);
        const answer = statuses(checkedOut) as [string, string | null][];
        // Refused outright, or asked to retry (and then refused on what is committed).
        expect([
          ['rejected', change === 'delete' ? 'not_found' : 'gig_closed'],
          ['retry', 'transient'],
        ]).toContainEqual(answer[0]);
        const { rows } = await stack.db.query('select status, current_gig_id from public.assets where id = $1', [asset]);
        expect(rows[0]).toEqual({ status: 'available', current_gig_id: null });
        const retried = await callRpc(stack, who.member(who.a, 'crew'), 'push_changes', {
          device_id: `again-${randomUUID()}`,
          ops: batch.slice(0, 1),
        });
        expect(statuses((retried.json as { results: Result[] }).results)).toEqual([
          ['rejected', change === 'delete' ? 'not_found' : 'gig_closed'],
        ]);
        const { rows: moves } = await stack.db.query('select kind from public.asset_movements where asset_id = $1', [asset]);
        expect(moves).toEqual([]);
      });
    }
  }
});

describe('two writers on the same row', () => {
  it('lets one of two managers change a gig’s status from the same version; the other gets a conflict', async () => {
    const gig = await insertGig(stack.db, who.a.org.id, { name: 'Status race', status: 'confirmed' });
    const [first, second] = await race(
      who.a.org.members.manager.userId,
      (r) => r.push(`s1-${randomUUID()}`, [op('gigs', 'set_status', { id: gig, to: 'in_progress' }, { base_version: 1 })]),
      who.a.org.members.admin.userId,
      (r) => r.push(`s2-${randomUUID()}`, [op('gigs', 'set_status', { id: gig, to: 'cancelled' }, { base_version: 1 })]),
    );
    expect(statuses(first)).toEqual([['applied', null]]);
    expect(statuses(second)).toEqual([['conflict', 'version_mismatch']]);
    expect(await gigRow(gig)).toMatchObject({ status: 'in_progress', version: 2 });
  });

  for (const order of ['check-out first', 'check-in first'] as const) {
    it(`keeps an asset, its movements and the gig counters in step when a check-in and a check-out race (${order})`, async () => {
      const gig = await insertGig(stack.db, who.a.org.id, { name: `Swing ${order}`, status: 'confirmed' });
      const asset = await insertAsset(stack.db, who.a.org.id, `SWING-${order.split(' ')[0]}`.toUpperCase());
      const out = op('assets', 'check_out', { id: asset, gig_id: gig }, { base_version: 1 });
      const back = op('assets', 'check_in', { id: asset });
      const [firstOp, secondOp] = order === 'check-out first' ? [out, back] : [back, out];
      const [first, second] = await race(
        who.a.org.members.station.userId,
        (r) => r.push(`st-${randomUUID()}`, [firstOp]),
        who.a.org.members.crew.userId,
        (r) => r.push(`cr-${randomUUID()}`, [secondOp]),
      );
      expect([statuses(first), statuses(second)]).toEqual(
        order === 'check-out first' ? [[['applied', null]], [['applied', null]]] : [[['applied', 'noop']], [['applied', null]]],
      );
      const { rows: moves } = await stack.db.query<{ kind: string }>(
        'select kind from public.asset_movements where asset_id = $1 order by id',
        [asset],
      );
      const { rows: state } = await stack.db.query<{ status: string; out: number }>(
        'select a.status, coalesce(c.checked_out_total, 0) as out from public.assets a left join public.gig_counters c on c.gig_id = $2 where a.id = $1',
        [asset, gig],
      );
      if (order === 'check-out first') {
        expect(moves.map((m) => m.kind)).toEqual(['check_out', 'check_in']);
        expect(state[0]).toEqual({ status: 'available', out: 1 });
      } else {
        // The check-in found the asset in (a noop); the check-out then took it.
        expect(moves.map((m) => m.kind)).toEqual(['check_out']);
        expect(state[0]).toEqual({ status: 'checked_out', out: 1 });
      }
    });
  }
});

describe('pulls while pushes commit', () => {
  it('misses no change and repeats no row within a page, with a transaction committing late and writers racing the puller', async () => {
    const crew: Caller = who.member(who.a, 'crew');
    const manager: Caller = who.member(who.a, 'manager');
    // Start from the current end of the log.
    let cursor: string | null = null;
    for (;;) {
      const page = await callRpc(stack, crew, 'pull_changes', { cursor, limit: 1000 });
      const body = page.json as { cursor: string; has_more: boolean };
      cursor = body.cursor;
      if (!body.has_more) break;
    }
    const gigs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => insertGig(stack.db, who.a.org.id, { name: `Pulled ${i}`, status: 'draft' })),
    );
    // A writer whose transaction stays open while later ones commit: its change must still arrive.
    const late = await Request.open(who.a.org.members.admin.userId);
    const lateGig = gigs[0] ?? '';
    expect(statuses(await late.push(`late-${randomUUID()}`, [op('gigs', 'update', { id: lateGig, fields: { notes: 'late' } })]))).toEqual([
      ['applied', null],
    ]);

    const seen = new Map<string, number>();
    const duplicates: string[] = [];
    const pullOnce = async (): Promise<void> => {
      for (;;) {
        const answer = await callRpc(stack, crew, 'pull_changes', { cursor, limit: 3 });
        expect(answer.status).toBe(200);
        const page = answer.json as { cursor: string; has_more: boolean; changes: Record<string, { id: string; version?: number }[]> };
        for (const rows of Object.values(page.changes)) {
          const ids = rows.map((r) => r.id);
          if (new Set(ids).size !== ids.length) duplicates.push(ids.join(','));
          for (const row of rows) if (row.version !== undefined) seen.set(row.id, Math.max(seen.get(row.id) ?? 0, row.version));
        }
        cursor = page.cursor;
        if (!page.has_more) return;
      }
    };
    // Writers and the puller interleave: each round commits updates on several connections while a pull runs.
    for (let round = 0; round < 4; round += 1) {
      await Promise.all([
        ...gigs.slice(1).map((gig) =>
          callRpc(stack, manager, 'push_changes', {
            device_id: `w-${randomUUID()}`,
            ops: [op('gigs', 'update', { id: gig, fields: { notes: `round ${round}` } })],
          }),
        ),
        pullOnce(),
      ]);
    }
    await pullOnce();
    // Its creation was pulled; its update is not committed yet.
    expect(seen.get(lateGig)).toBe(1);
    await late.end('commit');
    await pullOnce();
    const { rows } = await stack.db.query<{ id: string; version: number }>('select id, version from public.gigs where id = any ($1)', [
      gigs,
    ]);
    expect(Object.fromEntries([...seen].filter(([id]) => gigs.includes(id)))).toEqual(
      Object.fromEntries(rows.map((r) => [r.id, r.version])),
    );
    expect(duplicates).toEqual([]);
  });
});
