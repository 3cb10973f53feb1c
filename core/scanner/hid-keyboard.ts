/**
 * Scanners in keyboard mode send USB HID boot-protocol keyboard reports: 8 bytes — modifier
 * bits, a reserved byte, then up to six pressed key codes (HID Usage Tables, Keyboard page 0x07).
 * Reading them directly (instead of as typed text) means scans arrive whatever has focus, and
 * each scanner stays distinguishable.
 */
import type { KeyboardLayout } from './config';
import type { HidDecodeResult } from './types';

export type { KeyboardLayout };

const SHIFT = 0x02 | 0x20; // left or right shift
const ENTER = 0x28;
const KEYPAD_ENTER = 0x58;

type KeyMap = Record<number, [string, string]>;

function letters(layout: 'us' | 'de'): KeyMap {
  const map: KeyMap = {};
  for (let code = 0x04; code <= 0x1d; code += 1) {
    let ch = String.fromCharCode(0x61 + code - 0x04);
    if (layout === 'de' && ch === 'y') ch = 'z';
    else if (layout === 'de' && ch === 'z') ch = 'y';
    map[code] = [ch, ch.toUpperCase()];
  }
  return map;
}

const US: KeyMap = {
  ...letters('us'),
  0x1e: ['1', '!'], 0x1f: ['2', '@'], 0x20: ['3', '#'], 0x21: ['4', '$'], 0x22: ['5', '%'],
  0x23: ['6', '^'], 0x24: ['7', '&'], 0x25: ['8', '*'], 0x26: ['9', '('], 0x27: ['0', ')'],
  0x2b: ['\t', '\t'], 0x2c: [' ', ' '], 0x2d: ['-', '_'], 0x2e: ['=', '+'], 0x2f: ['[', '{'],
  0x30: [']', '}'], 0x31: ['\\', '|'], 0x33: [';', ':'], 0x34: ["'", '"'], 0x35: ['`', '~'],
  0x36: [',', '<'], 0x37: ['.', '>'], 0x38: ['/', '?'],
  0x54: ['/', '/'], 0x55: ['*', '*'], 0x56: ['-', '-'], 0x57: ['+', '+'],
  0x59: ['1', '1'], 0x5a: ['2', '2'], 0x5b: ['3', '3'], 0x5c: ['4', '4'], 0x5d: ['5', '5'],
  0x5e: ['6', '6'], 0x5f: ['7', '7'], 0x60: ['8', '8'], 0x61: ['9', '9'], 0x62: ['0', '0'], 0x63: ['.', '.'],
};

// German (QWERTZ): the same key positions, other characters. AltGr symbols are not used by scanners.
const DE: KeyMap = {
  ...US,
  ...letters('de'),
  0x1e: ['1', '!'], 0x1f: ['2', '"'], 0x20: ['3', '§'], 0x21: ['4', '$'], 0x22: ['5', '%'],
  0x23: ['6', '&'], 0x24: ['7', '/'], 0x25: ['8', '('], 0x26: ['9', ')'], 0x27: ['0', '='],
  0x2d: ['ß', '?'], 0x2e: ['´', '`'], 0x2f: ['ü', 'Ü'], 0x30: ['+', '*'], 0x31: ['#', "'"],
  0x33: ['ö', 'Ö'], 0x34: ['ä', 'Ä'], 0x35: ['^', '°'], 0x36: [',', ';'], 0x37: ['.', ':'], 0x38: ['-', '_'],
};

const LAYOUTS: Record<KeyboardLayout, KeyMap> = { us: US, uk: US, de: DE, fr: US };

/** Decodes a stream of boot reports into completed lines (scans end with Enter). */
export class HidKeyboardDecoder {
  private held = new Set<number>();
  private line = '';
  private readonly map: KeyMap;

  constructor(layout: KeyboardLayout) {
    this.map = LAYOUTS[layout];
  }

  /** Feeds one report; returns the scans it completed (usually none or one). */
  push(report: Uint8Array): HidDecodeResult {
    if (report.length < 8) return { scans: [], rejected: [] };
    const shifted = ((report[0] ?? 0) & SHIFT) !== 0;
    const pressed = new Set<number>();
    for (let i = 2; i < 8; i += 1) {
      const code = report[i] ?? 0;
      if (code > 0x03) pressed.add(code);
    }
    const done: string[] = [];
    // Only keys that were not down in the previous report are new presses: a key held across
    // reports is one character, a key released and pressed again is two.
    for (const code of pressed) {
      if (this.held.has(code)) continue;
      if (code === ENTER || code === KEYPAD_ENTER) {
        if (this.line !== '') done.push(this.line);
        this.line = '';
        continue;
      }
      const chars = this.map[code];
      if (chars !== undefined) this.line += shifted ? chars[1] : chars[0];
    }
    this.held = pressed;
    return { scans: done.map((code) => ({ code })), rejected: [] };
  }
}
