import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../../tests/helpers/supabase-client';

// supabase-js, unchanged, against the local stack: the calls the station and PWA make.
let stack: TestStack;
let userId: string;
const email = 'crew.member@example.com';
const password = 'correct horse battery';

beforeAll(async () => {
  stack = await startTestStack();
  userId = await stack.createUser(email, password);
});
afterAll(async () => {
  await stack?.stop();
});

function client(): NodeSupabaseClient {
  return nodeSupabaseClient(stack.url, stack.anonKey);
}

describe('supabase-js against the local stack', () => {
  it('signs in with a password and gets a GoTrue-shaped session', async () => {
    const supabase = client();
    const { data, error } = await supabase.auth.signInWithPassword({ email, password });
    expect(error).toBeNull();
    expect(data.user?.id).toBe(userId);
    expect(data.user?.email).toBe(email);
    expect(data.session?.token_type).toBe('bearer');
    expect(data.session?.expires_in).toBe(3600);
    const claims = await stack.keys.verify(data.session?.access_token ?? '');
    expect(claims.ok && claims.claims['role']).toBe('authenticated');
    expect(claims.ok && claims.claims['sub']).toBe(userId);
  });

  it('refuses a wrong password with invalid_credentials', async () => {
    const { data, error } = await client().auth.signInWithPassword({ email, password: 'wrong' });
    expect(data.session).toBeNull();
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('invalid_credentials');
    expect(error?.message).toBe('Invalid login credentials');
  });

  it('runs rpc as authenticated with auth.uid() set from the JWT', async () => {
    const supabase = client();
    await supabase.auth.signInWithPassword({ email, password });
    const { data, error, status } = await supabase.rpc('session_info');
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toEqual({ user_id: userId, role: 'authenticated', email });
  });

  it('refuses rpc for anon where the grants say so', async () => {
    const { data, error, status } = await client().rpc('session_info');
    expect(data).toBeNull();
    expect(status).toBe(401);
    expect(error?.code).toBe('42501');
    expect(error?.message).toMatch(/permission denied for function session_info/);
  });

  it('refreshes the session with the refresh token, rotating it', async () => {
    const supabase = client();
    const signIn = await supabase.auth.signInWithPassword({ email, password });
    const first = signIn.data.session;
    const { data, error } = await supabase.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session?.refresh_token).toBeDefined();
    expect(data.session?.refresh_token).not.toBe(first?.refresh_token);
    expect((await supabase.rpc('session_info')).data).toMatchObject({ user_id: userId });

    // The rotated-away token is refused once the reuse interval has passed.
    await stack.db.query("update auth.refresh_tokens set updated_at = now() - interval '1 hour' where token = $1", [first?.refresh_token]);
    const reused = await client().auth.refreshSession({ refresh_token: first?.refresh_token ?? '' });
    expect(reused.error?.code).toBe('refresh_token_already_used');
  });

  it('reaches a Deno edge function through functions.invoke', async () => {
    const supabase = client();
    await supabase.auth.signInWithPassword({ email, password });
    const { data, error } = await supabase.functions.invoke<{ status: string; project: string }>('health');
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'ok', project: stack.url });
  });

  it('answers 401 for a JWT signed with another secret', async () => {
    const forged = await new (await import('../local/jwt')).JwtKeys('x'.repeat(40), Date.now).sign({
      role: 'authenticated',
      sub: userId,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    const supabase = client();
    const { error, status } = await supabase.rpc('session_info').setHeader('Authorization', `Bearer ${forged}`);
    expect(status).toBe(401);
    expect(error?.code).toBe('PGRST301');
  });

  it('answers 401 PGRST303 for an expired JWT', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await stack.keys.sign({ role: 'authenticated', sub: userId, iat: now - 7200, exp: now - 3600 });
    const { error, status } = await client().rpc('session_info').setHeader('Authorization', `Bearer ${expired}`);
    expect(status).toBe(401);
    expect(error?.code).toBe('PGRST303');
    expect(error?.message).toBe('JWT expired');
  });

  it('surfaces a SQL raise exception as a supabase-js error with its message', async () => {
    const { error, status } = await nodeSupabaseClient(stack.url, stack.serviceRoleKey).rpc('session_info_missing');
    expect(status).toBe(404);
    expect(error?.code).toBe('PGRST202');

    await stack.db.query(`create function public.refuse_gig(reason text) returns void language plpgsql as $$
      begin raise exception 'gig refused: %', reason using hint = 'pick another gig'; end $$`);
    await stack.db.query(`notify pgrst, 'reload schema'`);
    const refused = await client().rpc('refuse_gig', { reason: 'double booked' });
    expect(refused.status).toBe(400);
    expect(refused.error?.code).toBe('P0001');
    expect(refused.error?.message).toBe('gig refused: double booked');
    expect(refused.error?.hint).toBe('pick another gig');
  });

  it('rejects requests without an API key, as the Supabase gateway does', async () => {
    const response = await fetch(`${stack.url}/rest/v1/rpc/session_info`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'No API key found in request' });
  });
});
