import { pick, randomInt, seededRandom } from '../../core/random';
import { seededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

type Kind = 'exact serial' | 'prefix' | 'infix' | 'name';

/** search() through supabase-js over HTTP: exact serials, prefixes, infixes and name words. */
export async function searchBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  try {
    const { rows: assets } = await env.db.query<{ serial_number: string; name: string }>(
      'select serial_number, name from public.assets where org_id = $1',
      [env.orgId],
    );
    const random = seededRandom(11);
    const queries: { kind: Kind; query: string }[] = [];
    for (let i = 0; i < 520; i += 1) {
      const asset = pick(random, assets);
      const serial = asset.serial_number;
      const kind = (['exact serial', 'prefix', 'infix', 'name'] as const)[i % 4] ?? 'name';
      const query =
        kind === 'exact serial'
          ? serial
          : kind === 'prefix'
            ? serial.slice(0, randomInt(random, 3, 7))
            : kind === 'infix'
              ? serial.slice(randomInt(random, 2, 4), randomInt(random, 7, 9))
              : pick(
                  random,
                  asset.name.split(' ').filter((w) => w.length >= 3),
                );
      queries.push({ kind, query });
    }
    const call = async (query: string): Promise<number> => {
      const started = performance.now();
      const { error } = await env.manager.rpc('search', { query, limit: 20 });
      const elapsed = performance.now() - started;
      if (error !== null) throw new Error(`search("${query}") failed: ${error.message}`);
      return elapsed;
    };
    log('warming up…');
    for (const q of queries.slice(0, 50)) await call(q.query);
    log(`measuring ${queries.length} queries over HTTP…`);
    const timings: number[] = [];
    for (const q of queries) timings.push(await call(q.query));

    const kinds: Kind[] = ['exact serial', 'prefix', 'infix', 'name'];
    const rows: (string | number)[][] = kinds.map((kind) => {
      const list = timings.filter((_, i) => queries[i]?.kind === kind);
      return [kind, list.length, percentile(list, 50), percentile(list, 95), percentile(list, 99)];
    });
    rows.push(['all', timings.length, percentile(timings, 50), percentile(timings, 95), percentile(timings, 99)]);
    process.stdout.write(
      `\nsearch — scale ${scale}: ${env.seed.assets} assets, ${env.seed.gigs} gigs\n\n${table(['query', 'count', 'p50 ms', 'p95 ms', 'p99 ms'], rows)}\n\n`,
    );
    return {
      bench: 'search',
      scale,
      assets: env.seed.assets,
      queries: timings.length,
      p50_ms: round(percentile(timings, 50)),
      p95_ms: round(percentile(timings, 95)),
      p99_ms: round(percentile(timings, 99)),
    };
  } finally {
    await env.db.end();
    await env.stack.stop();
  }
}
