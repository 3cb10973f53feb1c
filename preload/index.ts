import { contextBridge, ipcRenderer } from 'electron';
import { unwrap, type StationResult } from '../core/result';
import {
  channelFor,
  stationEventsVia,
  stationMethodsVia,
  STATION_EVENTS,
  type StationApi,
  type StationMethod,
} from '../core/station-api';
async function invoke(method: StationMethod, ...args: unknown[]): Promise<unknown> {
  const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<unknown>;
  return unwrap(result);
}

/** One listener per event channel, removable: the renderer never sees ipcRenderer itself. */
function subscribe<T>(event: keyof typeof STATION_EVENTS, listener: (value: T) => void): () => void {
  const channel = STATION_EVENTS[event];
  const forward = (_event: Electron.IpcRendererEvent, value: T): void => listener(value);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

const station = {
  ...stationMethodsVia(invoke),
  ...stationEventsVia(subscribe),
} satisfies StationApi;

contextBridge.exposeInMainWorld('station', station);
