import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { minimatch } from 'minimatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { pngSize } from '../../scripts/icons/png';
import { PROJECT_ROOT } from '../../supabase/local/paths';

type Config = Awaited<ReturnType<typeof getConfig>>;
let config: Config;
const at = (...parts: string[]): string => join(PROJECT_ROOT, ...parts);
const png = (path: string): { width: number; height: number } | null => pngSize(readFileSync(path));

beforeAll(async () => {
  config = await getConfig(PROJECT_ROOT, 'electron-builder.yml', null);
});

describe('electron-builder configuration', () => {
  it('matches electron-builder’s own schema, and the schema check can fail', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...config, linux: { ...config.linux, targett: 'deb' } } as Config, new DebugLogger(false)),
    ).rejects.toThrow(/unknown property 'targett'/);
  });

  it('builds AppImage and deb, nsis and dmg, with our app id and name', () => {
    expect(config.appId).toBe('app.gigmanager.station');
    expect(config.productName).toBe('GigManager Station');
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toBe('nsis');
    expect(config.mac?.target).toBe('dmg');
  });

  it('points at icons generated from the one source image, at the sizes each platform needs', () => {
    const linuxIcons = at(String(config.linux?.icon));
    for (const size of [16, 32, 48, 128, 256, 512])
      expect(png(join(linuxIcons, `${size}x${size}.png`)), `${size}px`).toEqual({ width: size, height: size });
    for (const icon of [config.win?.icon, config.mac?.icon]) expect(png(at(String(icon)))).toEqual({ width: 1024, height: 1024 });
    expect(readFileSync(at('renderer', 'public', 'icon.svg'), 'utf8')).toBe(readFileSync(at('resources', 'icon.svg'), 'utf8'));
  });

  it('unpacks every native module from the asar archive', () => {
    const patterns = (config.asarUnpack ?? []) as string[];
    const natives = ['better-sqlite3', 'node-hid', '@serialport/bindings-cpp'];
    for (const name of natives) {
      const binary = join('node_modules', name, 'build', 'Release', 'x.node');
      expect(
        patterns.some((p) => minimatch(binary, p)),
        name,
      ).toBe(true);
    }
    // Nothing native in the app's dependencies that the list misses.
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const withBindings = Object.keys(pkg.dependencies).filter((name) => existsSync(at('node_modules', name, 'binding.gyp')));
    for (const name of withBindings) expect(natives, name).toContain(name);
    expect(config.npmRebuild).toBe(false);
  });

  it('installs the udev rules with the deb, and reloads udev after install and removal', () => {
    const mapping = (config.deb?.fpm ?? []).find((arg) => arg.includes('/lib/udev/rules.d/'));
    expect(mapping).toBe('resources/linux/60-gigmanager-scanners.rules=/lib/udev/rules.d/60-gigmanager-scanners.rules');
    for (const script of [config.deb?.afterInstall, config.deb?.afterRemove]) {
      expect(() => accessSync(at(String(script)), constants.X_OK), String(script)).not.toThrow();
      expect(readFileSync(at(String(script)), 'utf8')).toContain('udevadm control --reload-rules');
    }
  });
});

describe('udev rules for scanners', () => {
  const lines = readFileSync(at('resources', 'linux', '60-gigmanager-scanners.rules'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

  it('give the logged-in user HID and serial scanners, and nothing else', () => {
    const clause = /^(SUBSYSTEM|ATTRS\{idVendor\}|TAG)(==|\+=)"([^"]+)"$/;
    const subsystems = new Set<string>();
    for (const line of lines) {
      const clauses = line.split(/,\s*/);
      for (const part of clauses) expect(part, line).toMatch(clause);
      const [subsystem, vendor, tag] = clauses.map((part) => clause.exec(part)?.[3]);
      expect(['hidraw', 'tty'], line).toContain(subsystem);
      expect(vendor, line).toMatch(/^[0-9a-f]{4}$/);
      expect(tag, line).toBe('uaccess');
      subsystems.add(subsystem ?? '');
    }
    expect([...subsystems].sort()).toEqual(['hidraw', 'tty']);
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a packaged build', () => {
  const electronBinary = at('node_modules', 'electron', 'dist', process.platform === 'darwin' ? 'Electron.app' : 'electron');
  const hasElectron = existsSync(electronBinary);
  if (!hasElectron)
    console.log(
      `packaging: electron-builder --dir not run: no Electron binary at ${electronBinary} (ELECTRON_SKIP_BINARY_DOWNLOAD / no network for it here)`,
    );

  it.skipIf(!hasElectron)(
    'builds unpacked with electron-builder --dir',
    async () => {
      await promisify(execFile)('npx', ['electron-builder', '--dir', '--publish', 'never'], { cwd: PROJECT_ROOT, timeout: 600_000 });
      expect(readdirSync(at('dist')).some((entry) => entry.endsWith('-unpacked'))).toBe(true);
    },
    600_000,
  );
});
