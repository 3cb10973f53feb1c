import { z } from 'zod';
import type { HostScanning } from '../../core/host';
import type { ScanPipeline } from '../../core/scan/pipeline';
import type { Feedback, SessionState } from '../../core/scan/workflow';
import { scannerConfigSchema, type ScannerConfig, type ScannerStatus } from '../../core/scanner/config';
import type { DeviceInput, ScanEvent } from '../../core/scanner/types';
import type { QueueStore } from '../../core/sync/queue-store';
import type { DeviceManager } from './device-manager';
import { StationError } from '../../core/errors';

const storedConfigs = z.array(scannerConfigSchema);

/**
 * Scanners → workflow → feedback, for one station: the device manager's scans (with each
 * device's role) and scans the renderer detects (keyboard wedge) go through the host's one
 * ScanPipeline (core/host.ts). Scanner settings live in the station database.
 */
export class ScanningService implements HostScanning {
  private readonly pipeline: ScanPipeline;
  /** Until when scans are test scans (the Scanners screen renews this lease while it is open). */
  private testUntil = -Infinity;

  constructor(
    private readonly deps: {
      store: QueueStore;
      pipeline: ScanPipeline;
      devices: DeviceManager;
      now: () => number;
      log: (line: string) => void;
    },
  ) {
    this.pipeline = deps.pipeline;
    deps.devices.onScan((scan) => void (this.testing() ? this.pipeline.test(scan) : this.pipeline.process(scan, scan.role)));
  }

  async start(): Promise<void> {
    this.deps.devices.configure(await this.configs());
    this.deps.devices.start();
  }

  /** The saved settings; unreadable ones are logged and treated as none. */
  async configs(): Promise<ScannerConfig[]> {
    const raw = await this.deps.store.settings.scanners.get();
    if (raw === null) return [];
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    const parsed = storedConfigs.safeParse(value);
    if (parsed.success) return parsed.data;
    this.deps.log(`ignoring unreadable scanner settings: ${parsed.error.message}`);
    return [];
  }

  stop(): Promise<void> {
    return this.deps.devices.stop();
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    return this.pipeline.onScan(listener);
  }

  onFeedback(listener: (feedback: Feedback) => void): () => void {
    return this.pipeline.onFeedback(listener);
  }

  list(): ScannerStatus[] {
    return this.deps.devices.list();
  }

  discover(): ReturnType<DeviceManager['discover']> {
    return this.deps.devices.discover();
  }

  async save(configs: ScannerConfig[]): Promise<ScannerStatus[]> {
    const ids = new Set<string>();
    for (const config of configs) {
      if (ids.has(config.id)) throw new StationError('invalid_arguments', `two scanners share the id "${config.id}"`);
      ids.add(config.id);
    }
    await this.deps.store.settings.scanners.set(JSON.stringify(configs));
    this.deps.devices.configure(configs);
    await this.deps.devices.poll();
    return this.deps.devices.list();
  }

  submit(input: { code: string; deviceId: string; note?: string | undefined }): Promise<Feedback> {
    const scan = { deviceId: input.deviceId, code: input.code, receivedAt: this.deps.now() };
    return this.testing()
      ? this.pipeline.test(scan)
      : this.pipeline.process(scan, 'any', input.note === undefined ? {} : { note: input.note });
  }

  setTest(seconds: number): { testing: boolean } {
    this.testUntil = seconds === 0 ? -Infinity : this.deps.now() + seconds * 1000;
    return { testing: this.testing() };
  }

  private testing(): boolean {
    return this.deps.now() < this.testUntil;
  }

  onInput(listener: (input: DeviceInput) => void): () => void {
    return this.deps.devices.onInput(listener);
  }

  state(): Promise<SessionState> {
    return this.pipeline.state();
  }
}
