import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { createDispatcher, type StationHandlers } from '../core/dispatch';
import { channelFor, stationMethods } from '../core/station-api';

/** The part of ipcMain the station uses: main/index.ts passes the real one, tests an in-memory pair. */
export type StationIpcMain = Pick<IpcMain, 'handle' | 'removeHandler'>;

/**
 * Binds one ipcMain channel per StationApi method. The sender's frame must be our own top-level
 * renderer document; the dispatcher then parses the arguments with zod.
 */
export function registerStationIpc(ipcMain: StationIpcMain, handlers: StationHandlers, isTrustedUrl: (url: string) => boolean): () => void {
  const dispatch = createDispatcher(handlers);
  const trusted = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isTrustedUrl(frame.url);
  };
  for (const method of stationMethods) {
    ipcMain.handle(channelFor(method), (event, ...args: unknown[]) => dispatch({ method, args, trustedSender: trusted(event) }));
  }
  return () => {
    for (const method of stationMethods) ipcMain.removeHandler(channelFor(method));
  };
}
