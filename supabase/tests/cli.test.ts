import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeSupabaseClient } from '../../tests/helpers/supabase-client';
import { DEMO_PASSWORD } from '../../scripts/seed/seed';
import { PROJECT_ROOT } from '../local/paths';

// `npm run backend` as a user runs it: a child process that prints one JSON line and must leave
// nothing behind however it is stopped.
interface Ready {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl: string;
}

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

function startCli(args: string[]): Promise<{ child: ChildProcess; ready: Ready; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'supabase/local/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ child, ready: JSON.parse(line) as Ready, stderr: () => stderr }));
    child.once('exit', (code) => reject(new Error(`backend exited with ${code} before it was ready: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Processes whose command line (or environment) mentions `needle`: a port unique to one run. */
async function processesMentioning(needle: string, where: 'cmdline' | 'environ' = 'cmdline'): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const text = (await readFile(`/proc/${pid}/${where}`, 'utf8')).replaceAll('\0', ' ');
      if (text.includes(needle)) found.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The stack's Deno processes carry its gateway URL in their environment. */
const denoOf = (ready: Ready): Promise<string[]> => processesMentioning(`SUPABASE_URL=${ready.url} `, 'environ');

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

const dbPortOf = (ready: Ready): string => new URL(ready.dbUrl).port;

/** One Deno process per function folder (`_shared` is not a function). */
const functionCount = async (): Promise<number> =>
  (await readdir(join(PROJECT_ROOT, 'supabase', 'functions'), { withFileTypes: true })).filter(
    (entry) =>
      entry.isDirectory() && !entry.name.startsWith('_') && existsSync(join(PROJECT_ROOT, 'supabase', 'functions', entry.name, 'index.ts')),
  ).length;

describe.skipIf(process.platform !== 'linux')('npm run backend', () => {
  it('prints its JSON line, serves supabase-js, and stops everything on SIGTERM', async () => {
    const { child, ready, stderr } = await startCli(['--fresh', '--port', '0']);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.dbUrl).toMatch(/^postgresql:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres$/);
    const anon = await nodeSupabaseClient(ready.url, ready.anonKey).rpc('session_info');
    expect(anon.status).toBe(401);
    const service = await nodeSupabaseClient(ready.url, ready.serviceRoleKey).rpc('session_info');
    expect(service.data).toMatchObject({ role: 'service_role' });
    // An empty database gets the demo data and its documented logins.
    const manager = nodeSupabaseClient(ready.url, ready.anonKey);
    const signIn = await manager.auth.signInWithPassword({ email: 'manager@northlight.test', password: DEMO_PASSWORD });
    expect(signIn.error).toBeNull();
    const found = await manager.rpc('search', { query: 'festival', kinds: ['gig'] });
    expect((found.data as unknown[]).length).toBeGreaterThan(0);

    const port = dbPortOf(ready);
    expect(await processesMentioning(`-p ${port} `)).toHaveLength(1);
    expect(await denoOf(ready)).toHaveLength(await functionCount());
    child.kill('SIGTERM');
    expect({ code: await exited(child), stderr: stderr() }).toEqual({ code: 0, stderr: expect.any(String) as string });
    expect(await processesMentioning(`-p ${port} `)).toEqual([]);
    expect(await denoOf(ready)).toEqual([]);
  });

  it('stops everything on SIGINT and removes the --fresh data folder', async () => {
    const { child, ready } = await startCli(['--fresh', '--port', '0']);
    const [postmaster] = await processesMentioning(`-p ${dbPortOf(ready)} `);
    const cmdline = await readFile(`/proc/${postmaster}/cmdline`, 'utf8');
    const dataDir = /-D\0([^\0]+)\0/.exec(cmdline)?.[1] ?? '';
    expect(dataDir).toMatch(/gigmanager-stack-/);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    expect(await processesMentioning(`-p ${dbPortOf(ready)} `)).toEqual([]);
    expect(await eventually(() => Promise.resolve(!existsSync(dirname(dataDir))), 5000)).toBe(true);
  });

  it('leaves no orphan when killed with SIGKILL: the watchdog stops PostgreSQL and Deno', async () => {
    const { child, ready } = await startCli(['--fresh', '--port', '0']);
    const port = dbPortOf(ready);
    child.kill('SIGKILL');
    await exited(child);
    expect(await eventually(async () => (await processesMentioning(`-p ${port} `)).length === 0, 15_000)).toBe(true);
    expect(await eventually(async () => (await denoOf(ready)).length === 0, 5000)).toBe(true);
  });

  it('keeps data and keys in a persistent data folder and applies no migration twice', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gigmanager-persistent-'));
    try {
      const first = await startCli(['--data-dir', dataDir, '--port', '0']);
      const service = nodeSupabaseClient(first.ready.url, first.ready.serviceRoleKey);
      const created = await service.auth.admin.createUser({ email: 'kept@example.com', password: 'password-1', email_confirm: true });
      expect(created.error).toBeNull();
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toBe(0);

      const second = await startCli(['--data-dir', dataDir, '--port', '0', '--verbose']);
      expect(second.ready.anonKey).toBe(first.ready.anonKey);
      const signIn = await nodeSupabaseClient(second.ready.url, second.ready.anonKey).auth.signInWithPassword({
        email: 'kept@example.com',
        password: 'password-1',
      });
      expect(signIn.error).toBeNull();
      expect(second.stderr()).not.toMatch(/applied migration/);
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with the usage and exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'supabase/local/cli.ts'), '--port', 'abc'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    expect(await exited(child)).toBe(1);
    expect(stderr).toMatch(/--port must be a port number, got "abc"/);

    const unknown = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'supabase/local/cli.ts'), '--nope'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let unknownErr = '';
    unknown.stderr.on('data', (chunk: Buffer) => (unknownErr += chunk.toString('utf8')));
    expect(await exited(unknown)).toBe(2);
    expect(unknownErr).toMatch(/Unknown option '--nope'/);
    expect(unknownErr).toMatch(/Usage: npm run backend/);
  });
});
