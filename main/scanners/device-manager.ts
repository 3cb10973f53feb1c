import { existsSync } from 'node:fs';
import type { Random } from '../../core/random';
import type { ScannerConfig, ScannerRole, ScannerStatus } from '../../core/scanner/config';
import { frameConfigOf } from '../../core/scanner/frame-decoder';
import type { DeviceInput, ScanEvent } from '../../core/scanner/types';
import { HidScanner, isScannerCandidate, type HidAvailability, type HidDeviceInfo } from './hid-scanner';
import { SerialScanner } from './serial-scanner';

export interface DeviceManagerDeps {
  hid: HidAvailability;
  /** Serial ports the OS lists (a failure to list, e.g. no udevadm, is "none"). */
  listSerialPorts: () => Promise<{ path: string; manufacturer?: string | undefined }[]>;
  now: () => number;
  random: Random;
  pollMs: number;
  log: (line: string) => void;
}

export interface RoutedScan extends ScanEvent {
  role: ScannerRole;
  deviceName: string;
}

type Running = { kind: 'serial'; driver: SerialScanner } | { kind: 'hid'; driver: HidScanner; path: string };

/**
 * Keeps the configured scanners running: finds each by its stable identity (serial path, or
 * HID vendor/product/serial number), starts it when it arrives, stops it when it goes, and
 * routes every scan on with the device's name and role. Several scanners at once.
 */
export class DeviceManager {
  private configs: ScannerConfig[] = [];
  private readonly running = new Map<string, Running>();
  private readonly statuses = new Map<string, ScannerStatus>();
  private readonly listeners = new Set<(scan: RoutedScan) => void>();
  private readonly inputListeners = new Set<(input: DeviceInput) => void>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly deps: DeviceManagerDeps) {}

  configure(configs: ScannerConfig[]): void {
    this.configs = configs;
    for (const id of [...this.statuses.keys()]) if (!configs.some((c) => c.id === id)) this.statuses.delete(id);
  }

  onScan(listener: (scan: RoutedScan) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every driver's raw input (frames and rejections), for the Scanners screen's raw view. */
  onInput(listener: (input: DeviceInput) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  list(): ScannerStatus[] {
    return this.configs.map(
      (c) => this.statuses.get(c.id) ?? { id: c.id, name: c.name, role: c.role, kind: c.kind, present: false, state: 'absent', detail: null },
    );
  }

  /** What could be configured: serial ports and HID devices that look like scanners. */
  async discover(): Promise<{ serial: { path: string; manufacturer?: string | undefined }[]; hid: HidDeviceInfo[]; hidUnavailable: string | null }> {
    const serial = await this.deps.listSerialPorts().catch(() => []);
    if (!this.deps.hid.available) return { serial, hid: [], hidUnavailable: this.deps.hid.reason };
    const hid = (await this.deps.hid.hid.devicesAsync().catch(() => [])).filter(isScannerCandidate);
    return { serial, hid, hidUnavailable: null };
  }

  start(): void {
    const loop = (): void => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        this.timer = setTimeout(loop, this.deps.pollMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    for (const id of [...this.running.keys()]) await this.stopDevice(id);
  }

  /** One pass of arrival / removal detection (the timer calls it; tests may too). */
  async poll(): Promise<void> {
    const hidDevices = this.deps.hid.available ? await this.deps.hid.hid.devicesAsync().catch(() => []) : [];
    for (const config of this.configs) {
      if (config.kind === 'serial') {
        const present = existsSync(config.path);
        if (present && !this.running.has(config.id)) this.startSerial(config);
        if (!present && this.running.has(config.id)) await this.stopDevice(config.id);
        if (!present) this.setStatus(config, false, 'absent', null);
      } else {
        if (!this.deps.hid.available) {
          this.setStatus(config, false, 'unavailable', this.deps.hid.reason);
          continue;
        }
        const match = hidDevices.find(
          (d) =>
            d.vendorId === config.vendorId &&
            d.productId === config.productId &&
            (config.serialNumber === undefined || d.serialNumber === config.serialNumber) &&
            d.path !== undefined,
        );
        const running = this.running.get(config.id);
        if (match?.path !== undefined && running === undefined) await this.startHid(config, match.path);
        if (match === undefined && running !== undefined) await this.stopDevice(config.id);
        if (match === undefined) this.setStatus(config, false, 'absent', null);
      }
    }
  }

  private route(config: ScannerConfig, scan: ScanEvent): void {
    const routed: RoutedScan = { ...scan, deviceId: config.id, role: config.role, deviceName: config.name };
    for (const listener of this.listeners) listener(routed);
  }

  private setStatus(config: ScannerConfig, present: boolean, state: ScannerStatus['state'], detail: string | null): void {
    this.statuses.set(config.id, { id: config.id, name: config.name, role: config.role, kind: config.kind, present, state, detail });
  }

  private startSerial(config: Extract<ScannerConfig, { kind: 'serial' }>): void {
    const driver = new SerialScanner(
      {
        deviceId: config.id,
        path: config.path,
        baudRate: config.baudRate,
        dataBits: config.dataBits,
        parity: config.parity,
        stopBits: config.stopBits,
        frame: frameConfigOf(config),
        reconnect: { baseMs: 250, maxMs: 5000 },
      },
      { now: this.deps.now, random: this.deps.random },
    );
    driver.onScan((scan) => this.route(config, scan));
    driver.onInput((input) => {
      for (const listener of this.inputListeners) listener({ ...input, deviceId: config.id });
    });
    driver.onStatus((status) => {
      const state = status.state === 'stopped' ? 'absent' : status.state;
      this.setStatus(config, status.state !== 'stopped', state, status.state === 'reconnecting' ? status.error : null);
    });
    this.running.set(config.id, { kind: 'serial', driver });
    driver.start();
  }

  private async startHid(config: Extract<ScannerConfig, { kind: 'hid' }>, path: string): Promise<void> {
    if (!this.deps.hid.available) return;
    const driver = new HidScanner({ deviceId: config.id, path, mode: config.mode, layout: config.layout }, this.deps.hid.hid, this.deps.now);
    driver.onScan((scan) => this.route(config, scan));
    try {
      await driver.start();
      this.running.set(config.id, { kind: 'hid', driver, path });
      this.setStatus(config, true, 'open', null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.setStatus(config, true, 'unavailable', `cannot open ${path}: ${message}`);
      this.deps.log(`scanner ${config.name}: cannot open ${path}: ${message}`);
    }
  }

  private async stopDevice(id: string): Promise<void> {
    const running = this.running.get(id);
    this.running.delete(id);
    await running?.driver.stop();
  }
}
