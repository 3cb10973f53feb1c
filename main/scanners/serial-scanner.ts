import { SerialPort } from 'serialport';
import { backoffDelay } from '../../core/sync/backoff';
import type { Random } from '../../core/random';
import { FrameDecoder, type DecodeResult, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { DeviceInput, RejectedInput, ScanEvent } from '../../core/scanner/types';

export interface SerialScannerConfig {
  deviceId: string;
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  frame: FrameConfig;
  /** Reopen after an unplug or error: exponential backoff with jitter. */
  reconnect: { baseMs: number; maxMs: number };
}

export type SerialScannerStatus =
  | { state: 'opening' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; inMs: number; error: string }
  | { state: 'stopped' };

export interface SerialScannerDeps {
  now: () => number;
  random: Random;
}

/**
 * A barcode scanner on a serial port (or a USB-serial adapter): frames decoded from the raw
 * byte stream, noise reported not thrown, and the port reopened with backoff after an unplug.
 */
export class SerialScanner {
  private port: SerialPort | null = null;
  private decoder: FrameDecoder;
  private timer: NodeJS.Timeout | null = null;
  /** Wakes the decoder when a frame has been pending for its gap (silence framing, a pulled cable). */
  private idleTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = true;
  private readonly scanListeners = new Set<(scan: ScanEvent) => void>();
  private readonly statusListeners = new Set<(status: SerialScannerStatus) => void>();
  private readonly rejectListeners = new Set<(rejected: RejectedInput) => void>();
  private readonly inputListeners = new Set<(input: DeviceInput) => void>();
  status: SerialScannerStatus = { state: 'stopped' };

  constructor(
    readonly config: SerialScannerConfig,
    private readonly deps: SerialScannerDeps,
  ) {
    this.decoder = new FrameDecoder(config.frame);
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  onStatus(listener: (status: SerialScannerStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onRejected(listener: (rejected: RejectedInput) => void): () => void {
    this.rejectListeners.add(listener);
    return () => this.rejectListeners.delete(listener);
  }

  /** Every frame and rejection, for the Scanners screen's raw view. */
  onInput(listener: (input: DeviceInput) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  /** The line end this scanner was last seen sending (CR, CRLF…), for the Scanners screen. */
  get lineEnd(): string | null {
    return this.decoder.lineEnd;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.clearIdle();
    const port = this.port;
    this.port = null;
    if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.setStatus({ state: 'stopped' });
  }

  private setStatus(status: SerialScannerStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private open(): void {
    if (this.stopped) return;
    this.setStatus({ state: 'opening' });
    // A fresh decoder per connection: half a frame from before an unplug is not a scan.
    this.decoder = new FrameDecoder(this.config.frame);
    const port = new SerialPort({
      path: this.config.path,
      baudRate: this.config.baudRate,
      dataBits: this.config.dataBits,
      parity: this.config.parity,
      stopBits: this.config.stopBits,
      autoOpen: false,
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port) return;
      this.deliver(this.decoder.push(chunk, this.deps.now()));
      this.armIdle();
    });
    port.on('close', () => this.lost(port, 'the port closed (unplugged?)'));
    port.on('error', (error: Error) => this.lost(port, error.message));
    port.open((error) => {
      if (error !== null) {
        this.lost(port, error.message);
        return;
      }
      this.attempt = 0;
      this.setStatus({ state: 'open' });
    });
  }

  private deliver({ frames, rejected }: DecodeResult): void {
    const at = this.deps.now();
    for (const r of rejected) {
      for (const listener of this.rejectListeners) listener(r);
      for (const listener of this.inputListeners) listener({ deviceId: this.config.deviceId, at, kind: 'rejected', reason: r.reason, bytes: r.bytes, preview: r.preview });
    }
    for (const frame of frames) {
      for (const listener of this.inputListeners) listener({ deviceId: this.config.deviceId, at, kind: 'scan', code: frame.code, ended: frame.ended });
      const scan: ScanEvent = { deviceId: this.config.deviceId, code: frame.code, receivedAt: at };
      for (const listener of this.scanListeners) listener(scan);
    }
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /**
   * Asks the decoder again once its gap has passed with no bytes. A silence counts only when the
   * station was listening: a timer that fires well after its deadline means the event loop was
   * busy (a long SQLite write) while bytes may still be on their way through the OS, so it looks
   * again half a gap later instead of ending a frame that is still arriving.
   */
  private armIdle(): void {
    this.clearIdle();
    const deadline = this.decoder.deadline();
    if (deadline === null) return;
    const gapMs = this.config.frame.gapMs;
    const wait = (ms: number, due: number): void => {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        const now = this.deps.now();
        if (this.decoder.deadline() !== deadline) return this.armIdle();
        if (now - due > gapMs / 2) return wait(gapMs / 2, now + gapMs / 2);
        this.deliver(this.decoder.idle(now));
        this.armIdle();
      }, ms);
    };
    wait(Math.max(1, deadline - this.deps.now()), deadline);
  }

  private lost(port: SerialPort, message: string): void {
    if (this.stopped || this.port !== port) return;
    this.port = null;
    this.clearIdle();
    port.removeAllListeners();
    if (port.isOpen) port.close(() => undefined);
    const inMs = backoffDelay(this.config.reconnect, this.attempt, this.deps.random);
    this.attempt += 1;
    this.setStatus({ state: 'reconnecting', attempt: this.attempt, inMs, error: message });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, inMs);
  }
}
