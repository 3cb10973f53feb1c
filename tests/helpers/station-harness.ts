import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createDispatcher, type StationHandlers } from '../../core/dispatch';
import { seededRandom } from '../../core/random';
import { composeHost } from '../../core/host';
import { CacheIndex } from '../../core/store/cache-index';
import { CacheScanCatalog } from '../../core/store/catalog';
import { CacheStationViews } from '../../core/store/views';
import type { SyncEngine } from '../../core/sync/engine';
import type { SyncTransport } from '../../core/sync/transport';
import type { BackendLink, BackendConfig } from '../../core/backend-link';
import { DeviceManager } from '../../main/scanners/device-manager';
import { ScanningService } from '../../main/scanners/scanning-service';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { FakeClock } from './fake-clock';

export interface StationHarness {
  store: SqliteQueueStore;
  engine: SyncEngine;
  scanning: ScanningService;
  backend: BackendLink;
  views: CacheStationViews;
  handlers: StationHandlers;
  dispatch: ReturnType<typeof createDispatcher>;
  stop(): Promise<void>;
}

/**
 * The station's main-process services in a test, on a real SQLite file, with an injected clock and
 * transport (no backend unless one is given): what createStationServices builds, minus devices.
 */
export function stationHarness(options: {
  dir: string;
  name?: string;
  transport?: SyncTransport;
  backend?: BackendConfig | null;
  now?: Date;
  listSerialPorts?: () => Promise<{ path: string; manufacturer?: string }[]>;
  recentLog?: (count: number) => string[];
}): StationHarness {
  const now = options.now ?? new Date('2026-11-25T09:00:00Z');
  const store = new SqliteQueueStore({ path: join(options.dir, `${options.name ?? randomUUID()}.sqlite`), newId: randomUUID });
  const devices = new DeviceManager({
    hid: { available: false, reason: 'no HID here' },
    listSerialPorts: options.listSerialPorts ?? (() => Promise.resolve([])),
    now: () => now.getTime(),
    random: seededRandom(5),
    pollMs: 60_000,
    log: () => undefined,
  });
  const index = new CacheIndex(store);
  const views = new CacheStationViews(index, store);
  // The station's own composition (core/host.ts); the clock is never advanced, so `now` stands still.
  const host = composeHost({
    store,
    backend: {
      saved: store.settingNow('backend'),
      launchDefault: options.backend ?? null,
      defaultStationName: 'test-station',
      autoRefreshToken: false,
    },
    ...(options.transport === undefined ? {} : { transport: options.transport }),
    clock: new FakeClock(now.getTime()),
    random: seededRandom(3),
    newId: randomUUID,
    log: () => undefined,
    catalog: new CacheScanCatalog(index),
    index,
    views,
    scanning: (pipeline) => new ScanningService({ store, pipeline, devices, now: () => now.getTime(), log: () => undefined }),
  });
  const { engine, scanning, backend } = host;
  const handlers = host.handlers({
    ...(options.recentLog === undefined ? {} : { recentLog: options.recentLog }),
    appVersion: '0.1.0',
    host: 'browser',
    platform: `${process.platform}-${process.arch}`,
  });
  return {
    store,
    engine,
    scanning,
    backend,
    views,
    handlers,
    dispatch: createDispatcher(handlers),
    stop: () => host.stop(),
  };
}
