// A station process for the crash tests: queues a plan of ops once (atomically), then drains.
// It prints "ready" once it starts draining and "done" when the queue is empty; the tests kill
// it with SIGKILL at random moments and start it again on the same SQLite file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

// The plan is queued once: a marker file beside the database says so once it is. A kill between
// the queueing and the marker leaves the plan queued and not yet drained (draining starts below),
// so a queue that is not empty means the same.
const planned = `${env('STATION_DB')}.plan-queued`;
if (!existsSync(planned) && (await station.store.stats()).depth === 0) {
  const plan = JSON.parse(readFileSync(env('PLAN'), 'utf8')) as PlannedOp[];
  // One transaction for the whole plan: a kill leaves all of it queued or none of it.
  await station.store.enqueueMany(plan.map(({ id, ...op }) => ({ op, id, now: Date.now() })));
}
writeFileSync(planned, 'yes');
process.stdout.write('ready\n');
await drainUntilSettled(station, 120_000);
process.stdout.write('done\n');
station.store.close();
process.exit(0);
