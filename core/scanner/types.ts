import { z } from 'zod';

/** One decoded scan from one device, as every driver emits it (and as it crosses to the renderer). */
export const scanEventSchema = z.object({
  deviceId: z.string(),
  code: z.string(),
  /** AIM symbology identifier (e.g. "]C1" for GS1-128) when the device reports one. */
  symbology: z.string().optional(),
  receivedAt: z.number(),
});
export type ScanEvent = z.infer<typeof scanEventSchema>;

/**
 * Why input did not become a scan. Every driver reports these (never throws), and the Scanners
 * screen shows them in words (core/scanner/words.ts). One list: the type, the wire schema and the
 * fixture loader read it.
 * - noise: bytes no barcode carries (NUL, 0xFF, 8-bit, control) inside a frame;
 * - too_long: longer than the scanner's maximum: dropped whole, never cut to its head or tail;
 * - too_short: shorter than the minimum code length (line noise, a stray key);
 * - missing_prefix: the configured prefix was not there;
 * - incomplete: silence in the middle of a frame that should have ended with a terminator (a pulled cable);
 * - malformed: a malformed device report (HID POS length, stuck continuation);
 * - mixed_with_typing: a person pressed keys during a keyboard-wedge burst: the burst is dropped whole;
 * - unclear_end: a silence-framed code whose end the station could not see (it was busy when the
 *   pause was due, and more bytes came after): its tail or the next code, both dropped, never joined.
 */
export const rejectReasonSchema = z.enum([
  'noise',
  'too_long',
  'too_short',
  'missing_prefix',
  'incomplete',
  'malformed',
  'mixed_with_typing',
  'unclear_end',
]);
export type RejectReason = z.infer<typeof rejectReasonSchema>;

export interface RejectedInput {
  reason: RejectReason;
  bytes: number;
  /** The start of what was received, control bytes written as escapes (\x00, \r), for the raw view. */
  preview: string;
}

/** How a frame ended, for the raw view ("what was received"). */
export const frameEndSchema = z.enum(['CR', 'LF', 'CRLF', 'LFCR', 'silence', 'terminator']);
export type FrameEnd = z.infer<typeof frameEndSchema>;

/** What a device sent, as the Scanners screen's live raw view shows it (scans and rejections alike). */
export const deviceInputSchema = z.discriminatedUnion('kind', [
  z.object({ deviceId: z.string(), at: z.number(), kind: z.literal('scan'), code: z.string(), ended: frameEndSchema.optional() }),
  z.object({
    deviceId: z.string(),
    at: z.number(),
    kind: z.literal('rejected'),
    reason: rejectReasonSchema,
    bytes: z.number(),
    preview: z.string(),
  }),
]);
export type DeviceInput = z.infer<typeof deviceInputSchema>;

/** What a HID report decoder returns for one report. */
export interface HidDecodeResult {
  scans: { code: string; symbology?: string }[];
  rejected: RejectedInput[];
}
