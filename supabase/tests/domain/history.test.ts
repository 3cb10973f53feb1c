import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// get_asset_history: an asset's movements, newest first, named, and only for members of its org.
let stack: TestStack;
let org: Org;
let other: Org;
let asset: string;
let gigA: string;
let gigB: string;

interface Movement {
  kind: string;
  gig_name: string | null;
  gig_code: string | null;
  from_gig_name: string | null;
  condition: string | null;
  device_id: string | null;
}

async function push(ops: Record<string, unknown>[]): Promise<void> {
  const { data, error } = await org.members.station.client.rpc('push_changes', { device_id: 'history-station', ops });
  if (error !== null) throw new Error(error.message);
  const statuses = (data as { results: { status: string }[] }).results.map((r) => r.status);
  expect(statuses, JSON.stringify(data)).toEqual(statuses.map(() => 'applied'));
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'history');
  other = await createOrg(stack, 'history-rival');
  gigA = await insertGig(stack.db, org.id, { name: 'Arena night', status: 'confirmed' });
  gigB = await insertGig(stack.db, org.id, { name: 'Club night', status: 'confirmed' });
  asset = await insertAsset(stack.db, org.id, 'HIST-1');
  await push([{ id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: asset, gig_id: gigA }, base_version: 1 }]);
  await push([{ id: randomUUID(), table: 'assets', action: 'check_in', payload: { id: asset, condition: 'ok' } }]);
  await push([{ id: randomUUID(), table: 'assets', action: 'check_out', payload: { id: asset, gig_id: gigB }, base_version: 3 }]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('get_asset_history', () => {
  it('lists every movement newest first with gig names, condition and device', async () => {
    const { data, error } = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset });
    expect(error).toBeNull();
    const rows = data as Movement[];
    expect(rows.map((r) => [r.kind, r.gig_name])).toEqual([
      ['check_out', 'Club night'],
      ['check_in', 'Arena night'],
      ['check_out', 'Arena night'],
    ]);
    expect(rows[1]).toMatchObject({ condition: 'ok', device_id: 'history-station' });
  });

  it('limits the rows', async () => {
    const { data } = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset, p_limit: 1 });
    expect((data as Movement[]).map((r) => r.gig_name)).toEqual(['Club night']);
  });

  it('shows another organization nothing', async () => {
    const { data, error } = await other.members.admin.client.rpc('get_asset_history', { p_asset_id: asset });
    expect(error).toBeNull();
    expect(data).toEqual([]);
  });

  it('refuses a bad limit with a specific error', async () => {
    const { error } = await org.members.crew.client.rpc('get_asset_history', { p_asset_id: asset, p_limit: 0 });
    expect(error?.message).toBe('p_limit must be between 1 and 5000, got 0');
  });
});
