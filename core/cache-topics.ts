import type { CacheChanged } from './station-views';
import type { CachedTable } from './sync/model';

type Topic = CacheChanged['topics'][number];

/** Which screens a cached table feeds: gig screens, asset screens, or the rest (staff). */
const CACHE_TOPIC: Record<CachedTable, Topic> = {
  gigs: 'gigs',
  kit_assignments: 'gigs',
  assets: 'assets',
  cases: 'assets',
  gig_staff: 'other',
  staff_profiles: 'other',
  bulk_items: 'assets',
  locations: 'assets',
};

export interface CoalescingTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Cache changes become one `cacheChanged` per `ms` with the topics touched meanwhile: a pull of
 * 20k rows or a burst of scans is one reload, and a scan (assets) does not reload gig screens.
 */
export function coalesceCacheChanges(
  emit: (change: CacheChanged) => void,
  ms: number,
  timer: CoalescingTimer,
): { add(tables: Iterable<CachedTable>): void; stop(): void } {
  let topics = new Set<Topic>();
  let pending: unknown = null;
  return {
    add: (tables) => {
      for (const table of tables) topics.add(CACHE_TOPIC[table]);
      if (pending !== null || topics.size === 0) return;
      pending = timer.setTimeout(() => {
        pending = null;
        const changed = [...topics];
        topics = new Set();
        emit({ topics: changed });
      }, ms);
    },
    stop: () => {
      if (pending !== null) timer.clearTimeout(pending);
      pending = null;
    },
  };
}
