import type { StationEventName, StationEventValues } from '../core/station-api';
import type { CacheChanged } from '../core/station-views';
import type { CachedTable } from '../core/sync/model';
import type { StationServices } from './station-services';

export type EmitStationEvent = <E extends StationEventName>(event: E, value: StationEventValues[E]) => void;

const TOPIC: Record<CachedTable, CacheChanged['topics'][number]> = {
  gigs: 'gigs',
  kit_assignments: 'gigs',
  assets: 'assets',
  cases: 'assets',
  gig_staff: 'other',
  staff_profiles: 'other',
};

/**
 * Every StationApi event from the services, for any transport (IPC or the browser host's
 * socket). Cache changes are coalesced: a pull of 20k rows or a burst of scans is one reload
 * per `coalesceMs`, not one per row.
 */
export function subscribeStationEvents(services: Pick<StationServices, 'engine' | 'scanning' | 'store'>, emit: EmitStationEvent, coalesceMs = 150): () => void {
  let topics = new Set<CacheChanged['topics'][number]>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const offs = [
    services.engine.subscribe((value) => emit('syncStatus', value)),
    services.scanning.onScan((value) => emit('scan', value)),
    services.scanning.onFeedback((value) => emit('scanFeedback', value)),
    services.store.onCacheChange((tables) => {
      for (const table of tables) topics.add(TOPIC[table]);
      timer ??= setTimeout(() => {
        timer = null;
        const changed = [...topics];
        topics = new Set();
        emit('cacheChanged', { topics: changed });
      }, coalesceMs);
    }),
  ];
  return () => {
    if (timer !== null) clearTimeout(timer);
    offs.forEach((off) => off());
  };
}
