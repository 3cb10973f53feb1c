import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { StationHandlers } from '../core/dispatch';
import { createStationHandlers } from '../core/station-handlers';
import { SyncEngine } from '../core/sync/engine';
import { DeviceManager } from './scanners/device-manager';
import { loadHid } from './scanners/hid-scanner';
import { ScanningService } from './scanners/scanning-service';
import { serialPortInfo, type RawPortInfo } from './scanners/serial-scanner';
import { BackendLink } from '../core/backend-link';
import { SqliteScanCatalog } from './sync/sqlite-catalog';
import { SqliteQueueStore } from './sync/sqlite-queue-store';
import { SqliteStationViews } from './sync/sqlite-views';
import { systemClock } from './sync/system-clock';

export interface StationConfig {
  /** Folder for the station database (the app's user data folder). */
  dataDir: string;
  /** The launch default; a backend saved in Settings wins. */
  backend: { url: string; anonKey: string } | null;
  /** Signs in once when there is no stored session (STATION_EMAIL / STATION_PASSWORD). */
  credentials: { email: string; password: string } | null;
  log: (line: string) => void;
}

export interface StationServices {
  store: SqliteQueueStore;
  engine: SyncEngine;
  scanning: ScanningService;
  backend: BackendLink;
  views: SqliteStationViews;
  stop(): Promise<void>;
}

/**
 * The station's services in plain Node (Electron's main process or the browser host): the
 * SQLite queue, the supabase-js session and the sync engine.
 */
export async function createStationServices(config: StationConfig): Promise<StationServices> {
  const store = new SqliteQueueStore({ path: join(config.dataDir, 'station.sqlite'), newId: randomUUID });
  const backend = new BackendLink(store, {
    saved: store.settingNow('backend'),
    launchDefault: config.backend,
    defaultStationName: hostname(),
  });
  if (backend.url !== null && config.credentials !== null && (await backend.settings()).signedInAs === null) {
    await backend
      .signIn(config.credentials.email, config.credentials.password)
      .catch((error: unknown) =>
        config.log(`station ${error instanceof Error ? error.message : String(error)}; queued work is kept until it succeeds`),
      );
  }
  const engine = new SyncEngine({
    store,
    transport: backend.transport,
    clock: systemClock,
    random: Math.random,
    newId: randomUUID,
  });
  await engine.start();

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
    now: () => Date.now(),
    random: Math.random,
    pollMs: 2000,
    log: config.log,
  });
  const scanning = new ScanningService({
    store,
    engine,
    catalog: new SqliteScanCatalog(store),
    devices,
    now: () => Date.now(),
    log: config.log,
  });
  await scanning.start();
  return {
    store,
    engine,
    scanning,
    backend,
    views: new SqliteStationViews(store),
    stop: async () => {
      engine.stop();
      await scanning.stop();
      store.close();
    },
  };
}

/** StationApi over these services, for either host (the Electron window or the browser host). */
export function stationHandlersFor(
  services: StationServices,
  host: { appVersion: string; kind: 'electron' | 'browser'; recentLog?: (count: number) => string[] },
): StationHandlers {
  return createStationHandlers({
    ...(host.recentLog === undefined ? {} : { recentLog: host.recentLog }),
    appVersion: host.appVersion,
    host: host.kind,
    platform: `${process.platform}-${process.arch}`,
    startedAt: new Date(),
    now: () => new Date(),
    sync: services,
    scanning: services.scanning,
    backend: services.backend,
    views: services.views,
  });
}
