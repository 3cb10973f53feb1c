import type { RejectedInput } from './types';

/** How a serial scanner frames its scans. */
export interface FrameConfig {
  /** Bytes the scanner sends before each code (often none). */
  prefix: string;
  /** The terminator after each code: "\r", "\n", "\r\n" or any custom string. */
  suffix: string;
  /** Longer frames are line noise, not barcodes. */
  maxLength: number;
}

export const DEFAULT_FRAME: FrameConfig = { prefix: '', suffix: '\r', maxLength: 256 };

/** Printable ASCII plus GS (0x1d, the GS1 FNC1 separator) is what barcodes carry. */
function printable(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (!((code >= 0x20 && code <= 0x7e) || code === 0x1d)) return false;
  }
  return text.length > 0;
}

/**
 * Turns a byte stream into scans: frames split across chunks, several frames per chunk, and
 * noise between them. Never throws; what is not a frame is reported as rejected.
 */
export class FrameDecoder {
  private buffer = '';

  constructor(private readonly config: FrameConfig) {
    if (config.suffix === '') throw new Error('a serial scanner needs a frame terminator (suffix)');
  }

  push(chunk: Uint8Array): { frames: string[]; rejected: RejectedInput[] } {
    // latin1 maps every byte to one char, so byte counts and noise survive unchanged.
    this.buffer += Array.from(chunk, (b) => String.fromCharCode(b)).join('');
    const frames: string[] = [];
    const rejected: RejectedInput[] = [];
    let end: number;
    while ((end = this.buffer.indexOf(this.config.suffix)) >= 0) {
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + this.config.suffix.length);
      const frame = this.accept(raw, rejected);
      if (frame !== null) frames.push(frame);
    }
    // A full frame may sit in the buffer with all but the last byte of its terminator.
    const limit = this.config.prefix.length + this.config.maxLength + this.config.suffix.length;
    if (this.buffer.length > limit) {
      rejected.push({ reason: 'no_terminator', bytes: this.buffer.length });
      this.buffer = '';
    }
    return { frames, rejected };
  }

  private accept(raw: string, rejected: RejectedInput[]): string | null {
    // Noise before a prefix is dropped with the frame it precedes; CR/LF pairs leave stray
    // line ends that are not frames at all.
    let body = raw.replace(/^[\r\n]+/, '');
    if (body === '') return null;
    if (this.config.prefix !== '') {
      const at = body.lastIndexOf(this.config.prefix);
      if (at < 0) {
        rejected.push({ reason: 'missing_prefix', bytes: raw.length });
        return null;
      }
      body = body.slice(at + this.config.prefix.length);
    }
    if (body.length > this.config.maxLength) {
      rejected.push({ reason: 'too_long', bytes: raw.length });
      return null;
    }
    if (!printable(body)) {
      rejected.push({ reason: 'unprintable', bytes: raw.length });
      return null;
    }
    return body;
  }
}
