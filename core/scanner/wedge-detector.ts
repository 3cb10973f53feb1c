/**
 * Keyboard-wedge scanners type. A person types at most ~10 keys a second with uneven gaps and
 * holds each key tens of milliseconds; a scanner types a whole code a few milliseconds per key,
 * releases every key before pressing the next, and ends with a terminator key (Enter or Tab). The
 * detector watches keydowns and keyups (times injected: the browser's event.timeStamp, or the
 * test's clock), keeps fast bursts as scans, and hands everything else back as ordinary typing, so
 * nothing needs a focused input and nothing typed by hand is swallowed.
 *
 * Rules (issue 16), each about what real scanners send through Chromium:
 * - Modifier keys (Shift, Control, Alt, AltGraph, Meta, CapsLock, NumLock) never break a burst and
 *   add no character. Their keydowns and keyups are scanner activity for the gap timer: a
 *   keyboard-mode scanner on an 8–10 ms USB poll spends four reports on a capital (Shift down, key
 *   down, key up, Shift up), so counting only character keydowns would see 30+ ms gaps inside a
 *   scan. Character keyups are never activity: a person's slow releases must not string their keys
 *   into a burst.
 * - Auto-repeat keydowns (event.repeat) are never activity — a person holding Shift must not keep a
 *   burst alive — and a scanner never auto-repeats, so one inside a burst marks it mixed (below).
 * - The character is event.key (Chromium has already applied Shift and the host's layout). AltGr
 *   characters count: on Linux `AltGraph` is pressed and the character has
 *   getModifierState('AltGraph'); on Windows AltGr is Ctrl+Alt, so ctrlKey and altKey are both set
 *   on a one-character key. Ctrl+] (not Alt) is how scanners type GS1's FNC1 separator: it becomes
 *   GS, "\x1d". Any other Ctrl, Alt or Meta combination is a person (a shortcut; on a Mac an
 *   Option character too).
 * - With the host's Caps Lock on (getModifierState('CapsLock')) a scanner's Shift-for-capitals
 *   comes out inverted; the detector swaps ASCII letters back, so scans keep their case. Scanners
 *   set to compensate for Caps Lock themselves (Honeywell "Automatic Caps Lock") need
 *   `undoCapsLock: false`.
 * - Enter and Tab both end a scan (`terminators`). The caller prevents the terminator's default for
 *   a burst taken as a scan or rejected (focus does not move, a focused button is not clicked).
 * - A person typing during a burst: the burst is dropped WHOLE and reported as rejected
 *   ('mixed_with_typing'), never emitted as a scan, because its characters interleave with the
 *   person's and no split of them is trustworthy. Typing is recognised by what only hands do: a
 *   character key pressed since the burst began still held when the next character (or the
 *   terminator) arrives — a scanner releases every key first; a key pressed within the last second
 *   (`heldLimitMs`) only, so one lost keyup cannot poison later scans — an auto-repeat, a
 *   non-character key (arrows, Backspace…), a shortcut, or a terminator with a modifier still held
 *   (a scanner lets go of Shift before its suffix; a person's held Shift turns digits into symbols).
 *   The person's keys are given back as typing; the App asks for a rescan.
 * - A burst that stalls (no activity for `maxGapMs`) is given back as typing. If keys resume within
 *   `resumeMs`, the new burst is the stalled one's tail (a Bluetooth retransmit, a USB hiccup): at
 *   its terminator it is rejected ('incomplete'), never emitted as a code missing its head.
 * - Text fields are the caller's business: while a field has focus it gets every key (see
 *   useKeyboardWedge) and the detector is reset.
 */

import { isCodeText } from './code-chars';
import { MAX_CODE_BYTES } from './config';
import { previewBytes } from './frame-decoder';
import type { RejectedInput } from './types';

export interface WedgeConfig {
  /** Longest quiet time between two activity events of one scan. */
  maxGapMs: number;
  /** Shortest code that counts as a scan. */
  minLength: number;
  /** Keys (event.key values) that end a scan. */
  terminators: readonly string[];
  /** Swap the case of ASCII letters typed while the host's Caps Lock is on (see above). */
  undoCapsLock: boolean;
  /** A key held longer than this is taken as a lost keyup, not a person's finger. */
  heldLimitMs: number;
  /** Keys resuming this soon after a stalled burst are its tail, not a new scan. */
  resumeMs: number;
}

export const DEFAULT_WEDGE: WedgeConfig = {
  maxGapMs: 35,
  minLength: 4,
  terminators: ['Enter', 'Tab'],
  undoCapsLock: true,
  heldLimitMs: 1000,
  resumeMs: 200,
};

/** A browser key event as the detector needs it (a KeyboardEvent, or a recorded fixture's line). */
export interface WedgeKeyEvent {
  type: 'keydown' | 'keyup';
  key: string;
  code: string;
  /** ms, any monotonic clock: event.timeStamp in the browser. */
  at: number;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey?: boolean;
  repeat: boolean;
  /** getModifierState() for the modifiers that change the character. */
  modifierState?: { AltGraph?: boolean; CapsLock?: boolean };
}

export type WedgeOutput =
  { kind: 'scan'; code: string; terminator: string } | { kind: 'typing'; keys: string[] } | ({ kind: 'rejected' } & RejectedInput);

/** Keys that change other keys; they never end or break a burst. */
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'AltGraph', 'Meta', 'CapsLock', 'NumLock', 'OS', 'Fn']);

const GS = '\x1d';

/** One character (a code point), as event.key is for a key that types one. */
function isCharacter(key: string): boolean {
  return key.length === 1 || (key.length === 2 && [...key].length === 1);
}

function swapCase(ch: string): string {
  if (ch >= 'a' && ch <= 'z') return ch.toUpperCase();
  if (ch >= 'A' && ch <= 'Z') return ch.toLowerCase();
  return ch;
}

export class WedgeDetector {
  private readonly config: WedgeConfig;
  private chars: string[] = [];
  /** Keys pressed while the burst was open, given back if it turns out to be typing. */
  private keys: string[] = [];
  private started = -Infinity;
  private last = -Infinity;
  /** When the last stalled burst went quiet. */
  private stalledAt = -Infinity;
  /** A person's key was seen inside the burst: it ends rejected, never as a scan. */
  private mixed = false;
  /** The burst is the tail of a stalled one. */
  private tail = false;
  /** When Caps Lock was last pressed. */
  private capsToggledAt = -Infinity;
  /** Character keys down now (event.code → when pressed). */
  private readonly held = new Map<string, number>();

  constructor(config: Partial<WedgeConfig> = {}) {
    this.config = { ...DEFAULT_WEDGE, ...config };
  }

  /** One key event. Returns what is decided by it, in order. */
  event(e: WedgeKeyEvent): WedgeOutput[] {
    const out = this.tick(e.at);
    if (e.repeat) {
      // Only a held finger repeats. Inside a burst it is a person's key; outside, plain typing.
      if (this.open()) this.mixed = true;
      if (!MODIFIERS.has(e.key)) out.push({ kind: 'typing', keys: [e.key] });
      return out;
    }
    if (MODIFIERS.has(e.key)) {
      this.last = e.at;
      if (e.key === 'CapsLock' && e.type === 'keydown') this.capsToggledAt = e.at;
      return out;
    }
    if (e.type === 'keyup') {
      this.held.delete(e.code);
      return out;
    }

    const meta = e.metaKey === true;
    if (this.config.terminators.includes(e.key)) {
      // A modifier still down on the suffix is a person's (the scanner let go of its own Shift).
      if (this.open() && (e.shiftKey || e.ctrlKey || e.altKey || meta || this.personHolds(e.at))) this.mixed = true;
      return [...out, ...this.terminate(e.key, e.at)];
    }

    let ch: string | null = null;
    if (isCharacter(e.key) && !meta) {
      const altGraph = e.modifierState?.AltGraph === true || (e.ctrlKey && e.altKey);
      if (altGraph) ch = e.key;
      // By position, as the HID decoder reads Ctrl keys: on a German host the key is "+".
      else if (e.ctrlKey) ch = e.key === ']' || e.code === 'BracketRight' ? GS : null;
      else if (!e.altKey) ch = e.key;
    }
    if (ch === null) {
      // Arrows, Backspace, F-keys, shortcuts: a hand on the keyboard.
      if (!this.open()) return [...out, { kind: 'typing', keys: [e.key] }];
      this.mixed = true;
      this.keys.push(e.key);
      this.last = e.at;
      return out;
    }

    // Undo the host's Caps Lock, unless the scanner pressed Caps Lock itself for this burst (some
    // keyboard styles toggle it instead of holding Shift): then the case is what it meant.
    const scannerCaps = this.capsToggledAt >= (this.open() ? this.started : e.at) - this.config.maxGapMs;
    if (this.config.undoCapsLock && e.modifierState?.CapsLock === true && !scannerCaps) ch = swapCase(ch);
    if (this.open()) {
      if (this.personHolds(e.at)) this.mixed = true;
    } else {
      this.started = e.at;
      this.mixed = false;
      this.tail = e.at - this.stalledAt <= this.config.resumeMs;
    }
    this.held.set(e.code, e.at);
    this.chars.push(ch);
    this.keys.push(e.key);
    this.last = e.at;
    return out;
  }

  /** Time has passed with no key: a stalled burst was typing after all. */
  tick(at: number): WedgeOutput[] {
    if (!this.open() || at - this.last <= this.config.maxGapMs) return [];
    this.stalledAt = this.last;
    return this.release();
  }

  /** Characters in the burst in progress: from the second on, a key is the scanner's, not a person's. */
  get burstLength(): number {
    return this.chars.length;
  }

  /** Forget the burst in progress (keys went to a text field instead). */
  reset(): void {
    this.chars = [];
    this.keys = [];
    this.mixed = false;
    this.tail = false;
    this.held.clear();
  }

  private open(): boolean {
    return this.keys.length > 0;
  }

  /** A character key pressed during this burst (and not long ago) is still down: a finger. */
  private personHolds(at: number): boolean {
    for (const pressed of this.held.values()) {
      if (pressed >= this.started && at - pressed <= this.config.heldLimitMs) return true;
    }
    return false;
  }

  private terminate(terminator: string, at: number): WedgeOutput[] {
    this.last = at;
    if (this.chars.length < this.config.minLength) return [...this.release(), { kind: 'typing', keys: [terminator] }];
    const chars = this.chars;
    const text = chars.join('');
    const reason = this.mixed
      ? 'mixed_with_typing'
      : this.tail
        ? 'incomplete'
        : chars.length > MAX_CODE_BYTES
          ? 'too_long'
          : !isCodeText(text)
            ? 'noise'
            : null;
    this.release();
    if (reason !== null) return [{ kind: 'rejected', reason, bytes: chars.length, preview: previewBytes(text) }];
    return [{ kind: 'scan', code: text, terminator }];
  }

  private release(): WedgeOutput[] {
    const keys = this.keys;
    this.chars = [];
    this.keys = [];
    this.mixed = false;
    this.tail = false;
    return keys.length === 0 ? [] : [{ kind: 'typing', keys }];
  }
}
