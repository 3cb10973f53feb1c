import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { arrangeAttackers, callRpc, dataDigest, type Attackers, type Caller, type RpcAnswer } from './rpc-attackers';

// Every function in `public` is callable at /rest/v1/rpc/<name> on a hosted project, so every one
// is attacked here, driven by the catalog: a function added later fails the first test until it
// is entered in API below (who may call it and one harmless, valid call), and from then on its
// arguments are fuzzed by type without anyone writing a test for it. Calls go through the local
// gateway with real JWTs, as supabase-js sends them.
let stack: TestStack;
let who: Attackers;

interface ApiEntry {
  /** Who may execute it: signed-in users, or the service role alone (server-side jobs). */
  callers: 'authenticated' | 'service_role';
  /** A valid call aimed at organization A's data (so outsiders' answers can be searched for it). */
  baseline: (w: Attackers) => Record<string, unknown>;
}

const P256DH = `B${'A'.repeat(86)}`;
const AUTH = 'A'.repeat(22);
const FUZZ_ENDPOINT = 'https://fuzz.push.example/';

const API: Record<string, ApiEntry> = {
  session_info: { callers: 'authenticated', baseline: () => ({}) },
  my_memberships: { callers: 'authenticated', baseline: () => ({}) },
  get_gig_hierarchy: { callers: 'authenticated', baseline: (w) => ({ root_gig_id: w.a.root }) },
  get_gig_ancestors: { callers: 'authenticated', baseline: (w) => ({ gig_id: w.a.child }) },
  search: { callers: 'authenticated', baseline: () => ({ query: 'SECRET', kinds: ['asset', 'case', 'gig'], limit: 20 }) },
  push_changes: { callers: 'authenticated', baseline: () => ({ device_id: 'fuzz-device', ops: [] }) },
  pull_changes: { callers: 'authenticated', baseline: () => ({ cursor: null, limit: 100, scope: { kind: 'mine' } }) },
  pull_snapshot: {
    callers: 'authenticated',
    baseline: (w) => ({ tbl: 'gigs', after: null, limit: 10, scope: { kind: 'gigs', roots: [w.a.root] } }),
  },
  sync_verify: { callers: 'authenticated', baseline: () => ({ cursor: '0:0', scope: { kind: 'org' } }) },
  audit_report: { callers: 'authenticated', baseline: (w) => ({ audit_id: w.a.audit }) },
  open_audits: { callers: 'authenticated', baseline: () => ({}) },
  get_asset_history: { callers: 'authenticated', baseline: (w) => ({ p_asset_id: w.a.loose, p_limit: 10 }) },
  get_gig_movements: { callers: 'authenticated', baseline: (w) => ({ p_gig_id: w.a.root, p_limit: 10 }) },
  get_availability: { callers: 'authenticated', baseline: (w) => ({ p_gig_id: w.a.root, p_expand: ['Audio'] }) },
  save_push_subscription: {
    callers: 'authenticated',
    baseline: () => ({ endpoint: `${FUZZ_ENDPOINT}${randomUUID()}`, p256dh: P256DH, auth: AUTH, user_agent: 'fuzz' }),
  },
  delete_push_subscription: { callers: 'authenticated', baseline: () => ({ endpoint: `${FUZZ_ENDPOINT}none` }) },
  list_push_subscriptions: { callers: 'authenticated', baseline: () => ({}) },
  claim_notification_outbox: { callers: 'service_role', baseline: () => ({ max_rows: 1, lease_seconds: 60 }) },
  complete_notification: { callers: 'service_role', baseline: () => ({ outbox_id: 1, claim_token: randomUUID(), results: [] }) },
};

interface CatalogFunction {
  name: string;
  signature: string;
  securityDefiner: boolean;
  config: string[];
  args: { name: string; type: string }[];
  anon: boolean;
  authenticated: boolean;
}
let catalog: CatalogFunction[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  who = await arrangeAttackers(stack, 'catalog');
  const { rows } = await stack.db.query<{
    name: string;
    signature: string;
    security_definer: boolean;
    config: string[] | null;
    arg_names: string[] | null;
    arg_types: string[];
    anon: boolean;
    authenticated: boolean;
  }>(
    `select p.proname as name, p.oid::regprocedure::text as signature, p.prosecdef as security_definer, p.proconfig as config,
            p.proargnames[1:p.pronargs] as arg_names,
            array(select format_type(t, null) from unnest(p.proargtypes) with ordinality u(t, i) order by i) as arg_types,
            has_function_privilege('anon', p.oid, 'execute') as anon,
            has_function_privilege('authenticated', p.oid, 'execute') as authenticated
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public'
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
      order by p.proname`,
  );
  catalog = rows.map((r) => ({
    name: r.name,
    signature: r.signature,
    securityDefiner: r.security_definer,
    config: r.config ?? [],
    args: r.arg_types.map((type, i) => ({ name: r.arg_names?.[i] ?? `$${i + 1}`, type })),
    anon: r.anon,
    authenticated: r.authenticated,
  }));
});
afterAll(async () => {
  await stack?.stop();
});

// Answers an attack may get: refusals with a specific code (22007/22008: a date and time that is
// not one, or out of range). Anything else (5xx, XX000, an undefined-object error, a constraint
// name, a generic P0001) is a finding.
const SPECIFIC_REFUSALS = /^(22023|22P02|22003|22P05|22007|22008|42501|PT4\d\d|54000|PGRST102|PGRST413)$/;

function refusalProblem(answer: RpcAnswer): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
  if (answer.status < 400) return null;
  const code = (answer.json as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !SPECIFIC_REFUSALS.test(code))
    return `HTTP ${answer.status} with code ${String(code)}: ${answer.text.slice(0, 200)}`;
  return null;
}

/** Markers of organizations the caller does not belong to that appear in an answer. */
function leaks(caller: Caller, answer: RpcAnswer): string[] {
  const own = [who.a, who.b].find((data) => Object.values(data.org.members).some((m) => m.userId === caller.userId))?.marker;
  return [who.a.marker, who.b.marker].filter((m) => m !== own && answer.text.includes(m));
}

const MIB2 = 2 * 1024 * 1024;
function deepJson(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** Malformed values for an argument of a type, as JSON a client can send. */
function malformed(type: string, w: Attackers): { label: string; value: unknown }[] {
  const common = [
    { label: 'null', value: null },
    { label: 'object', value: { nested: { id: w.b.root } } },
  ];
  switch (type) {
    case 'uuid':
      return [
        ...common,
        { label: 'empty', value: '' },
        { label: 'not a uuid', value: 'not-a-uuid' },
        { label: 'number', value: 42 },
        { label: 'array', value: [w.a.root] },
      ];
    case 'text':
      return [
        ...common,
        { label: 'empty', value: '' },
        { label: '2 MiB', value: 'x'.repeat(MIB2) },
        { label: '2 MiB of 4-byte characters', value: '𝄞'.repeat(MIB2 / 4) },
        { label: 'NUL', value: 'a\u0000b' },
        { label: 'SQL', value: "x'); select pg_sleep(30); --" },
        { label: 'number', value: 12345 },
      ];
    case 'integer':
    case 'bigint':
      return [
        ...common,
        { label: 'negative', value: -1 },
        { label: 'zero', value: 0 },
        { label: 'int max', value: 2147483647 },
        { label: 'past int', value: 2147483648 },
        { label: 'past bigint', value: 9223372036854775808 },
        { label: 'fraction', value: 1.5 },
        { label: 'string', value: 'many' },
      ];
    case 'text[]':
      return [
        ...common,
        { label: 'empty', value: [] },
        { label: '100k entries', value: Array.from({ length: 100_000 }, () => 'asset') },
        { label: 'nested', value: [[['gig']]] },
        { label: 'null entry', value: [null] },
        { label: 'string', value: 'asset' },
      ];
    case 'timestamp with time zone':
      return [
        ...common,
        { label: 'empty', value: '' },
        { label: 'not a date', value: 'next tuesday-ish' },
        { label: 'number', value: 1_700_000_000 },
        { label: 'infinity', value: 'infinity' },
        { label: 'year 294277', value: '294277-01-01T00:00:00Z' },
        { label: 'array', value: ['2027-01-01T00:00:00Z'] },
      ];
    case 'jsonb':
    case 'json':
      return [
        ...common,
        { label: 'string', value: 'ops' },
        { label: 'number', value: 7 },
        { label: '400 levels deep', value: deepJson(400) },
        { label: '100k entries', value: Array.from({ length: 100_000 }, (_, i) => i) },
        { label: '2 MiB string inside', value: [{ id: randomUUID(), table: 'x'.repeat(MIB2) }] },
        { label: 'array of nulls', value: [null, null] },
      ];
    default:
      throw new Error(`no malformed values for argument type ${type}: add them here`);
  }
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

describe('the catalog of public functions', () => {
  it('holds exactly the RPCs this suite knows how to attack (a new function must be entered in API)', () => {
    expect(catalog.length).toBeGreaterThan(5);
    expect(catalog.map((f) => f.name).sort()).toEqual(Object.keys(API).sort());
  });

  it('lets anonymous callers execute none of them', () => {
    expect(catalog.filter((f) => f.anon).map((f) => f.signature)).toEqual([]);
  });

  it('lets signed-in callers execute exactly the client API, and the service jobs stay with the service role', () => {
    const expected = catalog.filter((f) => API[f.name]?.callers === 'authenticated').map((f) => f.signature);
    expect(catalog.filter((f) => f.authenticated).map((f) => f.signature)).toEqual(expected);
  });

  it('pins search_path on every function (a security definer function must not resolve names through the caller’s path)', () => {
    expect(catalog.filter((f) => !f.config.some((c) => c.startsWith('search_path='))).map((f) => f.signature)).toEqual([]);
  });
});

describe('each RPC through the gateway', () => {
  it('refuses the anonymous key with 401 / 42501 and changes nothing', async () => {
    const before = await dataDigest(stack);
    const problems: string[] = [];
    for (const f of catalog) {
      const answer = await callRpc(stack, who.anon, f.name, API[f.name]?.baseline(who) ?? {});
      const code = (answer.json as { code?: string } | null)?.code;
      if (answer.status !== 401 || code !== '42501') problems.push(`${f.name}: HTTP ${answer.status} ${answer.text.slice(0, 120)}`);
    }
    expect(problems).toEqual([]);
    expect(await dataDigest(stack)).toEqual(before);
  });

  it('refuses the service jobs to every signed-in caller, admins included (403 / 42501)', async () => {
    const problems: string[] = [];
    for (const f of catalog.filter((c) => API[c.name]?.callers === 'service_role')) {
      for (const caller of [who.outsider, who.member(who.a, 'admin'), who.member(who.b, 'station')]) {
        const answer = await callRpc(stack, caller, f.name, API[f.name]?.baseline(who) ?? {});
        if (answer.status !== 403 || (answer.json as { code?: string } | null)?.code !== '42501') {
          problems.push(`${f.name} as ${caller.label}: HTTP ${answer.status} ${answer.text.slice(0, 120)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers a valid call by an outsider, a removed member and the other organization without any of organization A’s data', async () => {
    const problems: string[] = [];
    for (const f of catalog.filter((c) => API[c.name]?.callers === 'authenticated')) {
      for (const caller of [who.outsider, who.removed, who.member(who.b, 'admin')]) {
        const answer = await callRpc(stack, caller, f.name, API[f.name]?.baseline(who) ?? {});
        const problem = refusalProblem(answer);
        if (problem !== null) problems.push(`${f.name} as ${caller.label}: ${problem}`);
        for (const leak of leaks(caller, answer)) problems.push(`${f.name} as ${caller.label} saw ${leak}: ${answer.text.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers another organization’s ids exactly as it answers ids that exist nowhere (no existence hints)', async () => {
    const problems: string[] = [];
    const foreign = [who.a.root, who.a.child, who.a.box, who.a.inBox, who.a.loose, who.a.staff];
    const caller = who.member(who.b, 'admin');
    for (const f of catalog.filter((c) => API[c.name]?.callers === 'authenticated')) {
      for (const arg of f.args.filter((a) => a.type === 'uuid')) {
        const answerFor = async (id: string): Promise<string> => {
          const answer = await callRpc(stack, caller, f.name, { ...API[f.name]?.baseline(who), [arg.name]: id });
          return `${answer.status} ${answer.text.replaceAll(id, '<id>')}`;
        };
        const unknown = await answerFor(randomUUID());
        for (const id of foreign) {
          const answer = await answerFor(id);
          if (answer !== unknown) problems.push(`${f.name}(${arg.name} = A's ${id}): ${answer} ≠ unknown id: ${unknown}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses malformed and oversized arguments of every type with a specific 4xx code, leaking nothing and changing nothing', async () => {
    const callers = [who.outsider, who.removed, who.member(who.b, 'admin'), who.member(who.a, 'admin')];
    const problems: string[] = [];
    let calls = 0;
    for (const f of catalog.filter((c) => API[c.name]?.callers === 'authenticated')) {
      const entry = API[f.name];
      if (entry === undefined) continue;
      await stack.db.query('delete from public.user_push_subscriptions where endpoint like $1', [`${FUZZ_ENDPOINT}%`]);
      const before = await dataDigest(stack);
      const cases = f.args.flatMap((arg) => malformed(arg.type, who).map((m) => ({ arg: arg.name, ...m })));
      const attempts = callers.flatMap((caller) => cases.map((c) => ({ caller, ...c })));
      await inBatches(attempts, 4, async ({ caller, arg, label, value }) => {
        calls += 1;
        const answer = await callRpc(stack, caller, f.name, { ...entry.baseline(who), [arg]: value });
        const where = `${f.name}(${arg} = ${label}) as ${caller.label}`;
        const problem = refusalProblem(answer);
        if (problem !== null) problems.push(`${where}: ${problem}`);
        for (const leak of leaks(caller, answer)) problems.push(`${where} saw ${leak}`);
      });
      // The only change allowed: subscriptions saved with a valid endpoint and keys (the user agent
      // is free text, cut to 500 characters).
      const { rows } = await stack.db.query<{ n: number }>(
        'delete from public.user_push_subscriptions where endpoint like $1 and coalesce(length(user_agent), 0) <= 500 returning 1',
        [`${FUZZ_ENDPOINT}%`],
      );
      if (f.name !== 'save_push_subscription' && rows.length > 0) problems.push(`${f.name} saved ${rows.length} subscriptions`);
      if (f.name === 'save_push_subscription') {
        const left = await stack.db.query('select endpoint, length(user_agent) as ua, p256dh, auth from public.user_push_subscriptions');
        if (left.rows.length > 0) problems.push(`save_push_subscription kept ${JSON.stringify(left.rows).slice(0, 300)}`);
      }
      const after = await dataDigest(stack);
      for (const table of Object.keys(before)) if (after[table] !== before[table]) problems.push(`${f.name} changed ${table}`);
    }
    expect(calls).toBeGreaterThan(200);
    expect(problems).toEqual([]);
    // Hundreds of calls, one after another: 12 s on a quiet machine, over 30 s beside a CPU-heavy run.
  }, 180_000);
});
