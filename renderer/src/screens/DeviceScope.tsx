import { useState } from 'react';
import { scopeWords } from '../../../core/sync/copy-words';
import type { SyncScope } from '../../../core/sync/scope';
import type { GigListItem } from '../../../core/station-views';
import { errorText, useSyncStatus } from '../station-data';

/** A gig's name from the lists the screen has (undefined when this copy does not hold it). */
export function gigNames(gigs: readonly GigListItem[]): (id: string) => string | undefined {
  const byId = new Map(gigs.map((g) => [g.id, g.name]));
  return (id) => byId.get(id);
}

/** Saves what the device keeps; the copy follows (checked against the new scope, the difference fetched or dropped). */
function useScopeChange(): {
  busy: boolean;
  message: { ok: boolean; text: string } | null;
  change: (scope: SyncScope, done: string) => void;
} {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const change = (scope: SyncScope, done: string): void => {
    setBusy(true);
    setMessage(null);
    window.station.setSyncScope(scope).then(
      (status) => {
        setBusy(false);
        setMessage(
          status.copy.mismatched.length === 0 && status.lastError === null
            ? { ok: true, text: done }
            : { ok: false, text: `${done}; the copy is not complete yet: ${status.lastError ?? 'see Sync'}` },
        );
      },
      (e: unknown) => {
        setBusy(false);
        setMessage({ ok: false, text: errorText(e) });
      },
    );
  };
  return { busy, message, change };
}

function Outcome({ message }: { message: { ok: boolean; text: string } | null }) {
  if (message === null) return null;
  return (
    <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'note-ok' : 'note-error'}>
      {message.text}
    </p>
  );
}

/**
 * On a gig's detail (`within`: the gig and the gigs above it): keep this gig (and what it needs) on the device — a touring laptop about to
 * leave the warehouse's network. The first choice narrows the device's copy, so it is confirmed.
 */
export function KeepOnDevice({ gig, within }: { gig: { id: string; name: string }; within: readonly string[] }) {
  const sync = useSyncStatus();
  const [confirming, setConfirming] = useState(false);
  const { busy, message, change } = useScopeChange();
  if (sync === null) return null;
  const scope = sync.scope;
  const roots = scope.kind === 'gigs' ? scope.roots : [];
  // The gig or one above it is kept: the gig is on the device with its subtree.
  if (within.some((id) => roots.includes(id)))
    return (
      <div className="keep-on-device">
        <p className="muted" data-testid="keep-state">
          Kept on this device with what it needs, for working offline.
        </p>
        <Outcome message={message} />
      </div>
    );
  if (scope.kind === 'gigs')
    return (
      <div className="keep-on-device">
        <button
          type="button"
          className="big"
          disabled={busy || roots.length >= 50}
          onClick={() => change({ kind: 'gigs', roots: [...roots, gig.id] }, `This device now also keeps ${gig.name}`)}
        >
          Also keep on this device
        </button>
        <Outcome message={message} />
      </div>
    );
  return (
    <div className="keep-on-device">
      {!confirming ? (
        <button type="button" className="big" onClick={() => setConfirming(true)}>
          Keep only this gig on this device…
        </button>
      ) : (
        <>
          <p data-testid="keep-confirm">
            This device will keep {gig.name} with its sets, plan, crew, cases and items, and let go of the rest of the company’s data.
            Queued scans are kept and still sent.
          </p>
          <div className="actions">
            <button
              type="button"
              className="big"
              disabled={busy}
              onClick={() => change({ kind: 'gigs', roots: [gig.id] }, `This device now keeps ${gig.name} only`)}
            >
              Keep only {gig.name}
            </button>
            <button type="button" className="big" disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </>
      )}
      <Outcome message={message} />
    </div>
  );
}

/** Settings: what this device keeps, and the chosen gigs. */
export function DeviceScopeSettings({ gigs }: { gigs: readonly GigListItem[] }) {
  const sync = useSyncStatus();
  const { busy, message, change } = useScopeChange();
  if (sync === null) return null;
  const scope = sync.scope;
  const nameOf = gigNames(gigs);
  const choose = (next: SyncScope, done: string): void => change(next, done);
  return (
    <section aria-label="On this device" className="device-scope">
      <h2>On this device</h2>
      <p data-testid="scope-now">Keeps {scopeWords(scope, nameOf)}.</p>
      <fieldset disabled={busy}>
        <legend>Keep</legend>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope.kind === 'org'}
            onChange={() => choose({ kind: 'org' }, 'This device now keeps the whole company')}
          />
          <span>
            The whole company <span className="muted">(a warehouse station)</span>
          </span>
        </label>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope.kind === 'mine'}
            onChange={() => choose({ kind: 'mine' }, 'This device now keeps your gigs')}
          />
          <span>
            My gigs <span className="muted">(the ones I am crew on)</span>
          </span>
        </label>
        <label>
          <input type="radio" name="scope" checked={scope.kind === 'gigs'} disabled={scope.kind !== 'gigs'} readOnly />
          <span>
            Chosen gigs <span className="muted">(choose on the Gigs screen: “Keep only this gig on this device”)</span>
          </span>
        </label>
      </fieldset>
      {scope.kind === 'gigs' && (
        <ul className="scope-roots" aria-label="Chosen gigs">
          {scope.roots.map((id) => (
            <li key={id}>
              <span>{nameOf(id) ?? 'A gig this copy no longer holds'}</span>
              <button
                type="button"
                disabled={busy || scope.roots.length === 1}
                onClick={() =>
                  choose(
                    { kind: 'gigs', roots: scope.roots.filter((r) => r !== id) },
                    `This device no longer keeps ${nameOf(id) ?? 'that gig'}`,
                  )
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <Outcome message={message} />
    </section>
  );
}
