import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../tests/helpers/supabase-client';
import { SUPABASE_DIR } from '../local/paths';

// /functions/v1/<name>: the Deno processes behind the gateway and verify_jwt.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    functionsDirs: [join(SUPABASE_DIR, 'functions'), join(FIXTURES, 'functions')],
    configPath: join(FIXTURES, 'config', 'config.toml'),
  });
});
afterAll(async () => {
  await stack?.stop();
});

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  custom: string | null;
  body: string | null;
  env: { url: string | null; hasServiceKey: boolean };
}

describe('edge functions', () => {
  it('serves every function folder and skips _shared', () => {
    expect([...stack.functions.keys()].sort()).toEqual(['echo', 'health', 'notify-staff', 'public-echo']);
  });

  it('forwards method, path, query, headers and body, and gives functions the project env', async () => {
    const { data, error } = await nodeSupabaseClient(stack.url, stack.anonKey).functions.invoke<Echo>('echo/sub/path?x=1', {
      body: { hello: 'crew' },
      headers: { 'x-probe': 'probe-value' },
    });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      method: 'POST',
      path: '/echo/sub/path',
      query: { x: '1' },
      authorization: `Bearer ${stack.anonKey}`,
      custom: 'probe-value',
      body: JSON.stringify({ hello: 'crew' }),
      env: { url: stack.url, hasServiceKey: true },
    });
  });

  it('passes the function status through', async () => {
    const response = await fetch(`${stack.url}/functions/v1/echo?status=418`, {
      headers: { Authorization: `Bearer ${stack.anonKey}` },
    });
    expect(response.status).toBe(418);
  });

  it('refuses a call without a JWT when verify_jwt is on', async () => {
    const response = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 401, message: 'Missing authorization header' });
  });

  it('refuses an invalid or expired JWT', async () => {
    const bad = await fetch(`${stack.url}/functions/v1/echo`, { headers: { Authorization: 'Bearer not.a.jwt' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ code: 401, message: 'Invalid JWT' });
    const expired = await stack.keys.sign({ role: 'anon', exp: Math.floor(Date.now() / 1000) - 10 });
    const late = await fetch(`${stack.url}/functions/v1/echo`, { headers: { Authorization: `Bearer ${expired}` } });
    expect(late.status).toBe(401);
    expect(await late.json()).toEqual({ code: 401, message: 'JWT expired' });
  });

  it('lets a verify_jwt = false function through without a JWT', async () => {
    const response = await fetch(`${stack.url}/functions/v1/public-echo`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ open: true });
  });

  it('answers 404 for an unknown function', async () => {
    const response = await fetch(`${stack.url}/functions/v1/nope`, { headers: { Authorization: `Bearer ${stack.anonKey}` } });
    expect(response.status).toBe(404);
  });

  it('honours the config.toml JWT expiry', async () => {
    await stack.createUser('expiry@example.com', 'password-123');
    const { data } = await nodeSupabaseClient(stack.url, stack.anonKey).auth.signInWithPassword({
      email: 'expiry@example.com',
      password: 'password-123',
    });
    expect(data.session?.expires_in).toBe(600);
  });
});
