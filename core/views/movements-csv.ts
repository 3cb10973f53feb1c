/**
 * A gig's movements as CSV (issue 18: exports show who scanned what, where and when): RFC 4180
 * (comma, CRLF, fields quoted when they hold a comma, quote or line break), with a byte-order mark
 * so spreadsheet programs read names with accents as UTF-8. A text field that a spreadsheet
 * would run as a formula is prefixed with an apostrophe, as OWASP advises against CSV injection
 * (a note typed on a phone can be anything); numbers stay numbers. "Would run" is judged on the
 * first visible character, full-width signs included: spreadsheets that trim cells on import
 * (Google Sheets, LibreOffice's "trim spaces") run " =1+1" too, and ASVS 5.0 V1.2.10 adds NUL.
 * Bidi controls are written as visible marks ([U+202E]): in a cell they are invisible and make
 * "Mika" read as someone else, or a note say the opposite (Trojan Source, CVE-2021-42574).
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

/** Starts a formula in some spreadsheet: a control first, or a formula sign as the first visible character. */
const FORMULA_START = /^(?:[\t\r\n\0]|[\s\0]*[=+\-@＝＋－＠])/;
/** Embeddings, overrides and isolates (marks such as U+200F stay: right-to-left text needs them). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/g;

/** One text field, safe for a spreadsheet and quoted when RFC 4180 asks for it. */
export function csvText(value: string | null): string {
  if (value === null) return '';
  const shown = value.replace(BIDI_CONTROL, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase()}]`);
  const inert = FORMULA_START.test(shown) ? `'${shown}` : shown;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

/** The server's timestamp as ISO 8601 in UTC ("2026-12-03T14:05:09Z"), whatever offset it came with. */
export function csvUtc(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? csvText(at) : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function movementsCsv(rows: readonly GigMovement[], own: { id: string; name: string }): string {
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        csvUtc(row.occurred_at),
        csvUtc(row.recorded_at),
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

/**
 * A file name from the gig's code (or name) and the day: letters (of any script, composed),
 * digits and hyphens only — no separators, dots, bidi or zero-width characters — and at most 60
 * whole characters (a name in another script is not cut mid-character nor reduced to "gig").
 */
export function movementsFileName(gig: { code: string | null; name: string }, now: number): string {
  return `movements-${fileStem(gig.code ?? gig.name, 'gig')}-${new Date(now).toISOString().slice(0, 10)}.csv`;
}

/** A file name's part from words, by movementsFileName's rule (`fallback` when nothing is left). */
export function fileStem(words: string, fallback: string): string {
  const cleaned = words
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return Array.from(cleaned).slice(0, 60).join('').replace(/-+$/, '') || fallback;
}
