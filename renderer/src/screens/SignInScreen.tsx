import { useState } from 'react';
import type { StationSettings } from '../../../core/station-views';
import { hostOf } from '../web/invite';
import { BackendForm, SignInForm } from './AccountForms';

/**
 * A phone's first screen while nobody is signed in: email, password, one button. The backend —
 * which an invite link has usually filled in already — waits behind "Advanced".
 */
export function SignInScreen({ settings, onSaved }: { settings: StationSettings | null; onSaved: (saved: StationSettings) => void }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const host = hostOf(settings?.backendUrl ?? null);
  const outcome = {
    onSaved: (saved: StationSettings, words: string) => {
      setMessage({ ok: true, text: words });
      onSaved(saved);
    },
    onFailed: (words: string) => setMessage({ ok: false, text: words }),
  };
  return (
    <main className="screen sign-in" data-screen="sign-in">
      <SignInForm outcome={outcome}>
        <h2>Sign in</h2>
        <p className="muted">
          {host === null
            ? 'No backend yet: open the invite link you were sent, or set one under Advanced.'
            : `With your crew account on ${host}.`}
        </p>
      </SignInForm>
      {message !== null && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'note-ok' : 'note-error'}>
          {message.text}
        </p>
      )}
      <details className="advanced">
        <summary>Advanced</summary>
        <BackendForm key={settings?.backendUrl ?? 'none'} settings={settings} outcome={outcome} />
      </details>
    </main>
  );
}
