import { seededRandom, pick } from '../../core/random';
import { seededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

/**
 * get_gig_hierarchy through supabase-js over HTTP, on roots at every level (whole festivals down
 * to single changeovers) including the largest tree; server execution time from EXPLAIN ANALYZE.
 */
export async function hierarchyBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  try {
    const { rows: gigs } = await env.db.query<{ id: string; level: number; size: number }>(
      `select g.id, extensions.nlevel(g.path) - 1 as level,
              (select count(*)::int from public.gigs d where d.path operator(extensions.<@) g.path) as size
         from public.gigs g where g.org_id = $1`,
      [env.orgId],
    );
    const levels = [...new Set(gigs.map((g) => g.level))].sort((a, b) => a - b);
    const largest = gigs.reduce((best, g) => (g.size > best.size ? g : best));
    const random = seededRandom(7);
    const perLevel = Math.ceil(320 / levels.length);
    const plan: { id: string; level: number; size: number }[] = [];
    for (const level of levels) {
      const candidates = gigs.filter((g) => g.level === level);
      for (let i = 0; i < perLevel; i += 1) plan.push(pick(random, candidates));
    }
    for (let i = 0; i < 5; i += 1) plan.push(largest);

    const call = async (id: string): Promise<number> => {
      const started = performance.now();
      const { error } = await env.manager.rpc('get_gig_hierarchy', { root_gig_id: id });
      const elapsed = performance.now() - started;
      if (error !== null) throw new Error(`get_gig_hierarchy failed: ${error.message}`);
      return elapsed;
    };
    log('warming up…');
    for (const g of plan.slice(0, 40)) await call(g.id);
    log(`measuring ${plan.length} calls over HTTP…`);
    const http: number[] = [];
    for (const g of plan) http.push(await call(g.id));

    log('measuring server execution time (EXPLAIN ANALYZE)…');
    const client = await env.asManager();
    const db: number[] = [];
    try {
      for (const g of plan) {
        const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(
          'explain (analyze, format json) select public.get_gig_hierarchy($1)',
          [g.id],
        );
        db.push(rows[0]?.['QUERY PLAN'][0]['Execution Time'] ?? Number.NaN);
      }
    } finally {
      await client.end();
    }

    const rows = levels.map((level) => {
      const idx = plan.map((g, i) => (g.level === level && g !== largest ? i : -1)).filter((i) => i >= 0);
      const pickMs = (list: number[]): number[] => idx.map((i) => list[i] ?? Number.NaN);
      const sizes = idx.map((i) => plan[i]?.size ?? 0);
      return [
        `level ${level}`,
        idx.length,
        round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length), 0),
        percentile(pickMs(http), 50),
        percentile(pickMs(http), 95),
        percentile(pickMs(db), 50),
        percentile(pickMs(db), 95),
      ];
    });
    const largestIdx = plan.map((g, i) => (g === largest ? i : -1)).filter((i) => i >= 0);
    rows.push([
      'largest tree',
      largestIdx.length,
      largest.size,
      percentile(
        largestIdx.map((i) => http[i] ?? 0),
        50,
      ),
      percentile(
        largestIdx.map((i) => http[i] ?? 0),
        95,
      ),
      percentile(
        largestIdx.map((i) => db[i] ?? 0),
        50,
      ),
      percentile(
        largestIdx.map((i) => db[i] ?? 0),
        95,
      ),
    ]);
    rows.push(['all calls', plan.length, '', percentile(http, 50), percentile(http, 95), percentile(db, 50), percentile(db, 95)]);
    process.stdout.write(
      `\nget_gig_hierarchy — scale ${scale}: ${env.seed.gigs} gigs, ${env.seed.assets} assets, largest tree ${largest.size} gigs, ${levels.length} levels\n\n` +
        `${table(['roots', 'calls', 'avg gigs', 'http p50 ms', 'http p95 ms', 'db p50 ms', 'db p95 ms'], rows)}\n\n`,
    );
    return {
      bench: 'hierarchy',
      scale,
      gigs: env.seed.gigs,
      assets: env.seed.assets,
      largest_tree_nodes: largest.size,
      max_depth: levels.length,
      calls: plan.length,
      http_p50_ms: round(percentile(http, 50)),
      http_p95_ms: round(percentile(http, 95)),
      http_p99_ms: round(percentile(http, 99)),
      db_p95_ms: round(percentile(db, 95)),
      largest_tree_http_ms: round(
        percentile(
          largestIdx.map((i) => http[i] ?? 0),
          50,
        ),
      ),
    };
  } finally {
    await env.db.end();
    await env.stack.stop();
  }
}
