import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stationDataDir } from '../station-data-dir';
import { projectVersion, runBrowserStation } from './run';

/**
 * `npm run station:web`: the station in a browser. Reads the same settings as the Electron app:
 * SUPABASE_URL, SUPABASE_ANON_KEY, STATION_EMAIL, STATION_PASSWORD, GIGMANAGER_DATA_DIR,
 * STATION_PORT (default: a free port).
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const env = process.env;

const station = await runBrowserStation({
  dataDir: stationDataDir(env),
  backend:
    env['SUPABASE_URL'] !== undefined && env['SUPABASE_ANON_KEY'] !== undefined
      ? { url: env['SUPABASE_URL'], anonKey: env['SUPABASE_ANON_KEY'] }
      : null,
  credentials:
    env['STATION_EMAIL'] !== undefined && env['STATION_PASSWORD'] !== undefined
      ? { email: env['STATION_EMAIL'], password: env['STATION_PASSWORD'] }
      : null,
  log: (line) => process.stderr.write(`${line}\n`),
  rendererDir: join(root, 'out', 'renderer'),
  port: Number(env['STATION_PORT'] ?? '0'),
  appVersion: projectVersion(),
});
process.stdout.write(`station ready: open ${station.openUrl}\n`);
const stop = (): void => {
  void station.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
