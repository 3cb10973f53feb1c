import { Observers } from '../../core/observers';
import { HidKeyboardDecoder, type KeyboardLayout } from '../../core/scanner/hid-keyboard';
import { HidPosDecoder } from '../../core/scanner/hid-pos';
import type { DeviceInput, HidDecodeResult, ScanEvent } from '../../core/scanner/types';
import { errorMessage } from '../../core/errors';

/** The parts of node-hid the station uses, so a station without libusb still starts. */
export interface HidDevice {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}
export interface HidModule {
  devicesAsync(): Promise<HidDeviceInfo[]>;
  HIDAsync: { open(path: string, options?: { nonExclusive?: boolean }): Promise<HidDevice> };
}

export type HidAvailability = { available: true; hid: HidModule } | { available: false; reason: string };

/**
 * node-hid is loaded lazily: its native module needs libusb/hidraw support, and a station
 * without it must still start and say why HID scanners are unavailable.
 */
export async function loadHid(load: () => Promise<unknown> = () => import('node-hid')): Promise<HidAvailability> {
  try {
    const mod = (await load()) as HidModule & { default?: HidModule };
    const hid = typeof mod.devicesAsync === 'function' ? mod : mod.default;
    if (hid === undefined || typeof hid.devicesAsync !== 'function') return { available: false, reason: 'node-hid did not load correctly' };
    return { available: true, hid };
  } catch (error) {
    const message = errorMessage(error);
    return {
      available: false,
      reason: `USB HID scanners are unavailable: ${message}. On Linux install libusb-1.0-0 (and a udev rule for access); serial and keyboard-wedge scanners still work.`,
    };
  }
}

/** HID POS scanners use usage page 0x8C; keyboard-mode scanners are keyboards (page 0x01, usage 0x06). */
export function isScannerCandidate(device: HidDeviceInfo): boolean {
  return device.usagePage === 0x8c || (device.usagePage === 0x01 && device.usage === 0x06);
}

export interface HidScannerConfig {
  deviceId: string;
  path: string;
  mode: 'keyboard' | 'pos';
  layout: KeyboardLayout;
}

/**
 * A USB HID scanner read directly. The device is opened exclusively where the OS allows it:
 * on macOS that keeps a keyboard-mode scanner from also typing into the focused window; on Linux
 * hidraw reads alongside the keyboard driver (add the udev rule that unbinds the scanner from
 * hid-generic's keyboard input, or its scans also type); on Windows keyboard-class devices cannot
 * be opened at all — use the scanner's HID POS mode there.
 */
export class HidScanner {
  private device: HidDevice | null = null;
  private readonly scans: Observers<ScanEvent>;
  private readonly inputs: Observers<DeviceInput>;
  private readonly errors: Observers<string>;
  lastError: string | null = null;

  constructor(
    readonly config: HidScannerConfig,
    private readonly hid: HidModule,
    private readonly now: () => number,
    /** Where a listener that throws is reported (the other listeners still hear the scan). */
    report?: (error: unknown) => void,
  ) {
    this.scans = new Observers(report);
    this.inputs = new Observers(report);
    this.errors = new Observers(report);
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    return this.scans.add(listener);
  }

  /** Every scan and rejected report, for the Scanners screen's raw view. */
  onInput(listener: (input: DeviceInput) => void): () => void {
    return this.inputs.add(listener);
  }

  /**
   * A read error (unplugged mid-read, a hub reset): the device has already been closed when
   * listeners hear of it, and the driver emits nothing more; whoever runs it opens a new one.
   */
  onError(listener: (message: string) => void): () => void {
    return this.errors.add(listener);
  }

  async start(): Promise<void> {
    const device = await this.hid.HIDAsync.open(this.config.path, { nonExclusive: false });
    this.device = device;
    const keyboard = new HidKeyboardDecoder(this.config.layout);
    const pos = new HidPosDecoder();
    device.on('data', (report) => {
      if (this.device !== device) return;
      this.deliver(this.config.mode === 'keyboard' ? keyboard.push(report) : pos.push(report));
    });
    device.on('error', (error) => {
      if (this.device !== device) return;
      this.device = null;
      this.lastError = error.message;
      // node-hid stops reading after an error; close so the node is free for the reopen.
      void device
        .close()
        // The read error itself is what is reported (next line); a close that fails on a device
        // already in error adds nothing, and the next poll reopens it wherever it is.
        .catch(() => undefined)
        .then(() => {
          this.errors.emit(error.message);
        });
    });
  }

  async stop(): Promise<void> {
    const device = this.device;
    this.device = null;
    await device?.close();
  }

  private deliver({ scans, rejected }: HidDecodeResult): void {
    const at = this.now();
    const deviceId = this.config.deviceId;
    for (const r of rejected) this.inputs.emit({ deviceId, at, kind: 'rejected', reason: r.reason, bytes: r.bytes, preview: r.preview });
    for (const scan of scans) {
      this.inputs.emit({ deviceId, at, kind: 'scan', code: scan.code });
      const event: ScanEvent = { deviceId, ...scan, receivedAt: at };
      this.scans.emit(event);
    }
  }
}
