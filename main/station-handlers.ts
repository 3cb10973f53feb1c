import type { StationHandlers } from '../core/dispatch';
import type { SyncEngine } from '../core/sync/engine';
import type { QueueStore } from '../core/sync/queue-store';
import type { StationInfo } from '../core/station-api';
import { GIG_STATUS_TRANSITIONS, type GigStatus } from '../core/station-views';
import type { BackendLink } from './backend-link';
import type { ScanningService } from './scanners/scanning-service';
import type { SqliteStationViews } from './sync/sqlite-views';

export interface StationHandlerContext {
  appVersion: string;
  host: StationInfo['host'];
  startedAt: Date;
  now: () => Date;
  sync: { engine: SyncEngine; store: QueueStore };
  scanning: ScanningService;
  backend: BackendLink;
  views: SqliteStationViews;
}

/** The main-process implementation of StationApi; it runs in plain Node as well as Electron. */
export function createStationHandlers(context: StationHandlerContext): StationHandlers {
  const { engine, store } = context.sync;
  const { scanning, backend, views } = context;
  return {
    getInfo: () =>
      Promise.resolve({
        appName: 'GigManager Station',
        appVersion: context.appVersion,
        host: context.host,
        platform: `${process.platform}-${process.arch}`,
        backendUrl: backend.url,
        startedAt: context.startedAt.toISOString(),
      }),
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
    listQuarantine: () => store.quarantined(),
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
    getScanState: () => scanning.state(),
    listGigs: () => Promise.resolve(views.listGigs()),
    listAssets: () => Promise.resolve(views.listAssets()),
    getAssetHistory: async ({ assetId }) => {
      const asset = await store.getCached('assets', assetId);
      if (asset === null) throw new Error(`no asset ${assetId} on this station`);
      const caseId = typeof asset['case_id'] === 'string' ? asset['case_id'] : null;
      const pending = views.queuedFor(assetId, caseId).map((op) => ({
        id: op.id,
        action: `${op.table}.${op.action}`,
        timestamp: op.timestamp,
        gigId: typeof op.payload['gig_id'] === 'string' ? op.payload['gig_id'] : null,
        status: op.status,
      }));
      const server = await backend.assetHistory(assetId);
      return 'movements' in server ? { movements: server.movements, unavailable: null, pending } : { movements: null, unavailable: server.unavailable, pending };
    },
    setGigStatus: async ({ gigId, status }) => {
      const gig = await store.getCached('gigs', gigId);
      if (gig === null) throw new Error(`no gig ${gigId} on this station`);
      const from = String(gig['status']) as GigStatus;
      if (from === status) throw new Error(`${String(gig['name'])} is already ${status}`);
      if (!(GIG_STATUS_TRANSITIONS[from] ?? []).includes(status)) throw new Error(`a gig cannot go from ${from} to ${status}`);
      return engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: gigId, to: status }, base_version: Number(gig['version']) });
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
