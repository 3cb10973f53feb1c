import { describe, expect, it } from 'vitest';
import { MAX_CODE_BYTES } from './config';
import { charOf, decodeReports, HidKeyboardDecoder, LAYOUTS } from './hid-keyboard';
import { HidPosDecoder } from './hid-pos';

// Reports written down from the HID Usage Tables (Keyboard/Keypad page 0x07, Point of Sale
// page 0x8C), the way keyboard-mode and POS-mode scanners send them.
const SHIFT = 0x02;
const RIGHT_SHIFT = 0x20;
const LEFT_CTRL = 0x01;
const RIGHT_ALT = 0x40;
const report = (modifier: number, ...keys: number[]): Uint8Array => Uint8Array.from([modifier, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8));
const release = (): Uint8Array => report(0);
const ENTER = 0x28;
const ROLLOVER = Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1]);

/** A scanner presses and releases each key in turn. */
function typed(keys: [number, number][]): Uint8Array[] {
  return keys.flatMap(([modifier, key]) => [report(modifier, key), release()]);
}

const run = decodeReports;
const decode = (decoder: HidKeyboardDecoder, reports: Uint8Array[]): string[] => run(decoder, reports).scans;

describe('HID boot keyboard reports', () => {
  it('decodes letters, digits and shifted characters on a US layout', () => {
    // "Spk-9A!" then Enter: S (shift+0x16), p 0x13, k 0x0e, - 0x2d, 9 0x26, A (right shift+0x04), ! (shift+0x1e)
    const reports = typed([
      [SHIFT, 0x16],
      [0, 0x13],
      [0, 0x0e],
      [0, 0x2d],
      [0, 0x26],
      [RIGHT_SHIFT, 0x04],
      [SHIFT, 0x1e],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['Spk-9A!']);
  });

  it('decodes the same key positions on a German layout', () => {
    // Key 0x1c is "z" on QWERTZ, 0x1d is "y"; 0x38 is "-"; shift+0x24 is "/"; shift+0x1f is '"'.
    const reports = typed([
      [0, 0x1c],
      [0, 0x1d],
      [0, 0x38],
      [SHIFT, 0x24],
      [SHIFT, 0x1f],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('de'), reports)).toEqual(['zy-/"']);
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['yz/&@']);
  });

  it('counts a repeated character once per press, and a held key once', () => {
    // "AA": press, release, press, release. Then "B" held across three reports.
    const reports = [
      report(SHIFT, 0x04),
      release(),
      report(SHIFT, 0x04),
      release(),
      report(SHIFT, 0x05),
      report(SHIFT, 0x05),
      report(SHIFT, 0x05),
      release(),
      report(0, ENTER),
      release(),
    ];
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['AAB']);
  });

  it('handles rollover (two keys in one report) and keypad Enter', () => {
    const reports = [report(0, 0x1e, 0x1f), release(), report(0, 0x58), release()];
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['12']);
  });

  it('ignores short reports and empty lines', () => {
    const decoder = new HidKeyboardDecoder('us');
    expect(decoder.push(Uint8Array.from([0, 0, 4])).scans).toEqual([]);
    expect(decode(decoder, typed([[0, ENTER]]))).toEqual([]);
  });

  it('keeps GS1 FNC1 sent as Ctrl+] as GS (0x1D), and gives Ctrl+D EOT and Ctrl+Shift+6 RS', () => {
    // "]C1" "01" FNC1 "10" Enter, US layout; then RS, EOT.
    const reports = typed([
      [0, 0x30],
      [SHIFT, 0x06],
      [0, 0x1e],
      [0, 0x27],
      [0, 0x1e],
      [LEFT_CTRL, 0x30],
      [0, 0x1e],
      [0, 0x27],
      [LEFT_CTRL | SHIFT, 0x23],
      [0x10, 0x07],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual([']C101\x1d10\x1e\x04']);
  });

  it('uses the US key position for Ctrl on every layout (Ctrl+] is GS on a German scanner too)', () => {
    const reports = typed([
      [0, 0x1e],
      [LEFT_CTRL, 0x30],
      [0, 0x1f],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('de'), reports)).toEqual(['1\x1d2']);
  });

  it("decodes the German AltGr AIM prefix ]C0 and @ # ' < > on the ISO keys", () => {
    const reports = typed([
      [RIGHT_ALT, 0x26],
      [SHIFT, 0x06],
      [SHIFT, 0x27], // ]C=
      [RIGHT_ALT, 0x14],
      [0, 0x32],
      [SHIFT, 0x32],
      [0, 0x64],
      [SHIFT, 0x64],
      [RIGHT_ALT, 0x64],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('de'), reports)).toEqual(["]C=@#'<>|"]);
    // Ctrl+Alt is AltGr on Windows, and some scanners send it that way.
    expect(
      decode(
        new HidKeyboardDecoder('de'),
        typed([
          [LEFT_CTRL | 0x04, 0x14],
          [0, ENTER],
        ]),
      ),
    ).toEqual(['@']);
  });

  it('decodes UK " @ and the ISO keys; £ is mapped but a code carrying it is noise (no barcode here carries it)', () => {
    const reports = typed([
      [SHIFT, 0x1f],
      [SHIFT, 0x34],
      [0, 0x32],
      [SHIFT, 0x32],
      [0, 0x64],
      [SHIFT, 0x64],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('uk'), reports)).toEqual(['"@#~\\|']);
    expect(charOf(LAYOUTS.uk, 0x20, SHIFT, false)).toBe('£');
    expect(
      run(
        new HidKeyboardDecoder('uk'),
        typed([
          [SHIFT, 0x20],
          [0, 0x22],
          [0, ENTER],
        ]),
      ),
    ).toEqual({ scans: [], rejected: ['noise'] });
  });

  it('decodes French AZERTY: letters moved, digits with Shift, AltGr symbols', () => {
    const reports = typed([
      [0, 0x14],
      [0, 0x04],
      [0, 0x1a],
      [0, 0x1d],
      [0, 0x33],
      [0, 0x10],
      [0, 0x1f],
      [SHIFT, 0x1f],
      [RIGHT_ALT, 0x27],
      [RIGHT_ALT, 0x2d],
      [0, 0x64],
      [0, ENTER],
    ]);
    // "é" (the unshifted 2 key) is mapped, and a code carrying it is noise: a scanner set to a
    // layout other than its own types "é" where it meant "2" — never a wrong code.
    expect(run(new HidKeyboardDecoder('fr'), reports)).toEqual({ scans: [], rejected: ['noise'] });
    expect(charOf(LAYOUTS.fr, 0x1f, 0, false)).toBe('é');
    const ascii = typed([
      [0, 0x14],
      [0, 0x04],
      [0, 0x1a],
      [0, 0x1d],
      [0, 0x33],
      [0, 0x10],
      [SHIFT, 0x1f],
      [RIGHT_ALT, 0x27],
      [RIGHT_ALT, 0x2d],
      [0, 0x64],
      [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('fr'), ascii)).toEqual(['aqzwm,2@]<']);
  });

  it('ignores an ErrorRollOver report: it is not a release, so the held key is not typed again', () => {
    const reports = [
      report(0, 0x04),
      ROLLOVER,
      report(0, 0x04),
      release(),
      report(0, 0x05),
      Uint8Array.from([0, 0, 3, 3, 3, 3, 3, 3]),
      release(),
      report(0, ENTER),
      release(),
    ];
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['ab']);
  });

  it('tracks Caps Lock presses: letters invert case while it is on, across lines', () => {
    const caps = [report(0, 0x39), release()];
    const reports = [
      ...caps,
      ...typed([
        [0, 0x06],
        [SHIFT, 0x04],
        [0, 0x1f],
        [0, ENTER],
      ]),
      ...typed([
        [0, 0x16],
        [0, ENTER],
      ]),
      ...caps,
      ...typed([
        [0, 0x16],
        [0, ENTER],
      ]),
    ];
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['Ca2', 'S', 's']);
  });

  it(`drops a line longer than MAX_CODE_BYTES (${MAX_CODE_BYTES}) whole and reports it, never a cut code`, () => {
    const decoder = new HidKeyboardDecoder('us');
    const line = Array.from({ length: MAX_CODE_BYTES + 5 }, (_, i) => [0, 0x1e + (i % 10)] as [number, number]);
    const result = run(decoder, [...typed(line), ...typed([[0, ENTER]])]);
    expect(result).toEqual({ scans: [], rejected: ['too_long'] });
    // A line of exactly the limit is a code, and the decoder is clean afterwards.
    const exact = run(decoder, typed([...line.slice(0, MAX_CODE_BYTES), [0, ENTER], [0, 0x04], [0, ENTER]]));
    expect(exact.rejected).toEqual([]);
    expect(exact.scans.map((s) => s.length)).toEqual([MAX_CODE_BYTES, 1]);
  });

  it('reports a line with a key the layout cannot type (F5) as noise instead of a code missing a character', () => {
    const decoder = new HidKeyboardDecoder('us');
    const result = decoder.push(report(0, 0x04));
    expect(result.rejected).toEqual([]);
    const all = run(decoder, [
      release(),
      report(0, 0x3e),
      release(),
      ...typed([
        [0, 0x05],
        [0, ENTER],
        [0, 0x06],
        [0, ENTER],
      ]),
    ]);
    expect(all).toEqual({ scans: ['c'], rejected: ['noise'] });
  });
});

describe('HID POS scanned-data reports', () => {
  const pos = (symbology: string, data: string, more = false, size = 64, length = data.length): Uint8Array => {
    const bytes = new Uint8Array(size);
    bytes[0] = 0x02;
    bytes[1] = length;
    bytes.set(
      Array.from(symbology, (c) => c.charCodeAt(0)),
      2,
    );
    bytes.set(
      Array.from(data, (c) => c.charCodeAt(0)),
      5,
    );
    bytes[size - 3] = 0x6a; // Honeywell code id 'j'
    bytes[size - 1] = more ? 1 : 0;
    return bytes;
  };

  it('decodes the code and its AIM symbology identifier', () => {
    expect(new HidPosDecoder().push(pos(']C1', 'SPK-100042C')).scans).toEqual([{ code: 'SPK-100042C', symbology: ']C1' }]);
  });

  it('joins a code continued over several reports', () => {
    const decoder = new HidPosDecoder();
    expect(decoder.push(pos(']C0', 'LONG-SERIAL-', true, 20)).scans).toEqual([]);
    expect(decoder.push(pos(']C0', '0001', false, 20)).scans).toEqual([{ code: 'LONG-SERIAL-0001', symbology: ']C0' }]);
  });

  it('ignores other reports and empty data', () => {
    const decoder = new HidPosDecoder();
    const other = pos(']C1', 'X');
    other[0] = 0x05;
    expect(decoder.push(other).scans).toEqual([]);
    expect(decoder.push(pos(']C1', '')).scans).toEqual([]);
  });

  it('clamps a too-large length byte to the data region: no NUL padding, no trailer bytes in the code', () => {
    const decoder = new HidPosDecoder();
    expect(decoder.push(pos(']C0', 'SPK-10004', false, 64, 0xff))).toEqual({
      scans: [{ code: 'SPK-10004', symbology: ']C0' }],
      rejected: [],
    });
    expect(decoder.push(pos(']C0', 'A'.repeat(56), false, 64, 60)).scans).toEqual([{ code: 'A'.repeat(56), symbology: ']C0' }]);
  });

  it('never makes a scan of an all-NUL report, nor of a report whose declared data is all NUL (malformed)', () => {
    const decoder = new HidPosDecoder();
    expect(decoder.push(new Uint8Array(64))).toEqual({ scans: [], rejected: [] });
    expect(run(decoder, [pos(']C0', 'HEAD-', true), pos('\0\0\0', '', false, 64, 0x38)])).toEqual({ scans: [], rejected: ['malformed'] });
    expect(decoder.push(pos(']C0', 'MIC-7')).scans).toEqual([{ code: 'MIC-7', symbology: ']C0' }]);
  });

  it('drops a code continued past MAX_CODE_BYTES (stuck continuation) and keeps memory bounded', () => {
    const decoder = new HidPosDecoder();
    const chunk = pos(']d1', 'X'.repeat(56), true);
    const reports = Array.from({ length: 20_000 }, () => chunk); // 1.12 M characters
    expect(run(decoder, reports)).toEqual({ scans: [], rejected: ['too_long'] });
    expect(run(decoder, [pos(']d1', 'END'), pos(']C0', 'SPK-10004')])).toEqual({ scans: ['SPK-10004'], rejected: [] });
  });

  it('reads length 0 with data present as "length unknown": the data up to the first NUL', () => {
    const decoder = new HidPosDecoder();
    expect(decoder.push(pos(']C0', 'SPK-10004', false, 64, 0)).scans).toEqual([{ code: 'SPK-10004', symbology: ']C0' }]);
  });

  it('reports a report too short to hold any data as malformed', () => {
    expect(new HidPosDecoder().push(Uint8Array.from([2, 1, 0x5d, 0x43, 0x30, 0x41, 0, 0])).rejected.map((r) => r.reason)).toEqual([
      'malformed',
    ]);
  });

  it('drops a POS code carrying bytes no barcode carries (8-bit, control) as noise, as every scanner kind does', () => {
    const report = new Uint8Array(64);
    report.set([0x02, 6, 0x5d, 0x43, 0x30, 0x4d, 0x49, 0x43, 0xff, 0x31, 0x32]);
    expect(run(new HidPosDecoder(), [report])).toEqual({ scans: [], rejected: ['noise'] });
  });
});
