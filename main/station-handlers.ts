import type { StationHandlers } from '../core/dispatch';
import type { StationInfo } from '../core/station-api';

export interface StationHandlerContext {
  appVersion: string;
  host: StationInfo['host'];
  backendUrl: string | null;
  startedAt: Date;
  now: () => Date;
}

/** The main-process implementation of StationApi; it runs in plain Node as well as Electron. */
export function createStationHandlers(context: StationHandlerContext): StationHandlers {
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
  };
}
