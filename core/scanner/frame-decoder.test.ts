import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../random';
import { FrameDecoder } from './frame-decoder';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('FrameDecoder', () => {
  it('joins a frame split across chunks and splits several frames in one chunk', () => {
    const decoder = new FrameDecoder({ prefix: '', suffix: '\r\n', maxLength: 64 });
    expect(decoder.push(bytes('SPK-00')).frames).toEqual([]);
    expect(decoder.push(bytes('1\r')).frames).toEqual([]);
    expect(decoder.push(bytes('\nMIC-2\r\nGIG-000042\r\n')).frames).toEqual(['SPK-001', 'MIC-2', 'GIG-000042']);
  });

  it.each([
    ['\r', 'A1\rB2\r'],
    ['\n', 'A1\nB2\n'],
    ['\r\n', 'A1\r\nB2\r\n'],
    ['#END#', 'A1#END#B2#END#'],
  ])('uses the configured terminator %j', (suffix, stream) => {
    expect(new FrameDecoder({ prefix: '', suffix, maxLength: 64 }).push(bytes(stream)).frames).toEqual(['A1', 'B2']);
  });

  it('strips a prefix, dropping noise before it, and rejects frames without it', () => {
    const decoder = new FrameDecoder({ prefix: '\x02', suffix: '\x03', maxLength: 64 });
    const result = decoder.push(bytes('\x00\xff\x02SPK-1\x03junk\x03\x02CASE-7\x03'));
    expect(result.frames).toEqual(['SPK-1', 'CASE-7']);
    expect(result.rejected).toEqual([{ reason: 'missing_prefix', bytes: 4 }]);
  });

  it('rejects noise and over-long frames without throwing, and keeps going', () => {
    const decoder = new FrameDecoder({ prefix: '', suffix: '\r', maxLength: 8 });
    const result = decoder.push(bytes('\x00\x81\xfe\rTOO-LONG-CODE\rOK-1\r'));
    expect(result.frames).toEqual(['OK-1']);
    expect(result.rejected.map((r) => r.reason)).toEqual(['unprintable', 'too_long']);
    const runaway = decoder.push(bytes('x'.repeat(20)));
    expect(runaway.rejected).toEqual([{ reason: 'no_terminator', bytes: 20 }]);
    expect(decoder.push(bytes('AFTER\r')).frames).toEqual(['AFTER']);
  });

  it('keeps GS1 separators (GS, 0x1d) inside a code', () => {
    expect(new FrameDecoder({ prefix: '', suffix: '\r', maxLength: 64 }).push(bytes('0104012345678901\x1d10ABC\r')).frames).toEqual([
      '0104012345678901\x1d10ABC',
    ]);
  });

  it('recognises every valid frame among 10,000 fuzzed frames cut into random chunks', () => {
    const random = seededRandom(10_000);
    const decoder = new FrameDecoder({ prefix: '', suffix: '\r\n', maxLength: 40 });
    const expected: string[] = [];
    let stream = '';
    for (let i = 0; i < 10_000; i += 1) {
      if (random() < 0.8) {
        const code = Array.from({ length: randomInt(random, 1, 40) }, () => String.fromCharCode(randomInt(random, 0x21, 0x7e)))
          .join('')
          .replaceAll('\r', '')
          .replaceAll('\n', '');
        expected.push(code);
        stream += `${code}\r\n`;
      } else {
        // Line noise: unprintable bytes, then a terminator so the decoder resynchronises.
        stream += `${Array.from({ length: randomInt(random, 1, 30) }, () => String.fromCharCode(randomInt(random, 0x80, 0xff))).join('')}\r\n`;
      }
    }
    const frames: string[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = randomInt(random, 1, 64);
      frames.push(...decoder.push(bytes(stream.slice(at, at + size))).frames);
      at += size;
    }
    expect(frames).toEqual(expected);
  });
});
