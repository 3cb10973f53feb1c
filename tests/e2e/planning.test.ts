import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserStation, type RunningBrowserStation } from '../../main/browser-host/run';
import { toLocalInput } from '../../renderer/src/zoned-time';
import { DEMO_PASSWORD, ORGS, seedDemoIfEmpty } from '../../scripts/seed/seed';
import { serveWeb, type WebServer } from '../../scripts/serve-web';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { scannerKeyEvents } from '../bench/wedge';
import { cdpKeyEvent } from '../helpers/cdp-keys';
import { launchChromium } from '../helpers/chromium';
import { signInOnPhone } from '../helpers/crew-sign-in';
import { startFaultingProxy, type FaultingProxy } from '../helpers/faulting-proxy';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { OVERFLOW } from '../helpers/overflow';
import { pushManagerStandIn } from '../helpers/push-manager-stand-in';
import { startPushService, type LocalPushService, type TestSubscription } from '../helpers/push-service';

// Issue 19, "Plan and edit offline": a manager plans on the station (the real station — SQLite,
// engine — behind the browser host, in Chromium at 1366×768) with its backend unreachable (a
// proxy that resets every request): a set is created under a festival day, items are added by
// search, a case through the item inside it, one item by a keyboard-wedge scan while the Plan
// screen holds the plan-scan lease, and a quantity of a category another overlapping gig already
// planned — short, and the shortage opens into that gig by name. Two crew are assigned. Back
// online, the server's kit_assignments and gig_staff rows are what was planned. The crew member
// on the phone (the PWA, 360×740) finds the new set under My gigs and sees its plan read-only;
// when the manager moves the set's start on the station, the phone's subscription receives a
// Web Push with the new time (the local push service decrypts it).
const dir = mkdtempSync(join(tmpdir(), 'e2e-planning-'));
chmodSync(dir, 0o755);
const SHOTS = join(PROJECT_ROOT, 'test-results', 'screens');
mkdirSync(SHOTS, { recursive: true });
const DOC_SHOTS = join(PROJECT_ROOT, 'docs', 'screenshots');
const RENDERER = process.env['PLANNING_RENDERER_DIR'] ?? join(PROJECT_ROOT, 'out', 'renderer');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const ZONE = 'Europe/Lisbon';
const SET_NAME = 'Late set: Harbour Lights';
const SIZES = [
  { name: '1366', viewport: { width: 1366, height: 768 } },
  { name: '360', viewport: { width: 360, height: 740 } },
  { name: '414', viewport: { width: 414, height: 896 } },
] as const;

const uuid = (n: number): string => `00000000-0000-4000-9190-${String(n).padStart(12, '0')}`;
const FESTIVAL = uuid(1);
const DAY = uuid(2);
const RIVAL = uuid(3);
const MATINEE = uuid(4);
const CASE = uuid(10);
const DESK = uuid(101);
const DI = uuid(102);
const MIC_1 = uuid(103);
const MIC_2 = uuid(104);
const MONITOR = uuid(105);
const AMP = uuid(106);
const HAZER = uuid(107);

let stack: TestStack;
let proxy: FaultingProxy;
let push: LocalPushService;
let subscription: TestSubscription;
let station: RunningBrowserStation;
let web: WebServer;
let browser: Browser;
let page: Page;
let phoneContext: BrowserContext;
let phone: Page;
let cdp: CDPSession;
const pageErrors: string[] = [];
/** The day the festival plays, in the venue's wall-clock time: three weeks ahead. */
const DAY_START = new Date(Date.now() + 21 * 86_400_000);
DAY_START.setUTCHours(16, 0, 0, 0);
const at = (hoursAfterDayStart: number): Date => new Date(DAY_START.getTime() + hoursAfterDayStart * 3_600_000);
const wall = (when: Date): string => toLocalInput(when.toISOString(), ZONE);

interface Staff {
  id: string;
  name: string;
}
let crewMember: Staff;
let otherMember: Staff;

async function arrange(): Promise<void> {
  const org = ORGS.northlight.id;
  const db = stack.db;
  await db.query(
    `insert into public.gigs (id, org_id, parent_gig_id, code, name, status, starts_at, ends_at, time_zone, venue) values
       ($2, $1, null, 'GIG-PLAN-FEST', 'Harbour Lights Festival', 'confirmed', $6, $7, $8, 'Cais do Sodré'),
       ($3, $1, $2, 'GIG-PLAN-DAY', 'Harbour Lights Day 1', 'confirmed', $6, $7, $8, 'Cais do Sodré'),
       ($4, $1, null, 'GIG-PLAN-RIVAL', 'Riverside Warm-up', 'confirmed', $9, $10, $8, 'Riverside'),
       ($5, $1, null, 'GIG-PLAN-MATINEE', 'Dockside Matinee', 'in_progress', now() - interval '6 days', now() - interval '5 days', $8, 'Dockside')`,
    [org, FESTIVAL, DAY, RIVAL, MATINEE, at(0), at(8), ZONE, at(1), at(6)],
  );
  await db.query(`insert into public.cases (id, org_id, barcode, name) values ($2, $1, 'CASE-PLAN-1', 'Wireless mic case')`, [org, CASE]);
  await db.query(
    `insert into public.assets (id, org_id, serial_number, name, category, status, current_gig_id, case_id) values
       ($2, $1, 'DESK-PLAN-1', 'Harbour mixing desk', 'Plan audio', 'available', null, null),
       ($3, $1, 'DI-PLAN-1', 'Harbour DI box', 'Plan audio', 'available', null, null),
       ($4, $1, 'MIC-PLAN-1', 'Harbour wireless mic', 'Plan wireless', 'available', null, $8),
       ($5, $1, 'MIC-PLAN-2', 'Harbour wireless mic', 'Plan wireless', 'available', null, $8),
       ($6, $1, 'MON-PLAN-1', 'Harbour stage monitor', 'Plan audio', 'checked_out', $7, null),
       ($9, $1, 'AMP-PLAN-1', 'Harbour amp rack', 'Plan audio', 'available', null, null),
       ($10, $1, 'HAZ-PLAN-1', 'Harbour hazer', 'Plan effects', 'available', null, null)`,
    [org, DESK, DI, MIC_1, MIC_2, MONITOR, MATINEE, CASE, AMP, HAZER],
  );
  // The Riverside Warm-up has the one hazer that evening.
  await db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org, RIVAL, HAZER]);
  // The day plans an amp rack; a stage monitor of the same category is still out to a matinee that ended days ago.
  await db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org, DAY, AMP]);
  // Ten hazer fluid canisters; the Riverside Warm-up (the same evening) already plans eight.
  await db.query(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, consumable, in_warehouse) values
       ($1, 'Plan haze', 'Hazer fluid', 'BULK-PLAN-HAZE', 'pcs', true, 10)`,
    [org],
  );
  await db.query(`insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, 'Plan haze', 8)`, [org, RIVAL]);
  const staff = await db.query<{ id: string; name: string; email: string | null }>(
    `select id, display_name as name, email from public.staff_profiles where org_id = $1 order by display_name`,
    [org],
  );
  const crew = staff.rows.find((s) => s.email === 'crew@northlight.test');
  const other = staff.rows.find((s) => s.email !== 'crew@northlight.test' && s.email !== 'station@northlight.test' && s.email !== null);
  if (crew === undefined || other === undefined) throw new Error('the demo staff has no crew member to assign');
  crewMember = crew;
  otherMember = other;
}

/** No sideways scroll at each size (nothing past the right edge either); a screenshot of each, copied into docs/screenshots. */
async function shoot(on: Page, shot: string, sizes: readonly (typeof SIZES)[number][], scrollTo?: string): Promise<void> {
  const before = on.viewportSize();
  for (const size of sizes) {
    await on.setViewportSize(size.viewport);
    await expect.poll(() => on.evaluate<string[]>(OVERFLOW), { message: `${shot} at ${size.name}` }).toEqual([]);
    // No caret or focus ring in the picture; a station's columns from their tops, a phone at what it shows.
    await on.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    if (size.name === '1366') await on.evaluate("for (const el of document.querySelectorAll('main, .plan-column')) el.scrollTop = 0");
    if (scrollTo !== undefined) await on.locator(scrollTo).first().scrollIntoViewIfNeeded();
    const file = join(SHOTS, `${shot}-${size.name}.png`);
    await on.screenshot({ path: file });
    copyFileSync(file, join(DOC_SHOTS, `${shot}-${size.name}.png`));
  }
  if (before !== null) await on.setViewportSize(before);
}

async function screen(key: string, name: string): Promise<void> {
  await page.keyboard.press(key);
  await page.locator(`main[data-screen="${name}"]`).waitFor();
}

/** A keyboard-mode scanner types `code` and Enter (real key events through CDP, 8 ms apart). */
async function wedgeScan(code: string): Promise<void> {
  const events = scannerKeyEvents(code, { start: 0, pollMs: 8, terminator: 'Enter' });
  const base = Date.now() / 1000;
  await Promise.all(events.map((e) => cdp.send('Input.dispatchKeyEvent', cdpKeyEvent(e, base) as never)));
}

const outcome = (): Promise<string> => page.getByTestId('plan-outcome').innerText();
/** Each element's attribute, in order (a pick list line's code, a crew line's name). */
async function attributes(locator: Locator, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const element of await locator.all()) out.push((await element.getAttribute(name)) ?? '');
  return out;
}
const planLines = async (): Promise<string[]> => (await attributes(page.getByTestId('plan-line'), 'data-code')).sort();

/** The set as the server holds it (null until the station's create arrives). */
async function serverSet(): Promise<{ id: string; code: string; starts_at: Date; time_zone: string | null } | null> {
  const { rows } = await stack.db.query<{ id: string; code: string; starts_at: Date; time_zone: string | null }>(
    'select id, code, starts_at, time_zone from public.gigs where parent_gig_id = $1 and name = $2 and deleted_at is null',
    [DAY, SET_NAME],
  );
  return rows[0] ?? null;
}

beforeAll(async () => {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`no built renderer in ${RENDERER}: run npm run build`);
  push = await startPushService();
  stack = await startTestStack({ functionEnv: { NODE_EXTRA_CA_CERTS: push.caFile, PUSH_SERVICE_HOSTS: '127.0.0.1' }, sweepIntervalMs: 0 });
  await seedDemoIfEmpty(stack.dbUrl);
  await arrange();
  // The station reaches its backend through a proxy that, once faulting, resets every request:
  // the venue's network gone (sign-in and the first pull go through before).
  proxy = await startFaultingProxy({ upstream: stack.url, random: () => 0.3, rate: 1, holdMs: 0 });
  station = await runBrowserStation({
    dataDir: dir,
    backend: { url: proxy.url, anonKey: stack.anonKey },
    credentials: { email: 'manager@northlight.test', password: DEMO_PASSWORD },
    log: () => undefined,
    rendererDir: RENDERER,
    port: 0,
    appVersion: 'e2e',
  });
  web = await serveWeb(process.env['CREW_WEB_DIR'] === undefined ? {} : { dir: process.env['CREW_WEB_DIR'] });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: SIZES[0].viewport, locale: 'en-GB' });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  cdp = await page.context().newCDPSession(page);
  await page.goto(station.openUrl);
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 });
}, 300_000);

afterAll(async () => {
  await phoneContext?.close();
  await browser?.close();
  await web?.close();
  await station?.stop();
  await proxy?.stop();
  await stack?.stop();
  await push?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('planning offline', () => {
  it('a manager plans a new set offline on the station; back online the server holds exactly that plan', async () => {
    // The festival day, once the station has pulled it.
    await screen('F2', 'gigs');
    // Nothing selected: what is overdue, across every gig, from the station's copy.
    await expect
      .poll(() => page.getByTestId('overdue-all').innerText(), { timeout: 90_000 })
      .toMatch(/Dockside Matinee · GIG-PLAN-MATINEE\s+due back .+\s+Harbour stage monitor · MON-PLAN-1/);
    await shoot(page, 'station-plan-overdue', SIZES, '[data-testid="overdue-all"]');
    await page.getByLabel('Search gigs').fill('Harbour Lights Day 1');
    await page.locator('[role="treeitem"][data-code="GIG-PLAN-DAY"]').click({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Add a set under this gig' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('overdue').innerText(), { timeout: 30_000 }).toContain('Dockside Matinee · GIG-PLAN-MATINEE');
    await shoot(page, 'station-plan-gigs', SIZES, '[aria-label="Gig detail"] .actions');

    // The network goes.
    proxy.faulting = true;
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Offline' }).waitFor({ timeout: 90_000 });

    // A set under the day, in the venue's time.
    await page.getByRole('button', { name: 'Add a set under this gig' }).click();
    await page.locator('main[data-screen="plan"]').waitFor();
    const form = page.getByRole('form', { name: 'New gig' });
    await form.getByLabel('Name').fill(SET_NAME);
    await form.getByLabel(/^Starts/).fill(wall(at(4)));
    await form.getByLabel(/^Ends/).fill(wall(at(5.5)));
    expect(await form.innerText()).toMatch(/venue time, (WES?T|GMT\+1|GMT)/);
    await shoot(page, 'station-plan-new-set', SIZES);
    await form.getByRole('button', { name: 'Create set' }).click();
    await expect.poll(() => page.getByTestId('plan-screen').locator('h2').innerText(), { timeout: 30_000 }).toContain(SET_NAME);
    expect(await page.getByTestId('plan-screen').innerText()).toContain('Harbour Lights Festival › Harbour Lights Day 1');

    // Items by search: the desk by name, the mic case through a mic inside it.
    await page.getByLabel('Find items to add').fill('harbour mixing');
    await page.getByRole('button', { name: 'Add Harbour mixing desk · DESK-PLAN-1' }).click();
    await expect.poll(outcome, { timeout: 30_000 }).toBe('Harbour mixing desk · DESK-PLAN-1 added');
    await page.getByLabel('Find items to add').fill('MIC-PLAN-1');
    await page.getByRole('button', { name: 'Add its case (2 items)' }).click();
    await expect.poll(planLines, { timeout: 30_000 }).toEqual(['CASE-PLAN-1', 'DESK-PLAN-1']);
    await page.getByLabel('Find items to add').fill('');

    // A scan while the Plan screen is open adds to this pick list (the keyboard wedge, nothing focused).
    await page.getByTestId('plan-scan').waitFor({ timeout: 15_000 });
    await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    await wedgeScan('DI-PLAN-1');
    await expect.poll(planLines, { timeout: 30_000 }).toEqual(['CASE-PLAN-1', 'DESK-PLAN-1', 'DI-PLAN-1']);
    await expect.poll(() => page.getByTestId('plan-scan-feedback').innerText(), { timeout: 15_000 }).toContain('DI-PLAN-1');

    // Six canisters of hazer fluid: the Riverside Warm-up already planned eight of ten that evening.
    const quantity = page.getByRole('form', { name: 'Add a quantity' });
    await quantity.getByLabel('Category').fill('Plan haze');
    await quantity.getByLabel('How many').fill('6');
    await quantity.getByRole('button', { name: 'Add quantity' }).click();
    const haze = page.locator('[data-testid="plan-line"][data-code="BULK-PLAN-HAZE"]');
    await expect
      .poll(() => haze.getByTestId('line-problem').innerText(), { timeout: 30_000 })
      .toBe('short by 4: 2 free of 10 for 6 planned');
    const category = page.locator('[data-testid="avail-category"][data-category="Plan haze"]');
    await category.getByTestId('shortage').locator('summary').click();
    expect(await category.getByTestId('shortage').getByTestId('holding').allInnerTexts()).toEqual([
      expect.stringMatching(/^Riverside Warm-up · GIG-PLAN-RIVAL\s.+\s8 units$/s),
    ]);

    // Two crew, each with a role.
    const assign = page.getByRole('form', { name: 'Assign someone' });
    for (const [person, role] of [
      [crewMember, 'Stagehand'],
      [otherMember, 'Audio'],
    ] as const) {
      await assign.getByLabel('Person').selectOption({ label: person.name });
      await assign.getByLabel('Role').fill(role);
      await assign.getByRole('button', { name: 'Assign' }).click();
      await expect.poll(outcome, { timeout: 30_000 }).toBe(`${person.name} assigned as ${role}`);
    }
    await expect
      .poll(() => attributes(page.getByTestId('crew-line'), 'data-name'), { timeout: 30_000 })
      .toEqual([crewMember.name, otherMember.name].sort((a, b) => a.localeCompare(b)));

    // Everything is waiting to sync, said plainly; nothing reached the server; no id on screen.
    expect(await page.getByTestId('plan-screen').locator('.waiting').count()).toBeGreaterThanOrEqual(7);
    expect(await page.locator('main').innerText()).not.toMatch(UUID);
    expect(await serverSet()).toBeNull();
    await shoot(page, 'station-plan', SIZES);
    await shoot(page, 'station-plan-pick-list', [SIZES[1], SIZES[2]], 'section[aria-label="Pick list"]');
    await shoot(page, 'station-plan-shortage', [SIZES[1], SIZES[2]], '[data-testid="avail-category"][data-category="Plan haze"]');

    // Back online: the queue drains and the server holds exactly the plan.
    proxy.faulting = false;
    await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Online' }).waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByRole('status', { name: 'Connection' }).innerText(), { timeout: 90_000 }).not.toMatch(/queued/);
    const set = await serverSet();
    expect(set).not.toBeNull();
    expect(set?.time_zone).toBe(ZONE);
    expect(set?.starts_at.getTime()).toBe(at(4).getTime());
    const lines = await stack.db.query<{ code: string; quantity: number | null }>(
      `select coalesce(a.serial_number, c.barcode, k.category) as code, k.quantity
         from public.kit_assignments k
         left join public.assets a on a.id = k.asset_id
         left join public.cases c on c.id = k.case_id
        where k.gig_id = $1 order by 1`,
      [set?.id],
    );
    expect(lines.rows).toEqual([
      { code: 'CASE-PLAN-1', quantity: null },
      { code: 'DESK-PLAN-1', quantity: null },
      { code: 'DI-PLAN-1', quantity: null },
      { code: 'Plan haze', quantity: 6 },
    ]);
    const crew = await stack.db.query<{ staff_id: string; role: string }>(
      'select staff_id, role from public.gig_staff where gig_id = $1 order by role',
      [set?.id],
    );
    expect(crew.rows).toEqual([
      { staff_id: otherMember.id, role: 'Audio' },
      { staff_id: crewMember.id, role: 'Stagehand' },
    ]);
    // The server's code for the set replaces "new" once pulled; nothing waits any more.
    await expect.poll(() => page.getByTestId('plan-screen').locator('.waiting').count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('plan-screen').innerText(), { timeout: 60_000 }).toContain(set?.code ?? '?');
    expect(pageErrors).toEqual([]);
  }, 420_000);

  it('the crew member finds the set under My gigs, sees its plan read-only, and gets a push when the manager moves it', async () => {
    subscription = push.subscribe();
    phoneContext = await browser.newContext({
      viewport: SIZES[1].viewport,
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 2,
      locale: 'en-GB',
    });
    await phoneContext.grantPermissions(['notifications'], { origin: web.url });
    await phoneContext.addInitScript(
      pushManagerStandIn({ endpoint: subscription.endpoint, p256dh: subscription.p256dh, auth: subscription.auth }),
    );
    phone = await phoneContext.newPage();
    phone.on('pageerror', (error) => pageErrors.push(error.message));
    await phone.goto(`${web.url}/#backend=${encodeURIComponent(stack.url)}&anon=${encodeURIComponent(stack.anonKey)}`);
    await signInOnPhone(phone, 'crew@northlight.test', DEMO_PASSWORD);

    // My gigs: the new set, with the role the manager gave.
    const mine = phone.locator('main[data-screen="mine"]');
    await expect.poll(() => mine.innerText(), { timeout: 90_000 }).toContain(SET_NAME);
    expect(await mine.innerText()).toContain('Stagehand');
    await shoot(phone, 'phone-plan-my-gigs', [SIZES[1], SIZES[2]], `main[data-screen="mine"] :text("${SET_NAME}")`);
    await phone.getByRole('button', { name: 'Turn on notifications' }).click();
    await phone.getByText('Notifications are on for this device.').waitFor({ timeout: 30_000 });
    await expect
      .poll(
        async () =>
          (await stack.db.query('select 1 from public.user_push_subscriptions where endpoint = $1', [subscription.endpoint])).rowCount,
        {
          timeout: 30_000,
        },
      )
      .toBe(1);

    // Its plan, read-only: the pick list and crew in words, no edit controls, and why.
    await phone.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Gigs/ }).click();
    await phone.getByLabel('Search gigs').fill('Late set');
    await phone.locator('[role="treeitem"]', { hasText: SET_NAME }).click({ timeout: 30_000 });
    await phone.getByRole('button', { name: 'Plan', exact: true }).click();
    await expect.poll(() => phone.getByTestId('plan-note').innerText(), { timeout: 30_000 }).toMatch(/^Signed in as (a )?crew/);
    await expect.poll(() => phone.getByTestId('plan-line').count(), { timeout: 30_000 }).toBe(4);
    expect(await phone.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await phone.getByRole('form').count()).toBe(0);
    expect(await phone.locator('main').innerText()).not.toMatch(UUID);
    await shoot(phone, 'phone-plan', SIZES);
    const shortage = phone.locator('[data-testid="avail-category"][data-category="Plan haze"]').getByTestId('shortage');
    await shortage.locator('summary').click();
    await expect.poll(() => shortage.getByTestId('holding').innerText()).toContain('Riverside Warm-up · GIG-PLAN-RIVAL');
    await shoot(phone, 'phone-plan-availability', [SIZES[1], SIZES[2]], '[data-testid="avail-category"][data-category="Plan haze"]');

    // The manager moves the set half an hour later on the station; the crew member's phone is told.
    const since = push.arrivals.length;
    const times = page.getByRole('form', { name: 'Times' });
    await times.getByLabel(/^Starts/).fill(wall(at(4.5)));
    await times.getByLabel(/^Ends/).fill(wall(at(6)));
    await times.getByRole('button', { name: 'Save times' }).click();
    await expect.poll(outcome, { timeout: 30_000 }).toBe(`${SET_NAME}: times saved`);
    await expect.poll(async () => (await serverSet())?.starts_at.getTime(), { timeout: 90_000 }).toBe(at(4.5).getTime());
    const mineNow = (): { payload: unknown }[] => push.arrivals.slice(since).filter((a) => a.subscriptionId === subscription.id);
    await expect
      .poll(
        async () => {
          await stack.drainWebhooks();
          return mineNow().length;
        },
        { timeout: 90_000, interval: 1_000 },
      )
      .toBeGreaterThan(0);
    const set = await serverSet();
    const newStart = toLocalInput(at(4.5).toISOString(), ZONE).slice(11);
    expect(mineNow().map((a) => a.payload)).toContainEqual(
      expect.objectContaining({ title: SET_NAME, gig_id: set?.id, body: expect.stringContaining(newStart) as unknown }),
    );
    expect(push.rejections).toEqual([]);

    // Deleting the day says how many sets go with it, and asks first; keeping it changes nothing.
    await page.getByRole('button', { name: '← Gigs' }).click();
    await page.getByLabel('Search gigs').fill('Harbour Lights Day 1');
    await page.locator('[role="treeitem"][data-code="GIG-PLAN-DAY"]').click({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.getByRole('button', { name: 'Delete this gig…' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Delete this gig?' });
    expect(await ask.locator('p').innerText()).toBe(
      'Delete Harbour Lights Day 1 and the 1 set under it? Its pick list and crew go with it.',
    );
    await ask.getByRole('button', { name: 'Delete all 2' }).waitFor();
    await shoot(page, 'station-plan-delete', SIZES, '[role="alertdialog"]');
    await ask.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByRole('alertdialog').count()).toBe(0);

    // The hazer the Riverside Warm-up holds that evening: refused in words, planned only when confirmed.
    await page.getByLabel('Find items to add').fill('HAZ-PLAN-1');
    await page.getByRole('button', { name: 'Add Harbour hazer · HAZ-PLAN-1' }).click();
    await expect.poll(outcome, { timeout: 30_000 }).toMatch(/^Not added yet: .*Riverside Warm-up.*confirm to plan it anyway/s);
    expect(await planLines()).toEqual(['AMP-PLAN-1']);
    await shoot(page, 'station-plan-overbooked', SIZES, '[data-testid="plan-outcome"]');
    await page.getByTestId('plan-outcome').getByRole('button', { name: 'Plan it anyway' }).click();
    const hazer = page.locator('[data-testid="plan-line"][data-code="HAZ-PLAN-1"]');
    await expect.poll(() => hazer.innerText(), { timeout: 30_000 }).toContain('overbooked on purpose');
    await expect
      .poll(
        async () =>
          (
            await stack.db.query<{ confirmed: boolean }>(
              'select overbooking_confirmed_at is not null as confirmed from public.kit_assignments where gig_id = $1 and asset_id = $2',
              [DAY, HAZER],
            )
          ).rows,
        { timeout: 90_000 },
      )
      .toEqual([{ confirmed: true }]);
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
