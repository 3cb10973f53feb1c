import type { IncomingMessage } from 'node:http';
import { bearerToken, type JwtKeys } from '../jwt';
import { header } from './http';

export interface RequestIdentity {
  role: string;
  sub: string | null;
  claims: Record<string, unknown>;
}

export type IdentityResult =
  { ok: true; identity: RequestIdentity } | { ok: false; status: number; body: Record<string, unknown>; headers: Record<string, string> };

/**
 * What Kong + PostgREST do with the two credentials supabase-js sends: the `apikey` must be one
 * of the project's keys, and the JWT (Authorization, else the apikey itself) decides the role.
 */
export async function identify(req: IncomingMessage, url: URL, keys: JwtKeys, apiKeys: Set<string>): Promise<IdentityResult> {
  const apikey = header(req, 'apikey') ?? url.searchParams.get('apikey') ?? undefined;
  if (apikey === undefined) {
    return { ok: false, status: 401, body: { message: 'No API key found in request' }, headers: {} };
  }
  if (!apiKeys.has(apikey)) {
    return { ok: false, status: 401, body: { message: 'Invalid API key' }, headers: {} };
  }
  const token = bearerToken(header(req, 'authorization')) ?? apikey;
  const verified = await keys.verify(token);
  if (!verified.ok) {
    const expired = verified.reason === 'expired';
    return {
      ok: false,
      status: 401,
      body: {
        code: expired ? 'PGRST303' : 'PGRST301',
        message: expired ? 'JWT expired' : 'JWT could not be decoded or its signature is invalid',
        details: expired ? null : verified.detail,
        hint: null,
      },
      headers: {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${expired ? 'JWT expired' : 'JWT invalid'}"`,
      },
    };
  }
  const claims = verified.claims as Record<string, unknown>;
  const role = typeof claims['role'] === 'string' ? claims['role'] : 'anon';
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : null;
  return { ok: true, identity: { role, sub, claims } };
}
