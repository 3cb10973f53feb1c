import { useEffect, useState } from 'react';
import type { CrewPush, PushState } from '../web/crew-push';
import { errorText } from '../station-data';

/**
 * The ask for notifications, on the crew dashboard once there are gigs to be told about. The
 * browser's own prompt appears only after "Turn on" (never on load, never unasked).
 */
export function PushPrompt({ push }: { push: CrewPush }) {
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    push.state().then(
      (value) => live && setState(value),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [push]);

  const run = (action: () => Promise<PushState>): void => {
    setBusy(true);
    setError(null);
    action()
      .then(setState, (e: unknown) => setError(errorText(e)))
      .finally(() => setBusy(false));
  };

  if (state === null || state.state === 'unsupported') return null;
  if (state.state === 'off' && state.dismissed && error === null) {
    return (
      <p className="muted push-off" aria-label="Notifications">
        Notifications are off.{' '}
        <button type="button" className="link" disabled={busy} onClick={() => run(() => push.enable())}>
          Turn on
        </button>
      </p>
    );
  }
  return (
    <section className="push-prompt" aria-label="Notifications" data-state={state.state}>
      {state.state === 'off' && (
        <>
          <p>Get a notification when the time, status or venue of one of your gigs changes.</p>
          <div className="actions">
            <button type="button" className="big" disabled={busy} onClick={() => run(() => push.enable())}>
              Turn on notifications
            </button>
            <button type="button" disabled={busy} onClick={() => run(() => push.dismiss())}>
              Not now
            </button>
          </div>
        </>
      )}
      {state.state === 'blocked' && <p className="muted">Notifications are blocked for this app in the browser’s site settings.</p>}
      {state.state === 'on' && (
        <p className="muted">
          Notifications are on for this device.{' '}
          <button type="button" className="link" disabled={busy} onClick={() => run(() => push.disable())}>
            Turn off
          </button>
        </p>
      )}
      {error !== null && <p role="alert">{error}</p>}
    </section>
  );
}
