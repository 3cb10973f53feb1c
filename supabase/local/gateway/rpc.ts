import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { header, readJsonBody, sendEmpty, sendJson, sendRawJson } from './http';
import { isPgError, postgrestErrorFromPg, statusForSqlState } from './postgrest-errors';
import { matchOverload, type RpcCatalog, type RpcFunction } from './rpc-catalog';
import type { RequestIdentity } from './identity';

export interface RpcContext {
  pool: pg.Pool;
  catalog: RpcCatalog;
  exposedSchemas: string[];
  maxBodyBytes: number;
}

const ident = (name: string): string => pg.escapeIdentifier(name);

function notFound(res: ServerResponse, schema: string, name: string, keys: string[]): void {
  const params = [...keys].sort().join(', ');
  sendJson(res, 404, {
    code: 'PGRST202',
    message: `Could not find the function ${schema}.${name}(${params}) in the schema cache`,
    details: `Searched for the function ${schema}.${name}${keys.length > 0 ? ` with parameters ${params}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    hint: null,
  });
}

/** Builds the call the way PostgREST does: named arguments typed through json_to_record. */
function buildCall(fn: RpcFunction, args: { name: string; type: string }[] | 'single-json'): string {
  const target = `${ident(fn.schema)}.${ident(fn.name)}`;
  let from: string;
  let call: string;
  if (args === 'single-json') {
    from = '';
    call = `${target}($1::${fn.args[0]?.type ?? 'jsonb'})`;
  } else if (args.length === 0) {
    from = '';
    call = `${target}()`;
  } else {
    const columns = args.map((arg) => `${ident(arg.name)} ${arg.type}`).join(', ');
    from = `json_to_record($1::json) as _(${columns})`;
    call = `${target}(${args.map((arg) => `${ident(arg.name)} := _.${ident(arg.name)}`).join(', ')})`;
  }
  if (fn.returnsVoid) return `select ${call}${from === '' ? '' : ` from ${from}`}`;
  const source = from === '' ? `${call} as _r` : `${from}, lateral ${call} as _r`;
  return fn.returnsSet
    ? `select coalesce(json_agg(_r), '[]'::json)::text as body from ${source}`
    : `select to_json(_r)::text as body from ${source}`;
}

export async function handleRpc(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  fnName: string,
  identity: RequestIdentity,
  ctx: RpcContext,
): Promise<void> {
  const profile = header(req, req.method === 'GET' ? 'accept-profile' : 'content-profile');
  const schema = profile ?? ctx.exposedSchemas[0] ?? 'public';
  if (!ctx.exposedSchemas.includes(schema)) {
    sendJson(res, 406, {
      code: 'PGRST106',
      message: `The schema must be one of the following: ${ctx.exposedSchemas.join(', ')}`,
      details: null,
      hint: null,
    });
    return;
  }

  // GET/HEAD take their arguments from the query string; a body is still read (and bounded) so
  // the connection stays in step.
  const read = await readJsonBody(req, res, ctx.maxBodyBytes, {});
  if (!read.ok && read.reason === 'too_large') {
    sendJson(res, 413, { code: 'PGRST413', message: `request body is larger than ${read.limitBytes} bytes`, details: null, hint: null });
    return;
  }
  const body: unknown =
    req.method === 'GET' || req.method === 'HEAD' ? Object.fromEntries(url.searchParams.entries()) : read.ok ? read.value : null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    sendJson(res, 400, {
      code: 'PGRST102',
      message: 'Empty or invalid json',
      details: read.ok ? 'The request body must be a JSON object of named arguments.' : read.detail,
      hint: null,
    });
    return;
  }

  const args = body as Record<string, unknown>;
  const keys = Object.keys(args);
  const match = matchOverload(await ctx.catalog.overloads(schema, fnName), keys);
  if (match.kind === 'none') {
    notFound(res, schema, fnName, keys);
    return;
  }
  if (match.kind === 'ambiguous') {
    sendJson(res, 300, {
      code: 'PGRST203',
      message: `Could not choose the best candidate function between: ${match.candidates
        .map((fn) => `${schema}.${fn.name}(${fn.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`)
        .join(', ')}`,
      details: null,
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    });
    return;
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && match.fn.volatile) {
    sendJson(res, 405, {
      code: 'PGRST101',
      message: 'For functions, only GET and HEAD verbs are allowed with STABLE or IMMUTABLE functions',
      details: null,
      hint: null,
    });
    return;
  }

  const sql = buildCall(match.fn, match.kind === 'single-json' ? 'single-json' : match.args);
  const params = match.kind === 'single-json' || match.args.length > 0 ? [JSON.stringify(args)] : [];
  const client = await ctx.pool.connect();
  let released = false;
  try {
    await client.query('begin');
    await client.query(
      `select set_config('role', $1, true),
              set_config('request.jwt.claims', $2, true),
              set_config('request.jwt.claim.sub', $3, true),
              set_config('request.jwt.claim.role', $1, true),
              set_config('request.method', $4, true),
              set_config('request.path', $5, true),
              set_config('request.headers', $6, true)`,
      [
        identity.role,
        JSON.stringify(identity.claims),
        identity.sub ?? '',
        req.method ?? 'POST',
        `/rpc/${fnName}`,
        JSON.stringify(req.headers),
      ],
    );
    const result = await client.query<{ body: string | null }>(sql, params);
    await client.query('commit');
    if (match.fn.returnsVoid) {
      sendEmpty(res, 204);
      return;
    }
    const json = result.rows[0]?.body ?? 'null';
    if (req.method === 'HEAD') sendEmpty(res, 200, { 'Content-Type': 'application/json; charset=utf-8' });
    else sendRawJson(res, 200, json);
  } catch (error) {
    await client.query('rollback').catch(() => {
      // The connection is broken; it is destroyed below.
      client.release(true);
      released = true;
    });
    if (isPgError(error)) {
      sendJson(res, statusForSqlState(error.code, identity.role !== 'anon'), postgrestErrorFromPg(error));
      return;
    }
    throw error;
  } finally {
    if (!released) client.release();
  }
}
