import { describe, expect, it } from 'vitest';
import { FrameDecoder, DEFAULT_FRAME } from '../../core/scanner/frame-decoder';
import { HidPosDecoder } from '../../core/scanner/hid-pos';
import { replayTimeline } from '../../core/scanner/replay';

// Outside tester's guards for issue 16 (they pass; they hold promises the README makes).
const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

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
