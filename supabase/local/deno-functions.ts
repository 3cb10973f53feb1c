import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './paths';
import type { Watchdog } from './watchdog';
import { errorMessage } from '../../core/errors';

export interface EdgeFunction {
  name: string;
  entry: string;
  port: number;
  verifyJwt: boolean;
}

export interface FunctionsOptions {
  /** Folders laid out like supabase/functions: <name>/index.ts, `_shared` skipped. */
  dirs: string[];
  env: Record<string, string>;
  verifyJwt: (name: string) => boolean;
  watchdog: Watchdog;
  log: (line: string) => void;
}

export interface RunningFunctions {
  functions: Map<string, EdgeFunction>;
  /** Stops one function's process: the gateway answers 502 for it until it is started again. */
  stopOne(name: string): Promise<void>;
  /** Starts a stopped function again (on a port of its own choosing). */
  startOne(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The deno binary shipped by the `deno` npm package. */
export function denoBinary(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('deno/package.json'));
  const binary = join(packageDir, process.platform === 'win32' ? 'deno.exe' : 'deno');
  if (!existsSync(binary)) {
    throw new Error(`the deno binary is missing at ${binary}: run "npm ci" (deno's install script must be allowed)`);
  }
  return binary;
}

async function discover(dirs: string[]): Promise<{ name: string; entry: string }[]> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      const index = join(dir, entry.name, 'index.ts');
      if (existsSync(index)) found.set(entry.name, index);
    }
  }
  return [...found].map(([name, entry]) => ({ name, entry }));
}

/** Secrets in supabase/functions/.env, as `supabase functions serve` reads them. */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1] !== undefined) env[match[1]] = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/** Forwards a child's output line by line and resolves with the port from Deno.serve's "Listening on" line. */
function listeningPort(child: ChildProcess, log: (line: string) => void, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let found = false;
    const timer = setTimeout(() => {
      if (!found) reject(new Error(`did not say "Listening on http://127.0.0.1:<port>/" within ${timeoutMs} ms`));
    }, timeoutMs);
    const read = (stream: NodeJS.ReadableStream | null): void => {
      if (stream === null) return;
      createInterface({ input: stream }).on('line', (line) => {
        if (line.trim() === '') return;
        log(line);
        const port = /Listening on https?:\/\/127\.0\.0\.1:(\d+)\//.exec(line)?.[1];
        if (!found && port !== undefined) {
          found = true;
          clearTimeout(timer);
          resolve(Number(port));
        }
      });
    };
    read(child.stdout);
    read(child.stderr);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`exited (${code ?? signal}) before listening`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * One Deno process per function (Supabase's edge runtime isolates them too), each serving its
 * `Deno.serve` handler on its own loopback port; the gateway proxies /functions/v1/<name>. They
 * run from the project root, so bare npm imports resolve through package.json and node_modules
 * (no download at run time); a deployment resolves them through each function's deno.json.
 */
export async function startFunctions(options: FunctionsOptions): Promise<RunningFunctions> {
  const deno = denoBinary();
  const children = new Map<string, ChildProcess>();
  const functions = new Map<string, EdgeFunction>();
  const stop = async (): Promise<void> => {
    await Promise.all([...children.values()].map(stopChild));
  };
  // Deno binds port 0 itself and says which port it got ("Listening on http://127.0.0.1:N/"):
  // a port picked free beforehand could be taken by another process in the seconds Deno takes to
  // start, and a probe of it could then reach that process instead. The gateway reads fn.port on
  // every request, so a restarted function may come back on another port.
  const spawnFunction = async (fn: EdgeFunction): Promise<void> => {
    const child = spawn(deno, ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', '--no-prompt', fn.entry], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...options.env,
        DENO_SERVE_ADDRESS: 'tcp:127.0.0.1:0',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(fn.name, child);
    if (child.pid !== undefined) options.watchdog.watchPid(child.pid);
    try {
      fn.port = await listeningPort(child, (line) => options.log(`[fn ${fn.name}] ${line}`), 60_000);
    } catch (error) {
      throw new Error(`edge function "${fn.name}" ${errorMessage(error)}`, { cause: error });
    }
    options.log(`serving edge function ${fn.name} on 127.0.0.1:${fn.port}`);
  };
  const known = (name: string): EdgeFunction => {
    const fn = functions.get(name);
    if (fn === undefined) throw new Error(`no edge function "${name}"`);
    return fn;
  };
  try {
    for (const { name, entry } of await discover(options.dirs)) {
      const fn: EdgeFunction = { name, entry, port: 0, verifyJwt: options.verifyJwt(name) };
      await spawnFunction(fn);
      functions.set(name, fn);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    functions,
    stopOne: async (name) => {
      const fn = known(name);
      const child = children.get(name);
      if (child !== undefined) await stopChild(child);
      // Its old port may go to any process now: port 0 makes the gateway's proxy fail (502).
      fn.port = 0;
    },
    startOne: async (name) => {
      const child = children.get(name);
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      await spawnFunction(known(name));
    },
    stop,
  };
}
