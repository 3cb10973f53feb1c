import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../tests/helpers/supabase-client';

// The gateway's /rest/v1/rpc must behave like PostgREST for every shape of call clients make.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ extraSqlFiles: [join(FIXTURES, 'sql', 'rpc-probes.sql')] });
});
afterAll(async () => {
  await stack?.stop();
});

const service = () => nodeSupabaseClient(stack.url, stack.serviceRoleKey);
const anon = () => nodeSupabaseClient(stack.url, stack.anonKey);

async function post(fn: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}/rest/v1/rpc/${fn}`, {
    method: 'POST',
    headers: { apikey: stack.anonKey, 'Content-Type': 'application/json', ...headers },
    body,
  });
}

describe('RPC arguments', () => {
  it('passes named arguments with their types and applies defaults', async () => {
    const { data, error } = await anon().rpc('probe_echo', { a: 7, c: { nested: [1, 2] }, d: ['x', 'y'] });
    expect(error).toBeNull();
    expect(data).toEqual({ a: 7, b: 'default-b', c: { nested: [1, 2] }, d: ['x', 'y'], role: 'anon', uid: null });
  });

  it('refuses a call whose argument names match no overload with PGRST202', async () => {
    const { error, status } = await anon().rpc('probe_echo', { a: 1, nope: 2 });
    expect(status).toBe(404);
    expect(error?.code).toBe('PGRST202');
    expect(error?.message).toBe('Could not find the function public.probe_echo(a, nope) in the schema cache');
  });

  it('refuses a missing required argument', async () => {
    const { error, status } = await anon().rpc('probe_echo', { b: 'only b' });
    expect(status).toBe(404);
    expect(error?.code).toBe('PGRST202');
  });

  it('reports an ill-typed argument as a 400 with the database message', async () => {
    const { error, status } = await anon().rpc('probe_echo', { a: 'seven' });
    expect(status).toBe(400);
    expect(error?.code).toBe('22P02');
    expect(error?.message).toMatch(/invalid input syntax for type integer/);
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const body of ['{not json', '[1,2]', '"text"']) {
      const response = await post('probe_echo', body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'PGRST102', message: 'Empty or invalid json' });
    }
  });

  it('passes the whole body to a function with a single unnamed jsonb parameter', async () => {
    const { data } = await anon().rpc('probe_unnamed', { any: 'shape', n: 1 });
    expect(data).toEqual({ got: { any: 'shape', n: 1 } });
  });

  it('treats SQL in a string argument as data', async () => {
    const hostile = "x'); drop table public.probe_writes; --";
    const { data, error } = await anon().rpc('probe_echo', { a: 1, b: hostile });
    expect(error).toBeNull();
    expect(data).toMatchObject({ b: hostile });
    const table = await stack.db.query("select to_regclass('public.probe_writes') as t");
    expect(table.rows[0]?.t).toBe('probe_writes');
  });
});

describe('RPC results', () => {
  it('returns a set of scalars as an array', async () => {
    expect((await anon().rpc('probe_series', { n: 3 })).data).toEqual([1, 2, 3]);
    expect((await anon().rpc('probe_series', { n: 0 })).data).toEqual([]);
  });

  it('returns table rows as an array of objects', async () => {
    expect((await anon().rpc('probe_rows', { n: 2 })).data).toEqual([
      { i: 1, label: 'row 1' },
      { i: 2, label: 'row 2' },
    ]);
  });

  it('returns a scalar as a JSON value, numerics as numbers', async () => {
    expect((await anon().rpc('probe_scalar', { x: 1.25 })).data).toBe(2.5);
  });

  it('answers 204 for a void function', async () => {
    await stack.db.query('create or replace function public.probe_nothing() returns void language sql as $$ select $$');
    await stack.db.query(`notify pgrst, 'reload schema'`);
    const response = await post('probe_nothing', '{}');
    expect(response.status).toBe(204);
    expect((await anon().rpc('probe_nothing')).error).toBeNull();
  });

  it('calls stable functions with GET and refuses GET for volatile ones', async () => {
    const get = await anon().rpc('probe_echo', { a: 5 }, { get: true });
    expect(get.data).toMatchObject({ a: 5, b: 'default-b' });
    const volatile = await anon().rpc('probe_write', { note: 'via get' }, { get: true });
    expect(volatile.status).toBe(405);
  });
});

describe('RPC transactions and errors', () => {
  it('rolls back everything when the function raises after writing', async () => {
    const { error, status } = await anon().rpc('probe_write', { note: 'half-done', fail_after: true });
    expect(status).toBe(400);
    expect(error?.message).toBe('failing after the insert');
    const rows = await stack.db.query("select count(*)::int as n from public.probe_writes where note = 'half-done'");
    expect(rows.rows[0]?.n).toBe(0);
  });

  it('maps a unique violation to 409 with the constraint detail', async () => {
    expect((await anon().rpc('probe_write', { note: 'once' })).error).toBeNull();
    const { error, status } = await anon().rpc('probe_write', { note: 'once' });
    expect(status).toBe(409);
    expect(error?.code).toBe('23505');
    expect(error?.details).toMatch(/already exists/);
  });

  it('carries raise exception detail and hint', async () => {
    const { error, status } = await anon().rpc('probe_fail', { message: 'scanner offline' });
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: 'P0001', message: 'scanner offline', details: 'probe detail', hint: 'probe hint' });
  });

  it('answers 403 to an authenticated caller without the grant, and lets service_role through', async () => {
    await stack.createUser('no-grant@example.com', 'password-123');
    const user = anon();
    await user.auth.signInWithPassword({ email: 'no-grant@example.com', password: 'password-123' });
    const refused = await user.rpc('probe_admin_only');
    expect(refused.status).toBe(403);
    expect(refused.error?.code).toBe('42501');
    expect((await service().rpc('probe_admin_only')).data).toBe('secret');
  });

  it('refuses a schema that is not exposed', async () => {
    const response = await post('probe_echo', '{"a":1}', { 'Content-Profile': 'auth' });
    expect(response.status).toBe(406);
    expect(await response.json()).toMatchObject({ code: 'PGRST106' });
  });

  it('refuses an API key that is not one of the project keys', async () => {
    const other = await stack.keys.sign({ role: 'anon', iss: 'elsewhere' });
    const response = await post('probe_echo', '{"a":1}', { apikey: other });
    expect(response.status).toBe(401);
  });

  it('refuses a JWT whose role the authenticator cannot assume', async () => {
    const token = await stack.keys.sign({ role: 'postgres', exp: Math.floor(Date.now() / 1000) + 60 });
    const response = await post('probe_echo', '{"a":1}', { Authorization: `Bearer ${token}` });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/permission denied to set role/);
  });

  it('serves only RPC under /rest/v1, saying so', async () => {
    const response = await fetch(`${stack.url}/rest/v1/gigs?select=*`, { headers: { apikey: stack.anonKey } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toMatch(/RPC only/);
  });
});
