/**
 * What a scanned string means before any lookup: command codes, and the normalised text to look
 * up. Scanners add AIM symbology prefixes ("]C1" for GS1-128), GS separators and whitespace; none
 * of that is part of a serial number.
 */
export const COMMANDS = ['CHECK-OUT', 'CHECK-IN', 'DONE', 'UNDO', 'OK', 'DAMAGED', 'MISSING-PARTS'] as const;
export type Command = (typeof COMMANDS)[number];

export type Parsed = { kind: 'command'; command: Command } | { kind: 'code'; code: string } | { kind: 'empty' };

const AIM_PREFIX = /^\][A-Za-z][0-9A-Za-z]/;
const COMMAND_PREFIX = /^(?:CMD|GM):/;

export function normaliseBarcode(raw: string): string {
  let code = raw.replace(AIM_PREFIX, '');
  // GS (FNC1) separates GS1 fields; a station code never contains one.
  code = code.replaceAll(String.fromCharCode(0x1d), '');
  return code.replace(/\s+/g, '').toUpperCase();
}

export function parseBarcode(raw: string): Parsed {
  const code = normaliseBarcode(raw);
  if (code === '') return { kind: 'empty' };
  if (COMMAND_PREFIX.test(code)) {
    const name = code.replace(COMMAND_PREFIX, '');
    const command = COMMANDS.find((c) => c === name);
    if (command !== undefined) return { kind: 'command', command };
  }
  return { kind: 'code', code };
}
