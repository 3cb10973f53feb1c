import { SerialPort } from 'serialport';
import { Observers } from '../../core/observers';
import { backoffDelay } from '../../core/sync/backoff';
import type { Random } from '../../core/random';
import { FrameDecoder, type DecodeResult, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { UsbIdentity } from '../../core/scanner/config';
import type { DeviceInput, FrameEnd, ScanEvent } from '../../core/scanner/types';

/** A serial port as the station lists it for the Scanners screen and finds scanners by. */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string | undefined;
  /** USB vendor and product id, as numbers (serialport reports hex strings). */
  vendorId?: number | undefined;
  productId?: number | undefined;
  serialNumber?: string | undefined;
  /** The /dev/serial/by-id link (Linux): a path that follows the scanner across re-enumeration. */
  byIdPath?: string | undefined;
}

/** What serialport's `SerialPort.list()` reports for one port. */
export interface RawPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

function usbId(hex: string | undefined): number | undefined {
  if (hex === undefined || !/^(0x)?[0-9a-f]{1,4}$/i.test(hex)) return undefined;
  return parseInt(hex.replace(/^0x/i, ''), 16);
}

/**
 * A port as serialport lists it, made usable: ids as numbers, and on Linux the by-id name
 * (serialport's `pnpId`) as the full /dev/serial/by-id path. Elsewhere pnpId is a driver
 * instance id (Windows "USB\\VID_…"), not a path. Absent fields are left out.
 */
export function serialPortInfo(raw: RawPortInfo, platform: NodeJS.Platform = process.platform): SerialPortInfo {
  const info: SerialPortInfo = { path: raw.path };
  if (raw.manufacturer !== undefined && raw.manufacturer !== '') info.manufacturer = raw.manufacturer;
  const vendorId = usbId(raw.vendorId);
  const productId = usbId(raw.productId);
  if (vendorId !== undefined && productId !== undefined) {
    info.vendorId = vendorId;
    info.productId = productId;
  }
  if (raw.serialNumber !== undefined && raw.serialNumber !== '') info.serialNumber = raw.serialNumber;
  if (platform === 'linux' && raw.pnpId !== undefined && raw.pnpId !== '') info.byIdPath = `/dev/serial/by-id/${raw.pnpId}`;
  return info;
}

/** Whether a listed port is the USB scanner with this identity (a serial number, when saved, must match). */
export function isUsbIdentity(port: SerialPortInfo, usb: UsbIdentity): boolean {
  return (
    port.vendorId === usb.vendorId &&
    port.productId === usb.productId &&
    (usb.serialNumber === undefined || port.serialNumber === usb.serialNumber)
  );
}

export interface SerialScannerConfig {
  deviceId: string;
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  frame: FrameConfig;
  /** The line end this scanner was seen sending before (a driver restarted after a settings change). */
  lineEnd?: FrameEnd | null;
  /** Reopen after an unplug or error: exponential backoff with jitter. */
  reconnect: { baseMs: number; maxMs: number };
}

export type SerialScannerStatus =
  { state: 'opening' } | { state: 'open' } | { state: 'reconnecting'; attempt: number; inMs: number; error: string } | { state: 'stopped' };

export interface SerialScannerDeps {
  now: () => number;
  random: Random;
  /** Where a listener that throws is reported (the other listeners still hear the scan). */
  report?: (error: unknown) => void;
  /**
   * Hears every chunk as it arrived, with the time the decoder was given (diagnostics and tests:
   * what really reached the station, which a relay under load can split differently from what
   * was sent).
   */
  arrived?: (bytes: Uint8Array, at: number) => void;
}

/**
 * A barcode scanner on a serial port (or a USB-serial adapter): frames decoded from the raw
 * byte stream, noise reported not thrown, and the port reopened with backoff after an unplug.
 */
export class SerialScanner {
  private port: SerialPort | null = null;
  /** Settles when the current port's open has answered (success or not). */
  private opened: Promise<void> = Promise.resolve();
  private decoder: FrameDecoder;
  private timer: NodeJS.Timeout | null = null;
  /** Wakes the decoder when a frame has been pending for its gap (silence framing, a pulled cable). */
  private idleTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = true;
  private readonly scans: Observers<ScanEvent>;
  private readonly statuses: Observers<SerialScannerStatus>;
  private readonly inputs: Observers<DeviceInput>;
  status: SerialScannerStatus = { state: 'stopped' };

  constructor(
    readonly config: SerialScannerConfig,
    private readonly deps: SerialScannerDeps,
  ) {
    this.decoder = new FrameDecoder(config.frame, config.lineEnd ?? null);
    this.scans = new Observers(deps.report);
    this.statuses = new Observers(deps.report);
    this.inputs = new Observers(deps.report);
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    return this.scans.add(listener);
  }

  onStatus(listener: (status: SerialScannerStatus) => void): () => void {
    return this.statuses.add(listener);
  }

  /** Every frame and rejection, for the Scanners screen's raw view. */
  onInput(listener: (input: DeviceInput) => void): () => void {
    return this.inputs.add(listener);
  }

  /** The line end this scanner was last seen sending (CR, CRLF…), for the Scanners screen. */
  get lineEnd(): FrameEnd | null {
    return this.decoder.lineEnd;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /**
   * Stops reading. A port still opening is closed once its open answers (serialport calls back
   * after this), so no descriptor is left behind; nothing is emitted after stop begins.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.clearIdle();
    const port = this.port;
    this.port = null;
    if (port !== null) {
      await this.opened;
      port.removeAllListeners('data');
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    }
    if (this.status.state !== 'stopped') this.setStatus({ state: 'stopped' });
  }

  private setStatus(status: SerialScannerStatus): void {
    this.status = status;
    this.statuses.emit(status);
  }

  private open(): void {
    if (this.stopped) return;
    this.setStatus({ state: 'opening' });
    // Half a frame from before an unplug is not a scan; the line end the scanner sends is kept.
    this.decoder.reset();
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
      const at = this.deps.now();
      this.deps.arrived?.(chunk, at);
      this.deliver(this.decoder.push(chunk, at));
      this.armIdle();
    });
    port.on('close', () => this.lost(port, 'the port closed (unplugged?)'));
    port.on('error', (error: Error) => this.lost(port, error.message));
    this.opened = new Promise<void>((resolve) => {
      port.open((error) => {
        resolve();
        // Stopped (or replaced) while opening: stop() closes this port; it is not ours to report.
        if (this.port !== port) return;
        if (error !== null) {
          this.lost(port, error.message);
          return;
        }
        this.attempt = 0;
        this.setStatus({ state: 'open' });
      });
    });
  }

  private deliver({ frames, rejected }: DecodeResult): void {
    const at = this.deps.now();
    for (const r of rejected) {
      this.inputs.emit({ deviceId: this.config.deviceId, at, kind: 'rejected', reason: r.reason, bytes: r.bytes, preview: r.preview });
    }
    for (const frame of frames) {
      this.inputs.emit({ deviceId: this.config.deviceId, at, kind: 'scan', code: frame.code, ended: frame.ended });
      const scan: ScanEvent = { deviceId: this.config.deviceId, code: frame.code, receivedAt: at };
      this.scans.emit(scan);
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
   * again half a gap later instead of ending a frame that is still arriving — once: if by then no
   * byte came, the silence was real (waiting on under sustained load would join the next scan on).
   */
  private armIdle(): void {
    this.clearIdle();
    const deadline = this.decoder.deadline();
    if (deadline === null) return;
    const gapMs = this.config.frame.gapMs;
    const wait = (ms: number, due: number, lookedAgain: boolean): void => {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        const now = this.deps.now();
        if (this.decoder.deadline() !== deadline) return this.armIdle();
        if (!lookedAgain && now - due > gapMs / 2) return wait(gapMs / 2, now + gapMs / 2, true);
        this.deliver(this.decoder.idle(now));
        this.armIdle();
      }, ms);
    };
    wait(Math.max(1, deadline - this.deps.now()), deadline, false);
  }

  private lost(port: SerialPort, message: string): void {
    if (this.stopped || this.port !== port) return;
    this.port = null;
    this.clearIdle();
    port.removeAllListeners();
    // The port is already lost (unplugged or failed): closing is only to free the descriptor, and
    // the reopen below reports whatever is wrong with the device.
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
