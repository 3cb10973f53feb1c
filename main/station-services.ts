import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { BackendLink } from '../core/backend-link';
import type { StationHandlers } from '../core/dispatch';
import { composeHost, type Host } from '../core/host';
import { CacheIndex } from '../core/store/cache-index';
import { CacheScanCatalog } from '../core/store/catalog';
import { CacheStationViews } from '../core/store/views';
import type { SyncEngine } from '../core/sync/engine';
import { DeviceManager } from './scanners/device-manager';
import { loadHid } from './scanners/hid-scanner';
import { ScanningService } from './scanners/scanning-service';
import { serialPortInfo, type RawPortInfo } from './scanners/serial-scanner';
import { SqliteQueueStore } from './sync/sqlite-queue-store';
import { systemClock } from './sync/system-clock';
import { errorMessage } from '../core/errors';

export interface StationConfig {
  /** Folder for the station database (the app's user data folder). */
  dataDir: string;
  /** The launch default; a backend saved in Settings wins. */
  backend: { url: string; anonKey: string } | null;
  /** Signs in once when there is no stored session (STATION_EMAIL / STATION_PASSWORD). */
  credentials: { email: string; password: string } | null;
  log: (line: string) => void;
  /** The sync engine's poll (default 15 s); live pokes pull at once either way. */
  pollMs?: number;
}

export interface StationServices {
  host: Host<SqliteQueueStore, ScanningService>;
  store: SqliteQueueStore;
  engine: SyncEngine;
  scanning: ScanningService;
  backend: BackendLink;
  stop(): Promise<void>;
}

/**
 * The station's services in plain Node (Electron's main process or the browser host): the host
 * (core/host.ts) over the SQLite store, supabase-js and the serial/HID device manager.
 */
export async function createStationServices(config: StationConfig): Promise<StationServices> {
  const store = new SqliteQueueStore({ path: join(config.dataDir, 'station.sqlite'), newId: randomUUID });
  const hid = await loadHid();
  if (!hid.available) config.log(hid.reason);
  const devices = new DeviceManager({
    hid,
    // Listing needs udevadm on Linux; when it fails the device manager lists no ports and looks
    // for USB-identified scanners at their saved path.
    listSerialPorts: async () => {
      // serialport's PortInfo type comes from a package TypeScript cannot see here; name its shape.
      const ports = (await SerialPort.list()) as RawPortInfo[];
      return ports.map((p) => serialPortInfo(p));
    },
    now: () => systemClock.now(),
    random: Math.random,
    pollMs: 2000,
    log: config.log,
  });
  const index = new CacheIndex(store);
  const host = composeHost({
    store,
    backend: { saved: store.settingNow('backend'), launchDefault: config.backend, defaultStationName: hostname() },
    clock: systemClock,
    random: Math.random,
    newId: randomUUID,
    log: config.log,
    ...(config.pollMs === undefined ? {} : { pollMs: config.pollMs }),
    catalog: new CacheScanCatalog(index),
    index,
    views: new CacheStationViews(index, store),
    scanning: (pipeline) => new ScanningService({ store, pipeline, devices, now: () => systemClock.now(), log: config.log }),
  });
  if (host.backend.url !== null && config.credentials !== null && (await host.backend.settings()).signedInAs === null) {
    await host.backend
      .signIn(config.credentials.email, config.credentials.password)
      .catch((error: unknown) => config.log(`station ${errorMessage(error)}; queued work is kept until it succeeds`));
  }
  await host.start();
  return { host, store, engine: host.engine, scanning: host.scanning, backend: host.backend, stop: () => host.stop() };
}

/** StationApi over these services, for either host (the Electron window or the browser host). */
export function stationHandlersFor(
  services: StationServices,
  host: { appVersion: string; kind: 'electron' | 'browser'; recentLog?: (count: number) => string[] },
): StationHandlers {
  return services.host.handlers({
    ...(host.recentLog === undefined ? {} : { recentLog: host.recentLog }),
    appVersion: host.appVersion,
    host: host.kind,
    platform: `${process.platform}-${process.arch}`,
  });
}
