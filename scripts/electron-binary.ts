import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; expectedAt: string | null };

/**
 * Where the `electron` package keeps its binary, found without requiring the package: since
 * Electron 45, requiring it starts a download when the binary is missing.
 */
export function findElectronBinary(env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { found: false, expectedAt: null };
  }
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  const expected =
    override !== undefined && override !== ''
      ? join(override, relative ?? (process.platform === 'win32' ? 'electron.exe' : 'electron'))
      : relative === null
        ? null
        : join(packageDir, 'dist', relative);
  if (expected !== null && existsSync(expected)) return { found: true, path: expected };
  return { found: false, expectedAt: expected };
}

export function missingElectronExplanation(binary: { expectedAt: string | null }): string {
  return [
    'The Electron binary is not installed, so the station window cannot open' +
      (binary.expectedAt === null ? '.' : ` (looked for ${binary.expectedAt}).`),
    'Electron downloads its binary separately from npm: run "npx install-electron" on a machine that can reach',
    "Electron's release downloads, or point ELECTRON_OVERRIDE_DIST_PATH at a folder that holds an unpacked Electron",
    'build matching node_modules/electron/package.json. Installs made with ELECTRON_SKIP_BINARY_DOWNLOAD=1 (as CI does)',
    'skip it on purpose. Meanwhile the same station opens in your browser: the address follows.',
  ].join(' ');
}
