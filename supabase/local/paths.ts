import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SUPABASE_DIR = join(PROJECT_ROOT, 'supabase');

/**
 * Where the persistent dev database lives: $GIGMANAGER_DATA_DIR, else the user's data folder.
 * As root, PostgreSQL runs as the `postgres` user, which cannot enter /root, so root's data
 * goes under /var/lib.
 */
export function defaultDataDir(): string {
  const override = process.env['GIGMANAGER_DATA_DIR'];
  if (override !== undefined && override !== '') return join(resolve(override), 'backend');
  if (process.getuid?.() === 0) return '/var/lib/gigmanager-station/backend';
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'gigmanager-station', 'backend');
  if (process.platform === 'win32') {
    return join(process.env['LOCALAPPDATA'] ?? join(homedir(), 'AppData', 'Local'), 'gigmanager-station', 'backend');
  }
  const xdg = process.env['XDG_DATA_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share'), 'gigmanager-station', 'backend');
}
