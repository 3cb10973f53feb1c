import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestStack } from '../helpers/local-stack';
import { startPushService, type TestSubscription } from '../helpers/push-service';
import { percentile, round, table } from './stats';
import { errorMessage } from '../../core/errors';

const DAYS = 4;
const STAGES_PER_DAY = 5;
const SETS_PER_STAGE = 10;
/** Staff per level, so that every set's change reaches 10 + 10 + 10 + 20 = 50 subscribers. */
const STAFF = { festival: 10, day: 10, stage: 10, set: 20 } as const;

function parseRate(args: string[]): number {
  const { values } = parseArgs({ args, options: { rate: { type: 'string' } }, strict: false });
  const raw = values.rate;
  if (raw === undefined) return 5;
  const rate = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(rate) || rate <= 0 || rate > 200)
    throw new Error(`--rate must be updates per second, from 0 to 200, got "${String(raw)}"`);
  return rate;
}

/**
 * Web Push latency, end to end on the local stack: 200 set-time changes committed at a steady
 * rate (default 5/s, `--rate N`), each reaching 50 subscribed staff across the festival's
 * hierarchy; measured from the UPDATE's commit to the payload decrypted at a loopback push
 * service (outbox trigger → database webhook → notify-staff → web-push → HTTPS).
 */
export async function pushBench(args: string[]): Promise<Record<string, unknown>> {
  const rate = parseRate(args);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const push = await startPushService();
  log('starting a fresh local stack…');
  const stack = await startTestStack({
    functionEnv: { NODE_EXTRA_CA_CERTS: push.caFile, PUSH_SERVICE_HOSTS: '127.0.0.1' },
    sweepIntervalMs: 0,
  });
  try {
    const orgId = randomUUID();
    await stack.db.query("insert into public.organizations (id, name, slug) values ($1, 'Bench festival org', 'bench-push')", [orgId]);
    const gig = async (name: string, parent: string | null): Promise<string> => {
      const id = randomUUID();
      await stack.db.query(
        "insert into public.gigs (id, org_id, parent_gig_id, name, status, starts_at) values ($1, $2, $3, $4, 'confirmed', '2027-07-01T12:00:00Z')",
        [id, orgId, parent, name],
      );
      return id;
    };
    let staffCount = 0;
    const subscriptions: TestSubscription[] = [];
    /** Members with a staff profile, assigned to the gig, each with one browser subscription. */
    const staff = async (gigId: string, count: number): Promise<void> => {
      const rows = Array.from({ length: count }, () => {
        staffCount += 1;
        const subscription = push.subscribe();
        subscriptions.push(subscription);
        return { user: randomUUID(), n: staffCount, subscription };
      });
      await stack.db.query(
        `with input as (select * from jsonb_to_recordset($1::jsonb) as x(user_id uuid, n int, endpoint text, p256dh text, auth text)),
              users as (insert into auth.users (id, email, role, aud) select user_id, 'bench' || n || '@push.example', 'authenticated', 'authenticated' from input returning id),
              members as (insert into public.memberships (org_id, user_id, role) select $2, id, 'crew' from users),
              profiles as (insert into public.staff_profiles (org_id, user_id, display_name, badge_code)
                           select $2, user_id, 'Crew ' || n, 'BP-' || n from input where user_id in (select id from users) returning id, user_id),
              -- Data-modifying CTEs all run to completion, read or not.
              assigned as (insert into public.gig_staff (org_id, gig_id, staff_id, role) select $2, $3, p.id, 'Crew' from profiles p)
         insert into public.user_push_subscriptions (user_id, endpoint, p256dh, auth, user_agent)
         select user_id, endpoint, p256dh, auth, 'push bench' from input`,
        [
          JSON.stringify(
            rows.map((r) => ({
              user_id: r.user,
              n: r.n,
              endpoint: r.subscription.endpoint,
              p256dh: r.subscription.p256dh,
              auth: r.subscription.auth,
            })),
          ),
          orgId,
          gigId,
        ],
      );
    };

    log('arranging the festival: 4 days × 5 stages × 10 sets, 50 subscribed staff per set…');
    const festival = await gig('Bench Festival', null);
    await staff(festival, STAFF.festival);
    const sets: string[] = [];
    for (let d = 0; d < DAYS; d += 1) {
      const day = await gig(`Day ${d + 1}`, festival);
      await staff(day, STAFF.day);
      for (let s = 0; s < STAGES_PER_DAY; s += 1) {
        const stage = await gig(`Day ${d + 1} stage ${s + 1}`, day);
        await staff(stage, STAFF.stage);
        for (let t = 0; t < SETS_PER_STAGE; t += 1) {
          const set = await gig(`Day ${d + 1} stage ${s + 1} set ${t + 1}`, stage);
          await staff(set, STAFF.set);
          sets.push(set);
        }
      }
    }
    const perUpdate = STAFF.festival + STAFF.day + STAFF.stage + STAFF.set;

    log('warming up (5 updates)…');
    const warm = await gig('Warm-up set', festival);
    for (let i = 0; i < 5; i += 1)
      await stack.db.query("update public.gigs set starts_at = starts_at + interval '5 minutes' where id = $1", [warm]);
    await push.waitFor(() => push.arrivals.length >= 5 * STAFF.festival, 'warm-up deliveries', 30_000);
    const warmArrivals = push.arrivals.length;

    log(`measuring: ${sets.length} updates at ${rate}/s, ${perUpdate} subscribers each…`);
    const committedAt = new Map<string, number>();
    const interval = 1000 / rate;
    const started = performance.now();
    for (const [i, set] of sets.entries()) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await stack.db.query(
        "update public.gigs set starts_at = '2027-07-01T20:00:00Z'::timestamptz + $2 * interval '1 minute' where id = $1",
        [set, i],
      );
      committedAt.set(set, Date.now());
    }
    const expected = sets.length * perUpdate;
    await push
      .waitFor(() => push.arrivals.length - warmArrivals >= expected, `${expected} deliveries`, 120_000)
      .catch((error: unknown) => log(errorMessage(error)));

    const latencies: number[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const arrival of push.arrivals.slice(warmArrivals)) {
      const gigId = (arrival.payload as { gig_id?: string }).gig_id ?? '';
      const committed = committedAt.get(gigId);
      if (committed === undefined) continue;
      const key = `${gigId}/${arrival.subscriptionId}`;
      if (seen.has(key)) {
        duplicates += 1;
        continue;
      }
      seen.add(key);
      latencies.push(arrival.at - committed);
    }
    const lost = expected - seen.size;
    const result = {
      bench: 'push',
      updates: sets.length,
      subscribers_per_update: perUpdate,
      rate_per_s: rate,
      deliveries: seen.size,
      duplicates,
      rejected: push.rejections.length,
      p50_ms: round(percentile(latencies, 50), 1),
      p95_ms: round(percentile(latencies, 95), 1),
      p99_ms: round(percentile(latencies, 99), 1),
      max_ms: round(Math.max(...latencies), 1),
      lost,
    };
    process.stdout.write(
      `${table(
        ['path', 'updates', 'deliveries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'lost'],
        [
          [
            'commit → decrypted at push service',
            result.updates,
            result.deliveries,
            result.p50_ms,
            result.p95_ms,
            result.p99_ms,
            result.max_ms,
            lost,
          ],
        ],
      )}\n`,
    );
    return result;
  } finally {
    await stack.stop();
    await push.stop();
  }
}
