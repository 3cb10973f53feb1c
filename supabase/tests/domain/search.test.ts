import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// search(): exact serial/barcode first, then prefix, then trigram infix, then full text.
let stack: TestStack;
let org: Org;

interface Hit {
  kind: string;
  id: string;
  label: string;
  detail: string;
  match: string;
  rank: number;
}

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'finder');
  await insertAsset(stack.db, org.id, 'MIC-1000', { name: 'Vocal mic', barcode: '4006381333931' });
  await insertAsset(stack.db, org.id, 'MIC-10001', { name: 'Spare vocal mic' });
  await insertAsset(stack.db, org.id, 'XMIC-1000B', { name: 'Wireless handheld' });
  await insertAsset(stack.db, org.id, 'SPK-77', { name: 'Line array speaker, pairs with mic 1000', category: 'Audio' });
  await insertAsset(stack.db, org.id, 'LOT_7', { name: 'Underscored serial' });
  await insertAsset(stack.db, org.id, 'LOTX7', { name: 'Lookalike serial' });
  await insertCase(stack.db, org.id, 'MIC-CASE-1');
  await insertGig(stack.db, org.id, { name: 'Microphone shootout at Hall 3' });
});
afterAll(async () => {
  await stack?.stop();
});

async function search(query: string, extra: Record<string, unknown> = {}): Promise<Hit[]> {
  const { data, error } = await org.members.crew.client.rpc('search', { query, ...extra });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return data as Hit[];
}

describe('search ranking', () => {
  it('puts the exact serial first, then prefixes, then infixes, then text matches', async () => {
    const hits = await search('mic-1000');
    expect(hits.map((h) => [h.detail, h.match, h.rank])).toEqual([
      ['MIC-1000', 'exact', 1],
      ['MIC-10001', 'prefix', 2],
      ['XMIC-1000B', 'infix', 3],
      ['SPK-77', 'text', 4],
    ]);
  });

  it('finds an asset by its exact barcode', async () => {
    const [hit] = await search('4006381333931');
    expect(hit).toMatchObject({ kind: 'asset', detail: 'MIC-1000', match: 'exact', rank: 1 });
  });

  it('uses only exact and prefix matching below three characters', async () => {
    const hits = await search('mi');
    expect(hits.every((h) => h.rank <= 2)).toBe(true);
    expect(hits.map((h) => h.detail).sort()).toEqual(['MIC-1000', 'MIC-10001', 'MIC-CASE-1']);
  });

  it('searches gig names and venues by word prefixes', async () => {
    const hits = await search('micro hall', { kinds: ['gig'] });
    expect(hits.map((h) => [h.kind, h.label, h.match])).toEqual([['gig', 'Microphone shootout at Hall 3', 'text']]);
  });

  it('treats LIKE wildcards and quotes in the query as plain characters', async () => {
    expect((await search('lot_')).map((h) => h.detail)).toEqual(['LOT_7']);
    expect(await search('%')).toEqual([]);
    expect(await search("'; drop table public.assets; --")).toEqual([]);
  });

  it('keeps infix search in step when a serial changes', async () => {
    const id = await insertAsset(stack.db, org.id, 'RENAME-ABC123', { name: 'Relabelled amp' });
    expect((await search('abc12')).map((h) => h.id)).toContain(id);
    await stack.db.query("update public.assets set serial_number = 'RENAME-XYZ789' where id = $1", [id]);
    expect((await search('abc12')).map((h) => h.id)).not.toContain(id);
    expect((await search('xyz78')).map((h) => [h.id, h.match])).toContainEqual([id, 'infix']);
  });

  it('honours kinds and limit', async () => {
    expect((await search('mic', { kinds: ['case'] })).map((h) => h.kind)).toEqual(['case']);
    expect(await search('mic', { limit: 2 })).toHaveLength(2);
  });

  it.each([
    [{ query: '' }, 'query must be 1 to 100 characters, got 0'],
    [{ query: 'x'.repeat(101) }, 'query must be 1 to 100 characters, got 101'],
    [{ query: 'mic', limit: 0 }, 'limit must be between 1 and 100, got 0'],
    [{ query: 'mic', kinds: ['staff'] }, 'kinds must be a non-empty subset of {asset, case, gig}, got {staff}'],
  ])('refuses %j with a specific message', async (args, message) => {
    const { status, error } = await org.members.crew.client.rpc('search', args);
    expect(status).toBe(400);
    expect(error?.message).toBe(message);
  });
});
