import { randomUUID } from 'node:crypto';
import { seededRandom } from '../../core/random';
import { SyncEngine } from '../../core/sync/engine';
import { WHOLE_ORGANIZATION } from '../../core/sync/scope';
import { supabaseTransport } from '../../core/sync/supabase-transport';
import { TransportError, type SyncTransport } from '../../core/sync/transport';
import { SqliteQueueStore } from '../../main/sync/sqlite-queue-store';
import { systemClock } from '../../main/sync/system-clock';
import { nodeSupabaseClient, type NodeSupabaseClient } from './supabase-client';

export interface Station {
  engine: SyncEngine;
  store: SqliteQueueStore;
  client: NodeSupabaseClient;
  transport: SyncTransport;
}

/** A real station: SQLite file, supabase-js signed in, the engine on the real clock. */
export async function openStation(options: {
  url: string;
  anonKey: string;
  email: string;
  password: string;
  dbPath: string;
  batchSize?: number;
  /** Rows per first-sync page (small, so a test sees several pages). */
  snapshotLimit?: number;
  backoff?: { baseMs: number; maxMs: number };
  wrap?: (transport: SyncTransport) => SyncTransport;
  seed?: number;
  /** Checks of a scoped copy as often as pulls bring rows (the engine spaces them 10 s apart). */
  scopedCheckGapMs?: number;
}): Promise<Station> {
  const client = nodeSupabaseClient(options.url, options.anonKey);
  const { error } = await client.auth.signInWithPassword({ email: options.email, password: options.password });
  if (error !== null) throw new Error(`sign-in failed for ${options.email}: ${error.message}`);
  const store = new SqliteQueueStore({ path: options.dbPath, newId: randomUUID });
  const base = supabaseTransport(client, { timeoutMs: 10_000 });
  const transport = options.wrap?.(base) ?? base;
  const engine = new SyncEngine({
    store,
    transport,
    clock: systemClock,
    random: seededRandom(options.seed ?? 1),
    newId: randomUUID,
    batchSize: options.batchSize ?? 200,
    ...(options.snapshotLimit === undefined ? {} : { snapshotLimit: options.snapshotLimit }),
    backoff: options.backoff ?? { baseMs: 5, maxMs: 50 },
    // As the host composes it: the scope the device's settings hold.
    scope: async () => (await store.settings.syncScope.get()) ?? WHOLE_ORGANIZATION,
    ...(options.scopedCheckGapMs === undefined ? {} : { scopedCheckGapMs: options.scopedCheckGapMs }),
  });
  await store.recoverInFlight();
  return { engine, store, client, transport };
}

/** Drains until the queue has nothing left to send (or the deadline passes). */
export async function drainUntilSettled(station: Station, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    await station.engine.drain();
    const stats = await station.store.stats();
    if (stats.depth - stats.held === 0) return;
    if (Date.now() > until) throw new Error(`queue still holds ${stats.depth} ops after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The station's transport, cut off while `offline.on` (as a warehouse with the Wi-Fi down). */
export function cuttable(offline: { on: boolean }): (transport: SyncTransport) => SyncTransport {
  return (inner) => ({
    ...inner,
    push: (...args) => (offline.on ? Promise.reject(new TransportError('network', 'no network')) : inner.push(...args)),
    pull: (...args) => (offline.on ? Promise.reject(new TransportError('network', 'no network')) : inner.pull(...args)),
  });
}
