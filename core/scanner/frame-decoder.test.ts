import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../random';
import { DEFAULT_FRAME, FrameDecoder, previewBytes, type FrameConfig } from './frame-decoder';
import { replayTimeline as replay } from './replay';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const decode = (config: Partial<FrameConfig>, writes: [number, string][]) =>
  replay(
    new FrameDecoder({ ...DEFAULT_FRAME, ...config }),
    writes.map(([at, text]) => ({ at, bytes: bytes(text) })),
  );

describe('FrameDecoder', () => {
  it('frames a scanner with no suffix by silence, and later line ends by their bytes', () => {
    expect(
      decode({}, [
        [0, 'MIC-1042'],
        [50, '-B'],
        [400, 'SPK-100042'],
      ]).frames,
    ).toEqual([
      { code: 'MIC-1042-B', ended: 'silence' },
      { code: 'SPK-100042', ended: 'silence' },
    ]);
    const decoder = new FrameDecoder(DEFAULT_FRAME);
    expect(decoder.push(bytes('MIC-1042\r'), 0).frames).toEqual([{ code: 'MIC-1042', ended: 'CR' }]);
    decoder.push(bytes('\n'), 5);
    expect(decoder.lineEnd).toBe('CRLF');
  });

  it('emits a line-ended frame at its first line-end byte (no wait for the LF)', () => {
    const decoder = new FrameDecoder(DEFAULT_FRAME);
    expect(decoder.push(bytes('MIC-1042\r'), 0).frames.map((f) => f.code)).toEqual(['MIC-1042']);
    expect(decoder.deadline()).toBeNull();
  });

  it('after a line end was seen, silence mid-frame discards the frame instead of emitting it', () => {
    const result = decode({}, [
      [0, 'MIC-1\r'],
      [200, 'SPK-10004'],
      [2200, 'MIC-7\r'],
    ]);
    expect(result.frames.map((f) => f.code)).toEqual(['MIC-1', 'MIC-7']);
    expect(result.rejected).toEqual([{ reason: 'incomplete', bytes: 9, preview: 'SPK-10004' }]);
  });

  it('with framing "line", a no-suffix scanner is reported (incomplete), never scanned', () => {
    const result = decode({ framing: 'line' }, [[0, 'MIC-1042']]);
    expect(result.frames).toEqual([]);
    expect(result.rejected.map((r) => r.reason)).toEqual(['incomplete']);
  });

  it('with framing "silence", a trailing CR or CRLF is the scanner habit, not data', () => {
    expect(
      decode({ framing: 'silence' }, [
        [0, 'MIC-1042\r\n'],
        [300, 'A\r\nB-12'],
      ]).frames.map((f) => f.code),
    ).toEqual(['MIC-1042', 'A\r\nB-12']);
  });

  it('drops an over-long frame whole, across chunks, with bounded memory, and never emits its tail', () => {
    const decoder = new FrameDecoder({ ...DEFAULT_FRAME, maxLength: 64 });
    const out = [];
    for (let i = 0; i < 10_000; i += 1) out.push(decoder.push(bytes('ABCDEFGHIJ'), i));
    out.push(decoder.push(bytes('TAIL-1234\r'), 10_000));
    expect(out.flatMap((r) => r.frames)).toEqual([]);
    expect(out.flatMap((r) => r.rejected)).toEqual([
      { reason: 'too_long', bytes: 100_009, preview: `${'ABCDEFGHIJ'.repeat(5)}`.slice(0, 48) + '…' },
    ]);
    expect(decoder.push(bytes('MIC-1042\r'), 10_001).frames.map((f) => f.code)).toEqual(['MIC-1042']);
  });

  it('finds a custom terminator even at the end of an over-long frame', () => {
    const result = decode({ framing: 'terminator', terminator: '\x03\x04', maxLength: 16 }, [
      [0, `${'X'.repeat(400)}\x03\x04MIC-1042\x03\x04`],
    ]);
    expect(result.frames.map((f) => f.code)).toEqual(['MIC-1042']);
    expect(result.rejected.map((r) => [r.reason, r.bytes])).toEqual([['too_long', 400]]);
  });

  it('reports a frame that is only its prefix (never drops input silently)', () => {
    const result = decode({ framing: 'terminator', terminator: '\x03', stripPrefix: '\x02' }, [[0, '\x02\x03']]);
    expect(result.rejected.map((r) => r.reason)).toEqual(['too_short']);
  });

  it('keeps what it learnt of the line end across a reconnect: a cut first frame is discarded, not scanned', () => {
    const decoder = new FrameDecoder(DEFAULT_FRAME);
    decoder.push(bytes('SPK-10004\r'), 0);
    decoder.reset();
    const after = replay(decoder, [{ at: 1000, bytes: bytes('SPK-10') }]);
    expect(after.frames).toEqual([]);
    expect(after.rejected.map((r) => r.reason)).toEqual(['incomplete']);
    const restarted = replay(new FrameDecoder(DEFAULT_FRAME, 'CRLF'), [{ at: 0, bytes: bytes('SPK-10') }]);
    expect(restarted.rejected.map((r) => r.reason)).toEqual(['incomplete']);
  });

  it('drops a silence-framed code whose pause nobody saw (the station was busy) with what followed, never joins them', () => {
    const decoder = new FrameDecoder({ ...DEFAULT_FRAME, framing: 'silence' });
    decoder.push(bytes('CODE-0002'), 0);
    // No idle call at 100 (the station was busy); the next code arrives at 700.
    const joined = decoder.push(bytes('CODE-0003'), 700);
    const after = decoder.idle(900);
    expect([...joined.frames, ...after.frames]).toEqual([]);
    expect(after.rejected).toEqual([{ reason: 'unclear_end', bytes: 18, preview: 'CODE-0002CODE-0003' }]);
    // A line end settles it: the end is known, whatever the timing.
    const line = new FrameDecoder(DEFAULT_FRAME);
    line.push(bytes('MIC-1\r'), 0);
    line.push(bytes('MIC-'), 10);
    expect(line.push(bytes('1042\r'), 900).frames.map((f) => f.code)).toEqual(['MIC-1042']);
  });

  it('ends a pending frame when idle is called at exactly its deadline, whatever the clock reads', () => {
    // (t + 100) - t is 99.999… for some fractional clock readings (performance.now()): the check
    // must compare against the deadline itself, or a replay that idles at deadline() spins forever
    // (a CI run once hung on this).
    for (const last of [65447.30663215428, 0.1, 1234.5678901, 7e-7]) {
      const decoder = new FrameDecoder({ ...DEFAULT_FRAME, framing: 'silence' });
      decoder.push(new TextEncoder().encode('MIC-1042'), last);
      const due = decoder.deadline();
      expect(due).not.toBeNull();
      expect(decoder.idle(due ?? 0).frames.map((f) => f.code)).toEqual(['MIC-1042']);
      expect(decoder.deadline()).toBeNull();
      expect(
        replay(new FrameDecoder({ ...DEFAULT_FRAME, framing: 'silence' }), [{ at: last, bytes: new TextEncoder().encode('SPK-7') }]).frames,
      ).toHaveLength(1);
    }
  });

  it('shows control bytes in previews', () => {
    expect(previewBytes('\x00\xffMIC\r')).toBe('\\x00\\xffMIC\\r');
    expect(previewBytes('A'.repeat(60))).toBe(`${'A'.repeat(48)}…`);
  });

  it('never emits a wrong code among 10,000 random frames with noise, cuts and over-long codes', () => {
    const random = seededRandom(20261203);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
    const timeline: { at: number; bytes: Uint8Array }[] = [];
    const sent: string[] = [];
    let at = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const length = random() < 0.05 ? randomInt(random, 8193, 12_000) : randomInt(random, 4, 40);
      const code = Array.from({ length }, () => alphabet[randomInt(random, 0, alphabet.length - 1)]).join('');
      const kind = random();
      let frame = `${code}\r\n`;
      if (kind < 0.1) {
        // Wake noise glued before a frame: dropped, the code after it kept.
        frame = `\x00\xff${frame}`;
        sent.push(length <= 8192 ? code : '');
      } else if (kind < 0.2) frame = `${code.slice(0, 2)}\xfe${code.slice(2)}\r\n`;
      else if (kind < 0.25) frame = code.slice(0, Math.max(1, length - 3));
      else sent.push(length <= 8192 ? code : '');
      timeline.push({ at, bytes: bytes(frame) });
      at += kind >= 0.2 && kind < 0.25 ? 1000 : randomInt(random, 1, 400);
    }
    const result = replay(new FrameDecoder(DEFAULT_FRAME), timeline);
    const emitted = result.frames.map((f) => f.code);
    const valid = new Set(sent.filter((c) => c !== ''));
    expect(emitted.filter((c) => !valid.has(c))).toEqual([]);
    // Every clean code of a legal length came out, in order.
    expect(emitted).toEqual(sent.filter((c) => c !== ''));
  });
});
