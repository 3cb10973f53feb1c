import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../helpers/chromium';
import { createOrg, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';

// The operator's side of replay_expired (issue 15, item 3 follow-up): the real station (SQLite,
// engine) behind the browser host, in Chromium, against the local stack. A scan queued 40 days
// ago reaches a server that has pruned its memory of older ops: the Sync screen says so in words
// and Retry applies it once, as of now.
const dir = mkdtempSync(join(tmpdir(), 'sync-screen-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
/** The README's copies of the shots (the station's common laptop screen, 1366×768). */
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const DAY = 86_400_000;

let stack: TestStack;
let org: Org;
let station: RunningBrowserStation;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'replay');
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await station?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  copyFileSync(join(SHOTS, `${name}.png`), join(DOC_SHOTS, `station-${name}.png`));
}

describe('the Sync screen and an op the server no longer remembers', () => {
  it('explains replay_expired in words, and Retry applies the scan once, as of now', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Main Stage Friday', status: 'confirmed' });
    const { rows } = await stack.db.query<{ id: string }>(
      "insert into public.assets (org_id, serial_number, name, category) values ($1, 'MIC-1042', 'Shure SM58', 'Audio') returning id",
      [org.id],
    );
    const asset = rows[0]?.id ?? '';
    // The station was off for 40 days with this scan queued; the server has pruned ops older than 30.
    const queued = new SqliteQueueStore({ path: join(dir, 'station.sqlite'), newId: randomUUID });
    const old = await queued.enqueue(
      { table: 'assets', action: 'check_out', payload: { id: asset, gig_id: gig }, base_version: 1 },
      { id: randomUUID(), now: Date.now() - 40 * DAY },
    );
    queued.close();
    await stack.db.query('select app.prune_sync_ops($1::timestamptz)', [new Date(Date.now() - 30 * DAY).toISOString()]);

    const member = org.members.station;
    station = await runBrowserStation({
      dataDir: dir,
      backend: { url: stack.url, anonKey: stack.anonKey },
      credentials: { email: member.email, password: member.password },
      log: () => undefined,
      rendererDir: join(PROJECT_ROOT, 'out', 'renderer'),
      port: 0,
      appVersion: 'test',
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(station.openUrl);
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
    await page.keyboard.press('F4');
    await page.locator('main[data-screen="sync"]').waitFor();
    const entry = page.getByTestId('quarantined');
    await expect.poll(() => entry.count(), { timeout: 30_000 }).toBe(1);
    const text = await entry.innerText();
    expect(text).toMatch(/The server no longer remembers this check-out scan from \d{1,2} [A-Z][a-z]{2}/);
    expect(text).toContain("Check the item's history; Retry applies it now.");
    expect(text).not.toContain('replay_expired');
    // What it was, in words with the station's names: no ids, no `table.action`.
    await expect
      .poll(() => entry.getByTestId('quarantined-label').innerText(), { timeout: 30_000 })
      .toBe('Check-out of Shure SM58 · MIC-1042 to Main Stage Friday');
    expect(await page.locator('main').innerText()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}|\b[0-9a-f]{8}\b|assets\.check_out/);
    await shoot('sync-replay-expired');

    const retriedAt = Date.now();
    await entry.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => entry.count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('sync-depth').innerText(), { timeout: 30_000 }).toBe('0');
    const moved = await stack.db.query<{ client_op_id: string; occurred_at: Date }>(
      "select client_op_id::text, occurred_at from public.asset_movements where asset_id = $1 and kind = 'check_out'",
      [asset],
    );
    expect(moved.rows).toHaveLength(1);
    expect(moved.rows[0]?.client_op_id).not.toBe(old.id);
    expect(moved.rows[0]?.occurred_at.getTime()).toBeGreaterThanOrEqual(retriedAt - 1000);
    await shoot('sync-replay-expired-retried');
  }, 120_000);
});
