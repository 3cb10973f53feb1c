import { contextBridge, ipcRenderer } from 'electron';
import { unwrap, type StationResult } from '../core/result';
import {
  channelFor,
  stationMethodsVia,
  SCAN_EVENT,
  SCAN_FEEDBACK_EVENT,
  SYNC_STATUS_EVENT,
  type StationApi,
  type StationMethod,
  type SyncStatusView,
  type ScanEventView,
  type FeedbackView,
} from '../core/station-api';

async function invoke(method: StationMethod, ...args: unknown[]): Promise<unknown> {
  const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<unknown>;
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
  ...stationMethodsVia(invoke),
  onSyncStatus: (listener) => subscribe<SyncStatusView>(SYNC_STATUS_EVENT, listener),
  onScan: (listener) => subscribe<ScanEventView>(SCAN_EVENT, listener),
  onScanFeedback: (listener) => subscribe<FeedbackView>(SCAN_FEEDBACK_EVENT, listener),
} satisfies StationApi;

contextBridge.exposeInMainWorld('station', station);
