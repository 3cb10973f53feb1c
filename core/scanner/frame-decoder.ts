import { MAX_CODE_BYTES, type SerialFraming, type SerialScannerSettings } from './config';
import type { FrameEnd, RejectedInput, RejectReason } from './types';
import { isCodeChar } from './code-chars';
import { escapeBytes } from './words';

/** How a serial scanner frames its scans (the serial part of a scanner's settings). */
export interface FrameConfig {
  framing: SerialFraming;
  /** The end of frame when framing is `terminator`. */
  terminator?: string | undefined;
  /** Silence (ms) that ends a frame (`auto` before any line end, `silence`) or discards a partial one. */
  gapMs: number;
  stripPrefix: string;
  stripSuffix: string;
  minLength: number;
  maxLength: number;
}

export const DEFAULT_FRAME: FrameConfig = {
  framing: 'auto',
  gapMs: 100,
  stripPrefix: '',
  stripSuffix: '',
  minLength: 4,
  maxLength: MAX_CODE_BYTES,
};

/** The framing part of a serial scanner's saved settings. */
export function frameConfigOf(settings: SerialScannerSettings): FrameConfig {
  const { framing, terminator, gapMs, stripPrefix, stripSuffix, minLength, maxLength } = settings;
  return { framing, terminator, gapMs, stripPrefix, stripSuffix, minLength, maxLength };
}

export interface DecodedFrame {
  code: string;
  ended: FrameEnd;
}

export interface DecodeResult {
  frames: DecodedFrame[];
  rejected: RejectedInput[];
}

const CR = 0x0d;
const LF = 0x0a;
/** Slack for noise around a frame before it counts as over-long (power-up garbage is short). */
const NOISE_SLACK = 256;
const PREVIEW_CHARS = 48;

/** A byte of a code (see code-chars.ts); where frames end by silence or a custom terminator, line breaks inside a 2D code are data too. */
function isData(byte: number, lineBreaksAreData: boolean): boolean {
  return isCodeChar(byte) || (lineBreaksAreData && (byte === CR || byte === LF || byte === 0x09));
}

/** The start of what was received, control bytes written as escapes (\x00, \r), for the Scanners screen. */
export function previewBytes(text: string): string {
  const head = escapeBytes(text.slice(0, PREVIEW_CHARS));
  return text.length > PREVIEW_CHARS ? `${head}…` : head;
}

/**
 * Turns a serial byte stream into scans. Frames end at a line end or custom terminator, or at a
 * pause (`gapMs`), as the framing says; frames split across chunks and several per chunk both
 * work. Nothing that is not a whole, clean code is ever emitted: noise before a frame is dropped
 * (resynchronisation), noise inside one rejects it, an over-long frame is dropped whole (never
 * its head or tail), a frame cut by silence is discarded when a terminator was expected. Every
 * rejection is reported. Time comes from the caller (`at`), so the decoder is pure; the caller
 * calls `idle` at `deadline()` when no bytes arrive. Never throws.
 */
export class FrameDecoder {
  /** The current frame's bytes (latin1: one char per byte), up to the cap. */
  private buf = '';
  /** Bytes of the current frame beyond the cap (the frame is then too long, whatever follows). */
  private overflow = 0;
  /** The last bytes seen, to find a custom terminator even in an overflowing frame. */
  private tail = '';
  private last = -Infinity;
  /** Set when a frame ended at CR or LF: the other one right after completes the pair. */
  private pairAfter: { byte: number; at: number; ended: 'CR' | 'LF' } | null = null;
  private sawLineEnd = false;
  /** Bytes came after a pending frame's pause was due and undecided (see push). */
  private unclear = false;
  /** The line end this scanner was last seen sending, for the raw view. */
  lineEnd: FrameEnd | null = null;
  private readonly cap: number;

  /**
   * `lineEnd`: what this scanner was seen sending before (a reconnect, a restarted driver), so a
   * line-end scanner's cut frame is discarded from its first frame on, not framed by silence.
   */
  constructor(
    private readonly config: FrameConfig,
    lineEnd: FrameEnd | null = null,
  ) {
    this.lineEnd = lineEnd;
    this.sawLineEnd = lineEnd !== null && lineEnd !== 'silence' && lineEnd !== 'terminator';
    const terminator = config.framing === 'terminator' ? (config.terminator ?? '') : '';
    this.cap = config.maxLength + config.stripPrefix.length + config.stripSuffix.length + terminator.length + NOISE_SLACK;
  }

  /** Forgets a frame in progress (the connection was lost), keeping what was learnt of the line end. */
  reset(): void {
    this.unclear = false;
    this.buf = '';
    this.overflow = 0;
    this.tail = '';
    this.pairAfter = null;
    this.last = -Infinity;
  }

  /** When `idle` next has something to decide, or null when nothing is pending. */
  deadline(): number | null {
    return this.buf === '' && this.overflow === 0 ? null : this.last + this.config.gapMs;
  }

  /** Time passed with no bytes: a frame pending longer than `gapMs` ends or is discarded. */
  idle(at: number): DecodeResult {
    const result: DecodeResult = { frames: [], rejected: [] };
    this.gap(at, result);
    return result;
  }

  /**
   * Bytes received at `at`. Silence is judged only by `idle` (called by the caller's timer, or
   * before `push` when replaying): bytes that arrive together after the station was busy are not
   * a pause on the wire.
   */
  push(chunk: Uint8Array, at: number): DecodeResult {
    const result: DecodeResult = { frames: [], rejected: [] };
    // A pause was due and nobody looked (the station was busy): these bytes may be this frame's
    // tail or the next code. Where only a pause can end the frame, its end is unknowable.
    const due = this.deadline();
    if (due !== null && at > due + this.config.gapMs / 2 && this.endsBySilence()) this.unclear = true;
    for (const byte of chunk) this.byte(byte, at, result);
    this.last = at;
    return result;
  }

  private endsBySilence(): boolean {
    return this.config.framing === 'silence' || (this.config.framing === 'auto' && !this.sawLineEnd);
  }

  private gap(at: number, result: DecodeResult): void {
    // Compared with the deadline itself, not `at - last < gapMs`: (t + gap) - t is below gap for
    // some fractional t, and idle(deadline()) would then leave the frame pending.
    if (at < this.last + this.config.gapMs) return;
    this.pairAfter = null;
    if (this.buf === '' && this.overflow === 0) return;
    if (this.unclear) this.discard('unclear_end', result);
    else if (this.endsBySilence()) this.end('silence', result);
    else this.discard('incomplete', result);
  }

  private byte(byte: number, at: number, result: DecodeResult): void {
    const { framing } = this.config;
    if (framing === 'auto' || framing === 'line') {
      if (byte === CR || byte === LF) {
        const pair = this.pairAfter;
        this.pairAfter = null;
        if (pair !== null && this.buf === '' && this.overflow === 0 && byte === pair.byte && at - pair.at < this.config.gapMs) {
          this.lineEnd = pair.ended === 'CR' ? 'CRLF' : 'LFCR';
          return;
        }
        const ended = byte === CR ? 'CR' : 'LF';
        this.lineEnd = ended;
        this.sawLineEnd = true;
        this.pairAfter = { byte: byte === CR ? LF : CR, at, ended };
        this.end(ended, result);
        return;
      }
    }
    this.pairAfter = null;
    if (framing === 'terminator') {
      const terminator = this.config.terminator ?? '';
      this.tail = (this.tail + String.fromCharCode(byte)).slice(-terminator.length);
      if (this.tail === terminator) {
        this.tail = '';
        // The terminator's own bytes are not part of the code.
        const stored = Math.max(0, terminator.length - 1 - this.overflow);
        this.buf = this.buf.slice(0, this.buf.length - stored);
        this.overflow = Math.max(0, this.overflow - (terminator.length - 1));
        this.lineEnd = 'terminator';
        this.end('terminator', result);
        return;
      }
    }
    if (this.buf.length < this.cap) this.buf += String.fromCharCode(byte);
    else this.overflow += 1;
  }

  /** A frame ended: strip what surrounds the code, check it, and emit or reject it. */
  private end(ended: FrameEnd, result: DecodeResult): void {
    if (this.unclear && ended !== 'silence') {
      // A line end or terminator after all: the frame's end is known, whatever the timing.
      this.unclear = false;
    }
    const raw = this.buf;
    const bytes = raw.length + this.overflow;
    const overflowed = this.overflow > 0;
    this.buf = '';
    this.overflow = 0;
    this.tail = '';
    if (bytes === 0) return;
    if (overflowed) {
      result.rejected.push({ reason: 'too_long', bytes, preview: previewBytes(raw) });
      return;
    }
    const lineBreaksAreData = this.config.framing === 'silence' || this.config.framing === 'terminator';
    // Resynchronise: noise before the code (power-up, wake) is dropped and reported; line breaks
    // around a silence- or terminator-framed code are the scanner's habit, not data.
    let start = 0;
    while (start < raw.length && !isData(raw.charCodeAt(start), false)) start += 1;
    let stop = raw.length;
    while (stop > start && (raw.charCodeAt(stop - 1) === CR || raw.charCodeAt(stop - 1) === LF)) stop -= 1;
    const leading = raw.slice(0, start).replace(/[\r\n]/g, '');
    let body = raw.slice(start, stop);
    const { stripPrefix, stripSuffix } = this.config;
    if (stripPrefix !== '') {
      // A prefix made of control bytes (STX) was skipped as noise above: look for it in the raw frame.
      const at = raw.indexOf(stripPrefix);
      if (at < 0 || at > start) {
        this.reject(result, 'missing_prefix', bytes, raw);
        return;
      }
      body = raw.slice(at + stripPrefix.length, stop);
      const skipped = raw.slice(0, at).replace(/[\r\n]/g, '');
      if (skipped !== '') this.reject(result, 'noise', skipped.length, skipped);
    } else if (leading !== '') {
      this.reject(result, 'noise', leading.length, leading);
    }
    if (body === '') {
      // Only a prefix (or line noise around one): dropped, and said so.
      if (stripPrefix !== '') this.reject(result, 'too_short', bytes, raw);
      return;
    }
    for (let i = 0; i < body.length; i += 1) {
      if (!isData(body.charCodeAt(i), lineBreaksAreData)) {
        this.reject(result, 'noise', bytes, raw);
        return;
      }
    }
    if (stripSuffix !== '' && body.endsWith(stripSuffix)) body = body.slice(0, body.length - stripSuffix.length);
    if (body.length > this.config.maxLength) {
      this.reject(result, 'too_long', bytes, raw);
      return;
    }
    if (body.length < this.config.minLength) {
      this.reject(result, 'too_short', bytes, raw);
      return;
    }
    result.frames.push({ code: body, ended });
  }

  private discard(reason: RejectReason, result: DecodeResult): void {
    this.unclear = false;
    const raw = this.buf;
    const overflowed = this.overflow > 0;
    const bytes = raw.length + this.overflow;
    this.buf = '';
    this.overflow = 0;
    this.tail = '';
    if (bytes === 0) return;
    // Silence after nothing but noise is noise, not a cut frame.
    const allNoise = !overflowed && [...raw].every((ch) => !isData(ch.charCodeAt(0), false));
    this.reject(result, overflowed ? 'too_long' : allNoise ? 'noise' : reason, bytes, raw);
  }

  private reject(result: DecodeResult, reason: RejectReason, bytes: number, raw: string): void {
    result.rejected.push({ reason, bytes, preview: previewBytes(raw) });
  }
}
