import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createDispatcher, type StationHandlers } from '../../core/dispatch';
import { MAX_WIRE_BYTES, wireRequestSchema, type WireMessage } from '../../core/wire';
import { contentSecurityPolicy } from '../security';
import { serveStatic } from './static-files';

export interface BrowserHostOptions {
  handlers: StationHandlers;
  /** Built renderer (out/renderer). */
  rendererDir: string;
  port: number;
  /** Events to push to every connected page. */
  subscribe: (emit: (message: WireMessage) => void) => () => void;
  token?: string;
  /** Where the host reports connections it dropped and errors it survived (the station's log). */
  log?: (line: string) => void;
  /** How long a client may take to send its request headers, and the whole request (slow clients hold a socket). */
  timeouts?: { headersMs: number; requestMs: number };
}

export interface BrowserHost {
  url: string;
  token: string;
  /** The address to open: the page picks the token up from the fragment. */
  openUrl: string;
  close(): Promise<void>;
}

/** The close code `ws` sent for a frame it refused (1009 too big, 1007 bad UTF-8, 1002 protocol), kept on the error. */
function closeCodeOf(error: Error): number | null {
  for (const key of Object.getOwnPropertySymbols(error)) {
    const value: unknown = (error as unknown as Record<symbol, unknown>)[key];
    if (typeof value === 'number') return value;
  }
  return null;
}

const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000 };

/**
 * The station in a browser: the same handlers Electron's IPC dispatches to, over a WebSocket on
 * 127.0.0.1, plus the built renderer. Only pages from this origin holding the random token may
 * connect; everything else is refused at the handshake.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? (() => undefined);
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const dispatch = createDispatcher(options.handlers);
  const root = resolve(options.rendererDir);
  let origin = '';
  const csp = (): string =>
    contentSecurityPolicy().replace("connect-src 'self'", `connect-src 'self' ws://${origin.replace(/^http:\/\//, '')}`);

  // A client that never finishes its headers (slowloris) is cut off: Node checks the timeouts
  // every `connectionsCheckingInterval`, so that is kept well below them.
  const limits = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.headersMs / 4)),
  };
  const server: Server = createServer(limits, (req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    void serveStatic(root, req.url ?? '/', res, csp());
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_BYTES });

  const refuse = (socket: Duplex, status: number, reason: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head) => {
    // The socket is ours from here: a peer that resets it must not become an uncaught 'error'.
    socket.on('error', (error) => log(`browser host: upgrade connection failed: ${error.message}`));
    // `//` or `/\\` is a request target `new URL` refuses (and would throw here, outside any handler).
    const url = URL.parse(req.url ?? '/', origin);
    if (url === null) return refuse(socket, 400, 'Bad Request');
    if (url.pathname !== '/station') return refuse(socket, 404, 'Not Found');
    if (req.headers.origin !== origin) return refuse(socket, 403, 'Forbidden');
    if (url.searchParams.get('token') !== token) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  const unsubscribe = options.subscribe((message) => {
    const text = JSON.stringify(message);
    for (const client of clients) if (client.readyState === client.OPEN) client.send(text);
  });
  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    // A frame `ws` refuses (over 256 KiB, invalid UTF-8, a reserved opcode, unmasked, a fragmented
    // control frame…) is an 'error' on this socket: ws has already sent the close code; without a
    // listener the error would end the whole process (queue, sync and scanners with it).
    ws.on('error', (error) => log(`browser host: dropped a connection (${closeCodeOf(error) ?? 'no close code'}): ${error.message}`));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'text frames only');
        return;
      }
      let parsed: unknown;
      try {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(new Uint8Array(data)) : data;
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        ws.close(1007, 'not JSON');
        return;
      }
      const request = wireRequestSchema.safeParse(parsed);
      if (!request.success) {
        ws.close(1007, 'not a StationApi request');
        return;
      }
      void dispatch({ method: request.data.method, args: request.data.args, trustedSender: true }).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: request.data.id, result } satisfies WireMessage));
      });
    });
  });

  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port, '127.0.0.1', () => ready());
  });
  // After listening, an 'error' on the server (accept failing when the process is out of file
  // descriptors) is logged, not fatal: the connections already open keep working.
  server.on('error', (error) => log(`browser host: server error: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    token,
    openUrl: `${origin}/#token=${token}`,
    close: async () => {
      unsubscribe();
      for (const client of clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
