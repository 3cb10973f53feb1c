/**
 * What a scanned string means before any lookup: command codes, and the normalised text to look
 * up. Scanners add AIM symbology prefixes ("]C1" for GS1-128), GS separators and whitespace; none
 * of that is part of a serial number.
 */
export const COMMANDS = ['CHECK-OUT', 'CHECK-IN', 'DONE', 'UNDO', 'OK', 'DAMAGED', 'MISSING-PARTS'] as const;
export type Command = (typeof COMMANDS)[number];

/**
 * A quantity command, `CMD:QTY:<n>` (or `GM:QTY:<n>`): how many units of a bulk item the scan
 * before or after it moves. `text` is what followed `QTY:`, judged by the workflow (a whole number
 * from 1 to MAX_QUANTITY) so a bad one gets a specific reason.
 */
export const QUANTITY_COMMAND = 'QTY';
export const MAX_QUANTITY = 100000;

export type Parsed =
  { kind: 'command'; command: Command } | { kind: 'quantity'; text: string } | { kind: 'code'; code: string } | { kind: 'empty' };

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
    if (name === QUANTITY_COMMAND || name.startsWith(`${QUANTITY_COMMAND}:`))
      return { kind: 'quantity', text: name.slice(QUANTITY_COMMAND.length + 1) };
  }
  return { kind: 'code', code };
}

/**
 * Why a quantity (typed on the keypad, or a CMD:QTY code's number) cannot be used, or null when
 * it is a whole number from 1 to MAX_QUANTITY.
 */
export function quantityProblem(quantity: number | string): string | null {
  const text = String(quantity).trim();
  if (text === '') return 'a quantity needs a number: scan CMD:QTY:10 or type how many';
  if (!/^[-+]?\d+(\.\d+)?$/.test(text)) return `quantity ${text.slice(0, 20)} is not a number`;
  const value = Number(text);
  if (!Number.isInteger(value)) return `quantity ${text} is not a whole number`;
  if (value < 0) return `quantity ${text} is negative: give how many units move`;
  if (value === 0) return 'quantity 0 moves nothing';
  if (value > MAX_QUANTITY) return `quantity ${text} is over ${MAX_QUANTITY}`;
  return null;
}
