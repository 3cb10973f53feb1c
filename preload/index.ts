import { contextBridge, ipcRenderer } from 'electron';
import { unwrap, type StationResult } from '../core/result';
import {
  channelFor,
  SYNC_STATUS_EVENT,
  type StationApi,
  type StationMethod,
  type StationReturn,
  type SyncStatusView,
} from '../core/station-api';

async function invoke<M extends StationMethod>(method: M, ...args: unknown[]): Promise<StationReturn<M>> {
  const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<StationReturn<M>>;
  return unwrap(result);
}

const station = {
  getInfo: () => invoke('getInfo'),
  ping: (input) => invoke('ping', input),
  getSyncStatus: () => invoke('getSyncStatus'),
  syncNow: () => invoke('syncNow'),
  listQueue: (input) => invoke('listQueue', input),
  listConflicts: () => invoke('listConflicts'),
  resolveConflicts: (input) => invoke('resolveConflicts', input),
  listQuarantine: () => invoke('listQuarantine'),
  retryQuarantined: (input) => invoke('retryQuarantined', input),
  discardQuarantined: (input) => invoke('discardQuarantined', input),
  onSyncStatus: (listener) => {
    const forward = (_event: Electron.IpcRendererEvent, status: SyncStatusView): void => listener(status);
    ipcRenderer.on(SYNC_STATUS_EVENT, forward);
    return () => {
      ipcRenderer.removeListener(SYNC_STATUS_EVENT, forward);
    };
  },
} satisfies StationApi;

contextBridge.exposeInMainWorld('station', station);
