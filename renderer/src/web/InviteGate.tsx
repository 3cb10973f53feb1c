import { useCallback, useEffect, useState } from 'react';
import { App, type AppProps } from '../App';
import { InviteScreen } from '../screens/InviteScreen';
import { errorText } from '../station-data';
import { decideInvite, type Invite, type ParsedInvite } from './invite';

/** `untilSignedIn`: a notice that asks the person to sign in goes once they have. */
type Notice = { ok: boolean; text: string; untilSignedIn?: boolean };

type Step =
  | { step: 'checking' }
  | { step: 'applying'; invite: Invite }
  | { step: 'confirm'; invite: Invite; currentHost: string | null; signedInAs: string | null }
  | { step: 'app'; notice: Notice | null };

/** The invite is used up (applied, declined or refused): it must not come back on a reload. */
function clearHash(): void {
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

/**
 * The crew app behind its invite link: a phone never set up takes the link's backend at once
 * (and says which host); a phone that has a backend or a session is asked first (InviteScreen),
 * and the switch goes through saveSettings — the Settings path, which refuses while anything is
 * unsynced and turns off the old backend's notifications.
 */
export function InviteGate({ invite, ...app }: { invite: ParsedInvite } & AppProps) {
  const [step, setStep] = useState<Step>(() =>
    invite.kind === 'none'
      ? { step: 'app', notice: null }
      : invite.kind === 'invalid'
        ? { step: 'app', notice: { ok: false, text: invite.message } }
        : { step: 'checking' },
  );
  const dismiss = useCallback(() => setStep({ step: 'app', notice: null }), []);

  useEffect(() => {
    if (invite.kind === 'invalid') clearHash();
    if (invite.kind !== 'invite') return;
    let live = true;
    const found = invite.invite;
    void (async () => {
      try {
        const [settings, status] = await Promise.all([window.station.getSettings(), window.station.getSyncStatus()]);
        const decision = decideInvite(found, settings, status);
        if (!live) return;
        if (decision.kind === 'confirm') {
          setStep({ step: 'confirm', invite: found, currentHost: decision.currentHost, signedInAs: decision.signedInAs });
          return;
        }
        clearHash();
        if (decision.kind === 'same') {
          setStep({ step: 'app', notice: null });
          return;
        }
        setStep({ step: 'applying', invite: found });
        await window.station.saveSettings({ backend: found.backend });
        if (live)
          setStep({
            step: 'app',
            notice: {
              ok: true,
              text: `Set up from your invite: this app now syncs with ${found.host}. Sign in below.`,
              untilSignedIn: true,
            },
          });
      } catch (error) {
        clearHash();
        if (live) setStep({ step: 'app', notice: { ok: false, text: `This invite link was not used: ${errorText(error)}` } });
      }
    })();
    return () => {
      live = false;
    };
  }, [invite]);

  if (step.step === 'checking') return <p className="splash">Reading the invite link…</p>;
  if (step.step === 'applying') return <p className="splash">Connecting to {step.invite.host}…</p>;
  if (step.step === 'confirm') {
    return (
      <InviteScreen
        invite={step.invite}
        currentHost={step.currentHost}
        signedInAs={step.signedInAs}
        onSwitched={() => {
          clearHash();
          setStep({
            step: 'app',
            notice: {
              ok: true,
              text: `Switched to ${step.invite.host}. You are signed out: sign in with your account there.`,
              untilSignedIn: true,
            },
          });
        }}
        onKept={() => {
          clearHash();
          setStep({
            step: 'app',
            notice: { ok: true, text: `Kept ${step.currentHost ?? 'the current setup'}. The invite link was not used.` },
          });
        }}
      />
    );
  }
  // One tree with or without the notice: dismissing it (or signing in) keeps the app mounted.
  const notice = step.notice;
  return (
    <div className="with-notice">
      {notice !== null && (
        <div
          className={`invite-notice ${notice.ok ? 'note-ok' : 'note-error'}`}
          role={notice.ok ? 'status' : 'alert'}
          aria-label="Invite link"
        >
          <p>{notice.text}</p>
          <button type="button" onClick={dismiss}>
            Dismiss
          </button>
        </div>
      )}
      <App {...app} onSignedIn={notice?.untilSignedIn === true ? dismiss : undefined} />
    </div>
  );
}
