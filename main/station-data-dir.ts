import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where a station outside Electron keeps its database: $GIGMANAGER_DATA_DIR/station, else the
 * user's data folder (Electron uses its own userData folder).
 */
export function stationDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['GIGMANAGER_DATA_DIR'];
  const xdg = env['XDG_DATA_HOME'];
  const base =
    override !== undefined && override !== ''
      ? resolve(override)
      : join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share'), 'gigmanager-station');
  const dir = join(base, 'station');
  mkdirSync(dir, { recursive: true });
  return dir;
}
