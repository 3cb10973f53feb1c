import { randomUUID } from 'node:crypto';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import type { TestStack } from '../helpers/local-stack';
import { nodeSupabaseClient } from '../helpers/supabase-client';

// The people who attack the RPC API in tests/adversarial/rpc-*.test.ts, and the data they aim
// at. Two organizations, each with a member per role and a small tree of data whose names carry
// a marker (`SECRET-A` / `SECRET-B`), so any answer can be searched for the other side's data.

/** Who calls: `token` null is the anonymous key alone (no user). */
export interface Caller {
  label: string;
  userId: string | null;
  token: string | null;
}

export interface OrgData {
  org: Org;
  marker: string;
  root: string;
  child: string;
  box: string;
  inBox: string;
  loose: string;
  staff: string;
  /** A stock-take of the organization's warehouse that scanned the case's mic. */
  audit: string;
}

export interface Attackers {
  a: OrgData;
  b: OrgData;
  anon: Caller;
  /** Signed in, member of no organization. */
  outsider: Caller;
  /** Was crew of A when the session started; the membership was deleted afterwards (the JWT is still valid). */
  removed: Caller;
  member(data: OrgData, role: keyof Org['members']): Caller;
}

async function tokenOf(client: Org['members']['crew']['client']): Promise<string> {
  const { data } = await client.auth.getSession();
  if (data.session === null) throw new Error('not signed in');
  return data.session.access_token;
}

async function signIn(stack: TestStack, label: string): Promise<Caller> {
  const email = `${label}.${randomUUID().slice(0, 8)}@example.com`;
  const password = `pw-${label}-attacker`;
  const userId = await stack.createUser(email, password);
  const client = nodeSupabaseClient(stack.url, stack.anonKey);
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error !== null) throw error;
  return { label, userId, token: await tokenOf(client) };
}

async function orgData(stack: TestStack, slug: string, marker: string): Promise<OrgData> {
  const org = await createOrg(stack, slug);
  await stack.db.query('update public.organizations set name = $2 where id = $1', [org.id, `Org ${marker}`]);
  const root = await insertGig(stack.db, org.id, { name: `Festival ${marker}`, status: 'confirmed' });
  const child = await insertGig(stack.db, org.id, { parent: root, name: `Stage ${marker}`, status: 'confirmed' });
  const box = await insertCase(stack.db, org.id, `${marker}-CASE`);
  await stack.db.query('update public.cases set name = $2 where id = $1', [box, `Case ${marker}`]);
  const inBox = await insertAsset(stack.db, org.id, `${marker}-IN`, { caseId: box, name: `Mic ${marker}` });
  const loose = await insertAsset(stack.db, org.id, `${marker}-LOOSE`, { name: `Desk ${marker}` });
  // History and a check-out, so history, hierarchy counts and pulls have something to show.
  await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_out', $3)", [
    org.id,
    loose,
    child,
  ]);
  await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [loose, child]);
  const { rows } = await stack.db.query<{ id: string }>(
    'insert into public.staff_profiles (org_id, display_name, badge_code, email) values ($1, $2, $3, $4) returning id',
    [org.id, `Tech ${marker}`, `${marker}-BADGE`, `tech.${marker.toLowerCase()}@example.com`],
  );
  const staff = rows[0]?.id ?? '';
  await stack.db.query("insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, 'Tech')", [org.id, child, staff]);
  await stack.db.query('insert into public.kit_assignments (org_id, gig_id, case_id) values ($1, $2, $3)', [org.id, child, box]);
  const { rows: audits } = await stack.db.query<{ id: string }>(
    `with w as (insert into public.locations (org_id, kind, code, name) values ($1, 'warehouse', $2, $3) returning id),
          a as (insert into public.audits (id, org_id, location_id) select gen_random_uuid(), $1, w.id from w returning id, location_id)
     insert into public.audit_scans (id, org_id, audit_id, code, location_id, kind, asset_id, scanned_at)
     select gen_random_uuid(), $1, a.id, $4, a.location_id, 'wrong_place', $5, now() from a returning audit_id as id`,
    [org.id, `${marker}-WH`, `Warehouse ${marker}`, `${marker}-IN`, inBox],
  );
  const audit = audits[0]?.id ?? '';
  return { org, marker, root, child, box, inBox, loose, staff, audit };
}

export async function arrangeAttackers(stack: TestStack, prefix: string): Promise<Attackers> {
  const a = await orgData(stack, `${prefix}-a`, 'SECRET-A');
  const b = await orgData(stack, `${prefix}-b`, 'SECRET-B');
  const outsider = await signIn(stack, `${prefix}-outsider`);
  const removed = await signIn(stack, `${prefix}-removed`);
  await stack.db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'crew')", [a.org.id, removed.userId]);
  // The session (and its JWT) outlives the membership, as a fired crew member's phone does.
  await stack.db.query('delete from public.memberships where user_id = $1', [removed.userId]);
  const tokens = new Map<string, string>();
  for (const data of [a, b]) {
    for (const member of Object.values(data.org.members)) tokens.set(member.userId, await tokenOf(member.client));
  }
  return {
    a,
    b,
    anon: { label: 'anon', userId: null, token: null },
    outsider,
    removed,
    member: (data, role) => {
      const m = data.org.members[role];
      return { label: `${role} of ${data.marker}`, userId: m.userId, token: tokens.get(m.userId) ?? null };
    },
  };
}

export interface RpcAnswer {
  status: number;
  text: string;
  json: unknown;
}

/** POST /rest/v1/rpc/<fn> as `caller`, as supabase-js would send it, keeping the raw answer. */
export async function callRpc(stack: TestStack, caller: Caller, fn: string, args: unknown): Promise<RpcAnswer> {
  const response = await fetch(`${stack.url}/rest/v1/rpc/${fn}`, {
    method: 'POST',
    headers: {
      apikey: stack.anonKey,
      Authorization: `Bearer ${caller.token ?? stack.anonKey}`,
      'Content-Type': 'application/json',
    },
    body: typeof args === 'string' ? args : JSON.stringify(args),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, text, json };
}

/**
 * A digest of everything clients could change: every table of `public` (from the catalog, so a
 * new table is included) and the change log pulls read. Compared before and after an attack.
 */
export async function dataDigest(stack: TestStack): Promise<Record<string, string>> {
  const { rows: tables } = await stack.db.query<{ name: string }>(
    "select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1",
  );
  const digest: Record<string, string> = {};
  for (const { name } of [...tables, { name: 'app.sync_changes' }]) {
    const { rows } = await stack.db.query<{ d: string | null }>(
      `select md5(string_agg(t::text, '|' order by t::text)) as d from ${name} t`,
    );
    digest[name] = rows[0]?.d ?? 'empty';
  }
  return digest;
}

/** How many ops the server remembers for a user (a refused non-member must leave none). */
export async function storedOps(stack: TestStack, userId: string | null): Promise<number> {
  const { rows } = await stack.db.query<{ n: number }>(
    'select count(*)::int as n from app.sync_ops where user_id is not distinct from $1',
    [userId],
  );
  return rows[0]?.n ?? 0;
}
