import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanNote } from '../../core/scan/workflow';
import { createOrg, insertAsset, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// Outside tester, issue 18 (assets.update text rules, migration 20261203001200): names and notes as
// a hostile note-typist writes them. A one-line name with a bidi override reads as another item on
// every screen and in the export ("Trojan Source", CVE-2021-42574); a line or paragraph separator
// (U+2028/U+2029) breaks a one-line field as \n does. Right-to-left text, its marks (U+200F), emoji
// (with their zero-width joiners) and line separators in multi-line notes are real and stay.
let stack: TestStack;
let org: Org;

interface Result {
  status: string;
  code?: string;
  message?: string;
}

async function push(ops: unknown[]): Promise<Result[]> {
  const { data, error } = await org.members.manager.client.rpc('push_changes', { device_id: `dev-${randomUUID()}`, ops });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  return (data as { results: Result[] }).results;
}
const update = (id: string, fields: Record<string, unknown>) => ({
  id: randomUUID(),
  table: 'assets',
  action: 'update',
  payload: { id, fields },
  created_at: new Date().toISOString(),
});

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'text-fields');
});
afterAll(async () => {
  await stack?.stop();
});

const ONE_LINE = (field: string): string =>
  `payload.fields.${field}: control characters and line breaks are not allowed (one line of text)`;
const BIDI = (field: string): string =>
  `payload.fields.${field}: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed`;

describe('assets.update text a person would never type', () => {
  it('refuses bidi controls anywhere and line or paragraph separators in a one-line field, changing nothing', async () => {
    const asset = await insertAsset(stack.db, org.id, `BIDI-${randomUUID().slice(0, 6)}`);
    const before = (await stack.db.query('select name, category, notes, version from public.assets where id = $1', [asset])).rows[0];
    for (const [fields, message] of [
      [{ name: 'Hazer \u202egnp.exe' }, BIDI('name')],
      [{ name: 'Hazer\u2066 spare\u2069' }, BIDI('name')],
      [{ category: 'Audio\u202d' }, BIDI('category')],
      [{ notes: 'ok to use \u202eesu ton od\u202c' }, BIDI('notes')],
      [{ name: 'Hazer\u2028second line' }, ONE_LINE('name')],
      [{ category: 'Audio\u2029Light' }, ONE_LINE('category')],
    ] as const) {
      const [result] = await push([update(asset, fields)]);
      expect(result, JSON.stringify(fields)).toMatchObject({ status: 'rejected', code: 'invalid_field', message });
    }
    expect((await stack.db.query('select name, category, notes, version from public.assets where id = $1', [asset])).rows[0]).toEqual(
      before,
    );
  });

  it('keeps right-to-left text with its marks, emoji with joiners, zero-width characters and line separators in notes', async () => {
    const asset = await insertAsset(stack.db, org.id, `RTL-${randomUUID().slice(0, 6)}`);
    const fields = {
      name: 'مكبر صوت\u200f 🎛️ Kim\u200dLee',
      category: 'Audio 👨‍👩‍👧',
      notes: 'First line\u2028second\u2029third — עברית\u200f ok',
    };
    expect(await push([update(asset, fields)])).toMatchObject([{ status: 'applied' }]);
    expect((await stack.db.query('select name, category, notes from public.assets where id = $1', [asset])).rows[0]).toEqual(fields);
  });

  it('a name of exactly 200 characters with spaces around it is taken; 201 is refused, never a failed batch', async () => {
    const asset = await insertAsset(stack.db, org.id, `LEN-${randomUUID().slice(0, 6)}`);
    expect(await push([update(asset, { name: `  ${'é'.repeat(200)}  ` })])).toMatchObject([{ status: 'applied' }]);
    expect(await push([update(asset, { name: `  ${'😀'.repeat(201)}  ` })])).toMatchObject([
      { status: 'rejected', code: 'invalid_field', message: 'payload.fields.name must be 1–200 characters, got 201' },
    ]);
  });
});

describe('a check-in note (shown in history and written into exports)', () => {
  it('refuses a bidi override and a line separator, like any other control', async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, `NOTE-${randomUUID().slice(0, 6)}`);
    const move = (action: string, payload: Record<string, unknown>, base?: number) => ({
      id: randomUUID(),
      table: 'assets',
      action,
      payload: { id: asset, ...payload },
      created_at: new Date().toISOString(),
      ...(base === undefined ? {} : { base_version: base }),
    });
    expect(await push([move('check_out', { gig_id: gig }, 1)])).toMatchObject([{ status: 'applied' }]);
    expect(await push([move('check_in', { condition: 'damaged', note: 'fan \u202eok\u202c' })])).toMatchObject([
      {
        status: 'rejected',
        code: 'invalid_field',
        message: 'payload.note: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed',
      },
    ]);
    expect(await push([move('check_in', { condition: 'damaged', note: 'fan\u2028rattles' })])).toMatchObject([
      {
        status: 'rejected',
        code: 'invalid_field',
        message: 'payload.note: control characters are not allowed (a note is one line of text)',
      },
    ]);
    // The station cleans a typed or pasted note to what the server takes (a refused note would
    // quarantine the whole check-in): separators become a space, bidi controls go; RTL marks stay.
    const cleaned = cleanNote('مروحة تهتز\u200f\u2028fan \u202eok\u202c');
    expect(cleaned).toBe('مروحة تهتز\u200f fan ok');
    expect(await push([move('check_in', { condition: 'damaged', note: cleaned })])).toMatchObject([{ status: 'applied' }]);
  });
});
