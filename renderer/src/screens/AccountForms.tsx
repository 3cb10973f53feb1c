import { useState, type FormEvent, type ReactNode } from 'react';
import type { StationSettings } from '../../../core/station-views';
import { errorText } from '../station-data';

/** What a form reports: the saved settings and what to say, or what went wrong in words. */
export interface FormOutcome {
  onSaved: (saved: StationSettings, words: string) => void;
  onFailed: (words: string) => void;
}

function submit(event: FormEvent, call: () => Promise<StationSettings>, words: string, outcome: FormOutcome, after?: () => void): void {
  event.preventDefault();
  call().then(
    (saved) => {
      outcome.onSaved(saved, words);
      after?.();
    },
    (e: unknown) => outcome.onFailed(errorText(e)),
  );
}

/** Email, password, one button: the first-run screen's and Settings' sign-in. */
export function SignInForm({ outcome, children }: { outcome: FormOutcome; children?: ReactNode }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      onSubmit={(e) =>
        submit(
          e,
          () => window.station.signIn({ email: email.trim(), password }),
          'Signed in',
          outcome,
          () => setPassword(''),
        )
      }
      aria-label="Sign in"
    >
      {children}
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
    </form>
  );
}

/** Which backend this device syncs with (an invite link fills it in). */
export function BackendForm({ settings, outcome }: { settings: StationSettings | null; outcome: FormOutcome }) {
  const [url, setUrl] = useState(settings?.backendUrl ?? '');
  const [anonKey, setAnonKey] = useState(settings?.anonKey ?? '');
  return (
    <form
      onSubmit={(e) =>
        submit(
          e,
          () => window.station.saveSettings({ backend: { url: url.trim(), anonKey: anonKey.trim() } }),
          'Backend saved; syncing with it now',
          outcome,
        )
      }
      aria-label="Backend"
    >
      <h2>Backend</h2>
      <p className="muted">
        Switching backend drops this device's cached data (it belongs to the old one) and is refused while anything is still queued.
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
  );
}
