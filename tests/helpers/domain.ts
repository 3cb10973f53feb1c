import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TestStack } from './local-stack';
import { nodeSupabaseClient, type NodeSupabaseClient } from './supabase-client';

export type MemberRole = 'admin' | 'manager' | 'crew' | 'station';

export interface Member {
  userId: string;
  email: string;
  password: string;
  role: MemberRole;
  client: NodeSupabaseClient;
}

export interface Org {
  id: string;
  members: Record<MemberRole, Member>;
}

let counter = 0;

/** An organization with one signed-in member per role, arranged through the admin API and SQL. */
export async function createOrg(stack: TestStack, slug: string): Promise<Org> {
  const id = randomUUID();
  await stack.db.query('insert into public.organizations (id, name, slug) values ($1, $2, $3)', [id, `Org ${slug}`, slug]);
  const members = {} as Record<MemberRole, Member>;
  for (const role of ['admin', 'manager', 'crew', 'station'] as const) {
    counter += 1;
    const email = `${role}.${slug}.${counter}@example.com`;
    const password = `pw-${role}-${slug}-secret`;
    const userId = await stack.createUser(email, password);
    await stack.db.query('insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)', [id, userId, role]);
    const client = nodeSupabaseClient(stack.url, stack.anonKey);
    const { error } = await client.auth.signInWithPassword({ email, password });
    if (error !== null) throw error;
    members[role] = { userId, email, password, role, client };
  }
  return { id, members };
}

export interface GigSpec {
  id?: string;
  parent?: string | null;
  name?: string;
  status?: string;
  startsAt?: string | null;
}

export async function insertGig(db: pg.Pool, orgId: string, spec: GigSpec = {}): Promise<string> {
  const id = spec.id ?? randomUUID();
  await db.query(
    `insert into public.gigs (id, org_id, parent_gig_id, name, status, starts_at)
     values ($1, $2, $3, $4, coalesce($5::public.gig_status, 'draft'), $6)`,
    [id, orgId, spec.parent ?? null, spec.name ?? `Gig ${id.slice(0, 8)}`, spec.status ?? null, spec.startsAt ?? null],
  );
  return id;
}

export async function insertAsset(
  db: pg.Pool,
  orgId: string,
  serial: string,
  extra: { name?: string; category?: string; caseId?: string | null; barcode?: string | null; status?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into public.assets (id, org_id, serial_number, barcode, name, category, case_id, status)
     values ($1, $2, $3, $4, $5, $6, $7, coalesce($8::public.asset_status, 'available'))`,
    [
      id,
      orgId,
      serial,
      extra.barcode ?? null,
      extra.name ?? `Asset ${serial}`,
      extra.category ?? 'Audio',
      extra.caseId ?? null,
      extra.status ?? null,
    ],
  );
  return id;
}

export async function insertCase(db: pg.Pool, orgId: string, barcode: string, parent: string | null = null): Promise<string> {
  const id = randomUUID();
  await db.query('insert into public.cases (id, org_id, barcode, name, parent_case_id) values ($1, $2, $3, $4, $5)', [
    id,
    orgId,
    barcode,
    `Case ${barcode}`,
    parent,
  ]);
  return id;
}

/**
 * Runs SQL as a signed-in user would reach the database: connected as `authenticator`, switched
 * to the JWT's role with its claims, inside a transaction that is rolled back afterwards.
 */
export async function asUser<T>(
  stack: TestStack,
  who: { userId: string | null; role?: 'authenticated' | 'anon' },
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: stack.authenticatorUrl });
  await client.connect();
  try {
    await client.query('begin');
    const role = who.role ?? 'authenticated';
    const claims = who.userId === null ? { role } : { role, sub: who.userId };
    await client.query(
      "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true)",
      [role, JSON.stringify(claims), who.userId ?? ''],
    );
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.end();
  }
}

/** The SQLSTATE and message a statement fails with (inside a savepoint, so the transaction goes on). */
export async function failure(client: pg.ClientBase, sql: string, params: unknown[] = []): Promise<{ code: string; message: string }> {
  await client.query('savepoint probe');
  try {
    await client.query(sql, params);
  } catch (error) {
    await client.query('rollback to savepoint probe');
    const e = error as { code?: string; message: string };
    return { code: e.code ?? '', message: e.message };
  }
  await client.query('release savepoint probe');
  throw new Error(`expected to fail: ${sql}`);
}

/**
 * Polls `condition` until it holds, failing after `timeoutMs` (generous: the machine may be busy).
 * For waiting on another connection's state (a lock wait, a row appearing), never a fixed sleep.
 */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Where a synced table's live rows of an organization are: soft-deleted gigs, assets and cases are not sent to devices. */
function liveRows(table: string): string {
  return `from public.${table} where org_id = $1${['gigs', 'assets', 'cases'].includes(table) ? ' and deleted_at is null' : ''}`;
}

/** How many live rows of `table` the organization has (what a device's complete copy holds). */
export async function liveCount(db: pg.Pool, orgId: string, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n ${liveRows(table)}`, [orgId]);
  return rows[0]?.n ?? 0;
}

/** The ids of the organization's live rows of `table`. */
export async function liveIds(db: pg.Pool, orgId: string, table: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`select id ${liveRows(table)}`, [orgId]);
  return rows.map((r) => r.id);
}
