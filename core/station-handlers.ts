import type { StationHandlers } from './dispatch';
import { StationError } from './errors';
import type { ScannerConfig } from './scanner/config';
import type { StationInfo, StationReturn } from './station-api';
import { buildMyGigs } from './views/my-gigs';
import type { PickLine } from './views/pick-list';
import { GIG_STATUS_TRANSITIONS, type AssetListItem, type GigListItem, type Movement, type StationSettings } from './station-views';
import type { SyncEngine } from './sync/engine';
import type { QueuedOp } from './sync/model';
import { quarantineLabel } from './sync/quarantine-words';
import type { QueueStore } from './sync/queue-store';
import { decodeRow } from './sync/rows';

/** Which backend, the session, and the server-side reads the screens need. */
export interface StationBackend {
  readonly url: string | null;
  settings(): Promise<StationSettings>;
  setStationName(name: string): Promise<void>;
  configure(next: { url: string; anonKey: string }): Promise<void>;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  assetHistory(assetId: string): Promise<{ movements: Movement[] } | { unavailable: string }>;
}

/** The screens' lists, read from the station's caches. */
export interface StationViews {
  listGigs(): Promise<GigListItem[]>;
  listAssets(): Promise<AssetListItem[]>;
  /** Gig assignments of the staff profile with this email. */
  myAssignments(email: string): Promise<{ gigId: string; role: string }[]>;
  pickList(gigId: string): Promise<PickLine[]>;
  /** Queued ops on the asset or on the case it is in. */
  queuedFor(assetId: string, caseId: string | null): Promise<QueuedOp[]>;
}

/** Scanners and the scan session (a phone has no serial or HID devices: empty lists). */
export interface StationScanning {
  list(): StationReturn<'listScanners'>;
  configs(): Promise<ScannerConfig[]>;
  discover(): Promise<StationReturn<'discoverScanners'>>;
  save(configs: ScannerConfig[]): Promise<StationReturn<'saveScanners'>>;
  submit(input: { code: string; deviceId: string }): Promise<StationReturn<'submitScan'>>;
  /** Scans become test scans for `seconds` (0 ends it). */
  setTest(seconds: number): StationReturn<'setScannerTest'>;
  state(): Promise<StationReturn<'getScanState'>>;
}

export interface StationHandlerContext {
  appVersion: string;
  host: StationInfo['host'];
  platform: string;
  startedAt: Date;
  now: () => Date;
  sync: { engine: SyncEngine; store: QueueStore };
  scanning: StationScanning;
  backend: StationBackend;
  views: StationViews;
  /** The host's recent log lines (the station's rotating log; none in the PWA). */
  recentLog?: (count: number) => string[];
}

/**
 * StationApi's implementation over the station's services, wherever they run: Electron's main
 * process and the browser host (SQLite, devices) or the crew PWA's page (IndexedDB, no devices).
 */
export function createStationHandlers(context: StationHandlerContext): StationHandlers {
  const { engine, store } = context.sync;
  const { scanning, backend, views } = context;
  const info = (): StationInfo => ({
    appName: 'GigManager Station',
    appVersion: context.appVersion,
    host: context.host,
    platform: context.platform,
    backendUrl: backend.url,
    startedAt: context.startedAt.toISOString(),
  });
  return {
    getInfo: () => Promise.resolve(info()),
    getDiagnostics: async () => {
      const settings = await backend.settings();
      return {
        generatedAt: context.now().toISOString(),
        info: info(),
        sync: await engine.status(),
        // The anon key is left out with the session: a bundle gets mailed around.
        settings: { stationName: settings.stationName, backendUrl: settings.backendUrl, signedInAs: settings.signedInAs },
        scanners: scanning.list(),
        log: context.recentLog?.(500) ?? [],
      };
    },
    ping: (input) => Promise.resolve({ message: input.message, receivedAt: context.now().toISOString() }),
    getSyncStatus: () => engine.status(),
    syncNow: async () => {
      await engine.syncNow();
      return engine.status();
    },
    listQueue: ({ limit }) => store.listQueue(limit),
    listConflicts: () => store.conflicts(),
    resolveConflicts: async ({ ids, choice }) => {
      await engine.resolveConflicts(ids, choice);
      return { resolved: ids.length };
    },
    listQuarantine: async () =>
      Promise.all(
        (await store.quarantined()).map(async (entry) => ({
          ...entry,
          label: await quarantineLabel(entry, (table, id) => store.getCached(table, id)),
        })),
      ),
    retryQuarantined: async ({ id }) => {
      await engine.retryQuarantined(id);
      return engine.status();
    },
    discardQuarantined: async ({ id }) => {
      await engine.discardQuarantined(id);
      return engine.status();
    },
    listScanners: () => Promise.resolve(scanning.list()),
    getScannerConfigs: () => scanning.configs(),
    discoverScanners: () => scanning.discover(),
    saveScanners: ({ scanners }) => scanning.save(scanners),
    submitScan: (input) => scanning.submit(input),
    setScannerTest: ({ seconds }) => Promise.resolve(scanning.setTest(seconds)),
    getScanState: () => scanning.state(),
    listGigs: () => views.listGigs(),
    listAssets: () => views.listAssets(),
    listMyGigs: async () => {
      const { signedInAs } = await backend.settings();
      return signedInAs === null ? [] : buildMyGigs(await views.listGigs(), await views.myAssignments(signedInAs));
    },
    getPickList: ({ gigId }) => views.pickList(gigId),
    getAssetHistory: async ({ assetId }) => {
      const asset = decodeRow('assets', await store.getCached('assets', assetId));
      if (asset === null) throw new StationError('not_found', `no asset ${assetId} on this station`);
      const pending = (await views.queuedFor(assetId, asset.caseId)).map((op) => ({
        id: op.id,
        action: `${op.table}.${op.action}`,
        timestamp: op.timestamp,
        gigId: typeof op.payload['gig_id'] === 'string' ? op.payload['gig_id'] : null,
        status: op.status,
      }));
      const server = await backend.assetHistory(assetId);
      return 'movements' in server
        ? { movements: server.movements, unavailable: null, pending }
        : { movements: null, unavailable: server.unavailable, pending };
    },
    setGigStatus: async ({ gigId, status }) => {
      const gig = decodeRow('gigs', await store.getCached('gigs', gigId));
      if (gig === null) throw new StationError('not_found', `no gig ${gigId} on this station`);
      if (gig.status === status) throw new StationError('conflict', `${gig.name} is already ${status}`);
      if (!GIG_STATUS_TRANSITIONS[gig.status].includes(status))
        throw new StationError('conflict', `a gig cannot go from ${gig.status} to ${status}`);
      return engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: gigId, to: status }, base_version: gig.version });
    },
    getSettings: () => backend.settings(),
    saveSettings: async ({ stationName, backend: next }) => {
      if (next !== undefined) {
        await backend.configure(next);
        void engine.syncNow();
      }
      if (stationName !== undefined) await backend.setStationName(stationName);
      return backend.settings();
    },
    signIn: async ({ email, password }) => {
      await backend.signIn(email, password);
      void engine.syncNow();
      return backend.settings();
    },
    signOut: async () => {
      await backend.signOut();
      return backend.settings();
    },
  };
}
