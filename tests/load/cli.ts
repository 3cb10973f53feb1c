import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seededStack } from '../bench/seeded-stack';
import { percentile, round, table } from '../bench/stats';
import { runLoad, type LoadRun } from './driver';
import { checkIntegrity } from './integrity';
import { prepareFestival } from './prepare';
import { loadScenario, type Scenario } from './scenario';
import { spreadRows, summarizeRuns } from './spread';
import { errorMessage } from '../../core/errors';

const USAGE = `usage: npm run load -- <scenario> [--vus N] [--time-scale F] [--seed N] [--runs N]
       npm run load -- <scenario> --prepare-only --db-url URL [--out FILE]   (arrange the cohort for k6)`;

function positiveNumber(raw: string | boolean | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, got "${String(raw)}"`);
  return value;
}

function report(run: LoadRun): { requests: number; errors: number; all: number[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  const all: number[] = [];
  let requests = 0;
  let errors = 0;
  for (const [name, stats] of [...run.endpoints].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([
      name,
      stats.requests,
      stats.errors,
      percentile(stats.latencies, 50),
      percentile(stats.latencies, 95),
      percentile(stats.latencies, 99),
    ]);
    all.push(...stats.latencies);
    requests += stats.requests;
    errors += stats.errors;
  }
  rows.push(['all', requests, errors, percentile(all, 50), percentile(all, 95), percentile(all, 99)]);
  return { requests, errors, all, rows };
}

/** The scenario's thresholds, as k6 checks them (k6Thresholds in steps.js): p95 over all requests and for each step, and the error rate. */
function thresholdsMet(scenario: Scenario, run: LoadRun, all: number[], errorRate: number): boolean {
  const limit = scenario.thresholds.p95Ms;
  const steps = [...run.endpoints.values()].every((stats) => percentile(stats.latencies, 95) < limit);
  return percentile(all, 95) < limit && steps && errorRate < scenario.thresholds.errorRate;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      vus: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      'prepare-only': { type: 'boolean' },
      'db-url': { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string' },
    },
  });
  const [name] = positionals;
  if (name === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const scenario = await loadScenario(name);

  if (values['prepare-only'] === true) {
    const dbUrl = values['db-url'] ?? process.env['SUPABASE_DB_URL'];
    if (dbUrl === undefined)
      throw new Error('--prepare-only needs --db-url (or SUPABASE_DB_URL): the seeded project’s postgres connection string');
    const cohort = await prepareFestival(dbUrl, scenario, log);
    const out = resolve(values.out ?? `tests/load/.data/${name}-users.json`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(cohort)}\n`, { mode: 0o600 });
    log(`wrote ${cohort.users.length} users to ${out}`);
    return 0;
  }

  const maxVus = values.vus === undefined ? undefined : Math.round(positiveNumber(values.vus, 'vus', 1));
  const timeScale = positiveNumber(values['time-scale'], 'time-scale', 1);
  const seed = Math.round(positiveNumber(values.seed, 'seed', 7));
  const runs = positiveNumber(values.runs, 'runs', 1);
  if (!Number.isInteger(runs) || runs > 20) throw new Error(`--runs must be a whole number from 1 to 20, got "${String(values.runs)}"`);

  const results: {
    run: LoadRun;
    loadBefore: number;
    loadAvg: number[];
    thresholdsOk: boolean;
    integrityOk: boolean;
    requests: number;
    errors: number;
  }[] = [];
  for (let index = 1; index <= runs; index += 1) {
    // Every repetition is the same experiment from the start: a fresh stack, seeded at scale 1
    // (the seed's 5k gigs, 20k assets, 500 staff), a fresh cohort.
    const loadBefore = round(loadavg()[0] ?? Number.NaN, 2);
    const env = await seededStack(1, log);
    const { stack } = env;
    try {
      const cohort = await prepareFestival(stack.dbUrl, scenario, log);
      // The machine's load before this run's stack started (what else runs here) and as the VUs
      // start (seeding included): the figures hold only next to them.
      const loadAvg = loadavg().map((l) => round(l, 2));
      log(
        `run ${index}/${runs}: "${scenario.name}", up to ${maxVus ?? scenario.users.count} virtual users, load average ${loadAvg.join(' ')}…`,
      );
      const run = await runLoad({
        url: stack.url,
        anonKey: stack.anonKey,
        scenario,
        cohort,
        timeScale,
        ...(maxVus === undefined ? {} : { maxVus }),
        seed: seed + index - 1,
        log,
      });
      const integrity = await checkIntegrity(stack.dbUrl, cohort, run);
      const { requests, errors, all, rows } = report(run);
      const errorRate = requests === 0 ? 1 : errors / requests;
      process.stdout.write(
        `run ${index}/${runs} (1-min load average ${loadBefore} before the stack, ${loadAvg[0] ?? ''} as the VUs start):\n`,
      );
      process.stdout.write(`${table(['endpoint', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'], rows)}\n`);
      process.stdout.write(
        `integrity: ${integrity.ok ? 'ok' : integrity.problems.join('; ')} (${integrity.appliedOps} ops applied, ${integrity.movements} movements)\n`,
      );
      if (run.errorSamples.length > 0) process.stdout.write(`first errors:\n  ${run.errorSamples.join('\n  ')}\n`);
      results.push({
        run,
        loadBefore,
        loadAvg,
        thresholdsOk: thresholdsMet(scenario, run, all, errorRate),
        integrityOk: integrity.ok,
        requests,
        errors,
      });
    } finally {
      await env.db.end();
      await stack.stop();
    }
  }

  const summary = summarizeRuns(results.map((r) => r.run.endpoints));
  const conditions = {
    cores: availableParallelism(),
    memory_gib: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    vus: Math.max(...results.map((r) => r.run.maxVus)),
    time_scale: timeScale,
    load_avg_1m_before_stack: results.map((r) => r.loadBefore),
    load_avg_1m_at_start: results.map((r) => r.loadAvg[0] ?? Number.NaN),
  };
  process.stdout.write(
    `\nspread over ${runs} run(s), min / median / max (ms):\n${table(['endpoint', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'], spreadRows(summary))}\n` +
      `conditions: ${conditions.cores} cores, ${conditions.memory_gib} GiB, Node ${conditions.node}, ${conditions.vus} VUs, time scale ${timeScale}, ` +
      `1-min load average per run before its stack started: ${conditions.load_avg_1m_before_stack.join(', ')}, as its VUs started: ${conditions.load_avg_1m_at_start.join(', ')}\n`,
  );
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const durations = results.map((r) => r.run.durationS).sort((a, b) => a - b);
  const result = {
    bench: `load-${scenario.name}`,
    runs,
    vus: conditions.vus,
    duration_s: round(durations[Math.floor(durations.length / 2)] ?? Number.NaN, 1),
    requests,
    errors,
    error_rate: round(requests === 0 ? 1 : errors / requests, 5),
    // Medians over the runs; spread has the min and max, per step and over all requests.
    p50_ms: summary.all.p50.median,
    p95_ms: summary.all.p95.median,
    p99_ms: summary.all.p99.median,
    thresholds_ok: results.every((r) => r.thresholdsOk),
    integrity_ok: results.every((r) => r.integrityOk),
    conditions,
    spread: summary,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // A CI job running this fails when the scenario's thresholds or the data's integrity do, in any run.
  return result.thresholds_ok && result.integrity_ok ? 0 : 3;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
