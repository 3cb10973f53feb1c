import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CrewPush, PushSessionService } from '../src/web/crew-push';
import { InviteGate } from '../src/web/InviteGate';
import { parseInvite } from '../src/web/invite';
import { onOpenGig } from '../src/web/open-gig';
import { createPwaStation } from '../src/web/pwa-station';
import { registerServiceWorker } from '../src/web/sw-client';
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
  // The subscription follows the session (sign-in, sign-out, backend switch from Settings or an invite).
  new PushSessionService(push, (line) => console.warn(line)).start((listener) => station.onSessionChange(listener));
  Object.defineProperty(window, 'station', { value: station.api, writable: false });
  const root = document.getElementById('root');
  if (root === null) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <InviteGate invite={invite} variant="crew" push={push} onOpenGig={onOpenGig} />
    </StrictMode>,
  );
}

void start();
