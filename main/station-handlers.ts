import type { StationHandlers } from '../core/dispatch';
import type { SyncEngine } from '../core/sync/engine';
import type { QueueStore } from '../core/sync/queue-store';
import type { StationInfo } from '../core/station-api';
import type { ScanningService } from './scanners/scanning-service';

export interface StationHandlerContext {
  appVersion: string;
  host: StationInfo['host'];
  backendUrl: string | null;
  startedAt: Date;
  now: () => Date;
  sync: { engine: SyncEngine; store: QueueStore };
  scanning: ScanningService;
}

/** The main-process implementation of StationApi; it runs in plain Node as well as Electron. */
export function createStationHandlers(context: StationHandlerContext): StationHandlers {
  const { engine, store } = context.sync;
  const { scanning } = context;
  return {
    getInfo: () =>
      Promise.resolve({
        appName: 'GigManager Station',
        appVersion: context.appVersion,
        host: context.host,
        platform: `${process.platform}-${process.arch}`,
        backendUrl: context.backendUrl,
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
    discoverScanners: () => scanning.discover(),
    saveScanners: ({ scanners }) => scanning.save(scanners),
    submitScan: (input) => scanning.submit(input),
    getScanState: () => scanning.state(),
  };
}
