import { z } from 'zod';
import type { ScanCatalog } from '../../core/scan/catalog';
import type { StationScanning } from '../../core/station-handlers';
import { ScanSession, type Feedback, type SessionState } from '../../core/scan/workflow';
import { scannerConfigSchema, type ScannerConfig, type ScannerStatus } from '../../core/scanner/config';
import type { ScanEvent } from '../../core/scanner/types';
import type { SyncEngine } from '../../core/sync/engine';
import type { QueueStore } from '../../core/sync/queue-store';
import type { DeviceManager } from './device-manager';

const storedConfigs = z.array(scannerConfigSchema);

/**
 * Scanners → workflow → feedback, for one station: the device manager's scans (with each
 * device's role) and scans the renderer detects (keyboard wedge) go through one ScanSession; raw
 * scans and feedback are published for the UI. Scanner settings live in the station database.
 */
export class ScanningService implements StationScanning {
  readonly session: ScanSession;
  private readonly scanListeners = new Set<(scan: ScanEvent) => void>();
  private readonly feedbackListeners = new Set<(feedback: Feedback) => void>();
  // One scan at a time, in arrival order: feedback must match the order operators scanned in.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: QueueStore;
      engine: SyncEngine;
      catalog: ScanCatalog;
      devices: DeviceManager;
      now: () => number;
      log: (line: string) => void;
      duplicateWindowMs?: number;
    },
  ) {
    this.session = new ScanSession({ catalog: deps.catalog, enqueue: (op) => deps.engine.enqueue(op), duplicateWindowMs: deps.duplicateWindowMs ?? 1500 });
    deps.devices.onScan((scan) => void this.process(scan, scan.role));
  }

  async start(): Promise<void> {
    this.deps.devices.configure(await this.configs());
    this.deps.devices.start();
  }

  /** The saved settings; unreadable ones are logged and treated as none. */
  async configs(): Promise<ScannerConfig[]> {
    const raw = await this.deps.store.getMeta('scanners');
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
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  onFeedback(listener: (feedback: Feedback) => void): () => void {
    this.feedbackListeners.add(listener);
    return () => this.feedbackListeners.delete(listener);
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
      if (ids.has(config.id)) throw new Error(`two scanners share the id "${config.id}"`);
      ids.add(config.id);
    }
    await this.deps.store.setMeta('scanners', JSON.stringify(configs));
    this.deps.devices.configure(configs);
    await this.deps.devices.poll();
    return this.deps.devices.list();
  }

  submit(input: { code: string; deviceId: string }): Promise<Feedback> {
    return this.process({ deviceId: input.deviceId, code: input.code, receivedAt: this.deps.now() }, 'any');
  }

  state(): Promise<SessionState> {
    return this.session.state();
  }

  private process(scan: ScanEvent, role: 'out' | 'in' | 'any'): Promise<Feedback> {
    const result = this.queue.then(async () => {
      for (const listener of this.scanListeners) listener(scan);
      const feedback = await this.session.handle(scan, role);
      for (const listener of this.feedbackListeners) listener(feedback);
      return feedback;
    });
    this.queue = result.catch((error: unknown) => this.deps.log(`scan failed: ${error instanceof Error ? error.message : String(error)}`));
    return result;
  }
}
