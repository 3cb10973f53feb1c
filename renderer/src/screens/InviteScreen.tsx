import { useEffect, useState } from 'react';
import { unsyncedCount } from '../../../core/backend-link';
import type { Invite } from '../web/invite';
import { errorText } from '../station-data';

/**
 * The question an invite link asks on a phone that is already set up: which backend it would
 * switch to (large, as the browser will reach it), which one it leaves, and what switching does.
 * Nothing changes unless "Switch" is tapped; it stays unavailable while anything is unsynced.
 */
export function InviteScreen({
  invite,
  currentHost,
  signedInAs,
  onSwitched,
  onKept,
}: {
  invite: Invite;
  currentHost: string | null;
  signedInAs: string | null;
  onSwitched: () => void;
  onKept: () => void;
}) {
  const [unsynced, setUnsynced] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = currentHost ?? 'the current backend';

  // Live: once the phone has sent its changes, switching becomes possible without reopening the link.
  useEffect(() => {
    let live = true;
    window.station.getSyncStatus().then(
      (status) => live && setUnsynced(unsyncedCount(status)),
      (e: unknown) => live && setError(errorText(e)),
    );
    const off = window.station.onSyncStatus((status) => setUnsynced(unsyncedCount(status)));
    return () => {
      live = false;
      off();
    };
  }, []);

  const switchBackend = (): void => {
    setBusy(true);
    setError(null);
    window.station.saveSettings({ backend: invite.backend }).then(
      () => onSwitched(),
      (e: unknown) => {
        setError(`Not switched: ${errorText(e)}`);
        setBusy(false);
      },
    );
  };

  const blocked = unsynced === null || unsynced > 0;
  return (
    <main className="invite-screen" aria-labelledby="invite-title">
      <h1 id="invite-title">Switch to another backend?</h1>
      <p>An invite link asks to connect this app to</p>
      <p className="invite-host" data-testid="invite-new-host">
        {invite.host}
      </p>
      {!invite.encrypted && (
        <p className="note-error">
          This address is not encrypted (http://). Only accept it on a network you trust, such as the venue’s own.
        </p>
      )}
      <dl className="facts">
        <dt>Now syncing with</dt>
        <dd data-testid="invite-current-host">{currentHost ?? 'no backend yet'}</dd>
        <dt>Signed in as</dt>
        <dd>{signedInAs ?? 'nobody'}</dd>
      </dl>
      <h2>If you switch</h2>
      <ul>
        <li>
          You are signed out. Your next sign-in sends your email and password to <strong>{invite.host}</strong>.
        </li>
        <li>Notifications from {current} are turned off on this phone.</li>
        <li>The gigs and assets stored on this phone are removed: they belong to {current}.</li>
      </ul>
      {unsynced !== null && unsynced > 0 && (
        <p role="alert" className="note-error">
          {unsynced === 1 ? '1 change' : `${unsynced} changes`} made on this phone {unsynced === 1 ? 'is' : 'are'} not synced to {current}{' '}
          yet. Switching is not possible until {unsynced === 1 ? 'it is' : 'they are'} sent or discarded: wait here while the phone syncs,
          or keep the current backend and open the link again later.
        </p>
      )}
      <p className="muted">Only switch if your production manager sent you this link and told you to expect it.</p>
      <div className="actions">
        <button type="button" className="big" disabled={busy} onClick={onKept}>
          Keep {current}
        </button>
        <button type="button" className="big danger" disabled={busy || blocked} onClick={switchBackend}>
          Switch to {invite.host}
        </button>
      </div>
      {error !== null && (
        <p role="alert" className="note-error">
          {error}
        </p>
      )}
    </main>
  );
}
