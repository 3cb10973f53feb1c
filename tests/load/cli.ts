import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seededStack } from '../bench/seeded-stack';
import { percentile, round, table } from '../bench/stats';
import { runLoad, type LoadRun } from './driver';
import { checkIntegrity } from './integrity';
import { prepareFestival } from './prepare';
import { loadScenario } from './scenario';

const USAGE = `usage: npm run load -- <scenario> [--vus N] [--time-scale F] [--seed N]
       npm run load -- <scenario> --prepare-only --db-url URL [--out FILE]   (arrange the cohort for k6)`;

function positiveNumber(raw: string | boolean | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${String(raw)}"`);
  return value;
}

function report(run: LoadRun): { requests: number; errors: number; all: number[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  const all: number[] = [];
  let requests = 0;
  let errors = 0;
  for (const [name, stats] of [...run.endpoints].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([name, stats.requests, stats.errors, percentile(stats.latencies, 50), percentile(stats.latencies, 95), percentile(stats.latencies, 99)]);
    all.push(...stats.latencies);
    requests += stats.requests;
    errors += stats.errors;
  }
  rows.push(['all', requests, errors, percentile(all, 50), percentile(all, 95), percentile(all, 99)]);
  return { requests, errors, all, rows };
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
    if (dbUrl === undefined) throw new Error('--prepare-only needs --db-url (or SUPABASE_DB_URL): the seeded project’s postgres connection string');
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
  // The benchmarks' fresh stack at scale 1: the seed's 5k gigs, 20k assets, 500 staff.
  const env = await seededStack(1, log);
  const { stack } = env;
  try {
    const cohort = await prepareFestival(stack.dbUrl, scenario, log);
    log(`running "${scenario.name}": up to ${maxVus ?? scenario.users.count} virtual users…`);
    const run = await runLoad({ url: stack.url, anonKey: stack.anonKey, scenario, cohort, timeScale, ...(maxVus === undefined ? {} : { maxVus }), seed, log });
    const integrity = await checkIntegrity(stack.dbUrl, cohort, run);
    const { requests, errors, all, rows } = report(run);
    process.stdout.write(`${table(['endpoint', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'], rows)}\n`);
    process.stdout.write(`integrity: ${integrity.ok ? 'ok' : integrity.problems.join('; ')} (${integrity.appliedOps} ops applied, ${integrity.movements} movements)\n`);
    if (run.errorSamples.length > 0) process.stdout.write(`first errors:\n  ${run.errorSamples.join('\n  ')}\n`);
    const p95 = round(percentile(all, 95), 1);
    const errorRate = requests === 0 ? 1 : errors / requests;
    const result = {
      bench: `load-${scenario.name}`,
      vus: run.maxVus,
      duration_s: round(run.durationS, 1),
      requests,
      errors,
      error_rate: round(errorRate, 5),
      p50_ms: round(percentile(all, 50), 1),
      p95_ms: p95,
      p99_ms: round(percentile(all, 99), 1),
      thresholds_ok: p95 < scenario.thresholds.p95Ms && errorRate < scenario.thresholds.errorRate,
      integrity_ok: integrity.ok,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // A CI job running this fails when the scenario's thresholds or the data's integrity do.
    return result.thresholds_ok && result.integrity_ok ? 0 : 3;
  } finally {
    await env.db.end();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
