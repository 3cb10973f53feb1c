import type { RejectReason } from './types';

/**
 * Scanner input in the operator's words (the Scanners screen's raw view and the wedge message):
 * what happened and what to check, never a code name.
 */
export function rejectedInWords(reason: RejectReason, bytes: number, limits: { minLength?: number; maxLength?: number } = {}): string {
  const size = `${bytes.toLocaleString('en')} byte${bytes === 1 ? '' : 's'}`;
  switch (reason) {
    case 'noise':
      return `Noise (${size} no barcode carries) — dropped. Often: wrong baud rate, or the scanner waking up.`;
    case 'too_long':
      return `Too long (${size}, the limit is ${(limits.maxLength ?? 8192).toLocaleString('en')}) — dropped whole, no part of it was scanned.`;
    case 'too_short':
      return `Too short (${size}, the minimum is ${limits.minLength ?? 4}) — not taken as a scan.`;
    case 'missing_prefix':
      return `The configured prefix was missing — dropped (${size}).`;
    case 'incomplete':
      return `Cut off: the scanner went quiet before the end of the code (cable pulled?) — dropped (${size}).`;
    case 'malformed':
      return `A malformed report from the device — dropped (${size}).`;
    case 'unclear_end':
      return `The station was busy when this code ended and more arrived right after — dropped (${size}), scan again.`;
    case 'mixed_with_typing':
      return 'A key was pressed during the scan — scan again.';
  }
}

/** Why a keyboard-wedge burst was dropped, as the top bar says it (the person is asked to rescan). */
export function wedgeRejectedInWords(reason: RejectReason): string {
  if (reason === 'mixed_with_typing') return 'A key was pressed during the scan — scan again';
  if (reason === 'too_long') return 'The scan was longer than 8,192 characters — nothing was scanned';
  if (reason === 'noise') return 'The scan had characters no barcode carries — check the scanner’s keyboard layout';
  return 'The scan arrived incomplete — scan again';
}

/** A scanner's connection state in words. */
export const SCANNER_STATE_WORDS = {
  absent: 'not connected',
  opening: 'connecting…',
  open: 'ready',
  reconnecting: 'reconnecting',
  unavailable: 'unavailable',
} as const;

/**
 * Bytes such as terminators and prefixes are typed and shown with escapes: \r, \n, \t and \xHH.
 * Returns null when the text has a broken escape.
 */
export function unescapeBytes(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === 'r') out += '\r';
    else if (next === 'n') out += '\n';
    else if (next === 't') out += '\t';
    else if (next === '\\') out += '\\';
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
      i += 2;
    } else return null;
    i += 1;
  }
  return out;
}

export function escapeBytes(bytes: string): string {
  return [...bytes]
    .map((ch) => {
      const code = ch.charCodeAt(0);
      if (ch === '\r') return '\\r';
      if (ch === '\n') return '\\n';
      if (ch === '\t') return '\\t';
      if (ch === '\\') return '\\\\';
      return code < 0x20 || code > 0x7e ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
    })
    .join('');
}
