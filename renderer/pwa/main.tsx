import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { StationApi } from '../../core/station-api';
import { CrewPush } from '../src/pwa/crew-push';
import { InviteGate } from '../src/pwa/InviteGate';
import { parseInvite } from '../src/pwa/invite';
import { onOpenGig } from '../src/pwa/open-gig';
import { createPwaStation } from '../src/pwa/pwa-station';
import { registerServiceWorker } from '../src/pwa/sw-client';
import '../src/styles.css';

/**
 * The crew PWA: the station's renderer over an in-page StationApi (IndexedDB + the core sync
 * engine + supabase-js). The backend comes from an invite link (#backend=…&anon=…, asked about
 * on a phone already set up: InviteGate), a backend saved in Settings, or the build's
 * VITE_SUPABASE_URL / VITE_SUPABASE_ANON_KEY.
 */
const invite = parseInvite(window.location.hash);
const env = import.meta.env as Record<string, string | undefined>;
const fromBuild =
  env['VITE_SUPABASE_URL'] !== undefined && env['VITE_SUPABASE_ANON_KEY'] !== undefined
    ? { url: env['VITE_SUPABASE_URL'], anonKey: env['VITE_SUPABASE_ANON_KEY'] }
    : null;

async function start(): Promise<void> {
  const station = await createPwaStation({ launchDefault: fromBuild, appVersion: env['VITE_APP_VERSION'] ?? 'web' });
  registerServiceWorker(station.engine);
  const push = new CrewPush({ backend: station.backend, meta: station.store.settings, registration: () => navigator.serviceWorker.ready });
  // Offline or signed out this fails quietly; the next start tries again.
  const refreshed = push.refresh().catch(() => undefined);
  // A phone's notifications belong to whoever is signed in: forgotten on sign-out, and on a
  // backend switch (Settings or an accepted invite) once the switch is allowed and before the old
  // session goes — after the start's refresh, so that cannot save it back afterwards.
  station.backend.beforeSwitch = async () => {
    await refreshed;
    await push.forget().catch(() => undefined);
  };
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
  };
  Object.defineProperty(window, 'station', { value: api, writable: false });
  const root = document.getElementById('root');
  if (root === null) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <InviteGate invite={invite} variant="crew" push={push} onOpenGig={onOpenGig} />
    </StrictMode>,
  );
}

void start();
