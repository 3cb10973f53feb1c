// Sends Web Push for gig changes: called by the outbox's database webhook (and the periodic
// sweep) with the shared secret; claims due outbox rows, pushes to every subscription of staff on
// the gig or any gig above it, and records each push service's answer. GET serves the VAPID
// public key the PWA subscribes with.
import { z } from 'zod';
import { readEnv } from '../_shared/env.ts';
import { corsHeaders, json, jsonError } from '../_shared/http.ts';
import { sameSecret } from '../_shared/secret.ts';
import { serviceRpc, type ServiceRpcConfig } from '../_shared/service-rpc.ts';
import { createPushSender, PUSH_SERVICE_HOSTS, type PushOptions, type PushOutcome, type PushTarget } from '../_shared/web-push-sender.ts';

const env = readEnv([
  'SUPABASE_URL',
  'SUPABASE_SERVICE_ROLE_KEY',
  'NOTIFY_STAFF_SECRET',
  'VAPID_PUBLIC_KEY',
  'VAPID_PRIVATE_KEY',
  'VAPID_SUBJECT',
]);
const rpc: ServiceRpcConfig = { url: env.SUPABASE_URL, serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY };
// PUSH_SERVICE_HOSTS (optional, comma-separated) adds push services, e.g. a self-hosted autopush.
const extraHosts = (Deno.env.get('PUSH_SERVICE_HOSTS') ?? '')
  .split(',')
  .map((h) => h.trim())
  .filter((h) => h !== '');
const send = createPushSender({
  subject: env.VAPID_SUBJECT,
  publicKey: env.VAPID_PUBLIC_KEY,
  privateKey: env.VAPID_PRIVATE_KEY,
  allowedHosts: [...PUSH_SERVICE_HOSTS, ...extraHosts],
});

/** Rows per claim, and how long a claim is ours before another sender may take it back. */
const BATCH = 20;
const LEASE_SECONDS = 300;
/** Pushes in flight at once across this process. */
const CONCURRENCY = 48;
/** A call stops claiming after this long; the sweep (or the next webhook) takes the rest. */
const BUDGET_MS = 25_000;
/** A schedule change matters for the next hours; an offline phone gets it if it is back within 12 h. */
const TTL_SECONDS = 12 * 60 * 60;

// Each row and each subscription is checked on its own: one malformed entry must not stall the
// rest of the batch (it is reported, and a subscription that can never work is pruned).
const outboxRow = z.object({
  id: z.number().int(),
  claim_token: z.string(),
  gig_id: z.string().regex(/^[0-9a-f-]{36}$/),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  url: z.string(),
  tag: z.string(),
  attempts: z.number().int(),
  subscriptions: z.array(z.unknown()),
});
type OutboxRow = z.infer<typeof outboxRow>;
const subscription = z.object({ id: z.string().regex(/^[0-9a-f-]{36}$/), endpoint: z.string(), p256dh: z.string(), auth: z.string() });

/** A tiny semaphore: every push of every row this process sends shares CONCURRENCY slots. */
let inFlight = 0;
const waiting: (() => void)[] = [];
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (inFlight >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight += 1;
  try {
    return await work();
  } finally {
    inFlight -= 1;
    waiting.shift()?.();
  }
}

function pushOptions(row: OutboxRow): PushOptions {
  return {
    ttl: TTL_SECONDS,
    // A moved set time or a cancelled show wakes the phone; a venue edit can wait for the next wake-up.
    urgency: row.kind === 'schedule' || row.kind === 'status' ? 'high' : 'normal',
    // The gig's id without dashes (32 chars): a newer change replaces one still waiting at the push service.
    topic: row.gig_id.replaceAll('-', ''),
  };
}

async function deliver(row: OutboxRow): Promise<{ sent: number; failed: number }> {
  const payload = JSON.stringify({
    title: row.title,
    body: row.body,
    url: row.url,
    tag: row.tag,
    icon: 'icon.svg',
    gig_id: row.gig_id,
    kind: row.kind,
    outbox_id: row.id,
  });
  const results: PushOutcome[] = await Promise.all(
    row.subscriptions.map((raw) => {
      const parsed = subscription.safeParse(raw);
      if (!parsed.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        return Promise.resolve<PushOutcome | null>(
          typeof id === 'string' ? { subscription_id: id, status: 410, error: 'not sent: malformed subscription' } : null,
        );
      }
      const target: PushTarget = parsed.data;
      return limited(() => send(target, payload, pushOptions(row)));
    }),
  ).then((list) => list.filter((r): r is PushOutcome => r !== null));
  const held = await serviceRpc(rpc, 'complete_notification', { outbox_id: row.id, claim_token: row.claim_token, results }, z.boolean());
  if (!held) console.warn(`notify-staff: outbox row ${row.id}: the claim had passed to another sender; its outcome was not recorded`);
  const sent = results.filter((r) => r.status >= 200 && r.status < 300).length;
  return { sent, failed: results.length - sent };
}

/** Claims and delivers until nothing is due (or the budget is spent); safe to run concurrently. */
async function deliverDue(): Promise<{ rows: number; sent: number; failed: number; malformed: number }> {
  const started = Date.now();
  const total = { rows: 0, sent: 0, failed: 0, malformed: 0 };
  while (Date.now() - started < BUDGET_MS) {
    const claimed = await serviceRpc(
      rpc,
      'claim_notification_outbox',
      { max_rows: BATCH, lease_seconds: LEASE_SECONDS },
      z.array(z.unknown()),
    );
    if (claimed.length === 0) break;
    const rows: OutboxRow[] = [];
    for (const raw of claimed) {
      const parsed = outboxRow.safeParse(raw);
      if (parsed.success) rows.push(parsed.data);
      else {
        // Left claimed: its lease runs out and it is claimed again (and shows in this log) — never lost.
        total.malformed += 1;
        console.error(`notify-staff: an outbox row did not parse: ${parsed.error.message.slice(0, 300)}`);
      }
    }
    for (const outcome of await Promise.all(rows.map(deliver))) {
      total.rows += 1;
      total.sent += outcome.sent;
      total.failed += outcome.failed;
    }
  }
  return total;
}

Deno.serve(async (request: Request): Promise<Response> => {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: corsHeaders });
  if (request.method === 'GET') return json(200, { vapid_public_key: env.VAPID_PUBLIC_KEY });
  if (request.method !== 'POST') return jsonError(405, 'method_not_allowed', `${request.method} is not supported; use GET or POST`);
  const presented = request.headers.get('x-notify-secret');
  if (presented === null) return jsonError(401, 'missing_secret', 'the x-notify-secret header is required');
  if (!sameSecret(presented, env.NOTIFY_STAFF_SECRET)) return jsonError(403, 'wrong_secret', 'the x-notify-secret header does not match');
  try {
    return json(200, await deliverDue());
  } catch (error) {
    // Claimed rows not completed go back to the queue when their lease ends; nothing is lost.
    console.error(`notify-staff: ${error instanceof Error ? error.message : String(error)}`);
    return jsonError(502, 'delivery_failed', error instanceof Error ? error.message : String(error));
  }
});
