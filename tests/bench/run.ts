import { parseArgs } from 'node:util';
import { faultsBench } from './faults';
import { hierarchyBench } from './hierarchy';
import { idbFloorBench } from './idb-floor';
import { pullBench } from './pull';
import { pushBench } from './push';
import { pwaBench } from './pwa';
import { queueBench } from './queue';
import { scanBench } from './scan';
import { searchBench } from './search';
import { uiBench } from './ui';
import { errorMessage } from '../../core/errors';

/**
 * `npm run bench -- <name> [options]`: each benchmark sets up its own data, prints a readable
 * table and, as its very last line, one JSON object with its figures.
 */
type Bench = (args: string[]) => Promise<Record<string, unknown>>;

const benches: Record<string, Bench> = {
  hierarchy: hierarchyBench,
  search: searchBench,
  queue: queueBench,
  scan: scanBench,
  ui: uiBench,
  pwa: pwaBench,
  'idb-floor': idbFloorBench,
  push: pushBench,
  pull: pullBench,
  faults: faultsBench,
  availability: async (args) => (await import('./availability')).availabilityBench(args),
  live: async (args) => (await import('./live')).liveBench(args),
  audit: async (args) => (await import('./audit')).auditBench(args),
};

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: false });
  const [name] = positionals;
  const rest = process.argv.slice(process.argv.indexOf(name ?? '') + 1);
  const bench = name === undefined ? undefined : benches[name];
  if (bench === undefined) {
    const known = Object.keys(benches);
    process.stderr.write(`usage: npm run bench -- <name> [--scale N]\nbenchmarks: ${known.join(', ')}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(await bench(rest))}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
