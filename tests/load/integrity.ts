import pg from 'pg';
import type { LoadRun } from './driver';
import type { UsersFile } from './prepare';

export interface IntegrityReport {
  ok: boolean;
  problems: string[];
  appliedOps: number;
  movements: number;
}

/**
 * After a run, from the database: every op the server answered `applied` left exactly one
 * movement, no load device has a movement for an op it never sent, each crew member's gear is
 * where the last applied op put it, and nobody saw another organization's rows or another
 * member's push subscriptions.
 */
export async function checkIntegrity(dbUrl: string, cohort: UsersFile, run: LoadRun): Promise<IntegrityReport> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const problems: string[] = [];
  try {
    const devices = cohort.users.map((u) => u.device_id);
    const movements = (
      await db.query<{ op: string; n: number }>(
        'select client_op_id::text as op, count(*)::int as n from public.asset_movements where device_id = any($1) group by client_op_id',
        [devices],
      )
    ).rows;
    const perOp = new Map(movements.map((m) => [m.op, m.n]));
    const twice = movements.filter((m) => m.n > 1);
    if (twice.length > 0) problems.push(`${twice.length} op(s) left more than one movement`);
    const missing = [...run.applied].filter((id) => perOp.get(id) !== 1);
    if (missing.length > 0) problems.push(`${missing.length} applied op(s) have no movement`);
    const unknown = movements.filter((m) => !run.sent.has(m.op));
    if (unknown.length > 0) problems.push(`${unknown.length} movement(s) for ops never sent`);
    const unacknowledged = movements.filter((m) => run.sent.has(m.op) && !run.applied.has(m.op)).length;
    if (unacknowledged > 0) problems.push(`${unacknowledged} op(s) applied on the server without the client hearing it (timeouts)`);

    const assets = (
      await db.query<{ id: string; version: number; status: string }>(
        'select id, version, status::text from public.assets where id = any($1)',
        [[...run.finalAssets.keys()]],
      )
    ).rows;
    const drifted = assets.filter((a) => {
      const seen = run.finalAssets.get(a.id);
      return seen === undefined || seen.version !== a.version || seen.out !== (a.status === 'checked_out');
    });
    if (drifted.length > 0) problems.push(`${drifted.length} asset(s) differ from what their crew member last heard`);

    if (run.foreignRows > 0) problems.push(`${run.foreignRows} row(s) of another organization reached a pull`);
    const foreignHits = (
      await db.query<{ n: number }>(
        `select count(*)::int as n from unnest($1::uuid[]) h(id)
          where not exists (select 1 from public.assets a where a.id = h.id and a.org_id = $2)
            and not exists (select 1 from public.cases c where c.id = h.id and c.org_id = $2)
            and not exists (select 1 from public.gigs g where g.id = h.id and g.org_id = $2)`,
        [[...run.searchHits], cohort.orgId],
      )
    ).rows[0]?.n;
    if ((foreignHits ?? 0) > 0) problems.push(`${foreignHits} search hit(s) outside the organization`);

    const subscriptions = (
      await db.query<{ email: string; endpoint: string }>(
        `select u.email, s.endpoint from public.user_push_subscriptions s join auth.users u on u.id = s.user_id where s.endpoint like 'https://push.load.invalid/%'`,
      )
    ).rows;
    const wrongOwner = subscriptions.filter(
      (s) => cohort.users.find((u) => u.email === s.email)?.device_id !== s.endpoint.split('/').pop(),
    );
    if (wrongOwner.length > 0) problems.push(`${wrongOwner.length} push subscription(s) saved under another member`);
    return { ok: problems.length === 0, problems, appliedOps: run.applied.size, movements: movements.reduce((sum, m) => sum + m.n, 0) };
  } finally {
    await db.end();
  }
}
