import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { stationErrorSchema, type StationErrorData } from '../core/errors';
import type { StationResult } from '../core/result';
import { channelFor, stationEventsVia, stationMethodsVia, STATION_EVENTS, type StationApi, type StationMethod } from '../core/station-api';

/** The part of ipcRenderer the bridge uses: the preload passes the real one, tests an in-memory pair. */
export type StationIpcRenderer = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

/**
 * StationApi over IPC: one invoke channel per method and one listener per event channel. The
 * renderer gets this object and never sees ipcRenderer itself.
 *
 * A failed call rejects with StationError *data* ({ code, message }), not an Error: the
 * contextBridge copies an Error's message only, and the page reads any rejection with
 * `stationError(reason)` (core/errors.ts), which gives the StationError back whole.
 */
export function createPreloadStation(ipcRenderer: StationIpcRenderer): StationApi {
  async function invoke(method: StationMethod, ...args: unknown[]): Promise<unknown> {
    const result = (await ipcRenderer.invoke(channelFor(method), ...args)) as StationResult<unknown>;
    if (result.ok) return result.value;
    const error: StationErrorData = stationErrorSchema.safeParse(result.error).data ?? {
      code: 'invalid_result',
      message: `${method}: the station answered in an unexpected shape`,
    };
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- plain data is what survives the contextBridge (see above)
    throw error;
  }

  function subscribe<T>(event: keyof typeof STATION_EVENTS, listener: (value: T) => void): () => void {
    const channel = STATION_EVENTS[event];
    const forward = (_event: IpcRendererEvent, value: T): void => listener(value);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  }

  return {
    ...stationMethodsVia(invoke),
    ...stationEventsVia(subscribe),
  } satisfies StationApi;
}
