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
 * screen shows them in words.
 */
export type RejectReason =
  /** Bytes no barcode carries (NUL, 0xFF, 8-bit, control) inside a frame. */
  | 'noise'
  /** Longer than the scanner's maximum: dropped whole, never cut to its head or tail. */
  | 'too_long'
  /** Shorter than the minimum code length (line noise, a stray key). */
  | 'too_short'
  /** The configured prefix was not there. */
  | 'missing_prefix'
  /** Silence in the middle of a frame that should have ended with a terminator (a pulled cable). */
  | 'incomplete'
  /** A malformed device report (HID POS length, stuck continuation). */
  | 'malformed'
  /** A person pressed keys during a keyboard-wedge burst: the burst is dropped whole. */
  | 'mixed_with_typing'
  /**
   * A silence-framed code whose end the station could not see: it was busy when the pause was due,
   * and more bytes came after. They may be its tail or the next code; both are dropped, never joined.
   */
  | 'unclear_end';

export interface RejectedInput {
  reason: RejectReason;
  bytes: number;
  /** The start of what was received, with control bytes written out ("␀", "\\xff"), for the raw view. */
  preview: string;
}

/** How a frame ended, for the raw view ("what was received"). */
export type FrameEnd = 'CR' | 'LF' | 'CRLF' | 'LFCR' | 'silence' | 'terminator';

/** What a device sent, as the Scanners screen's live raw view shows it. */
export type DeviceInput =
  | { deviceId: string; at: number; kind: 'scan'; code: string; ended?: FrameEnd }
  | { deviceId: string; at: number; kind: 'rejected'; reason: RejectReason; bytes: number; preview: string };

/** What a HID report decoder returns for one report. */
export interface HidDecodeResult {
  scans: { code: string; symbology?: string }[];
  rejected: RejectedInput[];
}
