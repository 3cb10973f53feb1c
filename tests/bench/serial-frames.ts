import { randomInt, type Random } from '../../core/random';
import { DEFAULT_FRAME, FrameDecoder, type FrameConfig } from '../../core/scanner/frame-decoder';
import { replayTimeline, type Timeline } from '../../core/scanner/replay';

/** One generated frame: the bytes a scanner sent, and the code it meant (null: not a code). */
interface Sent {
  frame: string;
  code: string | null;
  gapAfterMs: number;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./';

/**
 * 10,000 frames as a warehouse's serial scanners really send them, terminated CR or CRLF: 1D
 * codes, 2D codes of hundreds to thousands of characters, codes over the 8 KiB limit, wake noise
 * before a frame, noise inside one, short garbage, and frames cut by a pulled cable.
 */
export function randomFrames(random: Random, count = 10_000): Sent[] {
  const code = (length: number): string => Array.from({ length }, () => ALPHABET[randomInt(random, 0, ALPHABET.length - 1)]).join('');
  const out: Sent[] = [];
  for (let i = 0; i < count; i += 1) {
    const end = random() < 0.5 ? '\r' : '\r\n';
    const roll = random();
    const gapAfterMs = randomInt(random, 150, 900);
    if (roll < 0.55) {
      const c = code(randomInt(random, 4, 40));
      out.push({ frame: `${c}${end}`, code: c, gapAfterMs });
    } else if (roll < 0.7) {
      const c = code(randomInt(random, 257, 3000));
      out.push({ frame: `${c}${end}`, code: c, gapAfterMs });
    } else if (roll < 0.75) {
      out.push({ frame: `${code(randomInt(random, 8193, 20_000))}${end}`, code: null, gapAfterMs });
    } else if (roll < 0.83) {
      const c = code(randomInt(random, 4, 40));
      out.push({ frame: `\x00\xff${c}${end}`, code: c, gapAfterMs });
    } else if (roll < 0.9) {
      const c = code(randomInt(random, 6, 40));
      const at = randomInt(random, 1, c.length - 1);
      out.push({
        frame: `${c.slice(0, at)}${String.fromCharCode(randomInt(random, 0x80, 0xff))}${c.slice(at)}${end}`,
        code: null,
        gapAfterMs,
      });
    } else if (roll < 0.95) {
      out.push({ frame: `${code(randomInt(random, 1, 3))}${end}`, code: null, gapAfterMs });
    } else {
      // A cable pulled mid-frame: part of a code, then two seconds of nothing.
      const c = code(randomInt(random, 6, 40));
      out.push({ frame: c.slice(0, randomInt(random, 1, c.length - 1)), code: null, gapAfterMs: 2000 });
    }
  }
  return out;
}

export interface SerialFramesResult {
  frames: number;
  valid: number;
  decoded: number;
  wrong_scans: number;
  missed: number;
  rejected: number;
}

/** Replays the frames through a decoder; a wrong scan is any emitted code that was not sent. */
export function serialWrongScans(random: Random, config: FrameConfig = DEFAULT_FRAME): SerialFramesResult {
  const sent = randomFrames(random);
  const timeline: Timeline = [];
  let at = 0;
  for (const s of sent) {
    // 9600 baud: one byte per ms on the wire; the USB adapter hands it over in 64-byte chunks.
    for (let i = 0; i < s.frame.length; i += 64) {
      timeline.push({ at, bytes: Uint8Array.from(s.frame.slice(i, i + 64), (ch) => ch.charCodeAt(0)) });
      at += Math.min(64, s.frame.length - i);
    }
    at += s.gapAfterMs;
  }
  const result = replayTimeline(new FrameDecoder(config), timeline);
  const expected = sent.flatMap((s) => (s.code === null ? [] : [s.code]));
  const pending = [...expected];
  let wrong = 0;
  let decoded = 0;
  // Codes come out in order; anything that is not the next expected (or a later one) is wrong.
  for (const frame of result.frames) {
    const index = pending.indexOf(frame.code);
    if (index < 0) wrong += 1;
    else {
      decoded += 1;
      pending.splice(0, index + 1);
    }
  }
  return {
    frames: sent.length,
    valid: expected.length,
    decoded,
    wrong_scans: wrong,
    missed: expected.length - decoded,
    rejected: result.rejected.length,
  };
}
