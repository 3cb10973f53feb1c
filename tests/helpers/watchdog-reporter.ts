import { readFileSync, readdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Makes a hung run visible and bounded. Per-test and hook timeouts cannot catch a worker that
 * never exits (a native handle blocking its shutdown, a synchronous loop): vitest then waits for
 * ever and CI sees silence. Every `intervalMs` this reporter prints the files still running and
 * the processes vitest is waiting on; past `limitMs` it prints them once more and ends the run
 * with exit code 1, so the log names the culprit instead of a CI timeout.
 *
 * Bounds: GM_TEST_WATCHDOG_MIN (default 25 minutes for the whole run; `.ci/run` must finish
 * within 30) and GM_TEST_WATCHDOG_REPORT_MIN (default 3).
 */
export default class WatchdogReporter implements Reporter {
  private readonly running = new Map<string, number>();
  private readonly startedAt = Date.now();
  private readonly limitMs = minutes(process.env.GM_TEST_WATCHDOG_MIN, 25);
  private readonly intervalMs = minutes(process.env.GM_TEST_WATCHDOG_REPORT_MIN, 3);
  private timer: NodeJS.Timeout | null = null;
  private lastReport = Date.now();

  onTestRunStart(): void {
    this.timer = setInterval(() => this.check(), Math.min(this.intervalMs, 60_000));
    this.timer.unref();
  }

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  onTestRunEnd(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    const now = Date.now();
    const over = now - this.startedAt > this.limitMs;
    if (!over && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    const lines = [`\nwatchdog: ${Math.round((now - this.startedAt) / 1000)} s into the run`];
    if (this.running.size === 0) lines.push('  no test file is running (waiting on workers or teardown)');
    for (const [file, since] of this.running) lines.push(`  running for ${Math.round((now - since) / 1000)} s: ${file}`);
    for (const child of childProcesses(process.pid)) lines.push(`  process ${child}`);
    if (over) lines.push(`watchdog: the run passed its ${this.limitMs / 60_000} min bound; ending it (exit 1)`);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (over) process.exit(1);
  }
}

function minutes(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return (Number.isFinite(parsed) && parsed > 0 ? parsed : fallback) * 60_000;
}

/** Workers (children of `pid`) and what each started, with command lines (Linux /proc; empty elsewhere). */
function childProcesses(pid: number, depth = 0): string[] {
  if (depth > 1) return [];
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const child of children) {
    let command = '?';
    try {
      command = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
    } catch {
      // The process ended while we looked.
    }
    let threads = 0;
    try {
      threads = readdirSync(`/proc/${child}/task`).length;
    } catch {
      // Gone.
    }
    out.push(`${'  '.repeat(depth)}${child} (${threads} threads): ${command}`);
    out.push(...childProcesses(Number(child), depth + 1));
  }
  return out;
}
