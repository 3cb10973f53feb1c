import { seededRandom } from '../../core/random';
import { WedgeDetector, type WedgeKeyEvent } from '../../core/scanner/wedge-detector';

/**
 * A keyboard-mode scanner as Chromium sees it on a US-layout host, for the wedge benchmark
 * (`wedge_exact_ratio` in `npm run bench -- scan`) and the Chromium e2e, which types the same
 * events through CDP. Shift is pressed and released around every capital, Ctrl around GS (FNC1,
 * typed as Ctrl+]); each key goes down and up on its own USB report.
 */
export interface Keystroke {
  key: string;
  code: string;
  /** Windows virtual-key code, which CDP's Input.dispatchKeyEvent wants alongside key/code. */
  keyCode: number;
  shift: boolean;
  ctrl: boolean;
}

export type ScannerKeyEvent = WedgeKeyEvent & { keyCode: number; location: number };

const SHIFTED_PAIRS: [string, string, string, number][] = [
  // unshifted, shifted, code, Windows key code
  ['-', '_', 'Minus', 189],
  ['=', '+', 'Equal', 187],
  ['[', '{', 'BracketLeft', 219],
  [']', '}', 'BracketRight', 221],
  ['\\', '|', 'Backslash', 220],
  [';', ':', 'Semicolon', 186],
  ["'", '"', 'Quote', 222],
  [',', '<', 'Comma', 188],
  ['.', '>', 'Period', 190],
  ['/', '?', 'Slash', 191],
  ['`', '~', 'Backquote', 192],
];
const DIGIT_SHIFTED = ')!@#$%^&*(';

/** The keys a US-layout keyboard presses for `text` (GS as Ctrl+]). */
export function usKeystrokes(text: string): Keystroke[] {
  return Array.from(text, (ch): Keystroke => {
    if (ch === '\x1d') return { key: ']', code: 'BracketRight', keyCode: 221, shift: false, ctrl: true };
    if (ch === ' ') return { key: ' ', code: 'Space', keyCode: 32, shift: false, ctrl: false };
    const upper = ch.toUpperCase();
    if (upper >= 'A' && upper <= 'Z' && upper.length === 1)
      return { key: ch, code: `Key${upper}`, keyCode: upper.charCodeAt(0), shift: ch === upper, ctrl: false };
    if (ch >= '0' && ch <= '9') return { key: ch, code: `Digit${ch}`, keyCode: ch.charCodeAt(0), shift: false, ctrl: false };
    const shiftedDigit = DIGIT_SHIFTED.indexOf(ch);
    if (shiftedDigit >= 0) return { key: ch, code: `Digit${shiftedDigit}`, keyCode: 48 + shiftedDigit, shift: true, ctrl: false };
    const pair = SHIFTED_PAIRS.find(([plain, shifted]) => ch === plain || ch === shifted);
    if (pair === undefined) throw new Error(`no US key types ${JSON.stringify(ch)}`);
    return { key: ch, code: pair[2], keyCode: pair[3], shift: ch === pair[1], ctrl: false };
  });
}

export interface ScannerTiming {
  /** Time of the first report (ms). */
  start: number;
  /** USB poll interval: one report (one key going down or up) per poll. */
  pollMs: number;
  /** Up to this much extra delay per report (host scheduling); needs `random`. */
  jitterMs?: number;
  random?: () => number;
  terminator?: 'Enter' | 'Tab';
}

/** The key events a keyboard-mode scanner produces for `code` plus its terminator, with times. */
export function scannerKeyEvents(code: string, timing: ScannerTiming): ScannerKeyEvent[] {
  const events: ScannerKeyEvent[] = [];
  let at = timing.start;
  let shift = false;
  let ctrl = false;
  const report = (type: 'keydown' | 'keyup', key: string, keyCode: number, keyCodeName: string, location = 0): void => {
    events.push({
      type,
      key,
      code: keyCodeName,
      keyCode,
      location,
      at,
      shiftKey: shift,
      ctrlKey: ctrl,
      altKey: false,
      metaKey: false,
      repeat: false,
      modifierState: {},
    });
    at += timing.pollMs + (timing.random === undefined ? 0 : (timing.jitterMs ?? 0) * timing.random());
  };
  const terminator = timing.terminator ?? 'Enter';
  const strokes: Keystroke[] = [
    ...usKeystrokes(code),
    terminator === 'Enter'
      ? { key: 'Enter', code: 'Enter', keyCode: 13, shift: false, ctrl: false }
      : { key: 'Tab', code: 'Tab', keyCode: 9, shift: false, ctrl: false },
  ];
  for (const stroke of strokes) {
    if (stroke.shift) {
      shift = true;
      report('keydown', 'Shift', 16, 'ShiftLeft', 1);
    }
    if (stroke.ctrl) {
      ctrl = true;
      report('keydown', 'Control', 17, 'ControlLeft', 1);
    }
    report('keydown', stroke.key, stroke.keyCode, stroke.code);
    report('keyup', stroke.key, stroke.keyCode, stroke.code);
    if (stroke.ctrl) {
      ctrl = false;
      report('keyup', 'Control', 17, 'ControlLeft', 1);
    }
    if (stroke.shift) {
      shift = false;
      report('keyup', 'Shift', 16, 'ShiftLeft', 1);
    }
  }
  return events;
}

/** The project's seeded PRNG (mulberry32): the same seed gives the same bursts. */
export { seededRandom };

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const digits = (random: () => number, n: number): string => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
const letters = (random: () => number, n: number, alphabet = UPPER): string =>
  Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

/** Codes as labels carry them: case and asset tags with capitals, serials, commands. */
function randomCode(random: () => number): string {
  const pick = Math.floor(random() * 5);
  if (pick === 0) return `CASE-${digits(random, 6)}`;
  if (pick === 1) return `${letters(random, 3)}-${digits(random, 5)}${letters(random, 1)}`;
  if (pick === 2) return `CMD:${['CHECK-IN', 'CHECK-OUT', 'DAMAGED', 'UNDO'][Math.floor(random() * 4)]}`;
  if (pick === 3) return `SN${letters(random, 2)}${digits(random, 4)}${letters(random, 4, 'abcdefghjkmnpqrstuvwxyz')}`;
  return digits(random, 12);
}

/**
 * `wedge_exact_ratio`: bursts of Shift-per-capital scans at scanner speed (a 1–10 ms USB poll with
 * up to 2 ms of jitter, Enter suffix, 0.15–1.5 s apart) through one WedgeDetector. A burst is exact
 * when it gives exactly its code, wrong when any other code comes out, missed when nothing does.
 */
export function wedgeExactRatio(
  seed: number,
  bursts = 2000,
): { bursts: number; exact: number; wrong: number; missed: number; ratio: number } {
  const random = seededRandom(seed);
  const detector = new WedgeDetector();
  let at = 1000;
  let exact = 0;
  let wrong = 0;
  let missed = 0;
  for (let i = 0; i < bursts; i += 1) {
    const code = randomCode(random);
    const events = scannerKeyEvents(code, { start: at, pollMs: 1 + Math.floor(random() * 10), jitterMs: 2, random });
    const scans = events.flatMap((e) => detector.event(e)).flatMap((o) => (o.kind === 'scan' ? [o.code] : []));
    if (scans.some((s) => s !== code)) wrong += 1;
    else if (scans.length === 1) exact += 1;
    else missed += 1;
    at = (events.at(-1)?.at ?? at) + 150 + random() * 1350;
  }
  return { bursts, exact, wrong, missed, ratio: exact / bursts };
}
