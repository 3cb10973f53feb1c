/**
 * A gig's movements as CSV (issue 18: exports show who scanned what, where and when): RFC 4180
 * (comma, CRLF, fields quoted when they hold a comma, quote or line break), with a byte-order mark
 * so spreadsheet programs read names with accents as UTF-8. A text field that a spreadsheet
 * would run as a formula (=, +, -, @, tab or CR first: a note typed on a phone can be anything)
 * is prefixed with an apostrophe, as OWASP advises against CSV injection; numbers stay numbers.
 */
import type { GigMovement } from '../station-views';
import { deviceWords } from './device-words';

const HEADER = [
  'Scanned at (UTC)',
  'Recorded at (UTC)',
  'Movement',
  'Item',
  'Code',
  'Quantity',
  'Unit',
  'Gig',
  'Scanned by',
  'Device',
  'Device id',
  'Condition',
  'Note',
];

const KIND_WORDS: Record<string, string> = {
  check_out: 'Out',
  check_in: 'Back',
  transfer: 'Transfer',
  quarantine: 'Quarantine',
  release: 'Released',
};
const CONDITION_WORDS: Record<string, string> = { ok: 'OK', damaged: 'Damaged', missing_parts: 'Missing parts' };

/** One text field, safe for a spreadsheet and quoted when RFC 4180 asks for it. */
export function csvText(value: string | null): string {
  if (value === null) return '';
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

/** The server's timestamp as ISO 8601 in UTC ("2026-12-03T14:05:09Z"), whatever offset it came with. */
function utc(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? csvText(at) : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function movementsCsv(rows: readonly GigMovement[], own: { id: string; name: string }): string {
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        utc(row.occurred_at),
        utc(row.recorded_at),
        csvText(KIND_WORDS[row.kind] ?? row.kind),
        csvText(row.item_name),
        csvText(row.item_code),
        String(row.quantity),
        csvText(row.unit),
        csvText(row.gig_code === null ? row.gig_name : `${row.gig_name} (${row.gig_code})`),
        csvText(row.staff_name),
        csvText(deviceWords(row.device_id, own) ?? row.device_id),
        csvText(row.device_id),
        csvText(row.condition === null ? null : (CONDITION_WORDS[row.condition] ?? row.condition)),
        csvText(row.note),
      ].join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A file name from the gig's code (or name) and the day: letters, digits and hyphens only. */
export function movementsFileName(gig: { code: string | null; name: string }, now: number): string {
  const stem =
    (gig.code ?? gig.name)
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'gig';
  return `movements-${stem}-${new Date(now).toISOString().slice(0, 10)}.csv`;
}
