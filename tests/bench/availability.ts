import { pick, seededRandom } from '../../core/random';
import { decodeRows } from '../../core/sync/rows';
import { availability, availabilitySchema, prepareAvailability, type AvailabilityRows } from '../../core/views/availability';
import { seededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

/**
 * get_availability (issue 19) through supabase-js over HTTP for 200 random gigs and the largest
 * festival root (goals: p95 ≤ 20 ms for a gig, ≤ 100 ms for the largest root, at scale 10), its
 * execution time in the database (EXPLAIN ANALYZE), and the station's offline computation over the
 * same rows as the pull sends them (indexed once, as a station keeps its index between questions).
 * Summary answers (the default), plus one row each for a single category expanded into every gig
 * and asset behind it (the gig's first category).
 */
export async function availabilityBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  try {
    const { rows: gigs } = await env.db.query<{ id: string; root: boolean; size: number }>(
      `select g.id, g.parent_gig_id is null as root,
              case when g.parent_gig_id is null
                   then (select count(*)::int from public.gigs d where d.path operator(extensions.<@) g.path) else 0 end as size
         from public.gigs g where g.org_id = $1 and g.deleted_at is null order by g.id`,
      [env.orgId],
    );
    const largest = gigs.reduce((best, g) => (g.size > best.size ? g : best));
    const random = seededRandom(19);
    const sample = Array.from({ length: 200 }, () => pick(random, gigs).id);
    const ROOT_CALLS = 20;

    // The category a gig's "expanded" call opens: its first demand category (from a summary).
    const firstCategory = new Map<string, string>();
    let bytes = 0;
    const call = async (gigId: string, expand?: string): Promise<number> => {
      const started = performance.now();
      const args = expand === undefined ? { p_gig_id: gigId } : { p_gig_id: gigId, p_categories: [expand], p_expand: [expand] };
      const { data, error } = await env.manager.rpc('get_availability', args);
      const elapsed = performance.now() - started;
      if (error !== null) throw new Error(`get_availability failed: ${error.message}`);
      bytes += JSON.stringify(data).length;
      const first = availabilitySchema.parse(data).categories[0]?.category;
      if (expand === undefined && first !== undefined) firstCategory.set(gigId, first);
      return elapsed;
    };
    log('warming up…');
    for (const id of sample.slice(0, 20)) await call(id);
    await call(largest.id);
    log(`measuring ${sample.length} gigs and the largest root ×${ROOT_CALLS} over HTTP…`);
    bytes = 0;
    const httpGig: number[] = [];
    for (const id of sample) httpGig.push(await call(id));
    const gigBytes = bytes / sample.length;
    bytes = 0;
    const httpRoot: number[] = [];
    for (let i = 0; i < ROOT_CALLS; i += 1) httpRoot.push(await call(largest.id));
    const rootBytes = bytes / ROOT_CALLS;
    const opened = sample.filter((id) => firstCategory.has(id));
    bytes = 0;
    const httpOpen: number[] = [];
    for (const id of opened) httpOpen.push(await call(id, firstCategory.get(id)));
    const openBytes = bytes / Math.max(opened.length, 1);

    log('measuring execution in the database (EXPLAIN ANALYZE)…');
    const client = await env.asManager();
    const dbTime = async (gigId: string): Promise<number> => {
      const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(
        'explain (analyze, format json) select public.get_availability(p_gig_id => $1)',
        [gigId],
      );
      return rows[0]?.['QUERY PLAN'][0]['Execution Time'] ?? Number.NaN;
    };
    const dbGig: number[] = [];
    const dbRoot: number[] = [];
    try {
      for (const id of sample) dbGig.push(await dbTime(id));
      for (let i = 0; i < ROOT_CALLS; i += 1) dbRoot.push(await dbTime(largest.id));
    } finally {
      await client.end();
    }

    log('loading the rows as the pull sends them…');
    const read = async (sql: string): Promise<unknown[]> => (await env.db.query<{ row: unknown }>(sql, [env.orgId])).rows.map((r) => r.row);
    const { rows: buffers } = await env.db.query<{ prep: number; ret: number }>(
      'select prep_buffer_hours as prep, return_buffer_hours as ret from public.organizations where id = $1',
      [env.orgId],
    );
    const rows: AvailabilityRows = {
      gigs: decodeRows('gigs', await read("select to_jsonb(t) - 'search_vector' as row from public.gigs t where t.org_id = $1")),
      assets: decodeRows('assets', await read("select to_jsonb(t) - 'search_vector' as row from public.assets t where t.org_id = $1")),
      cases: decodeRows('cases', await read('select to_jsonb(t) as row from public.cases t where t.org_id = $1')),
      kit: decodeRows('kit_assignments', await read('select to_jsonb(t) as row from public.kit_assignments t where t.org_id = $1')),
      bulk: decodeRows('bulk_items', await read('select app.bulk_item_json(t) as row from public.bulk_items t where t.org_id = $1')),
      buffers: { prepHours: buffers[0]?.prep ?? 24, returnHours: buffers[0]?.ret ?? 24 },
    };
    const now = Date.now();
    const prepareStarted = performance.now();
    const index = prepareAvailability(rows);
    const prepareMs = performance.now() - prepareStarted;
    const offline = (gigId: string, expand?: string): number => {
      const started = performance.now();
      const one = expand === undefined ? null : [expand];
      availability(index, { gigId }, { now, categories: one, expand: one });
      return performance.now() - started;
    };
    // The offline answer is the server's (checked in the domain test); here one spot check.
    const { data: spot } = await env.manager.rpc('get_availability', { p_gig_id: largest.id });
    const same = JSON.stringify(availabilitySchema.parse(spot)) === JSON.stringify(availability(index, { gigId: largest.id }, { now }));
    log(`measuring the offline computation (index built in ${round(prepareMs, 1)} ms)…`);
    for (const id of sample.slice(0, 20)) offline(id);
    const offGig = sample.map((id) => offline(id));
    const offRoot = Array.from({ length: ROOT_CALLS }, () => offline(largest.id));
    const offOpen = opened.map((id) => offline(id, firstCategory.get(id)));

    const line = (label: string, list: number[], size: number | string): (string | number)[] => [
      label,
      list.length,
      percentile(list, 50),
      percentile(list, 95),
      percentile(list, 99),
      size,
    ];
    const kb = (n: number): string => `${round(n / 1024, 1)} KB`;
    process.stdout.write(
      `\nget_availability — scale ${scale}: ${env.seed.gigs} gigs, ${env.seed.assets} assets, largest root ${largest.size} gigs; ` +
        `offline index built in ${round(prepareMs, 1)} ms; offline answer = server answer for the root: ${same ? 'yes' : 'NO'}\n\n` +
        `${table(
          ['what', 'calls', 'p50 ms', 'p95 ms', 'p99 ms', 'answer'],
          [
            line('server over HTTP, random gigs', httpGig, kb(gigBytes)),
            line('server over HTTP, largest root', httpRoot, kb(rootBytes)),
            line('server over HTTP, one category expanded', httpOpen, kb(openBytes)),
            line('in the database, random gigs', dbGig, ''),
            line('in the database, largest root', dbRoot, ''),
            line('offline, random gigs', offGig, ''),
            line('offline, largest root', offRoot, ''),
            line('offline, one category expanded', offOpen, ''),
          ],
        )}\n\n`,
    );
    return {
      bench: 'availability',
      scale,
      gigs: env.seed.gigs,
      assets: env.seed.assets,
      largest_root_gigs: largest.size,
      server_gig_p50_ms: round(percentile(httpGig, 50)),
      server_gig_p95_ms: round(percentile(httpGig, 95)),
      server_root_p50_ms: round(percentile(httpRoot, 50)),
      server_root_p95_ms: round(percentile(httpRoot, 95)),
      db_gig_p95_ms: round(percentile(dbGig, 95)),
      db_root_p95_ms: round(percentile(dbRoot, 95)),
      offline_gig_p50_ms: round(percentile(offGig, 50)),
      offline_gig_p95_ms: round(percentile(offGig, 95)),
      offline_root_p95_ms: round(percentile(offRoot, 95)),
      offline_index_ms: round(prepareMs),
      server_expanded_p95_ms: round(percentile(httpOpen, 95)),
      offline_expanded_p95_ms: round(percentile(offOpen, 95)),
      expanded_answer_kb: round(openBytes / 1024, 1),
      gig_answer_kb: round(gigBytes / 1024, 1),
      root_answer_kb: round(rootBytes / 1024, 1),
      offline_equals_server: same,
    };
  } finally {
    await env.db.end();
    await env.stack.stop();
  }
}
