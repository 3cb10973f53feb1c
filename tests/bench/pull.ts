import { z } from 'zod';
import { seededStack } from './seeded-stack';
import { parseScale, percentile, round, table } from './stats';

const pullAnswer = z.object({
  changes: z.record(z.string(), z.array(z.unknown())),
  tombstones: z.array(z.unknown()),
  cursor: z.string().nullable(),
  has_more: z.boolean(),
});

/**
 * pull_changes through supabase-js over HTTP at a seeded scale: a new device's full pull of the
 * organization (pages of 1,000), then 200 incremental pulls, each after 5 assets changed, from
 * the cursor the previous pull returned — what every station and phone does all day.
 */
export async function pullBench(args: string[]): Promise<Record<string, unknown>> {
  const scale = parseScale(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const env = await seededStack(scale, log);
  try {
    const pull = async (
      cursor: string | null,
      limit: number,
    ): Promise<{ ms: number; rows: number; cursor: string | null; more: boolean }> => {
      const started = performance.now();
      const { data, error } = await env.manager.rpc('pull_changes', { cursor, limit });
      const ms = performance.now() - started;
      if (error !== null) throw new Error(`pull_changes failed: ${error.message}`);
      const answer = pullAnswer.parse(data);
      const rows = Object.values(answer.changes).reduce((sum, list) => sum + list.length, 0) + answer.tombstones.length;
      return { ms, rows, cursor: answer.cursor, more: answer.has_more };
    };

    log('full pull of the organization into a new device…');
    const pages: number[] = [];
    const pageRows: number[] = [];
    let cursor: string | null = null;
    let rows = 0;
    const fullStarted = performance.now();
    for (;;) {
      const page = await pull(cursor, 1000);
      pages.push(page.ms);
      pageRows.push(page.rows);
      rows += page.rows;
      cursor = page.cursor;
      if (!page.more) break;
    }
    const fullS = (performance.now() - fullStarted) / 1000;

    const { rows: assets } = await env.db.query<{ id: string }>('select id from public.assets where org_id = $1 order by id limit 1000', [
      env.orgId,
    ]);
    log('measuring 200 incremental pulls (5 changed assets each)…');
    const incremental: number[] = [];
    for (let round_ = 0; round_ < 200; round_ += 1) {
      const changed = assets.slice((round_ * 5) % assets.length, ((round_ * 5) % assets.length) + 5).map((a) => a.id);
      await env.db.query("update public.assets set notes = 'pull bench ' || $2 where id = any($1)", [changed, round_]);
      const page = await pull(cursor, 500);
      if (page.rows < changed.length) throw new Error(`incremental pull returned ${page.rows} rows for ${changed.length} changes`);
      incremental.push(page.ms);
      cursor = page.cursor;
    }

    const rowsPerS = Math.round(rows / fullS);
    const result = {
      bench: 'pull',
      scale,
      full_rows: rows,
      full_s: round(fullS, 2),
      full_rows_per_s: rowsPerS,
      // A new device's full pull: how long until the first page is there (what its user waits for
      // before anything shows), and the rows per second the whole pull keeps up.
      first_page_ms: round(pages[0] ?? Number.NaN, 1),
      rows_per_s: rowsPerS,
      page_p95_ms: round(percentile(pages, 95), 1),
      incremental_p50_ms: round(percentile(incremental, 50), 1),
      incremental_p95_ms: round(percentile(incremental, 95), 1),
      incremental_p99_ms: round(percentile(incremental, 99), 1),
    };
    process.stdout.write(
      `${table(
        ['pull', 'calls', 'rows', 'p50 ms', 'p95 ms', 'p99 ms'],
        [
          ['full: first page', 1, pageRows[0] ?? 0, result.first_page_ms, result.first_page_ms, result.first_page_ms],
          ['full (pages of 1,000)', pages.length, rows, percentile(pages, 50), percentile(pages, 95), percentile(pages, 99)],
          [
            'incremental (5 changes)',
            incremental.length,
            incremental.length * 5,
            percentile(incremental, 50),
            percentile(incremental, 95),
            percentile(incremental, 99),
          ],
        ],
      )}\nfull pull: ${rows} rows in ${result.full_s} s (${result.rows_per_s} rows/s), first page after ${result.first_page_ms} ms\n`,
    );
    return result;
  } finally {
    await env.db.end();
    await env.stack.stop();
  }
}
