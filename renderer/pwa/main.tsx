import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from '../src/App';
import type { StationApi } from '../../core/station-api';
import { CrewPush } from '../src/pwa/crew-push';
import { onOpenGig } from '../src/pwa/open-gig';
import { createPwaStation } from '../src/pwa/pwa-station';
import { registerServiceWorker } from '../src/pwa/sw-client';
import '../src/styles.css';

/**
 * The crew PWA: the station's renderer over an in-page StationApi (IndexedDB + the core sync
 * engine + supabase-js). The backend comes from an invite link (#backend=…&anon=…), a backend
 * saved in Settings, or the build's VITE_SUPABASE_URL / VITE_SUPABASE_ANON_KEY.
 */
const params = new URLSearchParams(window.location.hash.slice(1));
const env = import.meta.env as Record<string, string | undefined>;
const fromLink = params.get('backend') !== null && params.get('anon') !== null ? { url: params.get('backend') ?? '', anonKey: params.get('anon') ?? '' } : null;
const fromBuild = env['VITE_SUPABASE_URL'] !== undefined && env['VITE_SUPABASE_ANON_KEY'] !== undefined ? { url: env['VITE_SUPABASE_URL'], anonKey: env['VITE_SUPABASE_ANON_KEY'] } : null;

async function start(): Promise<void> {
  const station = await createPwaStation({ launchDefault: fromBuild, appVersion: env['VITE_APP_VERSION'] ?? 'web' });
  if (fromLink !== null) {
    await station.api.saveSettings({ backend: fromLink }).catch((error: unknown) => console.warn(`invite link not applied: ${String(error)}`));
    history.replaceState(null, '', window.location.pathname);
  }
  registerServiceWorker(station.engine);
  const push = new CrewPush({ backend: station.backend, meta: station.store, registration: () => navigator.serviceWorker.ready });
  // A phone's notifications belong to whoever is signed in: forgotten on sign-out or a backend
  // switch (before the session goes), saved again for the next sign-in.
  const api: StationApi = {
    ...station.api,
    signOut: async () => {
      await push.forget().catch(() => undefined);
      return station.api.signOut();
    },
    signIn: async (input) => {
      const settings = await station.api.signIn(input);
      void push.refresh().catch(() => undefined);
      return settings;
    },
    saveSettings: async (input) => {
      if (input.backend !== undefined) await push.forget().catch(() => undefined);
      return station.api.saveSettings(input);
    },
  };
  Object.defineProperty(window, 'station', { value: api, writable: false });
  // Offline or signed out this fails quietly; the next start tries again.
  void push.refresh().catch(() => undefined);
  const root = document.getElementById('root');
  if (root === null) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <App variant="crew" push={push} onOpenGig={onOpenGig} />
    </StrictMode>,
  );
}

void start();
