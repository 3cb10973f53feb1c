import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { seededRandom } from '../../core/random';
import type { UsersFile } from './prepare';
import type { Scenario } from './scenario';
import { applyAnswer, startState, stepRequest, type LoadUser, type VuState } from './steps';
import { errorMessage } from '../../core/errors';

export interface EndpointStats {
  requests: number;
  errors: number;
  latencies: number[];
}

export interface LoadRun {
  /** Per step name (sign_in, get_gig_hierarchy, search, …). */
  endpoints: Map<string, EndpointStats>;
  maxVus: number;
  /** From the first VU's start to the last one's end (graceful ramp-down included). */
  durationS: number;
  /** Op ids the server answered `applied`, per device. */
  applied: Set<string>;
  /** Every op id sent. */
  sent: Set<string>;
  /** Rows of another organization seen in a pull (must stay 0). */
  foreignRows: number;
  /** Ids search returned (checked against the organization afterwards). */
  searchHits: Set<string>;
  /** The virtual users' view of their gear at the end: items they heard of from the server. */
  finalAssets: Map<string, { version: number; out: boolean }>;
  /** Item versions the users file had behind (a reused file), taken from the server's answers. */
  refreshed: number;
  /** The first few errors, for the report. */
  errorSamples: string[];
}

export interface LoadOptions {
  url: string;
  anonKey: string;
  scenario: Scenario;
  cohort: UsersFile;
  /** Stretches or shrinks every stage (and think times stay as they are): 0.1 for a quick run. */
  timeScale?: number;
  /** At most this many virtual users (default: the scenario's peak). */
  maxVus?: number;
  seed?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Target VUs at `t` seconds into ramping stages (k6's ramping-vus: linear within a stage). */
export function targetAt(stages: Scenario['stages'], t: number): number {
  let start = 0;
  let from = 0;
  for (const stage of stages) {
    if (t < start + stage.durationS) return Math.round(from + ((stage.target - from) * (t - start)) / stage.durationS);
    start += stage.durationS;
    from = stage.target;
  }
  return 0;
}

/**
 * Runs a scenario like k6's ramping-vus executor: virtual users start and stop as the stages say,
 * each signing in once and looping the scenario's steps with think times, over keep-alive HTTP
 * (one connection per VU, as k6 has). Every request is timed from send to body read.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { scenario, cohort } = options;
  const log = options.log ?? (() => undefined);
  const scale = options.timeScale ?? 1;
  const scenarioPeak = Math.max(...scenario.stages.map((s) => s.target));
  const peak = Math.min(options.maxVus ?? Infinity, scenarioPeak, cohort.users.length);
  // A smaller run keeps the scenario's shape: every stage's target scaled to the peak.
  const stages = scenario.stages.map((s) => ({ durationS: s.durationS * scale, target: Math.round((s.target * peak) / scenarioPeak) }));
  const totalS = stages.reduce((sum, s) => sum + s.durationS, 0);
  const random = seededRandom(options.seed ?? 7);
  const pool = new Pool(options.url, { connections: peak, pipelining: 1, keepAliveTimeout: 60_000 });
  const run: LoadRun = {
    endpoints: new Map(),
    maxVus: 0,
    durationS: totalS,
    applied: new Set(),
    sent: new Set(),
    foreignRows: 0,
    searchHits: new Set(),
    finalAssets: new Map(),
    refreshed: 0,
    errorSamples: [],
  };
  const stats = (name: string): EndpointStats => {
    let entry = run.endpoints.get(name);
    if (entry === undefined) {
      entry = { requests: 0, errors: 0, latencies: [] };
      run.endpoints.set(name, entry);
    }
    return entry;
  };
  const fail = (entry: EndpointStats, message: string): void => {
    entry.errors += 1;
    if (run.errorSamples.length < 10) run.errorSamples.push(message);
  };
  const tools = { random, newId: randomUUID, now: () => new Date().toISOString(), searchTerms: scenario.searchTerms };

  /** One request; false when it failed (the VU carries on, as a phone would). */
  const send = async (step: string, user: LoadUser, state: VuState): Promise<boolean> => {
    const request = stepRequest(step, user, state, tools);
    const entry = stats(request.name);
    if (request.name === 'push_changes') for (const op of request.body['ops'] as { id: string }[]) run.sent.add(op.id);
    const started = performance.now();
    try {
      const response = await pool.request({
        method: request.method,
        path: request.path,
        headers: {
          apikey: options.anonKey,
          authorization: `Bearer ${request.signedIn ? (state.accessToken ?? '') : options.anonKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(request.body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await response.body.text();
      entry.latencies.push(performance.now() - started);
      entry.requests += 1;
      if (response.statusCode >= 400) {
        fail(entry, `${request.name} ${response.statusCode}: ${text.slice(0, 200)}`);
        return false;
      }
      const body: unknown = text === '' ? null : JSON.parse(text);
      const outcome = applyAnswer(step, state, body);
      for (const id of outcome.applied) run.applied.add(id);
      run.refreshed += outcome.refreshed.length;
      if (outcome.unexpected.length > 0) fail(entry, `${request.name}: ops not applied: ${outcome.unexpected.join(', ')}`);
      if (step === 'pull') {
        const changes = (body as { changes: Record<string, { org_id?: string }[]> }).changes;
        for (const rows of Object.values(changes))
          for (const row of rows) if (row.org_id !== undefined && row.org_id !== cohort.orgId) run.foreignRows += 1;
      }
      if (step === 'search') for (const hit of body as { id: string }[]) run.searchHits.add(hit.id);
      return outcome.unexpected.length === 0;
    } catch (error) {
      entry.latencies.push(performance.now() - started);
      entry.requests += 1;
      fail(entry, `${request.name}: ${errorMessage(error)}`);
      return false;
    }
  };

  const startedAt = performance.now();
  const elapsedS = (): number => (performance.now() - startedAt) / 1000;
  const active = new Set<number>();
  const stopping = new Set<number>();
  const finished: Promise<void>[] = [];

  const vu = async (index: number): Promise<void> => {
    const user = cohort.users[index];
    if (user === undefined) return;
    const state: VuState = startState(user, cohort.cursor);
    try {
      for (const step of scenario.once) {
        if (!(await send(step, user, state)) && step === 'sign_in') return;
      }
      while (!stopping.has(index) && elapsedS() < totalS) {
        for (const { step, thinkS } of scenario.loop) {
          await send(step, user, state);
          await sleep(1000 * (thinkS[0] + random() * (thinkS[1] - thinkS[0])));
          if (stopping.has(index) || elapsedS() >= totalS) break;
        }
      }
    } finally {
      // An item its crew member never heard of from the server (no answer, no pulled row) has no
      // "last heard" state to compare; the movement checks still cover it.
      for (const asset of state.assets) if (asset.heard) run.finalAssets.set(asset.id, { version: asset.version, out: asset.out });
      active.delete(index);
      stopping.delete(index);
    }
  };

  let next = 0;
  let lastReport = 0;
  while (elapsedS() < totalS) {
    const target = targetAt(stages, elapsedS());
    while (active.size - stopping.size < target && next < peak) {
      active.add(next);
      finished.push(vu(next));
      next += 1;
    }
    // Ramp-down: the newest VUs finish their current step and stop (k6's graceful ramp-down).
    const running = [...active].filter((i) => !stopping.has(i)).sort((a, b) => b - a);
    for (const index of running.slice(0, Math.max(0, running.length - target))) stopping.add(index);
    run.maxVus = Math.max(run.maxVus, active.size);
    if (elapsedS() - lastReport >= 10) {
      lastReport = elapsedS();
      const requests = [...run.endpoints.values()].reduce((sum, e) => sum + e.requests, 0);
      log(`t=${Math.round(elapsedS())} s  vus=${active.size}  requests=${requests}`);
    }
    await sleep(100);
  }
  await Promise.all(finished);
  await pool.close();
  run.durationS = elapsedS();
  return run;
}
