import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EdgeFunction } from '../deno-functions';
import { bearerToken, type JwtKeys } from '../jwt';
import { header, sendJson } from './http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * /functions/v1/<name>/… → the function's Deno server. With verify_jwt (the default) the
 * Authorization header must carry a JWT signed with the project's secret, as on Supabase.
 */
export async function handleFunction(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  functions: Map<string, EdgeFunction>,
  keys: JwtKeys,
): Promise<void> {
  const rest = url.pathname.slice('/functions/v1/'.length);
  const name = rest.split('/')[0] ?? '';
  const fn = functions.get(name);
  if (fn === undefined) {
    sendJson(res, 404, { code: 'NOT_FOUND', message: `Requested function "${name}" was not found` });
    return;
  }
  if (fn.verifyJwt) {
    const token = bearerToken(header(req, 'authorization'));
    if (token === null) {
      sendJson(res, 401, { code: 401, message: 'Missing authorization header' });
      return;
    }
    const verified = await keys.verify(token);
    if (!verified.ok) {
      sendJson(res, 401, { code: 401, message: verified.reason === 'expired' ? 'JWT expired' : 'Invalid JWT' });
      return;
    }
  }
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
  }
  await new Promise<void>((resolve) => {
    const upstream = request(
      { host: '127.0.0.1', port: fn.port, method: req.method, path: `/${rest}${url.search}`, headers },
      (upstreamRes) => {
        // CORS is the function's own business on Supabase (the gateway adds none to its answers):
        // adding ours too would send Access-Control-Allow-Origin twice, which browsers refuse.
        const responseHeaders: Record<string, string | string[]> = {};
        for (const [key, value] of Object.entries(upstreamRes.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(key)) responseHeaders[key] = value;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on('end', resolve);
        upstreamRes.on('error', () => resolve());
      },
    );
    // A client that goes away takes its upstream request with it instead of leaving it open.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) {
        sendJson(res, 502, { code: 'BOOT_ERROR', message: `function "${name}" is not reachable: ${error.message}` });
      } else {
        res.destroy(error);
      }
      resolve();
    });
    req.pipe(upstream);
  });
}
