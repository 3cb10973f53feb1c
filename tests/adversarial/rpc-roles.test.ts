import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberRole } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { arrangeAttackers, callRpc, dataDigest, storedOps, type Attackers, type Caller } from './rpc-attackers';

// The RPCs attacked by role, with real JWTs through the gateway: a removed member whose session
// outlives the membership, the other organization with forged ids in every op, each role at the
// edge of what it may do, and pull cursors that are not cursors.
let stack: TestStack;
let who: Attackers;

beforeAll(async () => {
  stack = await startTestStack();
  who = await arrangeAttackers(stack, 'roles');
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

async function push(caller: Caller, ops: Op[]): Promise<Result[]> {
  const answer = await callRpc(stack, caller, 'push_changes', { device_id: `dev-${randomUUID()}`, ops });
  expect(answer.status, answer.text).toBe(200);
  return (answer.json as { results: Result[] }).results;
}

/** Every op kind, aimed at the given gig / asset / case ids. */
function everyOp(ids: { gig: string; parent: string; asset: string; box: string; org: string }): Op[] {
  return [
    op('gigs', 'create', { id: randomUUID(), parent_gig_id: ids.parent, name: 'Forged child' }),
    op('gigs', 'create', { id: randomUUID(), org_id: ids.org, name: 'Forged root' }),
    op('gigs', 'update', { id: ids.gig, fields: { notes: 'forged' } }),
    op('gigs', 'set_status', { id: ids.gig, to: 'cancelled' }, { base_version: 1 }),
    op('gigs', 'move', { id: ids.gig, parent_gig_id: null }, { base_version: 1 }),
    op('gigs', 'delete', { id: ids.gig }),
    op('assets', 'check_out', { id: ids.asset, gig_id: ids.gig }, { base_version: 1 }),
    op('assets', 'check_in', { id: ids.asset, condition: 'damaged' }),
    op('assets', 'update', { id: ids.asset, fields: { notes: 'forged' } }),
    op('cases', 'check_out', { id: ids.box, gig_id: ids.gig }, { base_version: 1 }),
    op('cases', 'check_in', { id: ids.box }),
  ];
}

const shape = (results: Result[], ids: string[]): string[] =>
  results.map((r) => `${r.status} ${r.code ?? ''} ${ids.reduce((m, id) => m.replaceAll(id, '<id>'), r.message ?? '')}`);

describe('a removed member (membership deleted, session still valid)', () => {
  it('reads nothing of the former organization through any RPC', async () => {
    const caller = who.removed;
    const pulled = await callRpc(stack, caller, 'pull_changes', { cursor: null, limit: 1000 });
    expect(pulled.json).toEqual({ changes: {}, tombstones: [], cursor: '0:0', has_more: false });
    expect((await callRpc(stack, caller, 'search', { query: 'SECRET' })).json).toEqual([]);
    expect((await callRpc(stack, caller, 'search', { query: who.a.marker })).json).toEqual([]);
    const tree = await callRpc(stack, caller, 'get_gig_hierarchy', { root_gig_id: who.a.root });
    expect([tree.status, (tree.json as { code: string }).code]).toEqual([404, 'PT404']);
    const crumbs = await callRpc(stack, caller, 'get_gig_ancestors', { gig_id: who.a.child });
    expect([crumbs.status, (crumbs.json as { code: string }).code]).toEqual([404, 'PT404']);
    expect((await callRpc(stack, caller, 'get_asset_history', { p_asset_id: who.a.loose })).json).toEqual([]);
  });

  it('writes nothing and leaves nothing stored when it pushes every kind of op', async () => {
    const before = await dataDigest(stack);
    const ids = { gig: who.a.child, parent: who.a.root, asset: who.a.loose, box: who.a.box, org: who.a.org.id };
    const results = await push(who.removed, everyOp(ids));
    expect(new Set(results.map((r) => `${r.status} ${r.code ?? ''}`))).toEqual(new Set(['rejected not_a_member']));
    expect(await storedOps(stack, who.removed.userId)).toBe(0);
    expect(await dataDigest(stack)).toEqual(before);
  });
});

describe('the other organization with forged ids', () => {
  it('answers every op on organization A’s rows exactly as on rows that exist nowhere, and changes nothing', async () => {
    const attacker = who.member(who.b, 'admin');
    const before = await dataDigest(stack);
    const real = { gig: who.a.child, parent: who.a.root, asset: who.a.loose, box: who.a.box, org: who.a.org.id };
    const none = { gig: randomUUID(), parent: randomUUID(), asset: randomUUID(), box: randomUUID(), org: randomUUID() };
    const onA = await push(attacker, everyOp(real));
    const onNothing = await push(attacker, everyOp(none));
    expect(shape(onA, Object.values(real))).toEqual(shape(onNothing, Object.values(none)));
    // Refused, or held behind the refusal of an earlier op on the same row.
    expect(onA.filter((r) => !(r.status === 'rejected' || (r.status === 'retry' && r.code === 'held')))).toEqual([]);
    expect(JSON.stringify(onA)).not.toContain(who.a.marker);
    expect(await dataDigest(stack)).toEqual(before);
  });

  it('does not let a member use the other organization’s gig as a check-out target, parent or organization', async () => {
    const attacker = who.member(who.a, 'admin');
    const before = await dataDigest(stack);
    const foreign = { gig: who.b.child, parent: who.b.root, org: who.b.org.id };
    const none = { gig: randomUUID(), parent: randomUUID(), org: randomUUID() };
    const ops = (t: { gig: string; parent: string; org: string }): Op[] => [
      op('assets', 'check_out', { id: who.a.inBox, gig_id: t.gig }, { base_version: 1 }),
      op('cases', 'check_out', { id: who.a.box, gig_id: t.gig }, { base_version: 1 }),
      op('gigs', 'create', { id: randomUUID(), parent_gig_id: t.parent, name: 'Smuggled' }),
      op('gigs', 'create', { id: randomUUID(), org_id: t.org, name: 'Smuggled root' }),
      op('gigs', 'move', { id: who.a.root, parent_gig_id: t.parent }, { base_version: 1 }),
    ];
    const onB = await push(attacker, ops(foreign));
    const onNothing = await push(attacker, ops(none));
    expect(shape(onB, Object.values(foreign))).toEqual(shape(onNothing, Object.values(none)));
    expect(onB.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(JSON.stringify(onB)).not.toContain(who.b.marker);
    expect(await dataDigest(stack)).toEqual(before);
  });

  it('keeps another organization’s pull cursor from showing its rows', async () => {
    const theirs = await callRpc(stack, who.member(who.b, 'crew'), 'pull_changes', { cursor: null, limit: 1000 });
    const cursor = (theirs.json as { cursor: string }).cursor;
    const mine = await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor: '0:0', limit: 1000 });
    expect(mine.text).not.toContain(who.b.marker);
    const withTheirs = await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor, limit: 1000 });
    expect(withTheirs.status).toBe(200);
    expect(withTheirs.text).not.toContain(who.b.marker);
  });
});

describe('each role at the edge of what it may do', () => {
  // What each role may push on its own organization's data (the README's role table).
  const MAY: Record<MemberRole, string[]> = {
    admin: [
      'gigs.create',
      'gigs.update',
      'gigs.set_status',
      'gigs.move',
      'gigs.delete',
      'assets.check_out',
      'assets.check_in',
      'assets.update',
      'cases.check_out',
      'cases.check_in',
    ],
    manager: [
      'gigs.create',
      'gigs.update',
      'gigs.set_status',
      'gigs.move',
      'gigs.delete',
      'assets.check_out',
      'assets.check_in',
      'assets.update',
      'cases.check_out',
      'cases.check_in',
    ],
    station: ['assets.check_out', 'assets.check_in', 'assets.update(notes)', 'cases.check_out', 'cases.check_in'],
    crew: ['assets.check_out', 'assets.check_in', 'cases.check_out', 'cases.check_in'],
  };

  for (const role of ['crew', 'station', 'manager', 'admin'] as const) {
    it(`lets ${role} do exactly its part: everything else is forbidden and changes nothing`, async () => {
      const caller = who.member(who.a, role);
      // Fresh rows per role so one role's writes do not decide another's answers.
      const { rows } = await stack.db.query<{ gig: string; child: string; asset: string; box: string; boxed: string }>(
        `with g as (insert into public.gigs (org_id, name, status) values ($1, $2, 'draft') returning id),
              c as (insert into public.gigs (org_id, parent_gig_id, name, status) select $1, g.id, $2 || ' child', 'confirmed' from g returning id),
              a as (insert into public.assets (org_id, serial_number, name, category) values ($1, $3 || '-A', 'Role asset', 'Audio') returning id),
              b as (insert into public.cases (org_id, barcode, name) values ($1, $3 || '-C', 'Role case') returning id),
              i as (insert into public.assets (org_id, serial_number, name, category, case_id) select $1, $3 || '-I', 'In case', 'Audio', b.id from b returning id)
         select g.id as gig, c.id as child, a.id as asset, b.id as box, i.id as boxed from g, c, a, b, i`,
        [who.a.org.id, `Role ${role}`, `ROLE-${role.toUpperCase()}`],
      );
      const t = rows[0];
      if (t === undefined) throw new Error('no rows');
      // In an order where each op's base version is still current.
      const attempts: [string, Op][] = [
        ['gigs.set_status', op('gigs', 'set_status', { id: t.gig, to: 'confirmed' }, { base_version: 1 })],
        ['gigs.create', op('gigs', 'create', { id: randomUUID(), parent_gig_id: t.gig, name: 'New child' })],
        ['gigs.update', op('gigs', 'update', { id: t.gig, fields: { notes: 'edited' } })],
        ['gigs.move', op('gigs', 'move', { id: t.child, parent_gig_id: null }, { base_version: 1 })],
        ['assets.check_out', op('assets', 'check_out', { id: t.asset, gig_id: t.child }, { base_version: 1 })],
        ['assets.check_in', op('assets', 'check_in', { id: t.asset })],
        ['assets.update(notes)', op('assets', 'update', { id: t.asset, fields: { notes: 'checked' } })],
        ['assets.update', op('assets', 'update', { id: t.asset, fields: { name: 'Renamed', category: 'Video' } })],
        ['cases.check_out', op('cases', 'check_out', { id: t.box, gig_id: t.child }, { base_version: 1 })],
        ['cases.check_in', op('cases', 'check_in', { id: t.box })],
        ['gigs.delete', op('gigs', 'delete', { id: t.gig })],
      ];
      const got: string[] = [];
      for (const [name, attempt] of attempts) {
        // One op per batch: a refusal must not hold the next op on the same entity.
        const [result] = await push(caller, [attempt]);
        got.push(`${name}: ${result?.status ?? '?'}${result?.code !== undefined && result.code !== 'noop' ? ` ${result.code}` : ''}`);
      }
      const may = new Set(MAY[role].flatMap((m) => (m === 'assets.update' ? ['assets.update', 'assets.update(notes)'] : [m])));
      expect(got).toEqual(attempts.map(([name]) => `${name}: ${may.has(name) ? 'applied' : 'rejected forbidden'}`));
      const { rows: after } = await stack.db.query<{ name: string; notes: string | null; deleted: boolean; status: string }>(
        `select g.name, g.notes, g.deleted_at is not null as deleted, g.status::text as status from public.gigs g where g.id = $1
         union all select a.name, a.notes, a.deleted_at is not null, a.status::text from public.assets a where a.id = $2`,
        [t.gig, t.asset],
      );
      const editsGigs = MAY[role].includes('gigs.update');
      expect(after[0]).toEqual({
        name: `Role ${role}`,
        notes: editsGigs ? 'edited' : null,
        deleted: editsGigs,
        status: editsGigs ? 'confirmed' : 'draft',
      });
      expect(after[1]).toMatchObject({
        name: editsGigs ? 'Renamed' : 'Role asset',
        notes: role === 'crew' ? null : 'checked',
        status: 'available',
      });
    });
  }
});

describe('pull cursors and limits that are not what the server issued', () => {
  const refused = async (
    cursor: unknown,
    limit: unknown = 100,
  ): Promise<{ status: number; code: string; message: string; hint: string | null }> => {
    const answer = await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor, limit });
    const body = answer.json as { code: string; message: string; hint: string | null };
    return { status: answer.status, code: body.code, message: body.message, hint: body.hint };
  };

  it.each([
    ['not a cursor', 'not-a-cursor'],
    ['SQL', "1:1'; drop table app.sync_changes; --"],
    ['negative', '-1:0'],
    ['three parts', '1:2:3'],
    ['transaction id past 64 bits', '99999999999999999999:1'],
    ['sequence past 63 bits', '1:9999999999999999999'],
    ['2 MiB', `1:${'9'.repeat(2 * 1024 * 1024)}`],
  ])('refuses a cursor that is %s with 22023 naming the cursor', async (_label, cursor) => {
    const answer = await refused(cursor);
    expect(answer).toMatchObject({ status: 400, code: '22023', hint: 'pull from the start (cursor null)' });
    expect(answer.message).toMatch(/^cursor .+ is not one this server issued$/);
  });

  it('refuses a cursor past the change log (a transaction id the server has not reached) instead of silently skipping every change', async () => {
    const { rows } = await stack.db.query<{ next: string }>(
      'select (pg_snapshot_xmax(pg_current_snapshot())::text::numeric + 1000)::text as next',
    );
    for (const cursor of ['18446744073709551615:0', `${rows[0]?.next ?? ''}:1`]) {
      const answer = await refused(cursor);
      expect(answer).toMatchObject({ status: 400, code: '22023', hint: 'pull from the start (cursor null)' });
      expect(answer.message).toMatch(/is ahead of this server's change log$/);
    }
  });

  it('still accepts the cursor it issued last, and the start', async () => {
    const first = await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor: null, limit: 1000 });
    const cursor = (first.json as { cursor: string }).cursor;
    const again = await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor, limit: 1000 });
    expect(again.status).toBe(200);
    expect((again.json as { cursor: string }).cursor).toBe(cursor);
    expect((await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor: '', limit: 1 })).status).toBe(200);
    expect((await callRpc(stack, who.member(who.a, 'crew'), 'pull_changes', { cursor: '0:0', limit: 1 })).status).toBe(200);
  });

  it.each([[-1], [0], [1001], [null], [2147483647]])('refuses limit %s with 22023', async (limit) => {
    expect(await refused(null, limit)).toMatchObject({ status: 400, code: '22023' });
  });
});
