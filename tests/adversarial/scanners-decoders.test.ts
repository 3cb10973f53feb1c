import { describe, expect, it } from 'vitest';
import { HidKeyboardDecoder } from '../../core/scanner/hid-keyboard';
import { WedgeDetector, type WedgeKeyEvent, type WedgeOutput } from '../../core/scanner/wedge-detector';
import { FrameDecoder, DEFAULT_FRAME } from '../../core/scanner/frame-decoder';
import { replayTimeline } from '../../core/scanner/replay';

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('probe: HID keyboard with a report id', () => {
  it('a 9-byte report-id-prefixed keyboard report never becomes a scan of control bytes', () => {
    // Composite scanners (keyboard + POS/vendor interfaces) number their reports; hidraw then
    // gives [reportId, modifiers, reserved, k1..k6] (9 bytes). "CASE" + Enter with report id 1.
    const d = new HidKeyboardDecoder('us');
    const id = 0x01;
    const reports = [0x06, 0x04, 0x16, 0x08, 0x28].flatMap((k) => [
      [id, 0x02, 0, k, 0, 0, 0, 0, 0],
      [id, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    const scans: string[] = [];
    for (const r of reports) scans.push(...d.push(Uint8Array.from(r)).scans.map((s) => s.code));
    // Either decoded right or not at all; never a code the scanner did not send.
    for (const code of scans) expect(code).toBe('CASE');
  });
});

function key(type: 'keydown' | 'keyup', keyName: string, code: string, at: number, mods: Partial<WedgeKeyEvent> = {}): WedgeKeyEvent {
  return { type, key: keyName, code, at, shiftKey: false, ctrlKey: false, altKey: false, repeat: false, ...mods };
}

describe('probe: wedge GS1 FNC1 on a German host', () => {
  it('Ctrl + the key at the US "]" position (BracketRight, "+" on a German host) is GS, like the HID decoder', () => {
    // The scanner presses Ctrl + HID usage 0x30 (US "]"). On a German host Chromium reports
    // key "+" code "BracketRight" with ctrlKey. hid-keyboard.ts maps control bytes by US position.
    const d = new WedgeDetector();
    const out: WedgeOutput[] = [];
    let t = 0;
    const tap = (k: string, c: string, mods: Partial<WedgeKeyEvent> = {}): void => {
      out.push(...d.event(key('keydown', k, c, (t += 4), mods)));
      out.push(...d.event(key('keyup', k, c, (t += 4), mods)));
    };
    for (const ch of '0104') tap(ch, `Digit${ch}`);
    out.push(...d.event(key('keydown', 'Control', 'ControlLeft', (t += 4), { ctrlKey: true })));
    tap('+', 'BracketRight', { ctrlKey: true });
    out.push(...d.event(key('keyup', 'Control', 'ControlLeft', (t += 4))));
    for (const ch of '1012') tap(ch, `Digit${ch}`);
    out.push(...d.event(key('keydown', 'Enter', 'Enter', (t += 4))));
    expect(out.filter((o) => o.kind !== 'typing')).toEqual([{ kind: 'scan', code: '0104\x1d1012', terminator: 'Enter' }]);
  });
});

describe('guard: frame decoder splits', () => {
  const frames = 'CODE-0001\r\nCODE-0002\r\nCODE-0003\n\rCODE-0004\r';
  it('a CR LF stream split at every byte boundary decodes the same', () => {
    const all = bytes(frames);
    for (let cut = 0; cut <= all.length; cut += 1) {
      const d = new FrameDecoder(DEFAULT_FRAME);
      const r = replayTimeline(d, [
        { at: 0, bytes: all.subarray(0, cut) },
        { at: 5, bytes: all.subarray(cut) },
      ]);
      expect(r.frames.map((f) => f.code)).toEqual(['CODE-0001', 'CODE-0002', 'CODE-0003', 'CODE-0004']);
      expect(r.rejected).toEqual([]);
    }
  });
  it('a multi-byte custom terminator split at every byte boundary, and a terminator-prefix in the data', () => {
    const cfg = { ...DEFAULT_FRAME, framing: 'terminator' as const, terminator: '#!#' };
    const all = bytes('AB#!CD#!#EFGH##!#');
    for (let cut = 0; cut <= all.length; cut += 1) {
      const d = new FrameDecoder(cfg);
      const r = replayTimeline(d, [
        { at: 0, bytes: all.subarray(0, cut) },
        { at: 5, bytes: all.subarray(cut) },
      ]);
      expect(r.frames.map((f) => f.code)).toEqual(['AB#!CD', 'EFGH#']);
    }
  });
});

describe('probe: wedge scanner that toggles Caps Lock around capitals', () => {
  it('"CASE-650525" typed with Caps Lock pressed by the scanner (no Shift) keeps its capitals', () => {
    // The same keyboard-style option the HID corpus records (caps-lock-toggling.json), through
    // Chromium: the scanner's own CapsLock keydown turns the host lock on, so getModifierState
    // ('CapsLock') is true on the capitals it meant to type.
    const d = new WedgeDetector();
    const out: WedgeOutput[] = [];
    let t = 0;
    let caps = false;
    const ev = (type: 'keydown' | 'keyup', k: string, c: string): void => {
      out.push(...d.event({ ...key(type, k, c, (t += 4)), modifierState: { CapsLock: caps } }));
    };
    const toggle = (): void => {
      caps = !caps; // Chromium reports the new lock state on the CapsLock keydown itself
      ev('keydown', 'CapsLock', 'CapsLock');
      ev('keyup', 'CapsLock', 'CapsLock');
    };
    toggle();
    for (const ch of 'CASE') {
      ev('keydown', ch, `Key${ch}`);
      ev('keyup', ch, `Key${ch}`);
    }
    toggle();
    for (const ch of '-650525') {
      const c = ch === '-' ? 'Minus' : `Digit${ch}`;
      ev('keydown', ch, c);
      ev('keyup', ch, c);
    }
    ev('keydown', 'Enter', 'Enter');
    expect(out.filter((o) => o.kind !== 'typing')).toEqual([{ kind: 'scan', code: 'CASE-650525', terminator: 'Enter' }]);
  });
});

import { HidPosDecoder } from '../../core/scanner/hid-pos';

describe('guard: HID POS', () => {
  function report(id: number, data: string, continued: boolean, aim = ']Q1'): Uint8Array {
    const r = new Uint8Array(64);
    r[0] = id;
    r[1] = data.length;
    r.set(Buffer.from(aim, 'latin1'), 2);
    r.set(Buffer.from(data, 'latin1'), 5);
    r[63] = continued ? 1 : 0;
    return r;
  }
  it('a report with another id in the middle of a continued code neither ends nor joins it', () => {
    const d = new HidPosDecoder();
    const out = [report(2, 'A'.repeat(56), true), report(4, 'STATUS', false), report(2, 'B'.repeat(9), false)].flatMap(
      (r) => d.push(r).scans,
    );
    expect(out).toEqual([{ code: 'A'.repeat(56) + 'B'.repeat(9), symbology: ']Q1' }]);
  });
  it('odd report sizes: 7 and 8 bytes are malformed, never a scan', () => {
    const d = new HidPosDecoder();
    for (const size of [7, 8]) {
      const r = new Uint8Array(size);
      r[0] = 2;
      r[1] = 3;
      const res = d.push(r);
      expect(res.scans).toEqual([]);
      expect(res.rejected.map((x) => x.reason)).toEqual(['malformed']);
    }
  });
});
