import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../../core/errors';

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'authorization, apikey, content-type, x-client-info, x-supabase-api-version, prefer, accept-profile, content-profile, range, x-upsert',
  'Access-Control-Expose-Headers': 'content-range, x-supabase-api-version',
  'Access-Control-Max-Age': '3600',
};

/** Deeper JSON than this is refused before parsing: no request the app sends nests past ~6 levels,
 * and deeper documents overflow JSON.stringify and PostgreSQL's JSON parser (a 500 otherwise). */
export const MAX_JSON_DEPTH = 512;

export type BodyResult<T> =
  | { ok: true; value: T }
  | { ok: false; status: 413; reason: 'too_large'; limitBytes: number }
  | { ok: false; status: 400; reason: 'invalid_json'; detail: string };

/**
 * The one request-body reader of the gateway. A body over `limitBytes` (declared in
 * Content-Length, or counted while streaming a chunked upload) is refused without reading the
 * rest: the response is marked `Connection: close`, so Node ends the socket once the answer is
 * flushed instead of keeping a connection whose request it never finished reading (the client
 * would wait out the keep-alive timeout for its next answer).
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limitBytes: number): Promise<BodyResult<Buffer>> {
  const tooLarge = (): BodyResult<Buffer> => {
    res.setHeader('Connection', 'close');
    req.pause();
    return { ok: false, status: 413, reason: 'too_large', limitBytes };
  };
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limitBytes) return tooLarge();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        resolve(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ ok: true, value: Buffer.concat(chunks) });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Nesting depth of a JSON text, counted without recursion (brackets inside strings ignored). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/** Parses a body as JSON with the depth guard; `emptyAs` is what an empty body means to the route. */
export function parseJsonBody(raw: Buffer, emptyAs: unknown): BodyResult<unknown> {
  if (raw.length === 0) {
    return emptyAs === undefined
      ? { ok: false, status: 400, reason: 'invalid_json', detail: 'unexpected end of JSON input' }
      : { ok: true, value: emptyAs };
  }
  const text = raw.toString('utf8');
  if (exceedsDepth(text, MAX_JSON_DEPTH)) {
    return { ok: false, status: 400, reason: 'invalid_json', detail: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, status: 400, reason: 'invalid_json', detail: errorMessage(error) };
  }
}

/** readBody + parseJsonBody: what every JSON route reads its request with. */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limitBytes: number,
  emptyAs: unknown,
): Promise<BodyResult<unknown>> {
  const raw = await readBody(req, res, limitBytes);
  return raw.ok ? parseJsonBody(raw.value, emptyAs) : raw;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRawJson(res, status, JSON.stringify(body), headers);
}

export function sendRawJson(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
    ...headers,
  });
  res.end(json);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...CORS_HEADERS, ...headers });
  res.end();
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
