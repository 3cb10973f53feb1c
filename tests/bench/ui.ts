import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { seededRandom, type Random } from '../../core/random';
import { rebase } from '../../core/sync/optimistic';
import type { Row } from '../../core/sync/model';
import { runBrowserStation } from '../../main/browser-host/run';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { percentile, round, table } from './stats';

const ASSETS = 20_000;
const GIGS = 5_000;
const MOUNTS = 15;
const SCROLL_FRAMES = 240;
const CATEGORIES = ['Audio', 'Lighting', 'Video', 'Rigging', 'Power', 'Staging', 'Backline'];
const STATUSES = ['available', 'available', 'available', 'checked_out', 'in_maintenance', 'quarantined'];

function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** A festival-shaped hierarchy and 20k assets, deterministic, straight into the station's caches. */
async function fillCaches(store: SqliteQueueStore): Promise<void> {
  const random = seededRandom(7);
  const id = (): string => randomUUID();
  const gigs: Row[] = [];
  let parents: string[] = [];
  for (let i = 0; i < GIGS; i += 1) {
    const parent = i < 50 ? null : pick(random, parents);
    const gig = {
      id: id(),
      parent_gig_id: parent,
      code: `GIG-${String(i).padStart(6, '0')}`,
      name: `Gig ${i}`,
      status: 'confirmed',
      starts_at: new Date(Date.UTC(2027, 0, 1) + i * 3_600_000).toISOString(),
      venue: `Hall ${i % 40}`,
      version: 1,
    };
    gigs.push(gig);
    parents.push(gig.id);
    if (parents.length > 1500) parents = parents.slice(-1500);
  }
  const assets: Row[] = Array.from({ length: ASSETS }, (_, i) => {
    const status = pick(random, STATUSES);
    const category = pick(random, CATEGORIES);
    return {
      id: id(),
      serial_number: `${category.slice(0, 3).toUpperCase()}-${String(100_000 + i)}`,
      barcode: String(4_000_000_000_000 + i),
      name: `${category} item ${i % 97}`,
      category,
      status,
      current_gig_id: status === 'checked_out' ? pick(random, gigs).id : null,
      case_id: null,
      version: 1,
    };
  });
  await store.applyPull({ changes: { gigs, assets }, tombstones: [], cursor: '1:1', has_more: false }, rebase);
}

/**
 * The page-side probe: runs in the browser, measures with performance.now() and animation frames
 * (no CDP round trip in the figures). Kept as plain JS: it is evaluated in the page, not bundled.
 */
const PROBE = `
window.__probe = {
  frame: () => new Promise((r) => requestAnimationFrame(() => r())),
  rows: () => document.querySelectorAll('[data-testid="asset-list"] [role="option"]').length,
  tab: (name) => [...document.querySelectorAll('nav[aria-label="Screens"] button')].find((b) => b.textContent.startsWith(name)),
  async mount() {
    this.tab('Scan').click();
    await this.frame();
    const t0 = performance.now();
    this.tab('Assets').click();
    while (this.rows() === 0) await this.frame();
    await this.frame();
    return { ms: performance.now() - t0, rows: this.rows() };
  },
  async scroll(frames) {
    const list = document.querySelector('[data-testid="asset-list"]');
    list.scrollTop = 0;
    await this.frame();
    const deltas = [];
    let last = performance.now();
    for (let i = 0; i < frames; i += 1) {
      list.scrollTop += 900;
      await this.frame();
      const now = performance.now();
      deltas.push(now - last);
      last = now;
    }
    return { deltas, rows: this.rows(), top: list.scrollTop };
  },
  async type(text) {
    const input = document.querySelector('input[aria-label="Search assets"]');
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const count = document.querySelector('[data-testid="asset-count"]');
    const times = [];
    for (const value of text) {
      const t0 = performance.now();
      set.call(input, value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      // React renders a discrete input event's update before the next task; then the frame paints it.
      await new Promise((r) => setTimeout(r, 0));
      await this.frame();
      times.push(performance.now() - t0);
    }
    return { times, shown: count.textContent };
  },
};
`;

// What the probe reports, parsed: it crosses from the page.
const mountSchema = z.object({ ms: z.number(), rows: z.number().int() });
const scrollSchema = z.object({ deltas: z.array(z.number()), rows: z.number().int(), top: z.number() });
const typeSchema = z.object({ times: z.array(z.number()), shown: z.string() });

/**
 * The station's asset list in Chromium, production build, 20k assets: how long the Assets screen
 * takes to show rows, how many rows the DOM holds, frame times while scrolling fast, and
 * keystroke → list updated while searching.
 */
export async function uiBench(): Promise<Record<string, unknown>> {
  process.stderr.write('building the renderer (production)…\n');
  execFileSync('npx', ['electron-vite', 'build'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'bench-ui-'));
  chmodSync(dir, 0o755);
  const store = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
  process.stderr.write('filling the station caches…\n');
  await fillCaches(store);
  store.close();
  const station = await runBrowserStation({
    dataDir: dir,
    backend: null,
    credentials: null,
    log: () => undefined,
    rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
    port: 0,
    appVersion: 'bench',
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    process.stderr.write('measuring in Chromium…\n');
    const loadStart = performance.now();
    await page.goto(station.openUrl);
    await page.evaluate(PROBE);
    await page.getByRole('button', { name: /^Assets/ }).click();
    await page
      .getByTestId('asset-count')
      .filter({ hasText: `${ASSETS} of ${ASSETS}` })
      .waitFor({ timeout: 60_000 });
    const loadMs = performance.now() - loadStart;

    const mounts: z.infer<typeof mountSchema>[] = [];
    for (let i = 0; i < MOUNTS; i += 1) mounts.push(mountSchema.parse(await page.evaluate('window.__probe.mount()')));
    const scroll = scrollSchema.parse(await page.evaluate(`window.__probe.scroll(${SCROLL_FRAMES})`));
    // A serial typed, cleared, then a name fragment: each prefix is one keystroke.
    const queries = [
      ...['m', 'mi', 'mic', 'mic-', 'mic-1', 'mic-10', 'mic-100'],
      ...['mic-10', 'mic-1', 'mic-', 'mic', 'mi', 'm', ''],
      ...['i', 'it', 'ite', 'item', 'item ', 'item 4', 'item 42'],
    ];
    const filter = typeSchema.parse(await page.evaluate(`window.__probe.type(${JSON.stringify(queries)})`));

    const mountMs = mounts.map((m) => m.ms);
    const domRows = Math.max(...mounts.map((m) => m.rows), scroll.rows);
    const frames = scroll.deltas.slice(1); // the first frame includes the jump back to the top
    const result = {
      bench: 'ui',
      rows: ASSETS,
      mount_ms: round(percentile(mountMs, 50), 1),
      dom_rows: domRows,
      scroll_p95_frame_ms: round(percentile(frames, 95), 1),
      scroll_max_frame_ms: round(Math.max(...frames), 1),
      filter_p95_ms: round(percentile(filter.times, 95), 1),
      load_ms: round(loadMs, 0),
    };
    process.stdout.write(
      `${table(
        ['measure', 'p50', 'p95', 'max', 'target'],
        [
          ['Assets screen mount (ms)', percentile(mountMs, 50), percentile(mountMs, 95), Math.max(...mountMs), '≤ 50'],
          ['scroll frame (ms)', percentile(frames, 50), percentile(frames, 95), Math.max(...frames), 'max ≤ 50'],
          [
            'keystroke → list updated (ms)',
            percentile(filter.times, 50),
            percentile(filter.times, 95),
            Math.max(...filter.times),
            'p95 ≤ 30',
          ],
        ],
      )}\n` +
        `${ASSETS} assets and ${GIGS} gigs loaded into the page in ${round(loadMs, 0)} ms (first paint of the list included); ` +
        `DOM rows at most ${domRows}; scrolled ${SCROLL_FRAMES} frames to ${round(scroll.top, 0)} px; last query shows "${filter.shown}".\n`,
    );
    return result;
  } finally {
    await browser.close();
    await station.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
