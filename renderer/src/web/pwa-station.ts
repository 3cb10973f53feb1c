import { z } from 'zod';
import type { BackendConfig, BackendLink, SessionChange } from '../../../core/backend-link';
import { createDispatcher } from '../../../core/dispatch';
import { composeHost, type HostScanning } from '../../../core/host';
import { EventObservers, type Listener } from '../../../core/observers';
import { unwrap } from '../../../core/result';
import type { ScanPipeline } from '../../../core/scan/pipeline';
import type { Feedback } from '../../../core/scan/workflow';
import { stationEventsVia, stationMethodsVia, type StationApi, type StationEventValues } from '../../../core/station-api';
import { CacheIndex } from '../../../core/store/cache-index';
import { CacheScanCatalog } from '../../../core/store/catalog';
import { CacheStationViews } from '../../../core/store/views';
import type { Clock, SyncEngine } from '../../../core/sync/engine';
import { IdbQueueStore } from './idb-queue-store';
import { errorMessage, StationError } from '../../../core/errors';

export const STORE_NAME = 'gigmanager-crew';
/** One Web Lock for every context that drains this store: tabs and the service worker. */
export const SYNC_LOCK = 'gigmanager-sync';
/** The service worker tells open pages that it changed the caches. */
export const CHANNEL = 'gigmanager-crew';
/**
 * The index's tables that a large change dropped (a pull page, a drained batch, another context's
 * drain) are read whole again once the caches have been quiet this long, while the page is idle:
 * otherwise the next scan read them (3,000 assets: 100+ ms at a phone's CPU speed).
 */
const WARM_AFTER_MS = 1000;
/** Other tabs hear of this page's changes within this long. */
const TELL_OTHERS_MS = 250;
/**
 * The page's screens hear the sync status at most this often while it changes op by op (a burst
 * of scans, a drain): each status re-renders the top bar's "queued" count, and on a phone's CPU
 * the frame that follows cost as much as the scan itself. The first status of a burst and the
 * last are always told.
 */
const STATUS_TO_SCREENS_MS = 250;

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function exclusive<T>(work: () => Promise<T>): Promise<T> {
  return navigator.locks.request(SYNC_LOCK, work);
}

/** The crew phone has no serial or HID scanners (devices: none): scans come from the camera or a keyboard wedge. */
class PhoneScanning implements HostScanning {
  constructor(private readonly pipeline: ScanPipeline) {}

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
    return Promise.reject(
      new StationError('unsupported', 'scanner settings belong to a station; on a phone, pair a Bluetooth scanner in keyboard mode'),
    );
  }

  submit(input: { code: string; deviceId: string; note?: string | undefined }): Promise<Feedback> {
    const scan = { deviceId: input.deviceId, code: input.code, receivedAt: browserClock.now() };
    return this.pipeline.process(scan, 'any', input.note === undefined ? {} : { note: input.note });
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
  /** Sign-in, sign-out and backend switches (the push service follows them). */
  onSessionChange(listener: Listener<SessionChange>): () => void;
  stop(): void;
}

/**
 * What a context (a tab, the service worker) tells the others over CHANNEL once it changed the
 * store: the cached rows it changed ("assets:<id>"), none when only the queue did. The others
 * re-read just those rows: forgetting every table instead, on each message, made the next scan
 * rebuild the whole catalog (3,000 assets: 100+ ms on a phone's CPU) after every drain the
 * service worker tried, even one that sent nothing.
 */
const storeChangedSchema = z.object({ changed: z.array(z.string()) });
export type StoreChanged = z.infer<typeof storeChangedSchema>;

export function storeChanged(keys: Iterable<string>): StoreChanged {
  return { changed: [...keys] };
}

/** The row keys a message names; null for one that does not say (an older worker's 'changed'): then every table is read again. */
function changedKeys(message: unknown): Set<string> | null {
  const parsed = storeChangedSchema.safeParse(message);
  return parsed.success ? new Set(parsed.data.changed) : null;
}

/** `tell` passes a value on at once, then at most once per `ms` while values keep coming; the last one is always passed on. */
export function spaced<T>(ms: number, pass: (value: T) => void): { tell(value: T): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let waiting: { value: T } | null = null;
  const open = (): void => {
    timer = setTimeout(() => {
      timer = null;
      if (waiting === null) return;
      const { value } = waiting;
      waiting = null;
      pass(value);
      open();
    }, ms);
  };
  return {
    tell: (value) => {
      if (timer !== null) {
        waiting = { value };
        return;
      }
      pass(value);
      open();
    },
    stop: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      waiting = null;
    },
  };
}

/**
 * `poke` says something changed; `work` runs once nothing has for `ms`, when the page is next idle
 * (one timer however often it is poked, not one per change).
 */
export function whenQuiet(ms: number, now: () => number, work: () => void): { poke(): void; stop(): void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let idle: number | null = null;
  const check = (): void => {
    const left = last + ms - now();
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    timer = null;
    if (typeof requestIdleCallback === 'function') {
      idle = requestIdleCallback(() => {
        idle = null;
        work();
      });
    } else work();
  };
  return {
    poke: () => {
      last = now();
      timer ??= setTimeout(check, ms);
    },
    stop: () => {
      if (timer !== null) clearTimeout(timer);
      if (idle !== null) cancelIdleCallback(idle);
      timer = null;
      idle = null;
    },
  };
}

/** The page logs where developers look: its console. */
const log = (line: string): void => console.warn(line);

/**
 * The crew PWA's StationApi, in the page: the host (core/host.ts) over IndexedDB, supabase-js and
 * no devices, its engine draining under a Web Lock shared with the service worker.
 */
export async function createPwaStation(options: { launchDefault: BackendConfig | null; appVersion: string }): Promise<PwaStation> {
  const store = await IdbQueueStore.open(STORE_NAME, { newId: () => crypto.randomUUID() });
  const index = new CacheIndex(store);
  const host = composeHost({
    store,
    backend: { saved: await store.settings.backend.get(), launchDefault: options.launchDefault, defaultStationName: 'Crew phone' },
    clock: browserClock,
    random: Math.random,
    newId: () => crypto.randomUUID(),
    exclusive,
    log,
    catalog: new CacheScanCatalog(index),
    index,
    views: new CacheStationViews(index, store),
    scanning: (pipeline) => new PhoneScanning(pipeline),
  });
  const dispatch = createDispatcher(host.handlers({ appVersion: options.appVersion, host: 'pwa', platform: navigator.userAgent }));

  const events = new EventObservers<StationEventValues>((error) => log(`a screen's event listener failed: ${errorMessage(error)}`));
  const statuses = spaced<StationEventValues['syncStatus']>(STATUS_TO_SCREENS_MS, (status) => events.emit('syncStatus', status));
  const unsubscribe = host.subscribe((event, value) => {
    if (event === 'syncStatus') statuses.tell(value as StationEventValues['syncStatus']);
    else events.emit(event, value);
  });
  // The service worker drained or pulled, or another tab wrote: this page's index reads the rows
  // they changed again, its lists and status catch up. This page's own changes reach the index as
  // events; other tabs hear of them here (a channel does not deliver to its sender).
  const channel = new BroadcastChannel(CHANNEL);
  // One message per burst (a scan a second, a drain's batches), not one per transaction: each
  // message makes every other tab read those rows again.
  const warm = whenQuiet(
    WARM_AFTER_MS,
    () => browserClock.now(),
    () => {
      index.warm().catch((error: unknown) => log(`the cache index was not read: ${errorMessage(error)}`));
    },
  );
  let telling: ReturnType<typeof setTimeout> | null = null;
  let told = new Set<string>();
  const offChanges = store.onCacheChange((change) => {
    warm.poke();
    for (const key of change) told.add(key);
    telling ??= setTimeout(() => {
      telling = null;
      channel.postMessage(storeChanged(told));
      told = new Set();
    }, TELL_OTHERS_MS);
  });
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const keys = changedKeys(event.data);
    if (keys === null) index.invalidate();
    else index.reread(keys);
    warm.poke();
    if (keys === null || keys.size > 0) events.emit('cacheChanged', { topics: ['gigs', 'assets', 'other'] });
    // Through the engine, so that what it counts on from after the next scan is this status.
    host.engine.refreshStatus().catch((error: unknown) => log(`sync status not read: ${errorMessage(error)}`));
  };

  const api: StationApi = {
    ...stationMethodsVia(async (method, ...args) => unwrap(await dispatch({ method, args, trustedSender: true }))),
    ...stationEventsVia((event, listener) => events.on(event, listener)),
  };
  await host.start();
  warm.poke();
  return {
    api,
    store,
    backend: host.backend,
    engine: host.engine,
    onSessionChange: (listener) => host.onSessionChange(listener),
    stop: () => {
      offChanges();
      statuses.stop();
      warm.stop();
      if (telling !== null) clearTimeout(telling);
      channel.close();
      index.close();
      unsubscribe();
      void host.stop();
    },
  };
}
