import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createClient, type SupportedStorage } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { SerialPort } from 'serialport';
import { SyncEngine } from '../core/sync/engine';
import { DeviceManager } from './scanners/device-manager';
import { loadHid } from './scanners/hid-scanner';
import { ScanningService } from './scanners/scanning-service';
import { SqliteScanCatalog } from './sync/sqlite-catalog';
import { supabaseTransport } from '../core/sync/supabase-transport';
import { SqliteQueueStore } from './sync/sqlite-queue-store';
import { systemClock } from './sync/system-clock';

export interface StationConfig {
  /** Folder for the station database (the app's user data folder). */
  dataDir: string;
  backend: { url: string; anonKey: string } | null;
  /** Signs in once when there is no stored session (STATION_EMAIL / STATION_PASSWORD). */
  credentials: { email: string; password: string } | null;
  log: (line: string) => void;
}

export interface StationServices {
  store: SqliteQueueStore;
  engine: SyncEngine;
  scanning: ScanningService;
  stop(): Promise<void>;
}

/** supabase-js keeps its session in the station database, so a restart stays signed in. */
function sessionStorage(store: SqliteQueueStore): SupportedStorage {
  return {
    getItem: (key: string) => store.getMeta(`auth:${key}`),
    setItem: (key: string, value: string) => store.setMeta(`auth:${key}`, value),
    removeItem: (key: string) => store.deleteMeta(`auth:${key}`),
  };
}

/**
 * The station's services in plain Node (Electron's main process or the browser host): the
 * SQLite queue, the supabase-js session and the sync engine.
 */
export async function createStationServices(config: StationConfig): Promise<StationServices> {
  const store = new SqliteQueueStore({ path: join(config.dataDir, 'station.sqlite'), newId: randomUUID });
  const backend = config.backend ?? { url: 'http://127.0.0.1:54321', anonKey: 'not-configured' };
  const client = createClient(backend.url, backend.anonKey, {
    auth: { storage: sessionStorage(store), persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  if (config.backend !== null && config.credentials !== null) {
    const { data } = await client.auth.getSession();
    if (data.session === null) {
      const { error } = await client.auth.signInWithPassword(config.credentials);
      if (error !== null) config.log(`station sign-in failed: ${error.message}; queued work is kept until it succeeds`);
    }
  }
  const engine = new SyncEngine({
    store,
    transport: supabaseTransport(client, { timeoutMs: 15_000 }),
    clock: systemClock,
    random: Math.random,
    newId: randomUUID,
  });
  if (config.backend !== null) await engine.start();

  const hid = await loadHid();
  if (!hid.available) config.log(hid.reason);
  const devices = new DeviceManager({
    hid,
    // Listing needs udevadm on Linux; a station without it simply lists no ports.
    listSerialPorts: async () => {
      // serialport's PortInfo type comes from a package TypeScript cannot see here; name its shape.
      const ports = (await SerialPort.list().catch(() => [])) as { path: string; manufacturer?: string | undefined }[];
      return ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer }));
    },
    now: () => Date.now(),
    random: Math.random,
    pollMs: 2000,
    log: config.log,
  });
  const scanning = new ScanningService({ store, engine, catalog: new SqliteScanCatalog(store), devices, now: () => Date.now(), log: config.log });
  await scanning.start();
  return {
    store,
    engine,
    scanning,
    stop: async () => {
      engine.stop();
      await scanning.stop();
      store.close();
    },
  };
}
