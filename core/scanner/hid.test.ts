import { describe, expect, it } from 'vitest';
import { HidKeyboardDecoder } from './hid-keyboard';
import { HidPosDecoder } from './hid-pos';

// Reports written down from the HID Usage Tables (Keyboard/Keypad page 0x07, Point of Sale
// page 0x8C), the way keyboard-mode and POS-mode scanners send them.
const SHIFT = 0x02;
const RIGHT_SHIFT = 0x20;
const report = (modifier: number, ...keys: number[]): Uint8Array => Uint8Array.from([modifier, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8));
const release = (): Uint8Array => report(0);
const ENTER = 0x28;

/** A scanner presses and releases each key in turn. */
function typed(keys: [number, number][]): Uint8Array[] {
  return keys.flatMap(([modifier, key]) => [report(modifier, key), release()]);
}

function decode(decoder: HidKeyboardDecoder, reports: Uint8Array[]): string[] {
  return reports.flatMap((r) => decoder.push(r).scans.map((s) => s.code));
}

describe('HID boot keyboard reports', () => {
  it('decodes letters, digits and shifted characters on a US layout', () => {
    // "Spk-9A!" then Enter: S (shift+0x16), p 0x13, k 0x0e, - 0x2d, 9 0x26, A (right shift+0x04), ! (shift+0x1e)
    const reports = typed([
      [SHIFT, 0x16], [0, 0x13], [0, 0x0e], [0, 0x2d], [0, 0x26], [RIGHT_SHIFT, 0x04], [SHIFT, 0x1e], [0, ENTER],
    ]);
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['Spk-9A!']);
  });

  it('decodes the same key positions on a German layout', () => {
    // Key 0x1c is "z" on QWERTZ, 0x1d is "y"; 0x38 is "-"; shift+0x24 is "/"; shift+0x1f is '"'.
    const reports = typed([[0, 0x1c], [0, 0x1d], [0, 0x38], [SHIFT, 0x24], [SHIFT, 0x1f], [0, ENTER]]);
    expect(decode(new HidKeyboardDecoder('de'), reports)).toEqual(['zy-/"']);
    expect(decode(new HidKeyboardDecoder('us'), reports)).toEqual(['yz/&@']);
  });

  it('counts a repeated character once per press, and a held key once', () => {
    // "AA": press, release, press, release. Then "B" held across three reports.
    const reports = [
      report(SHIFT, 0x04), release(), report(SHIFT, 0x04), release(),
      report(SHIFT, 0x05), report(SHIFT, 0x05), report(SHIFT, 0x05), release(),
      report(0, ENTER), release(),
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
});

describe('HID POS scanned-data reports', () => {
  const pos = (symbology: string, data: string, more = false, size = 64): Uint8Array => {
    const bytes = new Uint8Array(size);
    bytes[0] = 0x02;
    bytes[1] = data.length;
    bytes.set(Array.from(symbology, (c) => c.charCodeAt(0)), 2);
    bytes.set(Array.from(data, (c) => c.charCodeAt(0)), 5);
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
});
