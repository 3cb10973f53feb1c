import type { DecodeResult, FrameDecoder } from './frame-decoder';

/** A timed byte stream, as recorded from a serial scanner. */
export type Timeline = { at: number; bytes: Uint8Array }[];

/**
 * Decodes a recorded stream exactly as the serial driver would, with simulated time: `idle` is
 * called at each deadline the driver's timer would meet before the next bytes. The corpus tests
 * and the scan benchmark replay through this, so they exercise the driver's timing rule.
 */
export function replayTimeline(decoder: FrameDecoder, timeline: Timeline): DecodeResult {
  const out: DecodeResult = { frames: [], rejected: [] };
  const add = (r: DecodeResult): void => {
    out.frames.push(...r.frames);
    out.rejected.push(...r.rejected);
  };
  const idleUntil = (at: number): void => {
    for (let due = decoder.deadline(); due !== null && due <= at;) {
      add(decoder.idle(due));
      const next = decoder.deadline();
      // idle at a deadline always decides the pending frame; a deadline that does not move would spin.
      if (next === due) throw new Error(`FrameDecoder left its frame pending at its own deadline (${due})`);
      due = next;
    }
  };
  for (const { at, bytes } of timeline) {
    idleUntil(at);
    add(decoder.push(bytes, at));
  }
  idleUntil(Infinity);
  return out;
}
