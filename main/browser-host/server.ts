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
}

export interface BrowserHost {
  url: string;
  token: string;
  /** The address to open: the page picks the token up from the fragment. */
  openUrl: string;
  close(): Promise<void>;
}

/**
 * The station in a browser: the same handlers Electron's IPC dispatches to, over a WebSocket on
 * 127.0.0.1, plus the built renderer. Only pages from this origin holding the random token may
 * connect; everything else is refused at the handshake.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const dispatch = createDispatcher(options.handlers);
  const root = resolve(options.rendererDir);
  let origin = '';
  const csp = (): string => contentSecurityPolicy().replace("connect-src 'self'", `connect-src 'self' ws://${origin.replace(/^http:\/\//, '')}`);

  const server: Server = createServer((req, res) => {
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
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
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
