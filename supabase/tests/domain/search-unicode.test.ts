import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertAsset, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// search over non-ASCII text: query words come from the same full-text parser and dictionary
// that built the indexed documents, so "Zürich" is one word (not "z" + "rich"), and case folds
// for every letter the database's UTF-8 ctype knows — as on hosted Supabase (C.UTF-8).
let stack: TestStack;
let org: Org;
const ids: Record<string, string> = {};

interface Hit {
  kind: string;
  id: string;
  label: string;
  match: string;
}

async function search(query: string, kinds?: string[]): Promise<Hit[]> {
  const { data, error } = await org.members.crew.client.rpc('search', kinds === undefined ? { query } : { query, kinds });
  if (error !== null) throw new Error(error.message);
  return data as Hit[];
}
const labels = async (query: string, kinds?: string[]): Promise<string[]> => (await search(query, kinds)).map((h) => h.label).sort();

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'umlaut');
  const hall = await insertGig(stack.db, org.id, { name: 'Arena show' });
  await stack.db.query("update public.gigs set venue = 'Zürich Hallenstadion' where id = $1", [hall]);
  ids.hall = hall;
  ids.club = await insertGig(stack.db, org.id, { name: 'Rich Club' });
  ids.stage = await insertAsset(stack.db, org.id, 'STAGE-1', { name: 'Bühne Podest 2x1', category: 'Bühne' });
  ids.size = await insertAsset(stack.db, org.id, 'FLAG-1', { name: 'Flagge', category: 'Deko' });
  await stack.db.query("update public.assets set notes = 'Größe XL, ÅRHUS Lager' where id = $1", [ids.size]);
  const { rows } = await stack.db.query<{ id: string }>(
    "insert into public.cases (org_id, barcode, name) values ($1, 'CASE-K1', 'Großer Kabelkoffer Bühne links') returning id",
    [org.id],
  );
  ids.case = rows[0]?.id ?? '';
});
afterAll(async () => {
  await stack?.stop();
});

describe('the local stack’s database', () => {
  it('runs with a UTF-8 locale like hosted Supabase (C.UTF-8), so case mapping covers non-ASCII letters', async () => {
    const { rows } = await stack.db.query(
      "select datcollate, datctype, pg_encoding_to_char(encoding) as encoding, lower('ÄÖÜ ÅÉ ẞ') as lowered, upper('äöü') as uppered from pg_database where datname = current_database()",
    );
    expect(rows).toEqual([{ datcollate: 'C.UTF-8', datctype: 'C.UTF-8', encoding: 'UTF8', lowered: 'äöü åé ß', uppered: 'ÄÖÜ' }]);
  });
});

describe('search with non-ASCII words', () => {
  it('finds the venue “Zürich Hallenstadion” for “Zürich” and does not answer “Rich Club”', async () => {
    expect(await labels('Zürich', ['gig'])).toEqual(['Arena show']);
    expect(await labels('Hallenstadion Zürich', ['gig'])).toEqual(['Arena show']);
  });

  it.each(['zürich', 'ZÜRICH', 'ZüRiCh', 'Züri'])('folds case and matches word prefixes: %s', async (query) => {
    expect(await labels(query, ['gig'])).toEqual(['Arena show']);
  });

  it('still finds “Rich Club” for “rich”', async () => {
    expect(await labels('rich', ['gig'])).toEqual(['Rich Club']);
  });

  it.each(['Bühne', 'bühne', 'BÜHNE', 'bühn'])('finds assets and cases named or categorized “Bühne” for %s', async (query) => {
    const hits = await search(query);
    expect(hits.filter((h) => h.kind === 'asset').map((h) => h.id)).toEqual([ids.stage]);
    expect(hits.filter((h) => h.kind === 'case').map((h) => h.id)).toEqual([ids.case]);
  });

  it.each(['Größe', 'größe', 'GRÖẞE', 'ÅRHUS', 'århus'])('finds words with ß, capital ẞ and Å in notes: %s', async (query) => {
    expect((await search(query, ['asset'])).map((h) => h.id)).toEqual([ids.size]);
  });

  it('finds cases by name (full text, word prefixes), not only by barcode', async () => {
    expect((await search('kabelkoffer', ['case'])).map((h) => [h.id, h.match])).toEqual([[ids.case, 'text']]);
    expect((await search('Großer Kabel', ['case'])).map((h) => h.id)).toEqual([ids.case]);
    expect((await search('CASE-K1', ['case'])).map((h) => [h.id, h.match])).toEqual([[ids.case, 'exact']]);
  });

  it('treats query punctuation and operators as text, never as tsquery syntax', async () => {
    for (const query of ["Zürich & !'", 'Zürich:* | Rich', "O'Brien (Zürich)", '\\\\Zürich', 'a & b | !c']) {
      const { error } = await org.members.crew.client.rpc('search', { query });
      expect(error, query).toBeNull();
    }
    expect(await labels('Zürich:* | Rich', ['gig'])).toEqual([]);
    expect(await labels("'Zürich'", ['gig'])).toEqual(['Arena show']);
  });
});
