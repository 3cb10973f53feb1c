import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createOrg, failure, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// Database rules that hold whoever writes: paths, cycles, organizations, versions, the status
// machine and append-only history.
let stack: TestStack;
let org: Org;
let other: Org;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'north');
  other = await createOrg(stack, 'south');
});
afterAll(async () => {
  await stack?.stop();
});

async function gigRow(id: string): Promise<{ path: string; version: number; parent_gig_id: string | null; deleted_at: Date | null }> {
  const { rows } = await stack.db.query<{ path: string; version: number; parent_gig_id: string | null; deleted_at: Date | null }>(
    'select path::text, version, parent_gig_id, deleted_at from public.gigs where id = $1',
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`gig ${id} not found`);
  return row;
}

describe('gig hierarchy', () => {
  it('keeps an ltree path per gig, at any depth', async () => {
    let parent: string | null = null;
    const chain: string[] = [];
    for (let level = 0; level < 10; level += 1) {
      parent = await insertGig(stack.db, org.id, { parent, name: `Level ${level}` });
      chain.push(parent);
    }
    const leaf = await gigRow(chain[9] ?? '');
    expect(leaf.path.split('.')).toHaveLength(10);
    expect(leaf.path.split('.')).toEqual(chain.map((id) => `g${id.replaceAll('-', '')}`));
  });

  it('moves the whole subtree when a gig is re-parented, bumping versions', async () => {
    const a = await insertGig(stack.db, org.id, { name: 'A' });
    const b = await insertGig(stack.db, org.id, { name: 'B' });
    const child = await insertGig(stack.db, org.id, { parent: a, name: 'child' });
    const grandchild = await insertGig(stack.db, org.id, { parent: child, name: 'grandchild' });
    const before = await gigRow(grandchild);
    await stack.db.query('update public.gigs set parent_gig_id = $1 where id = $2', [b, child]);
    const after = await gigRow(grandchild);
    expect(after.path.startsWith(`g${b.replaceAll('-', '')}.`)).toBe(true);
    expect(after.path.split('.')).toHaveLength(3);
    expect(after.version).toBe(before.version + 1);
  });

  it('rejects a cycle with a clear error and changes nothing', async () => {
    const top = await insertGig(stack.db, org.id);
    const middle = await insertGig(stack.db, org.id, { parent: top });
    const bottom = await insertGig(stack.db, org.id, { parent: middle });
    await expect(stack.db.query('update public.gigs set parent_gig_id = $1 where id = $2', [bottom, top])).rejects.toThrow(
      /would create a cycle in the hierarchy/,
    );
    await expect(stack.db.query('update public.gigs set parent_gig_id = id where id = $1', [top])).rejects.toThrow(/gigs_check|cycle/);
    expect((await gigRow(top)).parent_gig_id).toBeNull();
  });

  it('rejects a parent in another organization', async () => {
    const theirs = await insertGig(stack.db, other.id);
    await expect(insertGig(stack.db, org.id, { parent: theirs })).rejects.toThrow(/cannot have a parent in another organization/);
  });

  it('ignores attempts to write the path directly', async () => {
    const gig = await insertGig(stack.db, org.id);
    const before = await gigRow(gig);
    await stack.db.query("update public.gigs set path = 'forged.path' where id = $1", [gig]);
    expect((await gigRow(gig)).path).toBe(before.path);
  });

  it('enforces the status state machine', async () => {
    const gig = await insertGig(stack.db, org.id);
    await expect(stack.db.query("update public.gigs set status = 'completed' where id = $1", [gig])).rejects.toThrow(
      'gig status cannot change from draft to completed',
    );
    for (const status of ['confirmed', 'in_progress', 'completed']) {
      await stack.db.query('update public.gigs set status = $1 where id = $2', [status, gig]);
    }
    await expect(stack.db.query("update public.gigs set status = 'draft' where id = $1", [gig])).rejects.toThrow(
      'gig status cannot change from completed to draft',
    );
  });

  it('bumps the version on every change and soft-deletes whole subtrees', async () => {
    const parent = await insertGig(stack.db, org.id);
    const child = await insertGig(stack.db, org.id, { parent });
    await stack.db.query("update public.gigs set notes = 'one' where id = $1", [parent]);
    await stack.db.query("update public.gigs set notes = 'two' where id = $1", [parent]);
    expect((await gigRow(parent)).version).toBe(3);
    await stack.db.query('update public.gigs set deleted_at = now() where id = $1', [parent]);
    expect((await gigRow(child)).deleted_at).not.toBeNull();
  });
});

describe('assets and cases', () => {
  it('keeps serials unique per organization, case-insensitively', async () => {
    await insertAsset(stack.db, org.id, 'SPK-100');
    await expect(insertAsset(stack.db, org.id, 'spk-100')).rejects.toThrow(/assets_org_serial_idx/);
    await insertAsset(stack.db, other.id, 'SPK-100');
  });

  it('ties checked_out to a current gig', async () => {
    const asset = await insertAsset(stack.db, org.id, 'SPK-200');
    await expect(stack.db.query("update public.assets set status = 'checked_out' where id = $1", [asset])).rejects.toThrow(/assets_check/);
  });

  it('refuses a case inside itself', async () => {
    const outer = await insertCase(stack.db, org.id, 'CASE-OUT');
    const inner = await insertCase(stack.db, org.id, 'CASE-IN', outer);
    await expect(stack.db.query('update public.cases set parent_case_id = $1 where id = $2', [inner, outer])).rejects.toThrow(
      /would create a cycle/,
    );
  });
});

describe('asset_movements', () => {
  it('is append-only, even for the table owner', async () => {
    const asset = await insertAsset(stack.db, org.id, 'MOV-1');
    await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind) values ($1, $2, 'quarantine')", [org.id, asset]);
    await expect(stack.db.query('update public.asset_movements set kind = $1', ['release'])).rejects.toThrow(/append-only/);
    await expect(stack.db.query('delete from public.asset_movements')).rejects.toThrow(/append-only/);
    await expect(stack.db.query('truncate public.asset_movements')).rejects.toThrow(/append-only/);
  });

  it('refuses insert, update and delete to every client role', async () => {
    for (const role of ['admin', 'manager', 'station', 'crew'] as const) {
      await asUser(stack, { userId: org.members[role].userId }, async (client) => {
        expect(
          (
            await failure(
              client,
              "insert into public.asset_movements (org_id, asset_id, kind) select org_id, id, 'check_in' from public.assets limit 1",
            )
          ).code,
        ).toBe('42501');
        expect((await failure(client, "update public.asset_movements set kind = 'release'")).code).toBe('42501');
        expect((await failure(client, 'delete from public.asset_movements')).code).toBe('42501');
      });
    }
  });
});
