import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import type { JwtKeys } from './jwt';
import { errorMessage } from '../../core/errors';

/**
 * The smallest faithful stand-in for Supabase Realtime's broadcast, for the local stack: the
 * Phoenix-channel WebSocket that supabase-js's `channel()` speaks (protocol 1.0.0 objects and
 * 2.0.0 arrays), private channels only, authorised as Realtime does (a probe row of
 * realtime.messages read back under the joining user's JWT and RLS, then rolled back), and
 * messages from realtime.send() delivered after commit (the bootstrap's send() NOTIFYs, where
 * Realtime reads the WAL). Presence, postgres_changes and broadcasts from clients are not served:
 * the app uses none of them, and a join that asks for them is refused in words.
 */
export interface RealtimeOptions {
  server: Server;
  superuserUrl: string;
  pool: pg.Pool;
  keys: JwtKeys;
  apiKeys: Set<string>;
  now: () => number;
  log: (line: string) => void;
}

export interface RunningRealtime {
  /** Closes every socket and refuses new ones (503) until started again: the service is down. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Sockets connected now. */
  connections(): number;
  stop(): Promise<void>;
}

const PATH = '/realtime/v1/websocket';
const MAX_FRAME_BYTES = 1024 * 1024;

/** One joined channel of one socket. */
interface Joined {
  joinRef: string | null;
  /** The channel as the client names it ('realtime:org:…'). */
  channel: string;
  /** The topic realtime.send() names ('org:…'). */
  topic: string;
  /** When the JWT it joined with expires (ms), or null. */
  expiresAt: number | null;
}

interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

const ref = z.string().max(64).nullable();
const arrayFrame = z.tuple([ref, ref, z.string().max(300), z.string().max(64), z.record(z.string(), z.unknown())]);
const objectFrame = z.object({
  join_ref: ref.optional(),
  ref: ref.optional(),
  topic: z.string().max(300),
  event: z.string().max(64),
  payload: z.record(z.string(), z.unknown()),
});
const joinPayload = z.object({
  config: z
    .object({
      private: z.boolean().optional(),
      postgres_changes: z.array(z.unknown()).optional(),
      presence: z.object({ enabled: z.boolean().optional() }).passthrough().optional(),
    })
    .passthrough()
    .optional(),
  access_token: z.string().max(8192).optional(),
});

/** A text frame's characters (ws hands over a Buffer, fragments or an ArrayBuffer). */
export function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}

export async function startRealtime(options: RealtimeOptions): Promise<RunningRealtime> {
  const sockets = new Map<WebSocket, { vsn: '1.0.0' | '2.0.0'; apikey: string; joined: Map<string, Joined> }>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let paused = false;
  let stopped = false;

  const listener = new pg.Client({ connectionString: options.superuserUrl });
  listener.on('error', (error) => options.log(`realtime listener: ${error.message}`));
  await listener.connect();
  await listener.query('listen realtime_local');
  listener.on('notification', (note) => {
    if (note.channel !== 'realtime_local' || note.payload === undefined) return;
    void deliver(note.payload).catch((error: unknown) =>
      options.log(`realtime: delivering ${note.payload ?? ''} failed: ${errorMessage(error)}`),
    );
  });

  const encode = (vsn: '1.0.0' | '2.0.0', frame: Frame): string =>
    vsn === '2.0.0'
      ? JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload])
      : JSON.stringify({ join_ref: frame.joinRef, ref: frame.ref, topic: frame.topic, event: frame.event, payload: frame.payload });

  const send = (socket: WebSocket, frame: Frame): void => {
    const state = sockets.get(socket);
    if (state !== undefined && socket.readyState === socket.OPEN) socket.send(encode(state.vsn, frame));
  };
  const reply = (socket: WebSocket, to: Frame, status: 'ok' | 'error', response: Record<string, unknown>): void =>
    send(socket, { joinRef: to.joinRef, ref: to.ref, topic: to.topic, event: 'phx_reply', payload: { status, response } });

  /** Realtime's check: may this JWT read a private broadcast on `topic`? Why not, or until when it may. */
  const authorize = async (token: string, topic: string): Promise<{ denied: string } | { expiresAt: number | null }> => {
    const verified = await options.keys.verify(token);
    if (!verified.ok) return { denied: verified.reason === 'expired' ? 'Token has expired' : 'Invalid JWT' };
    const role = verified.claims['role'];
    if (role !== 'anon' && role !== 'authenticated' && role !== 'service_role') return { denied: 'Invalid JWT: unknown role' };
    const client = await options.pool.connect();
    try {
      await client.query('begin');
      const probe = await client.query<{ id: string }>(
        "insert into realtime.messages (topic, extension, event, payload, private) values ($1, 'broadcast', 'probe', '{}', true) returning id",
        [topic],
      );
      await client.query(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('realtime.topic', $4, true)",
        [role, JSON.stringify(verified.claims), typeof verified.claims.sub === 'string' ? verified.claims.sub : '', topic],
      );
      const read = await client.query<{ allowed: boolean }>('select exists (select 1 from realtime.messages where id = $1) as allowed', [
        probe.rows[0]?.id,
      ]);
      if (read.rows[0]?.allowed !== true)
        return { denied: `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}` };
      return { expiresAt: typeof verified.claims.exp === 'number' ? verified.claims.exp * 1000 : null };
    } finally {
      await client.query('rollback').catch(() => undefined);
      client.release();
    }
  };

  const join = async (socket: WebSocket, frame: Frame): Promise<void> => {
    const state = sockets.get(socket);
    if (state === undefined) return;
    const parsed = joinPayload.safeParse(frame.payload);
    if (!parsed.success) return reply(socket, frame, 'error', { reason: 'malformed join payload' });
    if (!frame.topic.startsWith('realtime:') || frame.topic.length === 'realtime:'.length)
      return reply(socket, frame, 'error', { reason: 'a channel topic starts with realtime:' });
    const config = parsed.data.config ?? {};
    if (config.private !== true)
      return reply(socket, frame, 'error', { reason: 'this project allows private channels only (Realtime settings: public access off)' });
    if ((config.postgres_changes?.length ?? 0) > 0 || config.presence?.enabled === true)
      return reply(socket, frame, 'error', { reason: 'the local stack serves broadcast only (no postgres_changes, no presence)' });
    const topic = frame.topic.slice('realtime:'.length);
    const decision = await authorize(parsed.data.access_token ?? state.apikey, topic);
    if ('denied' in decision) return reply(socket, frame, 'error', { reason: decision.denied });
    state.joined.set(frame.topic, { joinRef: frame.joinRef, channel: frame.topic, topic, expiresAt: decision.expiresAt });
    reply(socket, frame, 'ok', {});
  };

  /** A refreshed token: checked again; a member removed meanwhile loses the channel. */
  const refresh = async (socket: WebSocket, frame: Frame): Promise<void> => {
    const joined = sockets.get(socket)?.joined.get(frame.topic);
    const token = frame.payload['access_token'];
    if (joined === undefined || typeof token !== 'string') return;
    const decision = await authorize(token, joined.topic);
    if ('denied' in decision) return drop(socket, joined, decision.denied);
    joined.expiresAt = decision.expiresAt;
  };

  const drop = (socket: WebSocket, joined: Joined, why: string): void => {
    sockets.get(socket)?.joined.delete(joined.channel);
    send(socket, {
      joinRef: joined.joinRef,
      ref: null,
      topic: joined.channel,
      event: 'system',
      payload: { status: 'error', extension: 'system', channel: joined.topic, message: why },
    });
    // As Realtime shuts a channel down: the client's channel is closed (supabase-js does not join it again by itself).
    send(socket, { joinRef: joined.joinRef, ref: joined.joinRef, topic: joined.channel, event: 'phx_close', payload: {} });
  };

  const handle = async (socket: WebSocket, frame: Frame): Promise<void> => {
    if (frame.topic === 'phoenix' && frame.event === 'heartbeat') return reply(socket, frame, 'ok', {});
    switch (frame.event) {
      case 'phx_join':
        return join(socket, frame);
      case 'access_token':
        return refresh(socket, frame);
      case 'phx_leave':
        sockets.get(socket)?.joined.delete(frame.topic);
        return reply(socket, frame, 'ok', {});
      default:
        return reply(socket, frame, 'error', {
          reason: `${frame.event} is not served by the local stack (broadcast from the database only)`,
        });
    }
  };

  const parse = (data: RawData, isBinary: boolean): Frame | null => {
    if (isBinary) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(textOf(data));
    } catch {
      return null;
    }
    const asArray = arrayFrame.safeParse(raw);
    if (asArray.success) {
      const [joinRef, ref, topic, event, payload] = asArray.data;
      return { joinRef, ref, topic, event, payload };
    }
    const asObject = objectFrame.safeParse(raw);
    if (!asObject.success) return null;
    const { join_ref, ref, topic, event, payload } = asObject.data;
    return { joinRef: join_ref ?? null, ref: ref ?? null, topic, event, payload };
  };

  const deliver = async (id: string): Promise<void> => {
    const found = await options.pool.query<{ topic: string; event: string | null; payload: unknown; private: boolean }>(
      'select topic, event, payload, private from realtime.messages where id = $1',
      [id],
    );
    const message = found.rows[0];
    if (message === undefined || !message.private) return;
    const now = options.now();
    for (const socket of sockets.keys()) {
      for (const joined of sockets.get(socket)?.joined.values() ?? []) {
        if (joined.topic !== message.topic) continue;
        if (joined.expiresAt !== null && joined.expiresAt <= now) {
          drop(socket, joined, 'Token has expired');
          continue;
        }
        send(socket, {
          joinRef: null,
          ref: null,
          topic: joined.channel,
          event: 'broadcast',
          payload: { type: 'broadcast', event: message.event, payload: message.payload, meta: { id } },
        });
      }
    }
  };

  const refuse = (socket: Duplex, status: number, text: string): void => {
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://realtime.invalid');
    // Handed over by the HTTP server without its error handler: a client that resets now must not take the stack down.
    socket.on('error', () => socket.destroy());
    if (url.pathname !== PATH && url.pathname !== `${PATH}/`) return refuse(socket, 404, 'Not Found');
    if (paused || stopped) return refuse(socket, 503, 'Service Unavailable');
    const apikey = url.searchParams.get('apikey');
    if (apikey === null || !options.apiKeys.has(apikey)) return refuse(socket, 401, 'Invalid API key');
    const vsn = url.searchParams.get('vsn') === '2.0.0' ? '2.0.0' : '1.0.0';
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(ws, { vsn, apikey, joined: new Map() });
      ws.on('message', (data, isBinary) => {
        const frame = parse(data, isBinary);
        if (frame === null) {
          ws.close(1007, 'a Phoenix message is a JSON array or object');
          return;
        }
        handle(ws, frame).catch((error: unknown) => {
          options.log(`realtime: ${frame.event} on ${frame.topic} failed: ${errorMessage(error)}`);
          reply(ws, frame, 'error', { reason: 'the server failed to handle this message' });
        });
      });
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  };
  options.server.on('upgrade', onUpgrade);

  // Realtime keeps realtime.messages in daily partitions and drops them after a few days; here
  // the rows (one per committed transaction and company) go after three days, checked hourly.
  const prune = (): void =>
    void options.pool
      .query("delete from realtime.messages where inserted_at < now() - interval '3 days'")
      .catch((error: unknown) => options.log(`realtime: pruning messages failed: ${errorMessage(error)}`));
  prune();
  const pruning = setInterval(prune, 3_600_000);
  pruning.unref();

  const closeAll = (): void => {
    for (const socket of sockets.keys()) socket.terminate();
    sockets.clear();
  };

  return {
    pause: () => {
      paused = true;
      closeAll();
      return Promise.resolve();
    },
    resume: () => {
      paused = false;
      return Promise.resolve();
    },
    connections: () => sockets.size,
    stop: async () => {
      stopped = true;
      clearInterval(pruning);
      options.server.off('upgrade', onUpgrade);
      closeAll();
      wss.close();
      await listener.end().catch(() => undefined);
    },
  };
}
