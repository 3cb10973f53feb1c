import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireMessage } from '../../core/wire';
import { RotatingLog } from '../logging';
import { subscribeStationEvents } from '../station-events';
import { createStationServices, stationHandlersFor, type StationConfig } from '../station-services';
import { startBrowserHost } from './server';

/** The version in the project's package.json (Electron reports its own through app.getVersion()). */
export function projectVersion(): string {
  const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

export interface RunningBrowserStation {
  openUrl: string;
  stop(): Promise<void>;
}

/** The whole station without Electron: services (SQLite, scanners, sync) behind the browser host. */
export async function runBrowserStation(
  config: StationConfig & { rendererDir: string; port: number; appVersion: string },
): Promise<RunningBrowserStation> {
  const log = new RotatingLog({ dir: join(config.dataDir, 'logs') });
  const write = (line: string): void => {
    config.log(line);
    log.write('info', line);
  };
  const services = await createStationServices({ ...config, log: write });
  try {
    const host = await startBrowserHost({
      handlers: stationHandlersFor(services, { appVersion: config.appVersion, kind: 'browser', recentLog: (count) => log.tail(count) }),
      rendererDir: config.rendererDir,
      port: config.port,
      log: write,
      subscribe: (emit: (message: WireMessage) => void) => subscribeStationEvents(services, (event, value) => emit({ event, value })),
    });
    return {
      openUrl: host.openUrl,
      stop: async () => {
        await host.close();
        await services.stop();
      },
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
