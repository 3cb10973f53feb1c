import { useState, type FormEvent } from 'react';
import type { StationInfo } from '../../../core/station-api';
import type { StationSettings } from '../../../core/station-views';
import { errorText } from '../station-data';

/** Station name, which backend it syncs with, and who it is signed in as. */
export function SettingsScreen({
  info,
  settings,
  onSaved,
}: {
  info: StationInfo;
  settings: StationSettings | null;
  onSaved: (s: StationSettings) => void;
}) {
  const [name, setName] = useState(settings?.stationName ?? '');
  const [url, setUrl] = useState(settings?.backendUrl ?? '');
  const [anonKey, setAnonKey] = useState(settings?.anonKey ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  /** Saves the bundle as a file the user can attach to a support request (a download, on every host). */
  const exportDiagnostics = (): void => {
    window.station.getDiagnostics().then(
      (bundle) => {
        const link = document.createElement('a');
        const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
        link.href = url;
        link.download = `gigmanager-diagnostics-${bundle.generatedAt.replace(/[:.]/g, '-')}.json`;
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        setMessage({ ok: true, text: `Diagnostics saved as ${link.download} (no keys or passwords in it)` });
      },
      (e: unknown) => setMessage({ ok: false, text: errorText(e) }),
    );
  };

  const run = (event: FormEvent, call: () => Promise<StationSettings>, done: string): void => {
    event.preventDefault();
    call().then(
      (saved) => {
        onSaved(saved);
        setMessage({ ok: true, text: done });
        setPassword('');
      },
      (e: unknown) => setMessage({ ok: false, text: errorText(e) }),
    );
  };

  return (
    <div className="settings-screen">
      {message !== null && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'note-ok' : 'note-error'}>
          {message.text}
        </p>
      )}
      <form onSubmit={(e) => run(e, () => window.station.saveSettings({ stationName: name }), 'Station name saved')} aria-label="Station">
        <h2>Station</h2>
        <label>
          Station name
          <input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="big">
          Save name
        </button>
      </form>

      <form
        onSubmit={(e) =>
          run(
            e,
            () => window.station.saveSettings({ backend: { url: url.trim(), anonKey: anonKey.trim() } }),
            'Backend saved; syncing with it now',
          )
        }
        aria-label="Backend"
      >
        <h2>Backend</h2>
        <p className="muted">
          Switching backend drops this station's cached data (it belongs to the old one) and is refused while anything is still queued.
        </p>
        <label>
          Supabase URL
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://your-project.supabase.co" />
        </label>
        <label>
          Anon key
          <input value={anonKey} onChange={(e) => setAnonKey(e.target.value)} spellCheck={false} />
        </label>
        <button type="submit" className="big">
          Save backend
        </button>
      </form>

      <form onSubmit={(e) => run(e, () => window.station.signIn({ email: email.trim(), password }), 'Signed in')} aria-label="Sign in">
        <h2>Account</h2>
        <p data-testid="signed-in-as">
          {settings?.signedInAs == null
            ? 'Not signed in: scans are queued and sent once someone signs in.'
            : `Signed in as ${settings.signedInAs}`}
        </p>
        <label>
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="big">
          Sign in
        </button>
        {settings?.signedInAs != null && (
          <button type="button" className="big" onClick={(e) => run(e, () => window.station.signOut(), 'Signed out')}>
            Sign out
          </button>
        )}
      </form>

      <section aria-label="About">
        <h2>About</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd>{info.appVersion}</dd>
          <dt>Host</dt>
          <dd>{info.host}</dd>
          <dt>Platform</dt>
          <dd>{info.platform}</dd>
        </dl>
        <button type="button" className="big" onClick={exportDiagnostics}>
          Export diagnostics
        </button>
      </section>
    </div>
  );
}
