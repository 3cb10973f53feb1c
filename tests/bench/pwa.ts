import { execFileSync } from 'node:child_process';
import { z } from 'zod';
import { DEMO_PASSWORD, ORGS, seedDatabase } from '../../scripts/seed/seed';
import { serveWeb } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { startTestStack } from '../helpers/local-stack';
import { percentile, round, table } from './stats';

const OPS = 1000;

const scansSchema = z.object({ times: z.array(z.number()), kinds: z.record(z.string(), z.number()) });
const drainSchema = z.object({ ms: z.number(), depth: z.number().int() });

/**
 * The crew PWA in Chromium (production web build, service worker, IndexedDB) against a fresh
 * local stack: 1,000 check-outs scanned offline — each one durably in IndexedDB before its
 * feedback — then the time from reconnecting to an empty queue.
 */
export async function pwaBench(): Promise<Record<string, unknown>> {
  process.stderr.write('building the web app…\n');
  execFileSync('npm', ['run', 'build:web'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const stack = await startTestStack();
  const web = await serveWeb();
  const browser = await launchChromium();
  try {
    await seedDatabase(stack.dbUrl, { gigs: 80, assets: OPS * 3, staff: 12, seed: 11 });
    const gig = (
      await stack.db.query<{ code: string }>(
        `select code from public.gigs where org_id = $1 and status = 'confirmed' and not exists (select 1 from public.gigs c where c.parent_gig_id = gigs.id) order by code limit 1`,
        [ORGS.northlight.id],
      )
    ).rows[0];
    const serials = (
      await stack.db.query<{ serial_number: string }>(
        `select serial_number from public.assets where org_id = $1 and status = 'available' and case_id is null order by serial_number limit $2`,
        [ORGS.northlight.id, OPS],
      )
    ).rows.map((r) => r.serial_number);
    if (gig === undefined || serials.length < OPS)
      throw new Error(`the seed has ${serials.length} available loose assets; ${OPS} are needed`);

    const context = await browser.newContext();
    const page = await context.newPage();
    process.stderr.write('signing in and filling the caches…\n');
    await page.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await page.getByRole('status', { name: 'Connection' }).waitFor();
    await page.evaluate(`window.station.signIn({ email: 'crew@northlight.test', password: ${JSON.stringify(DEMO_PASSWORD)} })`);
    for (let waited = 0; Number(await page.evaluate('window.station.listAssets().then((a) => a.length)')) < OPS * 3; waited += 500) {
      if (waited > 120_000) throw new Error('the caches did not fill within 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 30_000 });

    await context.setOffline(true);
    process.stderr.write(`scanning ${OPS} check-outs offline…\n`);
    const scans = scansSchema.parse(
      await page.evaluate(`(async () => {
        await window.station.submitScan({ code: ${JSON.stringify(gig.code)}, deviceId: 'bench' });
        const times = [];
        const kinds = {};
        for (const code of ${JSON.stringify(serials)}) {
          const t0 = performance.now();
          const feedback = await window.station.submitScan({ code, deviceId: 'bench' });
          times.push(performance.now() - t0);
          kinds[feedback.kind] = (kinds[feedback.kind] || 0) + 1;
        }
        return { times, kinds };
      })()`),
    );
    const before = Number(await page.evaluate('window.station.getSyncStatus().then((s) => s.depth)'));

    process.stderr.write('reconnecting…\n');
    await context.setOffline(false);
    const drain = drainSchema.parse(
      await page.evaluate(`(async () => {
        const t0 = performance.now();
        window.dispatchEvent(new Event('online'));
        let depth = -1;
        for (;;) {
          depth = (await window.station.getSyncStatus()).depth;
          if (depth === 0 || performance.now() - t0 > 120000) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        return { ms: performance.now() - t0, depth };
      })()`),
    );
    const moved = Number(
      (
        await stack.db.query<{ n: number }>(
          `select count(*)::int as n from public.asset_movements m join public.assets a on a.id = m.asset_id where a.serial_number = any($1) and m.kind = 'check_out' and m.device_id like 'pwa-%'`,
          [serials],
        )
      ).rows[0]?.n,
    );
    const result = {
      bench: 'pwa',
      enqueue_p95_ms: round(percentile(scans.times, 95), 2),
      drain_ops: before,
      drain_ms: round(drain.ms, 0),
    };
    process.stdout.write(
      `${table(
        ['measure', 'p50', 'p95', 'p99', 'max', 'target'],
        [
          [
            'scan → op durable in IndexedDB → feedback (ms)',
            percentile(scans.times, 50),
            percentile(scans.times, 95),
            percentile(scans.times, 99),
            Math.max(...scans.times),
            'p95 ≤ 10',
          ],
        ],
      )}\n` +
        `feedback kinds: ${JSON.stringify(scans.kinds)}; queued before reconnect: ${before}\n` +
        `reconnect → queue empty: ${round(drain.ms, 0)} ms for ${before} ops (target ≤ 2000 ms); left queued: ${drain.depth}; check-outs on the server: ${moved}\n`,
    );
    if (moved !== OPS || drain.depth !== 0)
      throw new Error(`expected ${OPS} check-outs on the server and an empty queue, got ${moved} and ${drain.depth}`);
    return result;
  } finally {
    await browser.close();
    await web.close();
    await stack.stop();
  }
}
