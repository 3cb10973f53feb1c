import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../supabase/local/paths';
import { DEMO_PASSWORD, seedDemoIfEmpty } from './seed/seed';
import { startLocalStack, type LocalStack } from '../supabase/local/stack';
import { findElectronBinary, missingElectronExplanation } from './electron-binary';

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

async function main(): Promise<number> {
  const electron = findElectronBinary();
  if (!electron.found) {
    process.stderr.write(`${missingElectronExplanation(electron)}\n`);
    return 1;
  }
  const built = await run(process.execPath, [`${PROJECT_ROOT}/node_modules/electron-vite/bin/electron-vite.js`, 'build'], process.env);
  if (built !== 0) return built;

  let stack: LocalStack | null = null;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (env['SUPABASE_URL'] === undefined || env['SUPABASE_URL'] === '') {
    process.stdout.write('starting the local backend…\n');
    stack = await startLocalStack();
    env['SUPABASE_URL'] = stack.url;
    env['SUPABASE_ANON_KEY'] = stack.anonKey;
    await seedDemoIfEmpty(stack.dbUrl);
    // The demo station account, unless told otherwise.
    env['STATION_EMAIL'] ??= 'station@northlight.test';
    env['STATION_PASSWORD'] ??= DEMO_PASSWORD;
    process.stdout.write(`local backend ready at ${stack.url}\n`);
  }
  try {
    return await run(electron.path, ['.'], env);
  } finally {
    await stack?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
