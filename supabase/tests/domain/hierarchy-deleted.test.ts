import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// Soft-deleted assets and cases in get_gig_hierarchy's counts. One rule for every path: an asset
// counts only while it is live and, when it is reached through a case, while every case on the
// way down (the planned case and each nested case) is live too. The planned bulk quantity of a
// category counts as planned. `assets_returned` is history (check-ins recorded at the gig) and
// is never rewritten by a later deletion.
let stack: TestStack;
let org: Org;

interface Counts {
  assets_planned: number;
  assets_checked_out: number;
  assets_returned: number;
  staff_assigned: number;
}
interface TreeNode {
  id: string;
  counts: Counts;
  children: TreeNode[];
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'deleted-counts');
});
afterAll(async () => {
  await stack?.stop();
});

const softDelete = async (table: 'assets' | 'cases', id: string): Promise<void> => {
  await stack.db.query(`update public.${table} set deleted_at = now() where id = $1`, [id]);
};
const plan = async (gig: string, what: { asset?: string; case?: string; category?: string; quantity?: number }): Promise<void> => {
  await stack.db.query(
    'insert into public.kit_assignments (org_id, gig_id, asset_id, case_id, category, quantity) values ($1, $2, $3, $4, $5, $6)',
    [org.id, gig, what.asset ?? null, what.case ?? null, what.category ?? null, what.quantity ?? null],
  );
};
const checkOut = async (asset: string, gig: string): Promise<void> => {
  await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [asset, gig]);
};
let serial = 0;
const newAsset = async (caseId: string | null = null): Promise<string> => {
  serial += 1;
  return insertAsset(stack.db, org.id, `DEL-${serial}`, { caseId });
};
let barcode = 0;
const newCase = async (parent: string | null = null): Promise<string> => {
  barcode += 1;
  return insertCase(stack.db, org.id, `DEL-CASE-${barcode}`, parent);
};

async function counts(gig: string): Promise<Counts> {
  const { data, error } = await org.members.manager.client.rpc('get_gig_hierarchy', { root_gig_id: gig });
  if (error !== null) throw new Error(error.message);
  return (data as TreeNode).counts;
}

describe('deleted items in a gig’s counts', () => {
  it('does not count a deleted asset planned directly; a live one counts', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Direct plan' });
    const live = await newAsset();
    const gone = await newAsset();
    await plan(gig, { asset: live });
    await plan(gig, { asset: gone });
    await softDelete('assets', gone);
    expect((await counts(gig)).assets_planned).toBe(1);
  });

  it('does not count the contents of a deleted planned case', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Deleted case plan' });
    const box = await newCase();
    await newAsset(box);
    await newAsset(box);
    await plan(gig, { case: box });
    expect((await counts(gig)).assets_planned).toBe(2);
    await softDelete('cases', box);
    expect((await counts(gig)).assets_planned).toBe(0);
  });

  it('counts a live case’s live contents only: not deleted assets, not a deleted nested case’s contents', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Nested plan' });
    const box = await newCase();
    await newAsset(box); // counts
    await softDelete('assets', await newAsset(box)); // deleted asset in a live case
    const liveInner = await newCase(box);
    await newAsset(liveInner); // counts
    await softDelete('assets', await newAsset(liveInner));
    const goneInner = await newCase(box);
    await newAsset(goneInner); // live asset in a deleted nested case
    const deeper = await newCase(goneInner);
    await newAsset(deeper); // live case under a deleted one
    await softDelete('cases', goneInner);
    await plan(gig, { case: box });
    await plan(gig, { category: 'Cable', quantity: 5 });
    expect((await counts(gig)).assets_planned).toBe(2 + 5);
  });

  it('does not count a deleted asset that is still checked out to the gig; a live one counts', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Checked out', status: 'confirmed' });
    const live = await newAsset();
    const gone = await newAsset();
    await checkOut(live, gig);
    await checkOut(gone, gig);
    await softDelete('assets', gone);
    expect((await counts(gig)).assets_checked_out).toBe(1);
  });

  it('counts a live asset checked out to the gig even when the case it sits in was deleted (it is reached directly, not through the case)', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Out of a deleted case', status: 'confirmed' });
    const box = await newCase();
    const inside = await newAsset(box);
    await checkOut(inside, gig);
    await softDelete('cases', box);
    expect((await counts(gig)).assets_checked_out).toBe(1);
  });

  it('applies the same rule in every subtree and rolls the counts up', async () => {
    const root = await insertGig(stack.db, org.id, { name: 'Festival', status: 'confirmed' });
    const stage = await insertGig(stack.db, org.id, { name: 'Stage', parent: root, status: 'confirmed' });
    const set = await insertGig(stack.db, org.id, { name: 'Set', parent: stage, status: 'confirmed' });
    const box = await newCase();
    await newAsset(box);
    const goneBox = await newCase();
    await newAsset(goneBox);
    await softDelete('cases', goneBox);
    const direct = await newAsset();
    const goneDirect = await newAsset();
    await softDelete('assets', goneDirect);
    await plan(stage, { case: box });
    await plan(stage, { case: goneBox });
    await plan(set, { asset: direct });
    await plan(set, { asset: goneDirect });
    const out = await newAsset();
    const goneOut = await newAsset();
    await checkOut(out, set);
    await checkOut(goneOut, set);
    await softDelete('assets', goneOut);
    const { data } = await org.members.crew.client.rpc('get_gig_hierarchy', { root_gig_id: root });
    const tree = data as TreeNode;
    const stageNode = tree.children[0];
    const setNode = stageNode?.children[0];
    expect([tree.counts.assets_planned, stageNode?.counts.assets_planned, setNode?.counts.assets_planned]).toEqual([2, 2, 1]);
    expect([tree.counts.assets_checked_out, stageNode?.counts.assets_checked_out, setNode?.counts.assets_checked_out]).toEqual([1, 1, 1]);
  });

  it('keeps assets_returned as history: a returned asset deleted later stays counted as returned', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Returned', status: 'confirmed' });
    const asset = await newAsset();
    await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_in', $3)", [
      org.id,
      asset,
      gig,
    ]);
    await softDelete('assets', asset);
    expect((await counts(gig)).assets_returned).toBe(1);
  });
});
