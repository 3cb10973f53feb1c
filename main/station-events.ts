import { fanOutStationEvents, type EmitStationEvent } from '../core/host';
import type { ScanningService } from './scanners/scanning-service';
import type { StationServices } from './station-services';

export type { EmitStationEvent };

/**
 * Every StationApi event from the station's services, for any transport (IPC or the browser host's
 * socket): the host's one fan-out (core/host.ts) over these services, with Node's timers.
 */
export function subscribeStationEvents(
  services: Pick<StationServices, 'engine' | 'store'> & { scanning: Pick<ScanningService, 'onScan' | 'onFeedback' | 'onInput'> },
  emit: EmitStationEvent,
  coalesceMs = 150,
): () => void {
  return fanOutStationEvents(
    {
      engine: services.engine,
      scans: services.scanning,
      store: services.store,
    },
    emit,
    {
      coalesceMs,
      timer: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      },
    },
  );
}
