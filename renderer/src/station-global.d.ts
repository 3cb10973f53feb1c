import type { StationApi } from '../../core/station-api';

declare global {
  interface Window {
    /** Exposed by the preload (Electron) or the browser host's client; nothing else is. */
    readonly station: StationApi;
  }
}
