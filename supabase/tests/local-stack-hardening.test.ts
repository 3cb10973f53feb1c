import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { nodeSupabaseClient } from '../../tests/helpers/supabase-client';
import { MAX_JSON_DEPTH } from '../local/gateway/http';

// The stand-in gateway attacked from outside: raw HTTP over a socket, so nothing (no client
// library, no fetch) smooths over what the server really sends, how it frames it, and whether it
// lets go of the connection.
let stack: TestStack;
const email = 'banned.crew@example.com';
const password = 'correct horse battery';
let userId: string;

beforeAll(async () => {
  stack = await startTestStack();
  userId = await stack.createUser(email, password);
});
afterAll(async () => {
  await stack?.stop();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One open connection: write raw request bytes, read framed responses, see when the server closes. */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    // A reset after the server answered is one of the outcomes under test, not a failure here.
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits for `check` to hold, re-checked on every chunk and on close, up to `timeoutMs`. */
  private async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      // A server that closed on us makes the write fail: that is what some tests expect.
      this.socket.write(data, () => resolve());
    });
  }

  /** Reads one Content-Length-framed response (the gateway always sets Content-Length on JSON). */
  async response(timeoutMs = 20_000): Promise<RawResponse> {
    await this.until(() => this.buffer.includes('\r\n\r\n') || this.closed, timeoutMs, 'response headers');
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) throw new Error('connection closed before a response');
    const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? '0');
    await this.until(() => this.buffer.length >= end + 4 + length || this.closed, timeoutMs, 'response body');
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  /** True when the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    try {
      await this.until(() => this.closed, timeoutMs, 'the server to close the connection');
      return true;
    } catch {
      return false;
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One request on its own connection with a complete body. */
async function raw(method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  const connection = await RawConnection.open(stack.url);
  try {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    await connection.write(
      requestHead(method, path, {
        apikey: stack.anonKey,
        'Content-Type': 'application/json',
        'Content-Length': String(bytes.length),
        ...headers,
      }),
    );
    await connection.write(bytes);
    return await connection.response();
  } finally {
    connection.end();
  }
}

const nested = (depth: number): string => `{"email":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;

describe('auth: a banned user', () => {
  it('cannot refresh a session it got before the ban, and the refresh token is not rotated', async () => {
    const supabase = nodeSupabaseClient(stack.url, stack.anonKey);
    const signIn = await supabase.auth.signInWithPassword({ email, password });
    expect(signIn.error).toBeNull();
    const refreshToken = signIn.data.session?.refresh_token ?? '';

    await stack.db.query("update auth.users set banned_until = now() + interval '1 hour' where id = $1", [userId]);
    try {
      const refused = await raw('POST', '/auth/v1/token?grant_type=refresh_token', JSON.stringify({ refresh_token: refreshToken }));
      expect(refused.status).toBe(400);
      // GoTrue's RefreshTokenGrant: NewBadRequestError(ErrorCodeUserBanned, "Invalid Refresh Token: User Banned").
      expect(JSON.parse(refused.body)).toEqual({ code: 400, error_code: 'user_banned', msg: 'Invalid Refresh Token: User Banned' });
      const viaClient = await nodeSupabaseClient(stack.url, stack.anonKey).auth.refreshSession({ refresh_token: refreshToken });
      expect(viaClient.error?.code).toBe('user_banned');
      expect(viaClient.data.session).toBeNull();
      const tokens = await stack.db.query<{ revoked: boolean }>('select revoked from auth.refresh_tokens where token = $1', [refreshToken]);
      expect(tokens.rows).toEqual([{ revoked: false }]);
    } finally {
      await stack.db.query('update auth.users set banned_until = null where id = $1', [userId]);
    }
    // A ban that ran out no longer stops the refresh.
    await stack.db.query("update auth.users set banned_until = now() - interval '1 minute' where id = $1", [userId]);
    const after = await nodeSupabaseClient(stack.url, stack.anonKey).auth.refreshSession({ refresh_token: refreshToken });
    expect(after.error).toBeNull();
    expect(after.data.session?.user.id).toBe(userId);
  });
});

describe('request bodies the gateway cannot take', () => {
  it('answers JSON nested 5,000 levels deep with 400, in GoTrue and PostgREST shapes', async () => {
    const auth = await raw('POST', '/auth/v1/token?grant_type=password', nested(5000));
    expect(auth.status).toBe(400);
    expect(JSON.parse(auth.body)).toMatchObject({ code: 400, error_code: 'bad_json' });
    expect((JSON.parse(auth.body) as { msg: string }).msg).toMatch(/^Could not parse request body as JSON: .*nested/);

    const rpc = await raw('POST', '/rest/v1/rpc/session_info', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(rpc.status).toBe(400);
    expect(JSON.parse(rpc.body)).toMatchObject({ code: 'PGRST102', message: 'Empty or invalid json' });
  });

  it('answers JSON it cannot parse with GoTrue bad_json, not a validation message', async () => {
    const res = await raw('POST', '/auth/v1/token?grant_type=password', '{"email": "a@b.c", "password": ');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 400, error_code: 'bad_json' });
    const api2024 = await raw('POST', '/auth/v1/token?grant_type=password', '[', { 'X-Supabase-Api-Version': '2024-01-01' });
    expect(api2024.status).toBe(400);
    expect(JSON.parse(api2024.body)).toMatchObject({ code: 'bad_json' });
  });

  it('answers an auth body over 64 KiB with 413, then closes the connection instead of keeping it open', async () => {
    const big = JSON.stringify({ email, password: 'x'.repeat(70 * 1024) });
    const connection = await RawConnection.open(stack.url);
    try {
      await connection.write(
        requestHead('POST', '/auth/v1/token?grant_type=password', {
          apikey: stack.anonKey,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(big)),
        }),
      );
      await connection.write(big);
      const res = await connection.response();
      expect(res.status).toBe(413);
      expect(res.headers['connection']).toBe('close');
      expect(JSON.parse(res.body)).toMatchObject({ code: 413, error_code: 'request_entity_too_large' });
      // Before the fix the server kept the socket for its 65 s keep-alive timeout.
      expect(await connection.closesWithin(10_000)).toBe(true);
    } finally {
      connection.end();
    }
  });

  it('answers a declared oversized body at once, without waiting for bytes that never come', async () => {
    for (const path of ['/auth/v1/token?grant_type=password', '/rest/v1/rpc/session_info']) {
      const connection = await RawConnection.open(stack.url);
      try {
        await connection.write(
          requestHead('POST', path, {
            apikey: stack.anonKey,
            'Content-Type': 'application/json',
            'Content-Length': String(50 * 1024 * 1024),
          }),
        );
        await connection.write('{"email":"');
        const res = await connection.response(10_000);
        expect(res.status).toBe(413);
        expect(res.headers['connection']).toBe('close');
        expect(await connection.closesWithin(10_000)).toBe(true);
      } finally {
        connection.end();
      }
    }
  });

  it('answers an RPC body over its limit with 413 and closes a chunked upload', async () => {
    const connection = await RawConnection.open(stack.url);
    try {
      await connection.write(
        requestHead('POST', '/rest/v1/rpc/session_info', {
          apikey: stack.anonKey,
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
        }),
      );
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      // 11 MiB of chunks: past the 10 MiB RPC limit, with no Content-Length to refuse up front.
      let res: RawResponse | null = null;
      for (let i = 0; i < 11 && !connection.closed; i += 1) {
        await connection.write(`${chunk.length.toString(16)}\r\n`);
        await connection.write(chunk);
        await connection.write('\r\n');
      }
      res = await connection.response();
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'PGRST413' });
      expect(res.headers['connection']).toBe('close');
      expect(await connection.closesWithin(10_000)).toBe(true);
    } finally {
      connection.end();
    }
  });

  it('keeps a keep-alive connection usable after an ordinary refused request', async () => {
    const connection = await RawConnection.open(stack.url);
    try {
      const body = '{"email":"nobody@example.com","password":"x"}';
      for (let i = 0; i < 2; i += 1) {
        await connection.write(
          requestHead('POST', '/auth/v1/token?grant_type=password', {
            apikey: stack.anonKey,
            'Content-Type': 'application/json',
            'Content-Length': String(body.length),
          }),
        );
        await connection.write(body);
        const res = await connection.response();
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ error_code: 'invalid_credentials' });
      }
      expect(connection.closed).toBe(false);
    } finally {
      connection.end();
    }
  });
});

describe('the same class of defect elsewhere in the gateway', () => {
  it('answers a Host header that is not a URL authority without a 500', async () => {
    const connection = await RawConnection.open(stack.url);
    try {
      await connection.write(`GET /auth/v1/health HTTP/1.1\r\nHost: [not a host\r\napikey: ${stack.anonKey}\r\nConnection: close\r\n\r\n`);
      const res = await connection.response();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ name: 'GoTrue (local stand-in)' });
    } finally {
      connection.end();
    }
  });

  it('answers malformed JWTs with 401/403 and never a 500, on every route', async () => {
    const tokens = ['', 'abc', 'a.b.c', '..', `${'A'.repeat(8000)}.x.y`, 'eyJhbGciOiJub25lIn0.e30.', 'Bearer x'];
    for (const token of tokens) {
      for (const [method, path] of [
        ['POST', '/rest/v1/rpc/session_info'],
        ['GET', '/auth/v1/user'],
        ['POST', '/auth/v1/logout'],
        ['POST', '/auth/v1/admin/users'],
        ['POST', '/functions/v1/health'],
      ] as const) {
        const res = await raw(method, path, '{}', { Authorization: `Bearer ${token}` });
        expect({ token: token.slice(0, 20), path, status: res.status }).toEqual({
          token: token.slice(0, 20),
          path,
          status: expect.toSatisfy((s: number) => s === 401 || s === 403) as number,
        });
      }
    }
  });

  it('answers a validly signed token whose sub or session_id is not a UUID with 4xx, not a 500', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await stack.keys.sign({ sub: 'not-a-uuid', role: 'authenticated', session_id: 'nope', exp: now + 600, iat: now });
    for (const [method, path] of [
      ['GET', '/auth/v1/user'],
      ['POST', '/auth/v1/logout'],
    ] as const) {
      const res = await raw(method, path, '', { Authorization: `Bearer ${token}` });
      expect({ path, status: res.status }).toEqual({ path, status: expect.toSatisfy((s: number) => s >= 400 && s < 500) as number });
      expect(JSON.parse(res.body)).toMatchObject({ error_code: 'bad_jwt' });
    }
  });

  it('passes JSON nested up to the depth limit through to PostgreSQL, and refuses one level more', async () => {
    const ops = (depth: number): string => `{"device_id":"d","ops":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const headers = { Authorization: `Bearer ${stack.serviceRoleKey}` };
    // The body object itself is one level: ops at MAX_JSON_DEPTH − 1 make the body exactly the limit.
    const atLimit = await raw('POST', '/rest/v1/rpc/push_changes', ops(MAX_JSON_DEPTH - 1), headers);
    expect(atLimit.status).toBeLessThan(500);
    expect(JSON.parse(atLimit.body)).not.toMatchObject({ code: 'PGRST102' });
    const over = await raw('POST', '/rest/v1/rpc/push_changes', ops(MAX_JSON_DEPTH), headers);
    expect(over.status).toBe(400);
    expect(JSON.parse(over.body)).toMatchObject({ code: 'PGRST102', details: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it('answers a request target that is not a URL with 400 and closes', async () => {
    const connection = await RawConnection.open(stack.url);
    try {
      await connection.write(`GET //[x/auth/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\napikey: ${stack.anonKey}\r\n\r\n`);
      const res = await connection.response();
      expect(res.status).toBe(400);
      expect(await connection.closesWithin(10_000)).toBe(true);
    } finally {
      connection.end();
    }
  });

  it('answers a long query string and odd methods with a PostgREST-shaped 4xx', async () => {
    const long = await raw('GET', `/rest/v1/rpc/session_info?x=${'a'.repeat(12_000)}`, '');
    expect(long.status).toBeGreaterThanOrEqual(400);
    expect(long.status).toBeLessThan(500);
    const put = await raw('PUT', '/rest/v1/rpc/session_info', '{}');
    expect(put.status).toBe(405);
    expect(JSON.parse(put.body)).toMatchObject({ code: 'PGRST117' });
  });
});
