import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { createDispatcher, type StationHandlers } from '../core/dispatch';
import { channelFor, stationMethods } from '../core/station-api';

/**
 * Binds one ipcMain channel per StationApi method. The sender's frame must be our own top-level
 * renderer document; the dispatcher then parses the arguments with zod.
 */
export function registerStationIpc(handlers: StationHandlers, isTrustedUrl: (url: string) => boolean): () => void {
  const dispatch = createDispatcher(handlers);
  const trusted = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isTrustedUrl(frame.url);
  };
  for (const method of stationMethods) {
    ipcMain.handle(channelFor(method), (event, ...args: unknown[]) =>
      dispatch({ method, args, trustedSender: trusted(event) }),
    );
  }
  return () => {
    for (const method of stationMethods) ipcMain.removeHandler(channelFor(method));
  };
}
