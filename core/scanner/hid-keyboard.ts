/**
 * Scanners in keyboard mode send USB HID boot-protocol keyboard reports: 8 bytes — modifier
 * bits, a reserved byte, then up to six pressed key codes (HID Usage Tables, Keyboard page 0x07).
 * Reading them directly (instead of as typed text) means scans arrive whatever has focus, and
 * each scanner stays distinguishable. A key code is a key *position*; which character it types
 * depends on the keyboard layout the scanner was set to ("keyboard country"), chosen per device.
 */
import { isCodeText } from './code-chars';
import { MAX_CODE_BYTES, type KeyboardLayout } from './config';
import { previewBytes } from './frame-decoder';
import type { HidDecodeResult, RejectedInput } from './types';

export type { KeyboardLayout };

// Modifier byte bits (HID boot keyboard report, byte 0).
const CTRL = 0x01 | 0x10; // left or right Ctrl
const SHIFT = 0x02 | 0x20; // left or right Shift
const LEFT_ALT = 0x04;
const RIGHT_ALT = 0x40; // AltGr on the layouts that have one

const ENTER = 0x28;
const KEYPAD_ENTER = 0x58;
const CAPS_LOCK = 0x39;
/** Keys that type nothing and must not spoil a line: Scroll Lock, Num Lock, modifiers listed as keys. */
const SILENT = new Set([0x47, 0x53, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7]);
/** ErrorRollOver, POSTFail, ErrorUndefined: a report of these says nothing about which keys are down. */
const isErrorCode = (code: number): boolean => code >= 0x01 && code <= 0x03;

/** What a key types: unshifted, with Shift, with AltGr (absent: AltGr types nothing). */
type Key = readonly [plain: string, shift: string, altGr?: string];
type KeyMap = Readonly<Record<number, Key>>;

/** Letter keys 0x04 (a) … 0x1d (z) at their US positions, with the layout's own letters swapped in. */
function letters(moved: Record<string, string> = {}): Record<number, Key> {
  const map: Record<number, Key> = {};
  for (let code = 0x04; code <= 0x1d; code += 1) {
    const us = String.fromCharCode(0x61 + code - 0x04);
    const ch = moved[us] ?? us;
    map[code] = [ch, ch.toUpperCase()];
  }
  return map;
}

/** Keypad with Num Lock on (scanners that "send digits as keypad"); the decimal key differs per layout. */
function keypad(decimal: string): Record<number, Key> {
  const map: Record<number, Key> = { 0x54: ['/', '/'], 0x55: ['*', '*'], 0x56: ['-', '-'], 0x57: ['+', '+'], 0x63: [decimal, decimal] };
  '1234567890'.split('').forEach((digit, i) => (map[0x59 + i] = [digit, digit]));
  return map;
}

/*
 * The tables follow xkeyboard-config (xkb-data 2.35.1: symbols/us via latin(basic), symbols/gb
 * "basic", symbols/de "basic" via latin(type4), symbols/fr "basic"), mapped from HID usages as
 * Linux hid-input does (usage 0x31 and 0x32 are both KEY_BACKSLASH = xkb <BKSL>, 0x64 is KEY_102ND
 * = <LSGT>), which agrees with Windows (both usages are set-1 scan code 0x2B, the USB HID to PS/2
 * translation table). Each entry was checked against libxkbcommon resolving the same layout
 * (key, Shift, right Alt). Only printable characters are listed; dead keys (de ^ ´ `, fr ^ ¨) are
 * entered as the character itself, which is what a scanner sending them means. Exception: us 0x64
 * follows Windows kbdus ("\\ |"), since xkb's pc105 gives "< >" there.
 */
const US: KeyMap = {
  ...letters(),
  ...keypad('.'),
  0x1e: ['1', '!'],
  0x1f: ['2', '@'],
  0x20: ['3', '#'],
  0x21: ['4', '$'],
  0x22: ['5', '%'],
  0x23: ['6', '^'],
  0x24: ['7', '&'],
  0x25: ['8', '*'],
  0x26: ['9', '('],
  0x27: ['0', ')'],
  0x2b: ['\t', '\t'],
  0x2c: [' ', ' '],
  0x2d: ['-', '_'],
  0x2e: ['=', '+'],
  0x2f: ['[', '{'],
  0x30: [']', '}'],
  0x31: ['\\', '|'],
  0x32: ['\\', '|'],
  0x33: [';', ':'],
  0x34: ["'", '"'],
  0x35: ['`', '~'],
  0x36: [',', '<'],
  0x37: ['.', '>'],
  0x38: ['/', '?'],
  0x64: ['\\', '|'],
};

// UK: US positions, with " £ on 2 3, ' @ on the key right of L, # ~ left of Enter, \ | by left Shift.
const UK: KeyMap = {
  ...US,
  0x1f: ['2', '"'],
  0x20: ['3', '£'],
  0x21: ['4', '$', '€'],
  0x31: ['#', '~'],
  0x32: ['#', '~'],
  0x34: ["'", '@'],
  0x35: ['`', '¬', '|'],
  0x64: ['\\', '|'],
};

// German QWERTZ: y and z swapped, AltGr for @ € µ and the bracket/brace/backslash/tilde/bar symbols.
const DE: KeyMap = {
  ...US,
  ...letters({ y: 'z', z: 'y' }),
  ...keypad(','),
  0x14: ['q', 'Q', '@'],
  0x08: ['e', 'E', '€'],
  0x10: ['m', 'M', 'µ'],
  0x1e: ['1', '!'],
  0x1f: ['2', '"', '²'],
  0x20: ['3', '§', '³'],
  0x21: ['4', '$'],
  0x22: ['5', '%'],
  0x23: ['6', '&'],
  0x24: ['7', '/', '{'],
  0x25: ['8', '(', '['],
  0x26: ['9', ')', ']'],
  0x27: ['0', '=', '}'],
  0x2d: ['ß', '?', '\\'],
  0x2e: ['´', '`'],
  0x2f: ['ü', 'Ü'],
  0x30: ['+', '*', '~'],
  0x31: ['#', "'"],
  0x32: ['#', "'"],
  0x33: ['ö', 'Ö'],
  0x34: ['ä', 'Ä'],
  0x35: ['^', '°'],
  0x36: [',', ';'],
  0x37: ['.', ':'],
  0x38: ['-', '_'],
  0x64: ['<', '>', '|'],
};

// French AZERTY: a/q and z/w swapped, m right of l, the digit row types symbols (Shift gives digits).
const FR: KeyMap = {
  ...US,
  ...letters({ a: 'q', q: 'a', z: 'w', w: 'z' }),
  0x08: ['e', 'E', '€'],
  0x1e: ['&', '1'],
  0x1f: ['é', '2', '~'],
  0x20: ['"', '3', '#'],
  0x21: ["'", '4', '{'],
  0x22: ['(', '5', '['],
  0x23: ['-', '6', '|'],
  0x24: ['è', '7', '`'],
  0x25: ['_', '8', '\\'],
  0x26: ['ç', '9', '^'],
  0x27: ['à', '0', '@'],
  0x2d: [')', '°', ']'],
  0x2e: ['=', '+', '}'],
  0x2f: ['^', '¨'],
  0x30: ['$', '£', '¤'],
  0x31: ['*', 'µ'],
  0x32: ['*', 'µ'],
  0x33: ['m', 'M'],
  0x34: ['ù', '%'],
  0x35: ['²', '~'],
  0x10: [',', '?'],
  0x36: [';', '.'],
  0x37: [':', '/'],
  0x38: ['!', '§'],
  0x64: ['<', '>'],
};

export const LAYOUTS: Readonly<Record<KeyboardLayout, KeyMap>> = { us: US, uk: UK, de: DE, fr: FR };

/** A letter key: Shift gives its capital, so Caps Lock inverts it (xkb ALPHABETIC type; Windows CAPLOK). */
const isLetter = (key: Key): boolean => key[0] !== key[1] && key[0].toUpperCase() === key[1];

/**
 * Ctrl + key gives a C0 control byte, by the key's US position whatever the layout: the US
 * character (with Shift if held) must be one of @ A–Z [ \ ] ^ _, and the byte is its code & 0x1F.
 * This is how scanners send what barcodes carry but keyboards lack: GS1 FNC1 as Ctrl+] (GS 0x1D),
 * ISO/IEC 15434's RS as Ctrl+Shift+6 and EOT as Ctrl+D. NUL (Ctrl+@) is never code data.
 */
function controlByte(code: number, shifted: boolean): string | null {
  const us = US[code];
  if (us === undefined) return null;
  const ch = (shifted ? us[1] : us[0]).toUpperCase().charCodeAt(0);
  if (ch < 0x41 || ch > 0x5f) return null;
  return String.fromCharCode(ch & 0x1f);
}

/** What one newly pressed key types under the given modifiers; null when it types nothing known. */
export function charOf(map: KeyMap, code: number, modifiers: number, capsLock: boolean): string | null {
  const shifted = (modifiers & SHIFT) !== 0;
  const ctrl = (modifiers & CTRL) !== 0;
  // AltGr is right Alt; Windows also reads Ctrl+Alt as AltGr, and some scanners send that.
  const altGr = (modifiers & RIGHT_ALT) !== 0 || (ctrl && (modifiers & LEFT_ALT) !== 0);
  if (altGr) return shifted ? null : (map[code]?.[2] ?? null);
  if (ctrl) return controlByte(code, shifted);
  if ((modifiers & LEFT_ALT) !== 0) return null; // Alt+keypad character codes are not supported
  const key = map[code];
  if (key === undefined) return null;
  const upper = capsLock && isLetter(key) ? !shifted : shifted;
  return upper ? key[1] : key[0];
}

/**
 * Decodes a stream of boot reports into completed lines (scans end with Enter, keypad Enter, or
 * Ctrl+M / Ctrl+J). What never becomes a scan, reported instead:
 * - a line longer than MAX_CODE_BYTES: dropped whole (too_long, reported when it passes the limit;
 *   the rest up to the next line end is discarded), never emitted cut;
 * - a line containing a key this layout cannot type (a wrong layout setting, Alt codes): noise,
 *   never emitted with the character missing.
 * Caps Lock presses are tracked (a raw read has no host LED state): while on, letter keys invert
 * case, so a scanner that toggles Caps Lock before capitals still reads right. Reports of
 * ErrorRollOver (too many keys at once) are skipped: they say nothing about which keys are up.
 */
/** The report id of a numbered keyboard collection (9-byte reports). */
const KEYBOARD_REPORT_ID = 0x01;

export class HidKeyboardDecoder {
  private held = new Set<number>();
  private line = '';
  private capsLock = false;
  /** The line passed MAX_CODE_BYTES and was reported; everything up to the next line end is dropped. */
  private overLong = false;
  /** The line had a key the layout cannot type. */
  private unknownKeys = 0;
  private readonly map: KeyMap;

  constructor(layout: KeyboardLayout) {
    this.map = LAYOUTS[layout];
  }

  /** Feeds one report; returns the scans it completed (usually none or one) and what was dropped. */
  push(input: Uint8Array): HidDecodeResult {
    const result: HidDecodeResult = { scans: [], rejected: [] };
    // A boot report is 8 bytes. A scanner whose keyboard collection numbers its reports sends the
    // report id first (9 bytes, id 1 by convention); other ids belong to other collections (media
    // keys) and are not keyboard input. Anything else is not a keyboard report at all.
    let report = input;
    if (input.length === 9) {
      if (input[0] !== KEYBOARD_REPORT_ID) return result;
      report = input.subarray(1);
    } else if (input.length !== 8) {
      result.rejected.push({
        reason: 'malformed',
        bytes: input.length,
        preview: previewBytes(String.fromCharCode(...input.subarray(0, 16))),
      });
      return result;
    }
    const keys = Array.from(report.subarray(2, 8));
    if (keys.some(isErrorCode)) return result;
    const modifiers = report[0] ?? 0;
    const pressed = new Set(keys.filter((code) => code !== 0));
    // Only keys that were not down in the previous report are new presses: a key held across
    // reports is one character, a key released and pressed again is two.
    for (const code of pressed) {
      if (this.held.has(code)) continue;
      this.press(code, modifiers, result);
    }
    this.held = pressed;
    return result;
  }

  private press(code: number, modifiers: number, result: HidDecodeResult): void {
    if (code === ENTER || code === KEYPAD_ENTER) return this.endLine(result);
    if (code === CAPS_LOCK) {
      this.capsLock = !this.capsLock;
      return;
    }
    if (SILENT.has(code)) return;
    const ch = charOf(this.map, code, modifiers, this.capsLock);
    if (ch === '\r' || ch === '\n') return this.endLine(result);
    if (ch === null) this.unknownKeys += 1;
    else this.append(ch, result);
  }

  private append(ch: string, result: HidDecodeResult): void {
    if (this.overLong) return;
    if (this.line.length >= MAX_CODE_BYTES) {
      result.rejected.push(rejection('too_long', this.line.length + 1, this.line));
      this.overLong = true;
      this.line = '';
      return;
    }
    this.line += ch;
  }

  private endLine(result: HidDecodeResult): void {
    if (this.overLong) {
      // Already reported when it passed the limit.
    } else if (this.unknownKeys > 0 || !isCodeText(this.line)) {
      result.rejected.push(rejection('noise', this.line.length + this.unknownKeys, this.line));
    } else if (this.line !== '') {
      result.scans.push({ code: this.line });
    }
    this.line = '';
    this.overLong = false;
    this.unknownKeys = 0;
  }
}

function rejection(reason: RejectedInput['reason'], bytes: number, text: string): RejectedInput {
  return { reason, bytes, preview: previewBytes(text) };
}

/**
 * Feeds a whole report sequence to a HID decoder (keyboard or POS) and lists what came out, in
 * order: the codes and the rejection reasons (tests, tools, benchmarks).
 */
export function decodeReports(
  decoder: { push(report: Uint8Array): HidDecodeResult },
  reports: Iterable<Uint8Array>,
): { scans: string[]; rejected: string[] } {
  const out = { scans: [] as string[], rejected: [] as string[] };
  for (const report of reports) {
    const { scans, rejected } = decoder.push(report);
    out.scans.push(...scans.map((s) => s.code));
    out.rejected.push(...rejected.map((r) => r.reason));
  }
  return out;
}
