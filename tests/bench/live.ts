import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { composeSync, type SyncHost } from '../../core/host';
import { seededRandom } from '../../core/random';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { DEMO_PASSWORD } from '../../scripts/seed/seed';
import type { BackendLink } from '../../core/backend-link';
import { MemoryStorage } from '../../core/store/memory-storage';
import { Queue } from '../../core/store/queue';
import { rebase } from '../../core/sync/optimistic';
import type { SyncTransport } from '../../core/sync/transport';
import { nodeSupabaseClient } from '../helpers/supabase-client';
import { waitFor } from '../helpers/domain';
import { seededStack } from './seeded-stack';
import { percentile, round, table } from './stats';

/**
 * `npm run bench -- live`: how long a commit takes to reach another station's store. Two
 * stations (the engine over supabase-js into SQLite on disk, their poll off unless --poll-only)
 * and 50 phones (the crew app's engine and backend link over an in-memory queue, joined to the
 * company's channel, their poll off too) on a seeded stack; another client commits one gig edit every 100 ms; each
 * station's store tells when the edited gig arrived. db_cpu_s is PostgreSQL's CPU over the run.
 */
export async function liveBench(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      commits: { type: 'string', default: '500' },
      rate: { type: 'string', default: '10' },
      phones: { type: 'string', default: '50' },
      'poll-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const commits = Number(values.commits);
  const rate = Number(values.rate);
  const phoneCount = Number(values.phones);
  const pollOnly = values['poll-only'];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(1, log);
  const dirs: string[] = [];
  const stations: SyncHost<SqliteQueueStore>[] = [];
  const phones: SyncHost<Queue>[] = [];
  try {
    // Two stations, each a first sync to a verified copy before the run.
    for (const name of ['a', 'b']) {
      const dir = mkdtempSync(join(tmpdir(), `bench-live-${name}-`));
      dirs.push(dir);
      const store = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
      const host = composeSync({
        store,
        backend: { saved: null, launchDefault: { url: env.stack.url, anonKey: env.stack.anonKey }, defaultStationName: name },
        clock: systemClock,
        random: seededRandom(name.charCodeAt(0)),
        newId: randomUUID,
        log,
        // Without Realtime the engine's default poll; with it, none at all: the poke alone must do.
        pollMs: pollOnly ? 15_000 : 3_600_000,
      });
      await host.backend.signIn('station@northlight.test', DEMO_PASSWORD);
      stations.push(host);
      await host.engine.start();
      if (!pollOnly) await host.backend.listen();
    }
    log('stations: first sync…');
    await waitFor(
      async () => (await Promise.all(stations.map(async (s) => (await s.store.stats()).copy.verifiedAt !== null))).every(Boolean),
      600_000,
      'both stations verified',
    );
    if (!pollOnly)
      await waitFor(
        async () => (await Promise.all(stations.map(async (s) => (await s.engine.status()).live))).every(Boolean),
        60_000,
        'both stations live',
      );

    // The phones: the crew app's engine and backend link over an in-memory queue (IndexedDB's
    // place in Node), starting from where the stations stand (no first sync, no check of the copy):
    // a channel each, and the engine's own pulls on pokes.
    const from = (await stations[0]?.store.cursor()) ?? null;
    if (from === null) throw new Error('the station has no cursor after its first sync');
    let phonePulls = 0;
    if (!pollOnly) {
      for (let i = 0; i < phoneCount; i += 1) {
        const store = new Queue(new MemoryStorage(), { newId: randomUUID, clock: () => systemClock.now(), devicePrefix: 'phone-' });
        await store.applyPull({ changes: {}, tombstones: [], cursor: from, has_more: false }, rebase);
        let link: BackendLink | null = null;
        const transport: SyncTransport = {
          push: (...args) => (link ?? fail()).transport.push(...args),
          pull: (...args) => {
            phonePulls += 1;
            return (link ?? fail()).transport.pull(...args);
          },
          refreshSession: () => (link ?? fail()).transport.refreshSession(),
        };
        const phone = composeSync({
          store,
          backend: { saved: null, launchDefault: { url: env.stack.url, anonKey: env.stack.anonKey }, defaultStationName: `phone ${i}` },
          transport,
          clock: systemClock,
          random: seededRandom(i),
          newId: randomUUID,
          log,
          pollMs: 3_600_000,
        });
        link = phone.backend;
        await phone.backend.signIn('crew@northlight.test', DEMO_PASSWORD);
        await phone.engine.start();
        await phone.backend.listen();
        phones.push(phone);
      }
      await waitFor(
        async () => (await Promise.all(phones.map(async (p) => (await p.engine.status()).live))).every(Boolean),
        60_000,
        'every phone live',
      );
      phonePulls = 0;
    }

    // What each commit changes: one gig's notes, a different gig each time.
    const gigs = (
      await env.db.query<{ id: string }>('select id from public.gigs where org_id = $1 and deleted_at is null order by id limit $2', [
        env.orgId,
        commits,
      ])
    ).rows.map((r) => r.id);
    if (gigs.length < commits) throw new Error(`the seed has ${gigs.length} gigs, ${commits} commits were asked for`);
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const unseen = new Set<string>();
    for (const [index, host] of stations.entries()) {
      host.store.onCacheChange((change) => {
        const now = performance.now();
        for (const key of change) {
          if (!key.startsWith('gigs:')) continue;
          const id = key.slice('gigs:'.length);
          const sent = sentAt.get(id);
          if (sent !== undefined && unseen.delete(`${index}:${id}`)) latencies.push(now - sent);
        }
      });
    }

    const writer = nodeSupabaseClient(env.stack.url, env.stack.anonKey);
    const { error } = await writer.auth.signInWithPassword({ email: 'manager@northlight.test', password: DEMO_PASSWORD });
    if (error !== null) throw error;
    const cpuBefore = postgresCpuSeconds(await dataDirectory(env.db));
    const began = performance.now();
    const pushes: PromiseLike<void>[] = [];
    log(`committing ${commits} gig edits at ${rate}/s…`);
    for (let i = 0; i < commits; i += 1) {
      const due = began + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = gigs[i] ?? '';
      for (const index of stations.keys()) unseen.add(`${index}:${id}`);
      sentAt.set(id, performance.now());
      pushes.push(
        writer
          .rpc('push_changes', {
            device_id: 'bench-writer',
            ops: [{ id: randomUUID(), table: 'gigs', action: 'update', payload: { id, fields: { notes: `live bench ${i}` } } }],
          })
          .then(({ error: refused }) => {
            if (refused !== null) throw new Error(refused.message);
          }),
      );
    }
    await Promise.all(pushes);
    // Every commit reaches both stations (with the poll off, only by its poke).
    await waitFor(() => Promise.resolve(unseen.size === 0), 120_000, `every change at both stations (${unseen.size} missing)`);
    const runS = (performance.now() - began) / 1000;
    const cpuAfter = postgresCpuSeconds(await dataDirectory(env.db));
    const dbCpuS = cpuAfter - cpuBefore;

    const result = {
      mode: pollOnly ? 'poll-only (15 s)' : 'live (poll off)',
      commits,
      rate_per_s: rate,
      stations: stations.length,
      phones: pollOnly ? 0 : phoneCount,
      samples: latencies.length,
      p50_ms: round(percentile(latencies, 50)),
      p95_ms: round(percentile(latencies, 95)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(...latencies)),
      run_s: round(runS),
      db_cpu_s: round(dbCpuS),
      phone_pulls: phonePulls,
    };
    process.stdout.write(
      `${table(
        ['mode', 'commits', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'db CPU s', 'phone pulls'],
        [[result.mode, commits, result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms, result.db_cpu_s, phonePulls]],
      )}\n`,
    );
    return result;
  } finally {
    for (const host of [...phones, ...stations]) {
      host.engine.stop();
      await host.backend.unlisten();
      host.store.close();
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await env.db.end();
    await env.stack.stop();
  }
}

function fail(): never {
  throw new Error('the phone is not composed yet');
}

async function dataDirectory(db: pg.Pool): Promise<string> {
  return (await db.query<{ data_directory: string }>('show data_directory')).rows[0]?.data_directory ?? '';
}

/**
 * CPU seconds PostgreSQL has used: the postmaster's own and its reaped children's, plus every
 * running backend's (Linux /proc; clock ticks of 100 per second).
 */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command's closing parenthesis: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    const ppid = Number(fields[1]);
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    if (pid === postmaster) ticks += (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0);
    else if (ppid === postmaster) ticks += (utime ?? 0) + (stime ?? 0);
  }
  return ticks / 100;
}
