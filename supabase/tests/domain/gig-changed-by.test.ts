import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// Who changed a gig last (migration 20261204000200): the database names the signed-in member's
// staff profile on every write, whatever the writer sends, so a station's conflict on a gig can
// say who changed the server's side. Nobody can put another person's name on a change.
let stack: TestStack;
let org: Org;
let other: Org;
const staff: Record<'manager' | 'admin', string> = { manager: '', admin: '' };

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'changed-by');
  other = await createOrg(stack, 'changed-by-other');
  for (const [role, name, badge] of [
    ['manager', 'Mika Moreau', 'BADGE-MIKA'],
    ['admin', 'Ada Admin', 'BADGE-ADA'],
  ] as const) {
    const { rows } = await stack.db.query<{ id: string }>(
      'insert into public.staff_profiles (org_id, user_id, display_name, badge_code) values ($1, $2, $3, $4) returning id',
      [org.id, org.members[role].userId, name, badge],
    );
    staff[role] = rows[0]?.id ?? '';
  }
});
afterAll(async () => {
  await stack?.stop();
});

async function gigRow(id: string): Promise<{ updated_by: string | null; status: string; notes: string | null; version: number }> {
  const { rows } = await stack.db.query<{ updated_by: string | null; status: string; notes: string | null; version: number }>(
    'select updated_by, status, notes, version from public.gigs where id = $1',
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`gig ${id} not found`);
  return row;
}

type Result = { status: string; code?: string; row?: Record<string, unknown> };
async function push(who: 'manager' | 'admin' | 'crew', ops: unknown[], device = 'laptop-a'): Promise<Result[]> {
  const { data, error } = await org.members[who].client.rpc('push_changes', { device_id: device, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}
const op = (action: string, payload: Record<string, unknown>, baseVersion?: number): Record<string, unknown> => ({
  id: randomUUID(),
  table: 'gigs',
  action,
  payload,
  ...(baseVersion === undefined ? {} : { base_version: baseVersion }),
});

describe('who changed a gig', () => {
  it('names the member whose push changed it, and the conflict the other station gets carries the name', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Contested set' });
    expect((await gigRow(gig)).updated_by).toBeNull(); // written by SQL: nobody signed in
    const base = (await gigRow(gig)).version;
    const [first] = await push('manager', [op('set_status', { id: gig, to: 'confirmed' }, base)]);
    expect(first?.status).toBe('applied');
    expect((await gigRow(gig)).updated_by).toBe(staff.manager);
    const [second] = await push('admin', [op('set_status', { id: gig, to: 'cancelled' }, base)], 'laptop-b');
    expect(second).toMatchObject({ status: 'conflict', row: { status: 'confirmed', updated_by: staff.manager } });
    const [notes] = await push('admin', [op('update', { id: gig, fields: { notes: 'load-in 08:00' } }, base + 1)], 'laptop-b');
    expect(notes?.status).toBe('applied');
    expect(await gigRow(gig)).toMatchObject({ updated_by: staff.admin, notes: 'load-in 08:00' });
  });

  it('ignores a name sent with the change: a push cannot put someone else on it', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Forged' });
    const [forged] = await push('admin', [op('update', { id: gig, fields: { notes: 'x', updated_by: staff.manager } })]);
    // Refused as a field the op may not set, or applied with the admin's own name: never the manager's.
    expect((await gigRow(gig)).updated_by).not.toBe(staff.manager);
    if (forged?.status === 'applied') expect((await gigRow(gig)).updated_by).toBe(staff.admin);
    // Directly through the API, as the admin, naming the manager: the database names the admin.
    const { error } = await org.members.admin.client.from('gigs').update({ notes: 'y', updated_by: staff.manager }).eq('id', gig);
    if (error === null) expect((await gigRow(gig)).updated_by).toBe(staff.admin);
    else expect((await gigRow(gig)).updated_by).not.toBe(staff.manager);
  });

  it('leaves the gigs a removed person last wrote untouched: no new version, no false conflict', async () => {
    const { rows } = await stack.db.query<{ id: string }>(
      "insert into public.staff_profiles (org_id, user_id, display_name, badge_code) values ($1, null, 'Temp Tech', 'BADGE-TEMP') returning id",
      [org.id],
    );
    const temp = rows[0]?.id ?? '';
    const gig = await insertGig(stack.db, org.id, { name: 'Written by a temp' });
    // As the temp's request would reach the database (their profile, named by the trigger).
    await stack.db.query(`update public.staff_profiles set user_id = $1 where id = $2`, [org.members.station.userId, temp]);
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: org.members.station.userId, role: 'authenticated' }),
      ]);
      await client.query(`update public.gigs set notes = 'by the temp' where id = $1`, [gig]);
      await client.query('commit');
    } finally {
      client.release();
    }
    const before = await gigRow(gig);
    expect(before.updated_by).toBe(temp);
    await stack.db.query('delete from public.staff_profiles where id = $1', [temp]);
    expect(await gigRow(gig)).toEqual(before);
    // A status change queued at that version still applies.
    const [queued] = await push('manager', [op('set_status', { id: gig, to: 'confirmed' }, before.version)]);
    expect(queued?.status).toBe('applied');
  });

  it('names nobody for a change made in SQL; another company’s admin cannot change it or be named', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Nobody' });
    await push('manager', [op('update', { id: gig, fields: { notes: 'by the manager' } })]);
    expect((await gigRow(gig)).updated_by).toBe(staff.manager);
    // Written by SQL (nobody signed in) naming the manager: no name rather than a wrong one.
    await stack.db.query(`update public.gigs set updated_by = $1, notes = 'by SQL' where id = $2`, [staff.manager, gig]);
    expect(await gigRow(gig)).toMatchObject({ updated_by: null, notes: 'by SQL' });
    const before = await gigRow(gig);
    await other.members.admin.client.from('gigs').update({ notes: 'theirs' }).eq('id', gig);
    const [theirs] = await other.members.admin.client
      .rpc('push_changes', { device_id: 'their-laptop', ops: [op('update', { id: gig, fields: { notes: 'theirs' } })] })
      .then(({ data }) => (data as { results: Result[] } | null)?.results ?? []);
    expect(theirs?.status).not.toBe('applied');
    expect(await gigRow(gig)).toEqual(before);
  });
});
