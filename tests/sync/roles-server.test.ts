import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS } from '../../core/sync/ops';
import { MEMBER_ROLES, opAllowed } from '../../core/sync/roles';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// Role-aware screens (issue 18): the station offers only what its signed-in role may do, by
// core/sync/roles.ts. Here that rule is checked against the server's own, app.op_allowed, on a real
// PostgreSQL for every role and every op the station can queue: a drift either way fails.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('who may do what: core/sync/roles.ts is the rule app.op_allowed enforces', () => {
  it('knows exactly the server’s member roles', async () => {
    const { rows } = await stack.db.query<{ role: string }>('select unnest(enum_range(null::public.member_role))::text as role');
    expect(rows.map((r) => r.role).sort()).toEqual([...MEMBER_ROLES].sort());
  });

  it('allows exactly the (role, op) pairs app.op_allowed allows, for every op in core/sync/ops.ts', async () => {
    const ops = Object.entries(OPS).flatMap(([table, actions]) => Object.keys(actions).map((action) => ({ table, action })));
    expect(ops.length).toBeGreaterThan(5);
    const { rows } = await stack.db.query<{ role: string; tbl: string; action: string; allowed: boolean }>(
      `select r::text as role, o.tbl, o.action, app.op_allowed(r, o.tbl, o.action) as allowed
         from unnest(enum_range(null::public.member_role)) r
        cross join jsonb_to_recordset($1::jsonb) as o(tbl text, action text)`,
      [JSON.stringify(ops.map((o) => ({ tbl: o.table, action: o.action })))],
    );
    expect(rows).toHaveLength(ops.length * MEMBER_ROLES.length);
    const server = rows.map((r) => `${r.role} ${r.tbl}.${r.action}: ${r.allowed ? 'yes' : 'no'}`);
    const core = rows.map(
      (r) => `${r.role} ${r.tbl}.${r.action}: ${opAllowed(r.role as (typeof MEMBER_ROLES)[number], r.tbl, r.action) ? 'yes' : 'no'}`,
    );
    expect(core).toEqual(server);
    // The case the issue found: a station may not set a gig's status.
    expect(server).toContain('station gigs.set_status: no');
  });
});
