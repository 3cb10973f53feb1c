import { BackendLink, type BackendConfig } from '../../../core/backend-link';
import { coalesceCacheChanges, isCachedTable } from '../../../core/cache-topics';
import { createDispatcher } from '../../../core/dispatch';
import { unwrap } from '../../../core/result';
import { ScanPipeline } from '../../../core/scan/pipeline';
import type { Feedback } from '../../../core/scan/workflow';
import { createStationHandlers, type StationScanning } from '../../../core/station-handlers';
import {
  stationEventsVia,
  stationMethodsVia,
  type StationApi,
  type StationEventName,
  type StationEventValues,
} from '../../../core/station-api';
import { SyncEngine, type Clock } from '../../../core/sync/engine';
import { IdbScanCatalog } from './idb-catalog';
import { IdbQueueStore } from './idb-queue-store';
import { IdbStationViews } from './idb-views';

export const STORE_NAME = 'gigmanager-crew';
/** One Web Lock for every context that drains this store: tabs and the service worker. */
export const SYNC_LOCK = 'gigmanager-sync';
/** The service worker tells open pages that it changed the caches. */
export const CHANNEL = 'gigmanager-crew';

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function exclusive<T>(work: () => Promise<T>): Promise<T> {
  return navigator.locks.request(SYNC_LOCK, work);
}

/** The crew phone has no serial or HID scanners: scans come from the camera or a keyboard wedge. */
class PwaScanning implements StationScanning {
  readonly pipeline: ScanPipeline;

  constructor(catalog: IdbScanCatalog, engine: SyncEngine) {
    this.pipeline = new ScanPipeline({ catalog, enqueue: (op) => engine.enqueue(op), duplicateWindowMs: 1500 });
  }

  list(): [] {
    return [];
  }

  configs(): Promise<[]> {
    return Promise.resolve([]);
  }

  discover(): Promise<{ serial: []; hid: []; hidUnavailable: string }> {
    return Promise.resolve({
      serial: [],
      hid: [],
      hidUnavailable: 'a phone has no serial or USB scanners: use the camera or a Bluetooth scanner in keyboard mode',
    });
  }

  save(): Promise<never> {
    return Promise.reject(new Error('scanner settings belong to a station; on a phone, pair a Bluetooth scanner in keyboard mode'));
  }

  submit(input: { code: string; deviceId: string }): Promise<Feedback> {
    return this.pipeline.process({ deviceId: input.deviceId, code: input.code, receivedAt: Date.now() }, 'any');
  }

  /** A phone has no Scanners screen: its scans are never test scans. */
  setTest(): { testing: false } {
    return { testing: false };
  }

  state(): ReturnType<ScanPipeline['state']> {
    return this.pipeline.state();
  }
}

export interface PwaStation {
  api: StationApi;
  store: IdbQueueStore;
  backend: BackendLink;
  engine: SyncEngine;
  stop(): void;
}

/**
 * The crew PWA's StationApi, in the page: the same handlers the station runs, over IndexedDB, the
 * core sync engine (draining under a Web Lock shared with the service worker) and supabase-js.
 */
export async function createPwaStation(options: { launchDefault: BackendConfig | null; appVersion: string }): Promise<PwaStation> {
  const store = await IdbQueueStore.open(STORE_NAME, { newId: () => crypto.randomUUID() });
  const backend = new BackendLink(store, {
    saved: await store.settings.backend.get(),
    launchDefault: options.launchDefault,
    defaultStationName: 'Crew phone',
  });
  const engine = new SyncEngine({
    store,
    transport: backend.transport,
    clock: browserClock,
    random: Math.random,
    newId: () => crypto.randomUUID(),
    exclusive,
  });
  const catalog = new IdbScanCatalog(store);
  const scanning = new PwaScanning(catalog, engine);
  const handlers = createStationHandlers({
    appVersion: options.appVersion,
    host: 'pwa',
    platform: navigator.userAgent,
    startedAt: new Date(),
    now: () => new Date(),
    sync: { engine, store },
    scanning,
    backend,
    views: new IdbStationViews(store, catalog),
  });
  const dispatch = createDispatcher(handlers);

  const listeners = new Map<StationEventName, Set<(value: never) => void>>();
  const emit = <E extends StationEventName>(event: E, value: StationEventValues[E]): void => {
    for (const listener of listeners.get(event) ?? []) (listener as (v: StationEventValues[E]) => void)(value);
  };
  const changes = coalesceCacheChanges((change) => emit('cacheChanged', change), 150, browserClock);
  const offs = [
    engine.subscribe((status) => emit('syncStatus', status)),
    scanning.pipeline.onScan((scan) => emit('scan', scan)),
    scanning.pipeline.onFeedback((feedback) => emit('scanFeedback', feedback)),
    store.onCacheChange((keys) => changes.add([...keys].map((key) => key.slice(0, key.indexOf(':'))).filter(isCachedTable))),
    () => changes.stop(),
  ];
  // The service worker drained or pulled: this page's lists and status catch up.
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = () => {
    emit('cacheChanged', { topics: ['gigs', 'assets', 'other'] });
    void engine.status().then((status) => emit('syncStatus', status));
  };

  const api: StationApi = {
    ...stationMethodsVia(async (method, ...args) => unwrap(await dispatch({ method, args, trustedSender: true }))),
    ...stationEventsVia((event, listener) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    }),
  };
  await engine.start();
  return {
    api,
    store,
    backend,
    engine,
    stop: () => {
      engine.stop();
      channel.close();
      offs.forEach((off) => off());
      store.close();
    },
  };
}
