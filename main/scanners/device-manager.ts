import { existsSync } from 'node:fs';
import { Observers } from '../../core/observers';
import type { Random } from '../../core/random';
import type { HidScannerSettings, ScannerConfig, ScannerRole, ScannerStatus, SerialScannerSettings } from '../../core/scanner/config';
import { frameConfigOf } from '../../core/scanner/frame-decoder';
import type { DeviceInput, FrameEnd, ScanEvent } from '../../core/scanner/types';
import { HidScanner, isScannerCandidate, type HidAvailability, type HidDeviceInfo } from './hid-scanner';
import { isUsbIdentity, SerialScanner, type SerialPortInfo } from './serial-scanner';
import { errorMessage } from '../../core/errors';

export interface DeviceManagerDeps {
  hid: HidAvailability;
  /**
   * Serial ports the OS lists, with USB identity where known. May reject (e.g. no udevadm): then
   * discovery lists none and USB-identified scanners are looked for at their saved path.
   */
  listSerialPorts: () => Promise<SerialPortInfo[]>;
  now: () => number;
  random: Random;
  pollMs: number;
  log: (line: string) => void;
}

export interface RoutedScan extends ScanEvent {
  role: ScannerRole;
  deviceName: string;
}

/** What the Scanners screen can pick from. */
export interface DiscoveredScanners {
  serial: SerialPortInfo[];
  hid: HidDeviceInfo[];
  hidUnavailable: string | null;
}

type Running =
  { kind: 'serial'; driver: SerialScanner; path: string; key: string } | { kind: 'hid'; driver: HidScanner; path: string; key: string };
type DeviceState = Pick<ScannerStatus, 'present' | 'state' | 'detail'>;

/** The settings a running driver was built from: a change to any of them restarts it (name and role do not). */
function driverKey(config: ScannerConfig): string {
  const { name: _name, role: _role, ...settings } = config;
  return JSON.stringify(settings);
}

/**
 * Keeps the configured scanners running: finds each by its stable identity (USB vendor/product/
 * serial number where saved, else the serial path; HID vendor/product/serial number), starts it
 * where it is, moves it when it reappears elsewhere, stops it when it goes, and routes every scan
 * on with the device's current name and role. Settings changes apply to running devices at once.
 * Several scanners at once.
 */
export class DeviceManager {
  private configs: ScannerConfig[] = [];
  private readonly running = new Map<string, Running>();
  private readonly states = new Map<string, DeviceState>();
  /** Drivers being stopped, by scanner id: a new driver for the id waits for its port to be let go. */
  private readonly closing = new Map<string, Promise<void>>();
  /** The line end each serial scanner was seen sending, kept across its driver's restarts. */
  private readonly lineEnds = new Map<string, FrameEnd>();
  private readonly scans: Observers<RoutedScan>;
  private readonly inputs: Observers<DeviceInput>;
  /** A listener that throws is logged; the other listeners (and the next scan) go on. */
  private readonly report = (error: unknown): void => this.deps.log(`a scanner listener failed: ${errorMessage(error)}`);
  private timer: NodeJS.Timeout | null = null;
  private phase: 'idle' | 'started' | 'stopped' = 'idle';
  /** Polls and stops run one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: DeviceManagerDeps) {
    this.scans = new Observers(this.report);
    this.inputs = new Observers(this.report);
  }

  /**
   * New settings, applied to running devices now: a removed scanner stops (nothing it sends after
   * this is routed), a changed port or framing restarts its driver, a name or role change applies
   * to the next scan.
   */
  configure(configs: ScannerConfig[]): void {
    this.configs = configs;
    const byId = new Map(configs.map((c) => [c.id, c]));
    for (const id of [...this.states.keys()]) if (!byId.has(id)) this.states.delete(id);
    for (const [id, running] of [...this.running]) {
      const config = byId.get(id);
      if (config === undefined || driverKey(config) !== running.key) this.detach(id);
      if (config !== undefined && driverKey(config) !== running.key) this.states.delete(id);
    }
    if (this.phase === 'started') void this.poll();
  }

  onScan(listener: (scan: RoutedScan) => void): () => void {
    return this.scans.add(listener);
  }

  /** What every scanner sends, scans and rejected input alike, for the Scanners screen's raw view. */
  onInput(listener: (input: DeviceInput) => void): () => void {
    return this.inputs.add(listener);
  }

  list(): ScannerStatus[] {
    return this.configs.map((c) => ({
      id: c.id,
      name: c.name,
      role: c.role,
      kind: c.kind,
      ...(this.states.get(c.id) ?? this.notYetSeen(c)),
    }));
  }

  private notYetSeen(config: ScannerConfig): DeviceState {
    if (config.kind === 'hid' && !this.deps.hid.available) return { present: false, state: 'unavailable', detail: this.deps.hid.reason };
    return { present: false, state: 'absent', detail: null };
  }

  /** What could be configured: serial ports (with USB identity where the OS gives it) and HID devices that look like scanners. */
  async discover(): Promise<DiscoveredScanners> {
    const serial = await this.deps.listSerialPorts().catch(() => []);
    if (!this.deps.hid.available) return { serial, hid: [], hidUnavailable: this.deps.hid.reason };
    const hid = (await this.deps.hid.hid.devicesAsync().catch(() => [])).filter(isScannerCandidate);
    return { serial, hid, hidUnavailable: null };
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'started';
    const loop = (): void => {
      void this.poll().finally(() => {
        if (this.phase === 'started') this.timer = setTimeout(loop, this.deps.pollMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.exclusive(async () => {
      for (const id of [...this.running.keys()]) {
        this.detach(id);
        this.setState(id, { present: false, state: 'absent', detail: null });
      }
      await Promise.all(this.closing.values());
    });
  }

  /** Read through a method: the phase changes while a pass awaits, which narrowing cannot see. */
  private isStopped(): boolean {
    return this.phase === 'stopped';
  }

  /** One pass of arrival / removal detection (the timer calls it; tests and settings saves may too). */
  poll(): Promise<void> {
    return this.exclusive(() => this.pollOnce());
  }

  private exclusive(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) => this.deps.log(`scanners: ${errorMessage(error)}`));
    return next;
  }

  private async pollOnce(): Promise<void> {
    if (this.isStopped()) return;
    const configs = this.configs;
    const needPorts = configs.some((c) => c.kind === 'serial' && c.usb !== undefined);
    const ports = needPorts ? await this.deps.listSerialPorts().catch(() => null) : null;
    const hidDevices =
      this.deps.hid.available && configs.some((c) => c.kind === 'hid') ? await this.deps.hid.hid.devicesAsync().catch(() => []) : [];
    const paths = this.locate(
      configs.filter((c): c is SerialScannerSettings => c.kind === 'serial'),
      ports,
    );
    for (const config of configs) {
      // Settings replaced or the manager stopped while this pass awaited: the next pass decides.
      if (this.isStopped() || !this.configs.includes(config)) return;
      if (config.kind === 'serial') await this.pollSerial(config, paths.get(config.id) ?? null);
      else await this.pollHid(config, hidDevices);
    }
  }

  /**
   * Where each serial scanner is now. A USB identity is looked for in the OS list: first every
   * scanner still at its saved path (or by-id link) keeps it — so of two identical scanners
   * without serial numbers, the one that did not move is never taken for the other — then the
   * scanners that moved take the remaining ports of their identity. When the OS cannot list ports,
   * the saved path is used if it exists. A path-only scanner is its path (a /dev/serial/by-id path
   * follows re-enumeration by itself).
   */
  private locate(configs: SerialScannerSettings[], ports: SerialPortInfo[] | null): Map<string, string | null> {
    const found = new Map<string, string | null>();
    const claimed = new Set<string>();
    const identified = (config: SerialScannerSettings): SerialPortInfo[] =>
      ports === null || config.usb === undefined
        ? []
        : ports.filter((p) => isUsbIdentity(p, config.usb as NonNullable<typeof config.usb>) && !claimed.has(p.path));
    for (const config of configs) {
      if (config.usb === undefined || ports === null) {
        found.set(config.id, existsSync(config.path) ? config.path : null);
        continue;
      }
      const stayed = identified(config).find((p) => p.path === config.path || p.byIdPath === config.path);
      if (stayed !== undefined) {
        found.set(config.id, stayed.path);
        claimed.add(stayed.path);
      }
    }
    for (const config of configs) {
      if (found.has(config.id)) continue;
      const moved = identified(config)[0];
      if (moved !== undefined) {
        claimed.add(moved.path);
        found.set(config.id, moved.path);
        continue;
      }
      // Not listed with its identity: the saved path, unless another USB device now answers there.
      const other = ports?.some((p) => p.path === config.path && p.vendorId !== undefined) ?? false;
      found.set(config.id, !other && !claimed.has(config.path) && existsSync(config.path) ? config.path : null);
    }
    return found;
  }

  private async pollSerial(config: SerialScannerSettings, path: string | null): Promise<void> {
    const running = this.running.get(config.id);
    if (running !== undefined && running.path !== path) await this.stopDevice(config.id);
    if (path === null) {
      this.setState(config.id, { present: false, state: 'absent', detail: null });
      return;
    }
    if (!this.running.has(config.id)) await this.startSerial(config, path);
  }

  private async pollHid(config: HidScannerSettings, devices: HidDeviceInfo[]): Promise<void> {
    if (!this.deps.hid.available) {
      this.setState(config.id, { present: false, state: 'unavailable', detail: this.deps.hid.reason });
      return;
    }
    const match = devices.find(
      (d) =>
        d.vendorId === config.vendorId &&
        d.productId === config.productId &&
        (config.serialNumber === undefined || d.serialNumber === config.serialNumber) &&
        d.path !== undefined,
    );
    const running = this.running.get(config.id);
    // Replugged between two polls: the same scanner at a new hidraw node.
    if (running !== undefined && running.path !== match?.path) await this.stopDevice(config.id);
    if (match?.path === undefined) {
      this.setState(config.id, { present: false, state: 'absent', detail: null });
      return;
    }
    if (!this.running.has(config.id)) await this.startHid(config, match.path);
  }

  /** The current settings of a scanner, or undefined once it was removed. */
  private current(id: string): ScannerConfig | undefined {
    return this.configs.find((c) => c.id === id);
  }

  private isCurrent(id: string, driver: SerialScanner | HidScanner): boolean {
    return this.running.get(id)?.driver === driver;
  }

  /** Routes by the settings as they are now, and only from the driver currently running for the id. */
  private route(id: string, driver: SerialScanner | HidScanner, scan: ScanEvent): void {
    const config = this.current(id);
    if (config === undefined || !this.isCurrent(id, driver)) return;
    const routed: RoutedScan = { ...scan, deviceId: id, role: config.role, deviceName: config.name };
    this.scans.emit(routed);
  }

  private relay(id: string, driver: SerialScanner | HidScanner, input: DeviceInput): void {
    if (!this.isCurrent(id, driver)) return;
    this.inputs.emit({ ...input, deviceId: id });
  }

  private setState(id: string, state: DeviceState): void {
    this.states.set(id, state);
  }

  private serialDetail(driver: SerialScanner, path: string): string {
    const lineEnd = driver.lineEnd;
    return lineEnd === null ? `on ${path}` : `on ${path}; last frame ended with ${lineEnd}`;
  }

  private async startSerial(config: SerialScannerSettings, path: string): Promise<void> {
    await this.closing.get(config.id);
    if (this.isStopped() || this.current(config.id) !== config || this.running.has(config.id)) return;
    const driver = new SerialScanner(
      {
        deviceId: config.id,
        path,
        baudRate: config.baudRate,
        dataBits: config.dataBits,
        parity: config.parity,
        stopBits: config.stopBits,
        frame: frameConfigOf(config),
        lineEnd: this.lineEnds.get(config.id) ?? null,
        reconnect: { baseMs: 250, maxMs: 5000 },
      },
      { now: this.deps.now, random: this.deps.random, report: this.report },
    );
    driver.onScan((scan) => this.route(config.id, driver, scan));
    driver.onInput((input) => {
      if (driver.lineEnd !== null) this.lineEnds.set(config.id, driver.lineEnd);
      if (input.kind === 'scan' && this.isCurrent(config.id, driver) && driver.status.state === 'open') {
        this.setState(config.id, { present: true, state: 'open', detail: this.serialDetail(driver, path) });
      }
      this.relay(config.id, driver, input);
    });
    driver.onStatus((status) => {
      if (!this.isCurrent(config.id, driver) || status.state === 'stopped') return;
      const detail = status.state === 'reconnecting' ? `${path}: ${status.error}` : this.serialDetail(driver, path);
      this.setState(config.id, { present: true, state: status.state, detail });
    });
    this.running.set(config.id, { kind: 'serial', driver, path, key: driverKey(config) });
    driver.start();
  }

  private async startHid(config: HidScannerSettings, path: string): Promise<void> {
    if (!this.deps.hid.available) return;
    await this.closing.get(config.id);
    if (this.isStopped() || this.current(config.id) !== config || this.running.has(config.id)) return;
    const driver = new HidScanner(
      { deviceId: config.id, path, mode: config.mode, layout: config.layout },
      this.deps.hid.hid,
      this.deps.now,
      this.report,
    );
    driver.onScan((scan) => this.route(config.id, driver, scan));
    driver.onInput((input) => this.relay(config.id, driver, input));
    driver.onError((message) => {
      if (!this.isCurrent(config.id, driver)) return;
      // The driver has closed the device; the next poll opens it again wherever it is listed.
      this.running.delete(config.id);
      this.setState(config.id, { present: true, state: 'reconnecting', detail: `read error on ${path}: ${message}` });
      this.deps.log(`scanner ${config.name}: read error on ${path}: ${message}`);
    });
    this.setState(config.id, { present: true, state: 'opening', detail: `on ${path}` });
    try {
      await driver.start();
    } catch (error) {
      const message = errorMessage(error);
      this.setState(config.id, { present: true, state: 'unavailable', detail: `cannot open ${path}: ${message}` });
      this.deps.log(`scanner ${config.name}: cannot open ${path}: ${message}`);
      return;
    }
    // Removed, changed or stopped while the device was opening: it is not wanted any more.
    if (this.isStopped() || this.current(config.id) !== config || this.running.has(config.id)) {
      await driver.stop();
      return;
    }
    this.running.set(config.id, { kind: 'hid', driver, path, key: driverKey(config) });
    this.setState(config.id, { present: true, state: 'open', detail: `on ${path}` });
  }

  /** Takes a driver out of service now (nothing it emits is routed any more) and closes it in the background. */
  private detach(id: string): void {
    const running = this.running.get(id);
    if (running === undefined) return;
    this.running.delete(id);
    const previous = this.closing.get(id) ?? Promise.resolve();
    const closed = previous
      .then(() => running.driver.stop())
      .catch((error: unknown) => this.deps.log(`scanner ${id}: closing failed: ${errorMessage(error)}`))
      .finally(() => {
        if (this.closing.get(id) === closed) this.closing.delete(id);
      });
    this.closing.set(id, closed);
  }

  private async stopDevice(id: string): Promise<void> {
    this.detach(id);
    await this.closing.get(id);
  }
}
