import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './paths';
import { freePort } from './ports';
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
  /** Starts a stopped function again on its port. */
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

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before listening`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
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
  const spawnFunction = async (fn: EdgeFunction): Promise<void> => {
    const child = spawn(deno, ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', '--no-prompt', fn.entry], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...options.env,
        DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${fn.port}`,
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(fn.name, child);
    if (child.pid !== undefined) options.watchdog.watchPid(child.pid);
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.log(`[fn ${fn.name}] ${line}`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    try {
      await waitForPort(fn.port, child, 60_000);
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
      const fn: EdgeFunction = { name, entry, port: await freePort(), verifyJwt: options.verifyJwt(name) };
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
      known(name);
      const child = children.get(name);
      if (child !== undefined) await stopChild(child);
    },
    startOne: async (name) => {
      const child = children.get(name);
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      await spawnFunction(known(name));
    },
    stop,
  };
}
