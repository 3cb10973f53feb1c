// A station process for the crash tests: queues a plan of ops once (atomically), then drains.
// It prints "ready" once it starts draining and "done" when the queue is empty; the tests kill
// it with SIGKILL at random moments and start it again on the same SQLite file.
import { readFileSync } from 'node:fs';
import type { NewOp } from '../../core/sync/model';
import { drainUntilSettled, openStation } from '../helpers/station';

interface PlannedOp extends NewOp {
  id: string;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const station = await openStation({
  url: env('SUPABASE_URL'),
  anonKey: env('SUPABASE_ANON_KEY'),
  email: env('STATION_EMAIL'),
  password: env('STATION_PASSWORD'),
  dbPath: env('STATION_DB'),
  batchSize: Number(process.env['BATCH'] ?? '10'),
  backoff: { baseMs: 50, maxMs: 500 },
});

if ((await station.store.getMeta('plan_queued')) === null) {
  const plan = JSON.parse(readFileSync(env('PLAN'), 'utf8')) as PlannedOp[];
  // One transaction for the whole plan: a kill leaves all of it queued or none of it.
  station.store.db.transaction(() => {
    for (const { id, ...op } of plan) void station.store.enqueue(op, { id, now: Date.now() });
    void station.store.setMeta('plan_queued', 'yes');
  })();
}
process.stdout.write('ready\n');
await drainUntilSettled(station, 120_000);
process.stdout.write('done\n');
station.store.close();
process.exit(0);
