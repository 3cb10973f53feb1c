import { coalesceCacheChanges } from '../core/cache-topics';
import type { StationEventName, StationEventValues } from '../core/station-api';
import type { StationServices } from './station-services';

export type EmitStationEvent = <E extends StationEventName>(event: E, value: StationEventValues[E]) => void;

/**
 * Every StationApi event from the services, for any transport (IPC or the browser host's
 * socket). Cache changes are coalesced: a pull of 20k rows or a burst of scans is one reload
 * per `coalesceMs`, not one per row.
 */
export function subscribeStationEvents(
  services: Pick<StationServices, 'engine' | 'scanning' | 'store'>,
  emit: EmitStationEvent,
  coalesceMs = 150,
): () => void {
  const changes = coalesceCacheChanges((change) => emit('cacheChanged', change), coalesceMs, {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  });
  const offs = [
    services.engine.subscribe((value) => emit('syncStatus', value)),
    services.scanning.onScan((value) => emit('scan', value)),
    services.scanning.onFeedback((value) => emit('scanFeedback', value)),
    services.scanning.onInput((value) => emit('scannerInput', value)),
    services.store.onCacheChange((tables) => changes.add(tables)),
  ];
  return () => {
    changes.stop();
    offs.forEach((off) => off());
  };
}
