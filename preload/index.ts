import { contextBridge, ipcRenderer } from 'electron';
import { unwrap, type StationResult } from '../core/result';
import { channelFor, type StationApi, type StationMethod, type StationReturn } from '../core/station-api';

async function invoke<M extends StationMethod>(method: M, ...args: unknown[]): Promise<StationReturn<M>> {
  const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<StationReturn<M>>;
  return unwrap(result);
}

const station = {
  getInfo: () => invoke('getInfo'),
  ping: (input) => invoke('ping', input),
} satisfies StationApi;

contextBridge.exposeInMainWorld('station', station);
