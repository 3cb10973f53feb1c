import { contextBridge, ipcRenderer } from 'electron';
import { unwrap, type StationResult } from '../core/result';
import {
  channelFor,
  SCAN_EVENT,
  SCAN_FEEDBACK_EVENT,
  SYNC_STATUS_EVENT,
  type StationApi,
  type StationMethod,
  type StationReturn,
  type SyncStatusView,
  type ScanEventView,
  type FeedbackView,
} from '../core/station-api';

async function invoke<M extends StationMethod>(method: M, ...args: unknown[]): Promise<StationReturn<M>> {
  const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<StationReturn<M>>;
  return unwrap(result);
}

/** One listener per event channel, removable: the renderer never sees ipcRenderer itself. */
function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const forward = (_event: Electron.IpcRendererEvent, value: T): void => listener(value);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
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
  listScanners: () => invoke('listScanners'),
  discoverScanners: () => invoke('discoverScanners'),
  saveScanners: (input) => invoke('saveScanners', input),
  submitScan: (input) => invoke('submitScan', input),
  getScanState: () => invoke('getScanState'),
  onSyncStatus: (listener) => subscribe<SyncStatusView>(SYNC_STATUS_EVENT, listener),
  onScan: (listener) => subscribe<ScanEventView>(SCAN_EVENT, listener),
  onScanFeedback: (listener) => subscribe<FeedbackView>(SCAN_FEEDBACK_EVENT, listener),
} satisfies StationApi;

contextBridge.exposeInMainWorld('station', station);
