import { describe, expect, it } from 'vitest';
import { copyWords, scopeWords } from './copy-words';
import { NO_COPY_STATE } from './verify';

const now = Date.UTC(2027, 5, 12, 14, 40);
const asOf = Date.UTC(2027, 5, 12, 14, 32);

describe('the local copy in words', () => {
  it('a verified copy says it is ready offline, as of when, and how much it holds', () => {
    const words = copyWords({ asOf, verifiedAt: asOf, counts: { gigs: 1250, assets: 3400, cases: 1 }, mismatched: [] }, now, 'UTC');
    expect(words.headline).toBe('Ready offline · data as of 14:32\u00a0today · 1,250\u00a0gigs, 3,400\u00a0items · verified');
    expect(words.tone).toBe('verified');
    expect(words.asOf).toBe('as of 14:32\u00a0today');
    expect(words.tables.find((t) => t.table === 'cases')).toEqual({ table: 'cases', label: 'Cases', text: '1' });
    expect(words.tables.find((t) => t.table === 'gig_staff')?.text).toBe('—');
  });

  it('a copy that differs names each table, with both counts or that versions differ', () => {
    const words = copyWords(
      {
        asOf,
        verifiedAt: asOf,
        counts: { gigs: 7, assets: 12 },
        mismatched: [
          { table: 'gigs', local: 7, server: 7 },
          { table: 'assets', local: 3398, server: 3400 },
        ],
      },
      now,
      'UTC',
    );
    expect(words.tone).toBe('mismatch');
    expect(words.headline).toBe('Incomplete · data as of 14:32\u00a0today · 2 tables differ from the server');
    expect(words.problems).toEqual(['gigs: 7 here and on the server, but not the same versions', 'items: 3,398 here, 3,400 on the server']);
  });

  it('a new device says it has no data and has not been checked', () => {
    expect(copyWords(NO_COPY_STATE, now, 'UTC')).toMatchObject({
      headline: 'Not verified yet · no data yet',
      tone: 'unverified',
      asOf: null,
      checked: 'not checked yet',
    });
  });
});

describe('what the device keeps, in words', () => {
  const names: Record<string, string> = {
    '00000000-0000-4000-8000-000000000001': 'Autumn tour',
    '00000000-0000-4000-8000-000000000002': 'Spring tour',
    '00000000-0000-4000-8000-000000000003': 'Festival season',
  };
  const nameOf = (id: string): string | undefined => names[id];
  it('names the scope, the chosen gigs by name, and never shows an id', () => {
    expect(scopeWords({ kind: 'org' }, nameOf)).toBe('the whole company');
    expect(scopeWords({ kind: 'mine' }, nameOf)).toBe('my gigs (the ones I am crew on)');
    expect(scopeWords({ kind: 'gigs', roots: ['00000000-0000-4000-8000-000000000001'] }, nameOf)).toBe('Autumn tour');
    const three = Object.keys(names);
    expect(scopeWords({ kind: 'gigs', roots: three }, nameOf)).toBe('Autumn tour, Spring tour and 1 more gig');
    const unknown = '00000000-0000-4000-8000-00000000000f';
    expect(scopeWords({ kind: 'gigs', roots: [unknown] }, nameOf)).toBe('1 chosen gig');
    expect(scopeWords({ kind: 'gigs', roots: [unknown, three[0] ?? ''] }, nameOf)).not.toMatch(/0000/);
  });
});
