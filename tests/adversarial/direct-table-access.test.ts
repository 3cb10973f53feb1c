import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createOrg, failure, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// On a hosted project PostgREST serves every table of `public` at /rest/v1/<table>: a request
// runs as `authenticator`, switched to the JWT's role with its claims. Clients must reach data
// through the RPCs only (they check roles, versions and record movements), so every statement a
// signed-in member or an anonymous caller could send straight to a table is refused. The tables
// come from the catalog, so a table added later is covered without touching this file.
let stack: TestStack;
let org: Org;
let other: Org;
let gig: string;
let asset: string;

interface Relation {
  name: string;
  kind: string;
  firstColumn: string | null;
}
let relations: Relation[] = [];

const CLIENT_ROLES = ['anon', 'authenticated'] as const;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'direct');
  other = await createOrg(stack, 'direct-rival');
  gig = await insertGig(stack.db, org.id, { name: 'Direct gig', status: 'confirmed' });
  const box = await insertCase(stack.db, org.id, 'DIRECT-CASE');
  asset = await insertAsset(stack.db, org.id, 'DIRECT-A1', { caseId: box });
  await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_out', $3)", [
    org.id,
    asset,
    gig,
  ]);
  await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [asset, gig]);
  await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_in', $3)", [
    org.id,
    asset,
    gig,
  ]);
  await stack.db.query("update public.assets set status = 'available', current_gig_id = null where id = $1", [asset]);
  const { rows } = await stack.db.query<{ name: string; kind: string; first_column: string | null }>(
    `select c.relname as name, c.relkind::text as kind,
            (select a.attname from pg_attribute a
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = ''
              order by a.attnum limit 1) as first_column
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      order by c.relname`,
  );
  relations = rows.map((r) => ({ name: r.name, kind: r.kind, firstColumn: r.first_column }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('the catalog', () => {
  it('lists the tables the probes below attack (so an empty list cannot pass vacuously)', () => {
    const tables = relations.filter((r) => r.kind === 'r').map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['assets', 'gigs', 'cases', 'memberships', 'organizations', 'user_push_subscriptions']));
  });

  it.each(CLIENT_ROLES)('grants %s no privilege at all on any table, view, column or sequence in public', async (role) => {
    const { rows } = await stack.db.query<{ relation: string }>(
      `select c.oid::regclass::text as relation
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public'
          and ((c.relkind in ('r', 'p', 'v', 'm', 'f')
                and (has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                     or has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')))
            or (c.relkind = 'S' and has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')))
        order by 1`,
      [role],
    );
    expect(rows).toEqual([]);
  });

  it.each(CLIENT_ROLES)('keeps a table created later out of %s’s reach (default privileges)', async (role) => {
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      await client.query('create table public.probe_future_table (id uuid primary key, note text)');
      await client.query('create sequence public.probe_future_seq');
      const { rows } = await client.query<{ table: boolean; columns: boolean; sequence: boolean }>(
        `select has_table_privilege($1, 'public.probe_future_table', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') as table,
                has_any_column_privilege($1, 'public.probe_future_table', 'SELECT, INSERT, UPDATE, REFERENCES') as columns,
                has_sequence_privilege($1, 'public.probe_future_seq', 'USAGE, SELECT, UPDATE') as sequence`,
        [role],
      );
      expect(rows).toEqual([{ table: false, columns: false, sequence: false }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

/** The SQLSTATE a statement fails with, or 'ok' (inside a savepoint, rolled back either way). */
async function sqlstate(client: pg.ClientBase, sql: string): Promise<string> {
  await client.query('savepoint probe');
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  } finally {
    await client.query('rollback to savepoint probe');
  }
}

describe('statements sent straight to the tables, as PostgREST runs them', () => {
  for (const who of ['admin', 'manager', 'crew', 'station', 'anon'] as const) {
    it(`refuses every read and write of every public table to ${who}`, async () => {
      expect(relations.length).toBeGreaterThan(0);
      const userId = who === 'anon' ? null : org.members[who].userId;
      await asUser(stack, { userId, role: who === 'anon' ? 'anon' : 'authenticated' }, async (client) => {
        const allowed: string[] = [];
        for (const relation of relations) {
          const table = `public.${JSON.stringify(relation.name)}`;
          const statements =
            relation.kind === 'S'
              ? [`select nextval('${table}')`, `select * from ${table}`]
              : [
                  `select * from ${table} limit 1`,
                  `insert into ${table} default values`,
                  ...(relation.firstColumn === null
                    ? []
                    : [`update ${table} set ${JSON.stringify(relation.firstColumn)} = ${JSON.stringify(relation.firstColumn)}`]),
                  `delete from ${table}`,
                  `truncate ${table}`,
                ];
          for (const sql of statements) {
            const code = await sqlstate(client, sql);
            if (code !== '42501') allowed.push(`${sql} → ${code}`);
          }
        }
        expect(allowed).toEqual([]);
      });
    });
  }

  it('stops a manager from moving an asset to a gig by PATCHing the assets table', async () => {
    const target = await insertGig(stack.db, org.id, { name: 'Somewhere else', status: 'confirmed' });
    const before = (await stack.db.query('select status, current_gig_id, version from public.assets where id = $1', [asset]))
      .rows[0] as unknown;
    await asUser(stack, { userId: org.members.manager.userId }, async (client) => {
      const patch = await failure(client, "update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [
        asset,
        target,
      ]);
      expect(patch.code).toBe('42501');
      const forged = await failure(
        client,
        "insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_out', $3)",
        [org.id, asset, target],
      );
      expect(forged.code).toBe('42501');
      const promote = await failure(client, "update public.memberships set role = 'admin' where user_id = $1", [
        org.members.manager.userId,
      ]);
      expect(promote.code).toBe('42501');
      const join = await failure(client, "insert into public.memberships (org_id, user_id, role) values ($1, $2, 'admin')", [
        other.id,
        org.members.manager.userId,
      ]);
      expect(join.code).toBe('42501');
    });
    const after = (await stack.db.query('select status, current_gig_id, version from public.assets where id = $1', [asset]))
      .rows[0] as unknown;
    expect(after).toEqual(before);
    expect((await stack.db.query('select count(*)::int as n from public.asset_movements where asset_id = $1', [asset])).rows[0]).toEqual({
      n: 2,
    });
  });

  it('stops a crew member from truncating every organization’s plans and memberships (TRUNCATE ignores row level security)', async () => {
    await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, gig, asset]);
    await asUser(stack, { userId: other.members.crew.userId }, async (client) => {
      expect(await sqlstate(client, 'truncate public.kit_assignments, public.gig_staff')).toBe('42501');
      expect(await sqlstate(client, 'truncate public.memberships')).toBe('42501');
    });
    expect((await stack.db.query('select count(*)::int as n from public.kit_assignments where org_id = $1', [org.id])).rows[0]).toEqual({
      n: 1,
    });
    expect((await stack.db.query('select count(*)::int as n from public.memberships where org_id = $1', [org.id])).rows[0]).toEqual({
      n: 4,
    });
  });

  it('stops a member from reading soft-deleted rows and other members’ user ids straight from the tables', async () => {
    const gone = await insertGig(stack.db, org.id, { name: 'Secret deleted gig' });
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [gone]);
    await asUser(stack, { userId: org.members.crew.userId }, async (client) => {
      expect((await failure(client, 'select name from public.gigs where id = $1', [gone])).code).toBe('42501');
      expect((await failure(client, 'select user_id from public.staff_profiles')).code).toBe('42501');
      expect((await failure(client, 'select user_id, role from public.memberships')).code).toBe('42501');
    });
  });
});

describe('the RPCs clients use still work for signed-in members', () => {
  it('answers get_asset_history (now security definer) for the caller’s organization only', async () => {
    const mine = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset });
    expect(mine.error).toBeNull();
    expect((mine.data as { kind: string; gig_name: string }[]).map((m) => [m.kind, m.gig_name])).toEqual([
      ['check_in', 'Direct gig'],
      ['check_out', 'Direct gig'],
    ]);
    const theirs = await other.members.admin.client.rpc('get_asset_history', { p_asset_id: asset });
    expect(theirs.error).toBeNull();
    expect(theirs.data).toEqual([]);
    const bad = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset, p_limit: 0 });
    expect(bad.error?.code).toBe('22023');
  });

  it('answers the other RPCs a station or crew phone calls', async () => {
    const client = org.members.station.client;
    expect((await client.rpc('session_info')).data).toMatchObject({ user_id: org.members.station.userId, role: 'authenticated' });
    const tree = await client.rpc('get_gig_hierarchy', { root_gig_id: gig });
    expect(tree.error).toBeNull();
    expect((tree.data as { id: string }).id).toBe(gig);
    expect((await client.rpc('get_gig_ancestors', { gig_id: gig })).error).toBeNull();
    const found = await client.rpc('search', { query: 'DIRECT-A1' });
    expect((found.data as { id: string }[]).map((r) => r.id)).toContain(asset);
    const pulled = await client.rpc('pull_changes', { cursor: null, limit: 1000 });
    expect(JSON.stringify(pulled.data)).toContain(asset);
    const { rows } = await stack.db.query<{ version: number }>('select version from public.assets where id = $1', [asset]);
    const pushed = await client.rpc('push_changes', {
      device_id: 'direct-station',
      ops: [
        { id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: asset, gig_id: gig }, base_version: rows[0]?.version },
      ],
    });
    expect((pushed.data as { results: { status: string }[] }).results[0]?.status).toBe('applied');
  });

  it('keeps the push subscription RPCs working for their owner only', async () => {
    const crew = org.members.crew.client;
    const endpoint = `https://push.example/direct-${randomUUID()}`;
    const saved = await crew.rpc('save_push_subscription', { endpoint, p256dh: 'K'.repeat(87), auth: 'S'.repeat(22) });
    expect(saved.error).toBeNull();
    expect(((await crew.rpc('list_push_subscriptions')).data as { endpoint: string }[]).map((s) => s.endpoint)).toEqual([endpoint]);
    expect((await other.members.admin.client.rpc('list_push_subscriptions')).data).toEqual([]);
    expect((await other.members.admin.client.rpc('delete_push_subscription', { endpoint })).data).toBe(false);
    expect((await crew.rpc('delete_push_subscription', { endpoint })).data).toBe(true);
    expect((await crew.rpc('list_push_subscriptions')).data).toEqual([]);
  });
});
