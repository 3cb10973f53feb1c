import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { EdgeFunction } from '../deno-functions';
import type { JwtKeys } from '../jwt';
import { handleAuth, type AuthContext } from './auth';
import { handleFunction } from './functions-proxy';
import { sendEmpty, sendJson } from './http';
import { identify } from './identity';
import { handleRpc, type RpcContext } from './rpc';
import { errorMessage } from '../../../core/errors';

export interface GatewayOptions {
  host: string;
  port: number;
  keys: JwtKeys;
  apiKeys: Set<string>;
  rpc: RpcContext;
  auth: AuthContext;
  functions: () => Map<string, EdgeFunction>;
  log: (line: string) => void;
}

const BASE_URL = 'http://gateway.invalid';

/**
 * One loopback HTTP server speaking the Supabase shapes the app uses, in place of Kong +
 * PostgREST + GoTrue + the edge runtime: /rest/v1/rpc/:fn, /auth/v1/*, /functions/v1/:name.
 */
export function startGateway(options: GatewayOptions): Promise<Server> {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The request target alone decides the route: the Host header is the client's to send and
    // may be anything (a fixed base keeps a bad one from throwing).
    let url: URL;
    try {
      url = new URL(req.url ?? '/', BASE_URL);
    } catch {
      sendJson(res, 400, { message: 'request target is not a valid URL' }, { Connection: 'close' });
      return;
    }
    if (req.method === 'OPTIONS') {
      sendEmpty(res, 204);
      return;
    }
    if (url.pathname.startsWith('/functions/v1/')) {
      await handleFunction(req, res, url, options.functions(), options.keys);
      return;
    }
    if (url.pathname.startsWith('/rest/v1/') || url.pathname.startsWith('/auth/v1/')) {
      const open = url.pathname === '/auth/v1/health';
      const who = await identify(req, url, options.keys, options.apiKeys);
      if (!who.ok && !open) {
        sendJson(res, who.status, who.body, who.headers);
        return;
      }
      if (url.pathname.startsWith('/auth/v1/')) {
        await handleAuth(req, res, url, options.auth);
        return;
      }
      const rpc = /^\/rest\/v1\/rpc\/([A-Za-z_][A-Za-z0-9_$]*)\/?$/.exec(url.pathname);
      if (rpc?.[1] !== undefined && who.ok) {
        if (!['POST', 'GET', 'HEAD'].includes(req.method ?? '')) {
          sendJson(res, 405, { code: 'PGRST117', message: `Unsupported HTTP method: ${req.method ?? ''}`, details: null, hint: null });
          return;
        }
        await handleRpc(req, res, url, rpc[1], who.identity, options.rpc);
        return;
      }
      sendJson(res, 404, {
        code: 'PGRST125',
        message: `${req.method ?? ''} ${url.pathname}: the local stack serves RPC only; clients call SQL functions with supabase.rpc()`,
        details: null,
        hint: null,
      });
      return;
    }
    sendJson(res, 404, { message: 'no Route matched with those values' });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const message = errorMessage(error);
      options.log(`gateway: ${req.method ?? ''} ${req.url ?? ''} failed: ${message}`);
      if (!res.headersSent) sendJson(res, 500, { code: 'XX000', message, details: null, hint: null });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} on ${options.host} is already in use: pass --port or stop the other stack`)
          : error,
      );
    });
    server.listen(options.port, options.host, () => resolve(server));
  });
}
