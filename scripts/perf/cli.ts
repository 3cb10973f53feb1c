import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { latencyVsScaleSvg, recordedSchema, type Recorded } from './chart';
import { errorMessage } from '../../core/errors';

const PERF_DIR = join(PROJECT_ROOT, 'docs', 'perf');
const RESULTS = join(PERF_DIR, 'results.json');
const resultsSchema = z.object({ machine: z.string(), recorded: z.array(recordedSchema) });

/** A benchmark's figures: the last line of its output that is its JSON (stderr may follow when captured together). */
function lastJsonLine(output: string, source: string): Recorded {
  for (const line of output.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = recordedSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON after all: keep looking
    }
  }
  throw new Error(`${source}: no benchmark JSON line (one with a "bench" field) in the output`);
}

/**
 * `npm run perf -- --record <bench output files…>` keeps each benchmark's figures (a newer run of
 * the same bench and scale replaces the older) in docs/perf/results.json; `npm run perf` draws
 * docs/perf/latency-vs-scale.svg from them.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { record: { type: 'boolean' }, machine: { type: 'string' } },
  });
  const current = existsSync(RESULTS) ? resultsSchema.parse(JSON.parse(await readFile(RESULTS, 'utf8'))) : { machine: '', recorded: [] };
  if (values.record === true) {
    if (positionals.length === 0) throw new Error('--record needs the files a benchmark run printed to');
    for (const file of positionals) {
      const result = lastJsonLine(await readFile(file, 'utf8'), file);
      current.recorded = [...current.recorded.filter((r) => !(r.bench === result.bench && (r.scale ?? 1) === (result.scale ?? 1))), result];
    }
    if (values.machine !== undefined) current.machine = values.machine;
    await mkdir(PERF_DIR, { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(current, null, 2)}\n`);
  }
  const scales = [...new Set(current.recorded.map((r) => r.scale ?? 1))].sort((a, b) => a - b);
  await writeFile(join(PERF_DIR, 'latency-vs-scale.svg'), latencyVsScaleSvg(current.recorded, scales));
  process.stdout.write(`docs/perf/latency-vs-scale.svg: ${current.recorded.length} results, scales ${scales.join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`perf failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
