import { percentile, round } from '../bench/stats';
import type { EndpointStats } from './driver';

/** One figure over repeated runs. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface StepSpread {
  requests: number;
  errors: number;
  p50: Spread;
  p95: Spread;
  p99: Spread;
}

export interface RunsSummary {
  runs: number;
  /** Per request name (sign_in, pull_changes, …). */
  steps: Record<string, StepSpread>;
  /** Over all requests of a run. */
  all: StepSpread;
}

function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return { min: round(sorted[0] ?? Number.NaN, 1), median: round(median, 1), max: round(sorted.at(-1) ?? Number.NaN, 1) };
}

function stepSpread(runs: EndpointStats[]): StepSpread {
  const of = (p: number): Spread => spreadOf(runs.map((r) => percentile(r.latencies, p)));
  return {
    requests: runs.reduce((n, r) => n + r.requests, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    p50: of(50),
    p95: of(95),
    p99: of(99),
  };
}

/**
 * Repeated runs of one scenario summed up: each run's p50/p95/p99 per step and over all its
 * requests, then the lowest, median and highest of each over the runs. Percentiles are taken
 * within a run (never over the runs' latencies pooled), so a slow run shows as a high max.
 */
export function summarizeRuns(runs: Map<string, EndpointStats>[]): RunsSummary {
  if (runs.length === 0) throw new Error('no runs to sum up');
  const names = [...new Set(runs.flatMap((run) => [...run.keys()]))].sort((a, b) => a.localeCompare(b));
  const steps: Record<string, StepSpread> = {};
  for (const name of names) steps[name] = stepSpread(runs.map((run) => run.get(name) ?? { requests: 0, errors: 0, latencies: [] }));
  const all = stepSpread(
    runs.map((run) => {
      const stats = [...run.values()];
      return {
        requests: stats.reduce((n, s) => n + s.requests, 0),
        errors: stats.reduce((n, s) => n + s.errors, 0),
        latencies: stats.flatMap((s) => s.latencies),
      };
    }),
  );
  return { runs: runs.length, steps, all };
}

/** The spread as table rows: step, requests, errors, then min / median / max of p50, p95, p99. */
export function spreadRows(summary: RunsSummary): string[][] {
  const cell = (s: Spread): string => `${s.min} / ${s.median} / ${s.max}`;
  const row = (name: string, s: StepSpread): string[] => [
    name,
    String(s.requests),
    String(s.errors),
    cell(s.p50),
    cell(s.p95),
    cell(s.p99),
  ];
  return [...Object.entries(summary.steps).map(([name, s]) => row(name, s)), row('all', summary.all)];
}
