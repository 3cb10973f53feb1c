/**
 * The host, composed once. The station (Electron's main process or the browser host), the crew
 * PWA's page and its service worker each pass in their platform parts — store, catalog, views,
 * clock, ids, scanning with devices or none — and get the same engine, backend link, scan
 * pipeline, StationApi handlers and event fan-out. Nothing here knows which platform it runs on.
 */
import { BackendLink, type BackendLinkOptions, type BackendStore, type SessionChange } from './backend-link';
import { coalesceCacheChanges, type CoalescingTimer } from './cache-topics';
import type { StationHandlers } from './dispatch';
import type { Listener } from './observers';
import type { Random } from './random';
import type { ScanCatalog } from './scan/catalog';
import { ScanPipeline } from './scan/pipeline';
import { StockTakes } from './audit/stock-take';
import { LabelSources } from './labels/sources';
import { claimCode, editPlace } from './places/places';
import type { NewOp } from './sync/model';
import type { CacheIndex } from './store/cache-index';
import { createPlanning } from './planning/planning';
import type { Feedback } from './scan/workflow';
import type { DeviceInput, ScanEvent } from './scanner/types';
import type { StationEventName, StationEventValues } from './station-api';
import { createStationHandlers, type StationHandlerContext, type StationScanning, type StationViews } from './station-handlers';
import { SyncEngine, type Clock, type OpRefusal, type SyncStatus } from './sync/engine';
import { changedTables, type Queue } from './store/queue';
import type { QueueStore } from './sync/queue-store';
import type { SyncTransport } from './sync/transport';
import { errorMessage } from './errors';
import { onlyMembership, opAllowed, scansAsThemselves } from './sync/roles';
import { WHOLE_ORGANIZATION } from './sync/scope';

/** Where cache changes come from: the store's entity keys of changed rows (core/store/queue.ts). */
export type CacheChangeSource = Pick<Queue, 'onCacheChange'>;

/** A store a host runs on: the queue with its cache changes, the backend link's settings and session, and a close. */
export type HostStore = QueueStore & BackendStore & CacheChangeSource & { close(): void };

export type EmitStationEvent = <E extends StationEventName>(event: E, value: StationEventValues[E]) => void;

/** What the sync core needs from its platform. */
export interface SyncParts<S extends HostStore> {
  store: S;
  /** Which backend (saved setting, launch default) and how the session refreshes. */
  backend: BackendLinkOptions;
  /** A test's stand-in for the server; by default the backend link's transport. */
  transport?: SyncTransport;
  clock: Clock;
  random: Random;
  newId: () => string;
  /** Drains under a lock shared with other engines on the same store (the PWA's tabs and worker). */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /** The engine's poll (default 15 s; a test turns it off to see pokes alone at work). */
  pollMs?: number;
  /** Where failures nobody awaits are reported (a listener that threw, a scan that failed). */
  log: (line: string) => void;
}

export interface SyncHost<S extends HostStore> {
  store: S;
  backend: BackendLink;
  engine: SyncEngine;
}

/**
 * The sync core alone: store, backend link and engine (not started). The service worker needs no
 * more; `composeHost` builds on it.
 */
export function composeSync<S extends HostStore>(parts: SyncParts<S>): SyncHost<S> {
  const backend = new BackendLink(parts.store, { now: () => parts.clock.now(), ...parts.backend });
  const engine = new SyncEngine({
    store: parts.store,
    transport: parts.transport ?? backend.transport,
    clock: parts.clock,
    random: parts.random,
    newId: parts.newId,
    ...(parts.exclusive === undefined ? {} : { exclusive: parts.exclusive }),
    ...(parts.pollMs === undefined ? {} : { pollMs: parts.pollMs }),
    scope: async () => (await parts.store.settings.syncScope.get()) ?? WHOLE_ORGANIZATION,
    onListenerError: (error) => parts.log(`a sync status listener failed: ${errorMessage(error)}`),
  });
  // The old backend's pulls in flight end before its copy is dropped, and what the engine learned
  // about that server (what it lacks, when it last checked) goes with it.
  backend.changes.add(async (change) => {
    if (change.kind === 'switching-backend') await engine.forNewBackend();
  });
  // Once the host listens (backend.listen): a poke pulls now; whether pokes arrive sets the poll.
  backend.live.add((event) => (event.kind === 'poke' ? engine.poke() : engine.setLive(event.live)));
  return { store: parts.store, backend, engine };
}

/** A platform's scanning over the host's pipeline: the station's devices, or none on a phone. */
export interface HostScanning extends StationScanning {
  /** Raw input from devices, for the Scanners screen (hosts without devices have none). */
  onInput?(listener: (input: DeviceInput) => void): () => void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface HostParts<S extends HostStore, C extends HostScanning> extends SyncParts<S> {
  catalog: ScanCatalog;
  /** The cached rows a stock-take judges scans from (the catalog's and views' index). */
  index: Pick<CacheIndex, 'table'>;
  views: StationViews;
  /** The platform's scanning, given the host's pipeline. */
  scanning: (pipeline: ScanPipeline) => C;
}

/** The same code again within this window is a warning, not a second op (a scanner's double read). */
const DUPLICATE_WINDOW_MS = 1500;

/** Who is answering StationApi: shown in Diagnostics and getInfo. */
export interface HostApp {
  appVersion: string;
  host: StationHandlerContext['host'];
  platform: string;
  /** The host's recent log lines (the station's rotating log; none in the PWA). */
  recentLog?: (count: number) => string[];
}

export interface Host<S extends HostStore, C extends HostScanning> extends SyncHost<S> {
  pipeline: ScanPipeline;
  scanning: C;
  views: StationViews;
  /** StationApi's handlers over this host's services. */
  handlers(app: HostApp): StationHandlers;
  /** Every StationApi event, fanned out to `emit` (one IPC channel, one socket, the page's listeners). */
  subscribe(emit: EmitStationEvent, coalesceMs?: number): () => void;
  /** Sign-in, sign-out and backend switches, for services that follow the session. */
  onSessionChange(listener: Listener<SessionChange>): () => void;
  /** Recovers in-flight ops and starts syncing, then the devices. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function composeHost<S extends HostStore, C extends HostScanning>(parts: HostParts<S, C>): Host<S, C> {
  const sync = composeSync(parts);
  const { engine, backend, store } = sync;
  // The signed-in member's email as last known (offline too): with no badge scanned, ops name
  // that member's staff profile. Read once per session (again while none is known).
  let email: Promise<string | null> | null = null;
  backend.changes.add(() => {
    email = null;
  });
  const signedInEmail = (): Promise<string | null> => {
    const known = (email ??= store.settings.memberRoles.get().then(
      (roles) => roles?.email ?? null,
      () => null,
    ));
    void known.then((value) => {
      if (value === null && email === known) email = null;
    });
    return known;
  };
  const planning = createPlanning({
    tables: () => parts.views.planTables(),
    store,
    backend,
    engine,
    newId: parts.newId,
    now: () => parts.clock.now(),
  });
  /** The signed-in person's one membership, as last known (offline too). */
  const member = async () => onlyMembership(await backend.knownRoles(), (await backend.settings()).signedInAs);
  const wholeCopy = async (): Promise<boolean> => ((await store.settings.syncScope.get()) ?? WHOLE_ORGANIZATION).kind === 'org';
  const placeDeps = { index: parts.index, enqueue: (op: NewOp) => engine.enqueue(op), newId: parts.newId, member, wholeCopy };
  const stockTakes = new StockTakes({
    index: parts.index,
    enqueue: (op) => engine.enqueue(op),
    saved: store.settings.stockTake,
    newId: parts.newId,
    now: () => parts.clock.now(),
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
    wholeCopy,
    member,
  });
  const pipeline = new ScanPipeline(
    {
      catalog: parts.catalog,
      enqueue: (op) => engine.enqueue(op),
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
      remember: store.settings.scanSession,
      signedInEmail,
      scansAsThemselves: () => store.settings.memberRoles.get().then(scansAsThemselves, () => false),
      stationWarehouse: () => store.settings.stationWarehouse.get(),
    },
    (error) => parts.log(`scan failed: ${errorMessage(error)}`),
    { add: (edit) => planning.editPlan(edit), now: () => parts.clock.now() },
    { scan: (scan, quantity) => stockTakes.scan(scan, quantity), claim: (input, scan) => stockTakes.claim(input, scan) },
  );
  const scanning = parts.scanning(pipeline);
  const startedAt = new Date(parts.clock.now());
  return {
    ...sync,
    pipeline,
    scanning,
    views: parts.views,
    handlers: (app) =>
      createStationHandlers({
        ...(app.recentLog === undefined ? {} : { recentLog: app.recentLog }),
        appVersion: app.appVersion,
        host: app.host,
        platform: app.platform,
        startedAt,
        now: () => new Date(parts.clock.now()),
        planning,
        planScan: (gigId, seconds) => pipeline.planFor(gigId, seconds),
        stockTakes,
        auditScan: (seconds) => pipeline.auditFor(seconds),
        stockTakeTurns: pipeline,
        labels: new LabelSources(parts.index, store.settings.printedSheets),
        rights: async () => {
          const role = (await member())?.role;
          return {
            editPlaces: role !== undefined && opAllowed(role, 'locations', 'create'),
            claimLabels: role !== undefined && opAllowed(role, 'assets', 'claim'),
          };
        },
        // In turn with the scans: the scan right after a claim finds the new item.
        claimCode: (input) =>
          pipeline.serially(() => claimCode({ ...placeDeps, stationWarehouse: () => store.settings.stationWarehouse.get() }, input)),
        editPlace: (edit) => editPlace(placeDeps, edit),
        sync: { engine, store },
        scanning,
        backend,
        views: parts.views,
      }),
    subscribe: (emit, coalesceMs) =>
      fanOutStationEvents(
        {
          engine,
          scans: {
            onScan: (l) => pipeline.onScan(l),
            onFeedback: (l) => pipeline.onFeedback(l),
            onInput: scanning.onInput?.bind(scanning),
          },
          store,
        },
        emit,
        { coalesceMs, timer: parts.clock },
      ),
    onSessionChange: (listener) => backend.changes.add(listener),
    start: async () => {
      await engine.start();
      // Live pokes (the server's Realtime channels): a commit elsewhere is pulled at once; the
      // poll stays as the safety net. Not awaited: offline, the channels join when the network comes.
      void backend.listen().catch((error: unknown) => parts.log(`live updates: ${errorMessage(error)}`));
      await scanning.start?.();
    },
    stop: async () => {
      engine.stop();
      await backend.unlisten();
      await scanning.stop?.();
      store.close();
    },
  };
}

/** Where StationApi's events come from. */
export interface StationEventSources {
  engine: {
    subscribe(listener: (status: SyncStatus) => void): () => void;
    onRefused(listener: (refusal: OpRefusal) => void): () => void;
  };
  scans: {
    onScan(listener: (scan: ScanEvent) => void): () => void;
    onFeedback(listener: (feedback: Feedback) => void): () => void;
    onInput?: ((listener: (input: DeviceInput) => void) => () => void) | undefined;
  };
  store: CacheChangeSource;
}

/**
 * Every StationApi event from the sources, for any transport (IPC, the browser host's socket, the
 * PWA page's listeners). Cache changes are coalesced: a pull of 20k rows or a burst of scans is
 * one reload per `coalesceMs`, not one per row.
 */
export function fanOutStationEvents(
  sources: StationEventSources,
  emit: EmitStationEvent,
  options: { coalesceMs?: number | undefined; timer: CoalescingTimer },
): () => void {
  const changes = coalesceCacheChanges((change) => emit('cacheChanged', change), options.coalesceMs ?? 150, options.timer);
  const offs = [
    sources.engine.subscribe((value) => emit('syncStatus', value)),
    sources.engine.onRefused((value) => emit('opRefused', value)),
    sources.scans.onScan((value) => emit('scan', value)),
    sources.scans.onFeedback((value) => emit('scanFeedback', value)),
    sources.scans.onInput?.((value) => emit('scannerInput', value)) ?? (() => undefined),
    sources.store.onCacheChange((change) => changes.add(changedTables(change))),
  ];
  return () => {
    changes.stop();
    offs.forEach((off) => off());
  };
}
