import type pg from 'pg';

export interface RpcArg {
  name: string;
  type: string;
  hasDefault: boolean;
}

export interface RpcFunction {
  schema: string;
  name: string;
  args: RpcArg[];
  returnsSet: boolean;
  returnsVoid: boolean;
  volatile: boolean;
}

const CATALOG_QUERY = `
select p.proname as name,
       p.proretset as returns_set,
       p.prorettype = 'pg_catalog.void'::regtype as returns_void,
       p.provolatile = 'v' as volatile,
       p.pronargdefaults as n_defaults,
       coalesce((
         select json_agg(json_build_object('name', coalesce(a.name, ''), 'type', format_type(a.type, null)) order by a.ord)
         from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames, p.proargmodes)
              with ordinality as a(type, name, mode, ord)
         where a.type is not null and coalesce(a.mode, 'i') in ('i', 'b', 'v')
       ), '[]'::json) as args
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

interface CatalogRow {
  name: string;
  returns_set: boolean;
  returns_void: boolean;
  volatile: boolean;
  n_defaults: number;
  args: { name: string; type: string }[];
}

/**
 * PostgREST's schema cache, reduced to what RPC needs: the overloads of a function with their
 * input arguments. Cleared on `NOTIFY pgrst, 'reload schema'`, as PostgREST does.
 */
export class RpcCatalog {
  private readonly cache = new Map<string, Promise<RpcFunction[]>>();

  constructor(private readonly pool: pg.Pool) {}

  clear(): void {
    this.cache.clear();
  }

  overloads(schema: string, name: string): Promise<RpcFunction[]> {
    const key = `${schema}.${name}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.pool.query<CatalogRow>(CATALOG_QUERY, [schema, name]).then((result) =>
        result.rows.map((row) => ({
          schema,
          name: row.name,
          returnsSet: row.returns_set,
          returnsVoid: row.returns_void,
          volatile: row.volatile,
          args: row.args.map((arg, index) => ({
            name: arg.name,
            type: arg.type,
            hasDefault: index >= row.args.length - row.n_defaults,
          })),
        })),
      );
      found.catch(() => this.cache.delete(key));
      this.cache.set(key, found);
    }
    return found;
  }
}

const JSON_TYPES = new Set(['json', 'jsonb']);

export type Match =
  | { kind: 'named'; fn: RpcFunction; args: RpcArg[] }
  | { kind: 'single-json'; fn: RpcFunction }
  | { kind: 'none' }
  | { kind: 'ambiguous'; candidates: RpcFunction[] };

/** PostgREST's overload choice: the argument names must match the request's keys. */
export function matchOverload(overloads: RpcFunction[], keys: string[]): Match {
  const keySet = new Set(keys);
  const named = overloads.filter((fn) => {
    if (fn.args.some((arg) => arg.name === '')) return false;
    const names = new Set(fn.args.map((arg) => arg.name));
    return keys.every((key) => names.has(key)) && fn.args.every((arg) => arg.hasDefault || keySet.has(arg.name));
  });
  if (named.length === 1 && named[0] !== undefined) {
    const fn = named[0];
    return { kind: 'named', fn, args: fn.args.filter((arg) => keySet.has(arg.name)) };
  }
  if (named.length > 1) return { kind: 'ambiguous', candidates: named };
  const single = overloads.find((fn) => fn.args.length === 1 && fn.args[0]?.name === '' && JSON_TYPES.has(fn.args[0].type));
  return single === undefined ? { kind: 'none' } : { kind: 'single-json', fn: single };
}
