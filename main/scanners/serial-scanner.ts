import { SerialPort } from 'serialport';
import { backoffDelay } from '../../core/sync/backoff';
import type { Random } from '../../core/random';
import { FrameDecoder, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { RejectedInput, ScanEvent } from '../../core/scanner/types';

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
  private attempt = 0;
  private stopped = true;
  private readonly scanListeners = new Set<(scan: ScanEvent) => void>();
  private readonly statusListeners = new Set<(status: SerialScannerStatus) => void>();
  private readonly rejectListeners = new Set<(rejected: RejectedInput) => void>();
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

  start(): void {
    this.stopped = false;
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
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
      const { frames, rejected } = this.decoder.push(chunk);
      for (const r of rejected) for (const listener of this.rejectListeners) listener(r);
      for (const code of frames) {
        const scan: ScanEvent = { deviceId: this.config.deviceId, code, receivedAt: this.deps.now() };
        for (const listener of this.scanListeners) listener(scan);
      }
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

  private lost(port: SerialPort, message: string): void {
    if (this.stopped || this.port !== port) return;
    this.port = null;
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
