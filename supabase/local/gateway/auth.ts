import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { z } from 'zod';
import { bearerToken, type JwtKeys } from '../jwt';
import { header, readJsonBody, sendEmpty, sendJson } from './http';

/**
 * The slice of GoTrue the app uses: password and refresh-token grants, the current user,
 * logout, and admin user creation (for seeders). Passwords are bcrypt hashes in
 * auth.users.encrypted_password, checked by pgcrypto's crypt() as GoTrue's hashes verify.
 */
export interface AuthContext {
  pool: pg.Pool;
  keys: JwtKeys;
  /** The gateway's own URL (known once it listens: port 0 is the kernel's choice). */
  siteUrl: () => string;
  jwtExpirySeconds: number;
  refreshTokenReuseSeconds: number;
  now: () => number;
}

interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  email_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  is_anonymous: boolean;
  banned_until: Date | null;
}

const USER_COLUMNS = `id, aud, role, email, email_confirmed_at, last_sign_in_at, raw_app_meta_data,
  raw_user_meta_data, created_at, updated_at, is_anonymous, banned_until`;

const passwordGrant = z.object({ email: z.string().min(1), password: z.string().min(1) });
const refreshGrant = z.object({ refresh_token: z.string().min(1) });
const createUserBody = z.object({
  email: z.email(),
  password: z.string().min(6, 'Password should be at least 6 characters.'),
  email_confirm: z.boolean().optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
});

function apiVersion2024(req: IncomingMessage): boolean {
  const requested = header(req, 'x-supabase-api-version');
  return requested !== undefined && requested >= '2024-01-01';
}

/** GoTrue's two error shapes: `{code, message}` for API version 2024-01-01, else legacy. */
function authError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  if (apiVersion2024(req)) {
    sendJson(res, status, { code, message }, { 'X-Supabase-Api-Version': '2024-01-01' });
  } else {
    sendJson(res, status, { code: status, error_code: code, msg: message });
  }
}

function userJson(row: UserRow): Record<string, unknown> {
  const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
  return {
    id: row.id,
    aud: row.aud ?? 'authenticated',
    role: row.role ?? 'authenticated',
    email: row.email ?? '',
    email_confirmed_at: iso(row.email_confirmed_at),
    phone: '',
    confirmed_at: iso(row.email_confirmed_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: { provider: 'email', providers: ['email'], ...(row.raw_app_meta_data ?? {}) },
    user_metadata: row.raw_user_meta_data ?? {},
    identities: [],
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    is_anonymous: row.is_anonymous,
  };
}

/** GoTrue reads at most this much of a request body (larger ones are refused with 413). */
const AUTH_BODY_LIMIT = 64 * 1024;

/**
 * The request body as GoTrue's retrieveRequestParams sees it: 413 past the limit, 400 bad_json
 * for anything that does not parse as a JSON object. Null means the error was already answered.
 */
async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const body = await readJsonBody(req, res, AUTH_BODY_LIMIT, undefined);
  if (!body.ok) {
    if (body.reason === 'too_large') {
      authError(req, res, 413, 'request_entity_too_large', `Request body too large (max ${body.limitBytes} bytes)`);
    } else {
      authError(req, res, 400, 'bad_json', `Could not parse request body as JSON: ${body.detail}`);
    }
    return null;
  }
  if (body.value === null || typeof body.value !== 'object' || Array.isArray(body.value)) {
    authError(req, res, 400, 'bad_json', 'Could not parse request body as JSON: the body must be a JSON object');
    return null;
  }
  return body.value;
}

// Any 8-4-4-4-12 hex id, as GoTrue's uuid.FromString accepts (zod's uuid() would refuse version-0 ids).
const uuid = z.guid();

function newRefreshToken(): string {
  return randomBytes(12).toString('base64url');
}

async function issueSession(
  ctx: AuthContext,
  client: pg.ClientBase,
  user: UserRow,
  sessionId: string,
  refreshToken: string,
  method: string,
): Promise<Record<string, unknown>> {
  const iat = Math.floor(ctx.now() / 1000);
  const exp = iat + ctx.jwtExpirySeconds;
  const accessToken = await ctx.keys.sign({
    iss: `${ctx.siteUrl()}/auth/v1`,
    sub: user.id,
    aud: user.aud ?? 'authenticated',
    exp,
    iat,
    email: user.email ?? '',
    phone: '',
    app_metadata: { provider: 'email', providers: ['email'], ...(user.raw_app_meta_data ?? {}) },
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? 'authenticated',
    aal: 'aal1',
    amr: [{ method, timestamp: iat }],
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  });
  await client.query('update auth.sessions set updated_at = now() where id = $1', [sessionId]);
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: ctx.jwtExpirySeconds,
    expires_at: exp,
    refresh_token: refreshToken,
    user: userJson(user),
  };
}

async function passwordLogin(req: IncomingMessage, res: ServerResponse, ctx: AuthContext): Promise<void> {
  const json = await readJson(req, res);
  if (json === null) return;
  const body = passwordGrant.safeParse(json);
  if (!body.success) {
    authError(req, res, 400, 'validation_failed', 'An email address and a password are required');
    return;
  }
  const client = await ctx.pool.connect();
  try {
    const found = await client.query<UserRow & { password_ok: boolean }>(
      `select ${USER_COLUMNS},
              coalesce(encrypted_password = extensions.crypt($2, encrypted_password), false) as password_ok
         from auth.users where lower(email) = lower($1) and deleted_at is null`,
      [body.data.email, body.data.password],
    );
    const user = found.rows[0];
    if (user === undefined || !user.password_ok) {
      authError(req, res, 400, 'invalid_credentials', 'Invalid login credentials');
      return;
    }
    if (isBanned(user.banned_until, ctx)) {
      authError(req, res, 400, 'user_banned', 'User is banned');
      return;
    }
    if (user.email_confirmed_at === null) {
      authError(req, res, 400, 'email_not_confirmed', 'Email not confirmed');
      return;
    }
    await client.query('begin');
    const sessionId = randomUUID();
    const token = newRefreshToken();
    await client.query('insert into auth.sessions (id, user_id) values ($1, $2)', [sessionId, user.id]);
    await client.query('insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)', [token, user.id, sessionId]);
    const updated = await client.query<UserRow>(`update auth.users set last_sign_in_at = now() where id = $1 returning ${USER_COLUMNS}`, [
      user.id,
    ]);
    const session = await issueSession(ctx, client, updated.rows[0] ?? user, sessionId, token, 'password');
    await client.query('commit');
    sendJson(res, 200, session);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface TokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  updated_at: Date;
  session_id: string;
  banned_until: Date | null;
}

function isBanned(bannedUntil: Date | null, ctx: AuthContext): boolean {
  return bannedUntil !== null && bannedUntil.getTime() > ctx.now();
}

async function refreshLogin(req: IncomingMessage, res: ServerResponse, ctx: AuthContext): Promise<void> {
  const json = await readJson(req, res);
  if (json === null) return;
  const body = refreshGrant.safeParse(json);
  if (!body.success) {
    authError(req, res, 400, 'validation_failed', 'A refresh_token is required');
    return;
  }
  const client = await ctx.pool.connect();
  try {
    await client.query('begin');
    const found = await client.query<TokenRow>(
      `select t.id, t.token, t.user_id, t.revoked, t.updated_at, t.session_id, u.banned_until
         from auth.refresh_tokens t left join auth.users u on u.id = t.user_id::uuid
        where t.token = $1 for update of t`,
      [body.data.refresh_token],
    );
    const row = found.rows[0];
    if (row === undefined) {
      await client.query('rollback');
      authError(req, res, 400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
      return;
    }
    // GoTrue checks the ban before anything else, so a banned user's token is neither rotated
    // nor revoked: lifting the ban lets the same session refresh again.
    if (isBanned(row.banned_until, ctx)) {
      await client.query('rollback');
      authError(req, res, 400, 'user_banned', 'Invalid Refresh Token: User Banned');
      return;
    }
    let token: string;
    if (row.revoked) {
      // GoTrue's reuse interval: two tabs refreshing at once both get the newest token instead
      // of one of them being signed out.
      const child = await client.query<{ token: string }>(
        'select token from auth.refresh_tokens where parent = $1 and revoked = false order by id desc limit 1',
        [row.token],
      );
      const withinReuse = ctx.now() - row.updated_at.getTime() <= ctx.refreshTokenReuseSeconds * 1000;
      const childToken = child.rows[0]?.token;
      if (!withinReuse || childToken === undefined) {
        await client.query('update auth.refresh_tokens set revoked = true where session_id = $1', [row.session_id]);
        await client.query('commit');
        authError(req, res, 400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
        return;
      }
      token = childToken;
    } else {
      token = newRefreshToken();
      await client.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [row.id]);
      await client.query('insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)', [
        token,
        row.user_id,
        row.session_id,
        row.token,
      ]);
    }
    const user = await client.query<UserRow>(`select ${USER_COLUMNS} from auth.users where id = $1::uuid and deleted_at is null`, [
      row.user_id,
    ]);
    const userRow = user.rows[0];
    if (userRow === undefined) {
      await client.query('rollback');
      authError(req, res, 400, 'user_not_found', 'User from sub claim in JWT does not exist');
      return;
    }
    const session = await issueSession(ctx, client, userRow, row.session_id, token, 'token_refresh');
    await client.query('commit');
    sendJson(res, 200, session);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function claimsOf(req: IncomingMessage, ctx: AuthContext): Promise<Record<string, unknown> | null> {
  const token = bearerToken(header(req, 'authorization'));
  if (token === null) return null;
  const verified = await ctx.keys.verify(token);
  return verified.ok ? verified.claims : null;
}

async function currentUser(req: IncomingMessage, res: ServerResponse, ctx: AuthContext): Promise<void> {
  const claims = await claimsOf(req, ctx);
  const sub = claims?.['sub'];
  if (typeof sub !== 'string') {
    authError(req, res, 403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature, or missing sub claim');
    return;
  }
  if (!uuid.safeParse(sub).success) {
    authError(req, res, 400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
    return;
  }
  const found = await ctx.pool.query<UserRow>(`select ${USER_COLUMNS} from auth.users where id = $1::uuid and deleted_at is null`, [sub]);
  const user = found.rows[0];
  if (user === undefined) {
    authError(req, res, 403, 'user_not_found', 'User from sub claim in JWT does not exist');
    return;
  }
  sendJson(res, 200, userJson(user));
}

async function logout(req: IncomingMessage, res: ServerResponse, url: URL, ctx: AuthContext): Promise<void> {
  const claims = await claimsOf(req, ctx);
  const sessionId = claims?.['session_id'];
  const sub = claims?.['sub'];
  if (typeof sessionId !== 'string' || typeof sub !== 'string') {
    authError(req, res, 403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature');
    return;
  }
  if (!uuid.safeParse(sub).success || !uuid.safeParse(sessionId).success) {
    authError(req, res, 400, 'bad_jwt', 'invalid claim: sub and session_id claims must be UUIDs');
    return;
  }
  const scope = url.searchParams.get('scope') ?? 'global';
  if (scope === 'local') {
    await ctx.pool.query('delete from auth.sessions where id = $1', [sessionId]);
  } else if (scope === 'others') {
    await ctx.pool.query('delete from auth.sessions where user_id = $1::uuid and id <> $2', [sub, sessionId]);
  } else {
    await ctx.pool.query('delete from auth.sessions where user_id = $1::uuid', [sub]);
  }
  sendEmpty(res, 204);
}

async function adminCreateUser(req: IncomingMessage, res: ServerResponse, ctx: AuthContext): Promise<void> {
  const claims = await claimsOf(req, ctx);
  if (claims?.['role'] !== 'service_role') {
    authError(req, res, 403, 'not_admin', 'User not allowed');
    return;
  }
  const json = await readJson(req, res);
  if (json === null) return;
  const body = createUserBody.safeParse(json);
  if (!body.success) {
    authError(req, res, 400, 'validation_failed', body.error.issues.map((issue) => issue.message).join('; '));
    return;
  }
  try {
    const created = await ctx.pool.query<UserRow>(
      `insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
       values ($1, 'authenticated', 'authenticated', lower($2), extensions.crypt($3, extensions.gen_salt('bf', 10)),
               case when $4 then now() end, $5, $6)
       returning ${USER_COLUMNS}`,
      [
        randomUUID(),
        body.data.email,
        body.data.password,
        body.data.email_confirm ?? false,
        body.data.app_metadata ?? {},
        body.data.user_metadata ?? {},
      ],
    );
    const user = created.rows[0];
    if (user === undefined) throw new Error('insert into auth.users returned no row');
    sendJson(res, 200, userJson(user));
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === '23505') {
      authError(req, res, 422, 'email_exists', 'A user with this email address has already been registered');
      return;
    }
    throw error;
  }
}

export async function handleAuth(req: IncomingMessage, res: ServerResponse, url: URL, ctx: AuthContext): Promise<void> {
  const path = url.pathname.replace(/^\/auth\/v1/, '');
  if (req.method === 'POST' && path === '/token') {
    const grant = url.searchParams.get('grant_type');
    if (grant === 'password') return passwordLogin(req, res, ctx);
    if (grant === 'refresh_token') return refreshLogin(req, res, ctx);
    authError(req, res, 400, 'unsupported_grant_type', `unsupported grant_type "${grant ?? ''}"`);
    return;
  }
  if (req.method === 'GET' && path === '/user') return currentUser(req, res, ctx);
  if (req.method === 'POST' && path === '/logout') return logout(req, res, url, ctx);
  if (req.method === 'POST' && path === '/admin/users') return adminCreateUser(req, res, ctx);
  if (req.method === 'GET' && path === '/health') {
    sendJson(res, 200, { version: 'local', name: 'GoTrue (local stand-in)', description: 'GigManager local auth' });
    return;
  }
  authError(req, res, 404, 'not_found', `${req.method ?? ''} ${url.pathname} is not served by the local auth stand-in`);
}
