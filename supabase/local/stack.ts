import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readSupabaseConfig } from './config';
import { readEnvFile, startFunctions, type EdgeFunction, type RunningFunctions } from './deno-functions';
import { startGateway } from './gateway/server';
import { RpcCatalog } from './gateway/rpc-catalog';
import { JwtKeys } from './jwt';
import { pushMigrations } from './migrate';
import { startNetRelay, type RunningRelay } from './net-relay';
import { loadOrCreatePushKeys, type PushKeys } from './push-keys';
import { defaultDataDir, SUPABASE_DIR } from './paths';
import { startPostgres, type RunningPostgres } from './postgres';
import { startRealtime } from './realtime';
import { Watchdog } from './watchdog';
import { errorMessage } from '../../core/errors';

export interface LocalStackOptions {
  /** Persistent data folder (database + JWT secret). Ignored with `fresh`. */
  dataDir?: string;
  /** A throwaway database in the OS temp folder, deleted on stop. */
  fresh?: boolean;
  /** Gateway port; 0 picks a free one. Default: config.toml [api] port (54321). */
  port?: number;
  /** PostgreSQL port; default a free one. */
  dbPort?: number;
  /** Where PostgreSQL's free port comes from: the OS (a test hands out taken ones). */
  pickPort?: () => Promise<number>;
  migrationsDir?: string;
  functionsDirs?: string[];
  configPath?: string;
  /** SQL files applied after the migrations on every start (test fixtures). */
  extraSqlFiles?: string[];
  functionEnv?: Record<string, string>;
  jwtExpirySeconds?: number;
  /** How often the stack runs the notification sweep (pg_cron's job on Supabase); 0 turns it off. Default 60 s. */
  sweepIntervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Superuser connection string, like `supabase status` prints. */
  dbUrl: string;
  /** The role the gateway connects as (login, no privileges of its own; it switches role per request). */
  authenticatorUrl: string;
  jwtSecret: string;
  keys: JwtKeys;
  functions: Map<string, EdgeFunction>;
  /** What notify-staff signs with and the PWA subscribes with (public key), and the webhook's secret. */
  push: PushKeys;
  /** Waits until every webhook request queued so far has been sent. */
  drainWebhooks(): Promise<void>;
  /** Runs the notification sweep now (what the timer and pg_cron do) and waits for its request. */
  sweepNotifications(): Promise<void>;
  /** Stops / restarts one edge function's process (the gateway answers 502 meanwhile). */
  stopFunction(name: string): Promise<void>;
  startFunction(name: string): Promise<void>;
  /** Takes Realtime down (every socket closed, new ones refused) and brings it back. */
  stopRealtime(): Promise<void>;
  startRealtime(): Promise<void>;
  /** WebSockets connected to Realtime now. */
  realtimeConnections(): number;
  stop(): Promise<void>;
}

async function loadOrCreateSecret(dir: string, fresh: boolean): Promise<string> {
  const file = join(dir, 'jwt-secret');
  if (!fresh && existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const config = await readSupabaseConfig(options.configPath ?? join(SUPABASE_DIR, 'config.toml'));
  const root = options.fresh === true ? await mkdtemp(join(tmpdir(), 'gigmanager-stack-')) : (options.dataDir ?? defaultDataDir());
  await mkdir(root, { recursive: true });

  const watchdog = new Watchdog();
  if (options.fresh === true) watchdog.removeDirWhenDone(root);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log(`stop: ${errorMessage(error)}`));
    }
    // Our own removal first: releasing the watchdog makes it remove the folder too.
    if (options.fresh === true) await rm(root, { recursive: true, force: true, maxRetries: 3 });
    watchdog.release();
  };

  try {
    const jwtSecret = await loadOrCreateSecret(root, options.fresh === true);
    const keys = new JwtKeys(jwtSecret, now);
    const postgres: RunningPostgres = await startPostgres({
      dataDir: join(root, 'postgres'),
      port: options.dbPort,
      ...(options.pickPort === undefined ? {} : { pickPort: options.pickPort }),
      durable: options.fresh !== true,
      watchdog,
      log,
    });
    cleanups.push(() => postgres.stop());

    const admin = new pg.Pool({ connectionString: postgres.superuserUrl, max: 10 });
    // An idle client dropped by the server (e.g. during shutdown) must not crash the process.
    admin.on('error', (error) => log(`admin pool: ${error.message}`));
    cleanups.push(() => admin.end());
    const bootstrap = await readFile(new URL('./bootstrap.sql', import.meta.url), 'utf8');
    await admin.query(bootstrap);
    const authenticatorPassword = randomBytes(18).toString('base64url');
    await admin.query(`alter role authenticator with password '${authenticatorPassword}'`);
    // The Supabase CLI applies the migrations (`supabase db push`, as on a hosted project) and
    // keeps their history in supabase_migrations.schema_migrations, the table it creates.
    await pushMigrations({ dbUrl: postgres.superuserUrl, migrationsDir: options.migrationsDir ?? join(SUPABASE_DIR, 'migrations'), log });
    for (const file of options.extraSqlFiles ?? []) await admin.query(await readFile(file, 'utf8'));

    const authenticatorUrl = `postgresql://authenticator:${authenticatorPassword}@127.0.0.1:${postgres.port}/postgres`;
    const rpcPool = new pg.Pool({
      connectionString: authenticatorUrl,
      max: 40,
    });
    rpcPool.on('error', (error) => log(`rpc pool: ${error.message}`));
    cleanups.push(() => rpcPool.end());
    const catalog = new RpcCatalog(rpcPool);

    const hasNetStandIn =
      (await admin.query<{ present: boolean }>("select to_regclass('net.http_request_queue') is not null as present")).rows[0]?.present ===
      true;
    let relay: RunningRelay | null = null;
    if (hasNetStandIn) {
      relay = await startNetRelay({
        superuserUrl: postgres.superuserUrl,
        pool: admin,
        onSchemaReload: () => catalog.clear(),
        log,
      });
      const running = relay;
      cleanups.push(() => running.stop());
    }

    const anonKey = await keys.apiKey('anon');
    const serviceRoleKey = await keys.apiKey('service_role');

    // The gateway listens before the functions start, so port 0 is the kernel's choice held from
    // then on: a port picked free and bound seconds later (the functions take that long) can be
    // taken meanwhile by any other process. It proxies to the functions once they are up; nothing
    // calls it before this function returns.
    let functions: RunningFunctions | null = null;
    const noFunctions = new Map<string, EdgeFunction>();
    const server: Server = await startGateway({
      host: '127.0.0.1',
      port: options.port ?? config.api.port,
      keys,
      apiKeys: new Set([anonKey, serviceRoleKey]),
      rpc: {
        pool: rpcPool,
        catalog,
        exposedSchemas: config.api.schemas.filter((s) => s !== 'graphql_public'),
        maxBodyBytes: 10 * 1024 * 1024,
      },
      auth: {
        pool: admin,
        keys,
        siteUrl: () => url,
        jwtExpirySeconds: options.jwtExpirySeconds ?? config.auth.jwt_expiry,
        refreshTokenReuseSeconds: config.auth.refresh_token_reuse_interval,
        now,
      },
      functions: () => functions?.functions ?? noFunctions,
      log,
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Realtime's WebSocket on the gateway's port, as on Supabase (/realtime/v1/websocket).
    const realtime = await startRealtime({
      server,
      superuserUrl: postgres.superuserUrl,
      pool: admin,
      keys,
      apiKeys: new Set([anonKey, serviceRoleKey]),
      now,
      log,
    });
    cleanups.push(() => realtime.stop());

    const functionsDirs = options.functionsDirs ?? [join(SUPABASE_DIR, 'functions')];
    const functionSecrets = await readEnvFile(join(functionsDirs[0] ?? '', '.env'));
    const push = await loadOrCreatePushKeys(root, options.fresh === true, functionSecrets);
    const running: RunningFunctions = await startFunctions({
      dirs: functionsDirs,
      env: {
        VAPID_PUBLIC_KEY: push.vapidPublicKey,
        VAPID_PRIVATE_KEY: push.vapidPrivateKey,
        VAPID_SUBJECT: push.vapidSubject,
        NOTIFY_STAFF_SECRET: push.notifySecret,
        ...functionSecrets,
        ...options.functionEnv,
        SUPABASE_URL: url,
        SUPABASE_ANON_KEY: anonKey,
        SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
        SUPABASE_DB_URL: postgres.superuserUrl,
      },
      verifyJwt: (name) => config.functions[name]?.verify_jwt ?? true,
      watchdog,
      log,
    });
    functions = running;
    cleanups.push(() => running.stop());

    // The outbox webhook points at this stack's notify-staff, and the sweep re-drives what it missed.
    const hasOutbox =
      (await admin.query<{ present: boolean }>("select to_regprocedure('app.sweep_notification_outbox()') is not null as present")).rows[0]
        ?.present === true;
    const sweep = async (): Promise<void> => {
      if (!hasOutbox) return;
      await admin.query('select app.sweep_notification_outbox()');
      await relay?.drain();
    };
    if (hasOutbox && running.functions.has('notify-staff')) {
      await admin.query('select app.install_notify_staff_webhook($1, $2)', [`${url}/functions/v1/notify-staff`, push.notifySecret]);
      const interval = options.sweepIntervalMs ?? 60_000;
      if (interval > 0) {
        const timer = setInterval(
          () => void sweep().catch((error: unknown) => log(`notification sweep: ${errorMessage(error)}`)),
          interval,
        );
        timer.unref();
        cleanups.push(() => {
          clearInterval(timer);
          return Promise.resolve();
        });
      }
    }

    return {
      url,
      anonKey,
      serviceRoleKey,
      dbUrl: postgres.superuserUrl,
      authenticatorUrl,
      jwtSecret,
      keys,
      functions: running.functions,
      push,
      drainWebhooks: async () => {
        await relay?.drain();
      },
      sweepNotifications: sweep,
      stopFunction: (name) => running.stopOne(name),
      startFunction: (name) => running.startOne(name),
      stopRealtime: () => realtime.pause(),
      startRealtime: () => realtime.resume(),
      realtimeConnections: () => realtime.connections(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
