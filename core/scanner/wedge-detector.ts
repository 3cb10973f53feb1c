/**
 * Keyboard-wedge scanners type. A person types at most ~10 keys a second with uneven gaps; a
 * scanner types a whole code in a few milliseconds per key and ends with Enter. The detector
 * watches keystrokes (with times from an injected clock), keeps fast bursts as scans, and hands
 * everything else back as ordinary typing, so nothing needs a focused input and nothing typed by
 * hand is swallowed.
 */
export interface WedgeConfig {
  /** Longest gap between two keys of one scan. */
  maxGapMs: number;
  /** Shortest code that counts as a scan. */
  minLength: number;
  /** The key that ends a scan. */
  terminator: string;
}

export const DEFAULT_WEDGE: WedgeConfig = { maxGapMs: 35, minLength: 4, terminator: 'Enter' };

export type WedgeOutput = { kind: 'scan'; code: string } | { kind: 'typing'; keys: string[] };

export class WedgeDetector {
  private keys: string[] = [];
  private last = -Infinity;

  constructor(private readonly config: WedgeConfig = DEFAULT_WEDGE) {}

  /** A keydown (the key's `key` value). Returns what is decided by it, in order. */
  key(key: string, at: number): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    if (this.keys.length > 0 && at - this.last > this.config.maxGapMs) out.push(...this.release());
    this.last = at;
    if (key === this.config.terminator) {
      if (this.keys.length >= this.config.minLength) {
        out.push({ kind: 'scan', code: this.keys.join('') });
        this.keys = [];
      } else {
        out.push(...this.release(), { kind: 'typing', keys: [key] });
      }
      return out;
    }
    if (key.length !== 1) {
      // Arrows, Backspace, Shift…: a person at the keyboard.
      out.push(...this.release(), { kind: 'typing', keys: [key] });
      return out;
    }
    this.keys.push(key);
    return out;
  }

  /** Called when time passes with no key: a stalled burst was typing after all. */
  tick(at: number): WedgeOutput[] {
    return this.keys.length > 0 && at - this.last > this.config.maxGapMs ? this.release() : [];
  }

  private release(): WedgeOutput[] {
    if (this.keys.length === 0) return [];
    const keys = this.keys;
    this.keys = [];
    return [{ kind: 'typing', keys }];
  }
}
