import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RecentScan } from '../../../core/scan/recent';
import type { FeedbackView, ScanStateView, SyncStatusView } from '../../../core/station-api';
import { errorText } from '../station-data';
import { CameraScanner } from './CameraScanner';
import { ClaimForm } from './ClaimForm';
import { ManualEntry } from './ManualEntry';
import { PickList } from './PickList';
import { usePickList } from './usePickList';

export const RECENT = 8;

function command(code: string, onError: (words: string) => void, note?: string): void {
  window.station
    .submitScan({ code: `CMD:${code}`, deviceId: 'screen', ...(note === undefined ? {} : { note }) })
    .catch((e: unknown) => onError(errorText(e)));
}

/** Feedback sizes, largest first (rem): a long message steps down until it fits its panel whole. */
const FEEDBACK_SIZES = [2, 1.6, 1.3, 1.1, 0.95, 0.8];

/** The first size worth trying for a message this long (saves layout passes on most scans). */
function firstSize(message: string): number {
  return message.length <= 28 ? 0 : message.length <= 60 ? 1 : message.length <= 110 ? 2 : 3;
}

/**
 * The feedback panel's message, always whole: it wraps (up to three lines on a station) and a
 * long one gets a smaller font until it fits the fixed-size panel — never cut with an ellipsis.
 */
export function FeedbackMessage({ message }: { message: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const fit = (): void => {
      // A phone's panel is smaller: its stylesheet's size caps the first step.
      el.style.fontSize = '';
      const cap = parseFloat(getComputedStyle(el).fontSize) / parseFloat(getComputedStyle(document.documentElement).fontSize);
      const sizes = FEEDBACK_SIZES.filter((size) => size <= cap);
      for (let i = Math.min(firstSize(message), sizes.length - 1); i < sizes.length; i += 1) {
        el.style.fontSize = `${sizes[i]}rem`;
        if (el.scrollHeight <= el.clientHeight + 1) break;
      }
    };
    fit();
    // A window resized or a phone turned: fitted again for the new width (not on every scan).
    let width = el.clientWidth;
    const observer = new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      fit();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [message]);
  return (
    <p className="last-scan-message" ref={ref}>
      {message}
    </p>
  );
}

/** The last scan, large enough to read from the dock door: its words whole, its code under them; `idle` before any. */
export function LastScan({ feedback, idle, hint = ' ' }: { feedback: FeedbackView | null; idle: string; hint?: string }) {
  return (
    <section
      className={`last-scan last-scan-${feedback?.kind ?? 'idle'}`}
      aria-live="assertive"
      aria-label="Last scan"
      data-testid="last-scan"
    >
      <FeedbackMessage message={feedback?.message ?? idle} />
      <p className="last-scan-code">{feedback?.code ?? hint}</p>
    </section>
  );
}

/**
 * Home: what is being picked for whom, the last scan large enough to read from the dock door,
 * and the pick list's progress. Feedback never waits on a dialog: a warning stays until the next
 * scan replaces it. Every panel has a fixed size, so nothing jumps when scans arrive.
 */
export function ScanScreen({
  recent,
  sync,
  camera = false,
  pickListFocus = 0,
}: {
  recent: readonly RecentScan[];
  sync: SyncStatusView | null;
  camera?: boolean;
  /** Changes when a gig was tapped in My gigs: its pick list is brought into view. */
  pickListFocus?: number;
}) {
  const [state, setState] = useState<ScanStateView | null>(null);
  const feedback = recent[0] ?? null;
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState('');

  const refresh = useCallback(() => {
    window.station.getScanState().then(setState, (e: unknown) => setError(errorText(e)));
  }, []);
  // Every scan may change the gig, mode or progress.
  useEffect(refresh, [feedback, refresh]);

  // The note goes with the condition; the next item scanned (by any scanner) carries it.
  const nextCondition = (condition: 'DAMAGED' | 'MISSING-PARTS'): void => {
    const given = note.trim();
    setNote('');
    command(condition, setError, given === '' ? undefined : given);
  };

  const submitTyped = (code: string): void => {
    window.station.submitScan({ code, deviceId: 'screen' }).then(
      () => setError(null),
      (e: unknown) => setError(errorText(e)),
    );
  };

  const pick = usePickList(state?.gig?.id ?? null, state?.mode ?? 'check_out', feedback);
  const progress = pick.list?.totals ?? null;
  const back = pick.list?.mode === 'check_in';
  const done = progress === null || progress.planned === 0 ? 0 : Math.min(100, Math.round((progress.scanned / progress.planned) * 100));
  return (
    <div className="scan-screen">
      <section className="scan-context" aria-label="Session">
        <div>
          <span className="label">Gig</span>
          <strong data-testid="active-gig">{state?.gig == null ? 'Scan a gig barcode' : state.gig.name}</strong>
        </div>
        <div>
          <span className="label">Operator</span>
          <strong>{state?.operator == null ? '—' : state.operator.displayName}</strong>
        </div>
        <div>
          <span className="label">Mode</span>
          <strong data-testid="scan-mode" className={`mode mode-${state?.mode ?? 'check_out'}`}>
            {state?.mode === 'check_in' ? `Check-in (${state.condition.replace('_', ' ')})` : 'Check-out'}
          </strong>
        </div>
        <div>
          <span className="label">Queue</span>
          <strong data-testid="queue-depth">{sync === null ? '—' : `${sync.depth} to sync`}</strong>
        </div>
      </section>

      <LastScan feedback={feedback} idle="Ready to scan" />

      <section className="progress" aria-label="Progress">
        <div className="progress-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={done}>
          <div style={{ width: `${done}%` }} />
        </div>
        <dl className="progress-counts" data-testid="progress">
          <div>
            <dt>{back ? 'Went out' : 'Planned'}</dt>
            <dd>{progress?.planned ?? 0}</dd>
          </div>
          <div>
            <dt>{back ? 'Returned' : 'Scanned'}</dt>
            <dd>{progress?.scanned ?? 0}</dd>
          </div>
          <div>
            <dt>{back ? 'Still out' : 'Missing'}</dt>
            <dd>{progress?.missing ?? 0}</dd>
          </div>
          <div>
            <dt>Extra</dt>
            <dd>{progress?.extra ?? 0}</dd>
          </div>
        </dl>
      </section>

      <section className="scan-actions" aria-label="Actions">
        <button type="button" className={state?.mode !== 'check_in' ? 'big active' : 'big'} onClick={() => command('CHECK-OUT', setError)}>
          Check-out
        </button>
        <button type="button" className={state?.mode === 'check_in' ? 'big active' : 'big'} onClick={() => command('CHECK-IN', setError)}>
          Check-in
        </button>
        {state?.mode === 'check_in' && (
          <>
            <button type="button" className="big" onClick={() => nextCondition('DAMAGED')}>
              Next: damaged
            </button>
            <button type="button" className="big" onClick={() => nextCondition('MISSING-PARTS')}>
              Next: missing parts
            </button>
          </>
        )}
        <button type="button" className="big" onClick={() => command('UNDO', setError)}>
          Undo last
        </button>
        <button type="button" className="big" onClick={() => command('DONE', setError)}>
          Done
        </button>
      </section>

      {state?.mode === 'check_in' && (
        <div className="condition-note">
          <label htmlFor="condition-note">Note for the next damaged or missing-parts item</label>
          <input
            id="condition-note"
            value={note}
            maxLength={500}
            onChange={(e) => setNote(e.target.value)}
            autoComplete="off"
            placeholder="what is broken or missing (optional)"
          />
        </div>
      )}

      {camera && <CameraScanner />}

      <ManualEntry id="manual-code" placeholder="serial, barcode, gig code or CMD:…" onCode={submitTyped} />
      {error !== null && <p role="alert">{error}</p>}
      <UnknownLabel feedback={feedback} />

      <section aria-label="Recent scans">
        <h2>Recent scans</h2>
        <ol className="recent">
          {Array.from({ length: RECENT }, (_, i) => recent[i]).map((f, i) => (
            <li key={i} className={f === undefined ? 'recent-empty' : f.refused === undefined ? `recent-${f.kind}` : 'recent-error'}>
              {/* The refusal first: on a narrow list the reason stays readable, the item's words are cut. */}
              {f?.refused !== undefined && <strong className="refused">{`Refused: ${f.refused} · `}</strong>}
              {f === undefined ? ' ' : f.message}
            </li>
          ))}
        </ol>
      </section>

      <PickList list={pick.list} error={pick.error} focus={pickListFocus} feedback={feedback} />
    </div>
  );
}

/**
 * A pre-printed label the station does not know (issue 21): a station or a manager claims it for a
 * new item on its first scan — its name and category — then scans it again to move it.
 */
function UnknownLabel({ feedback }: { feedback: RecentScan | null }) {
  const [canClaim, setCanClaim] = useState(false);
  const [claiming, setClaiming] = useState<string | null>(null);
  const [said, setSaid] = useState<{ code: string; text: string; failed: boolean } | null>(null);
  useEffect(() => {
    window.station.getRights().then(
      (r) => setCanClaim(r.claimLabels),
      () => setCanClaim(false),
    );
  }, []);
  const code = feedback?.kind === 'error' && feedback.message.startsWith('unknown barcode ') ? feedback.code : null;
  if (!canClaim || (code === null && said === null && claiming === null)) return null;
  return (
    <div className="unknown-label" data-testid="unknown-label">
      {code !== null && claiming !== code && said?.code !== code && (
        <button type="button" onClick={() => setClaiming(code)}>
          Claim {code} for a new item
        </button>
      )}
      {claiming !== null && (
        <ClaimForm
          code={claiming}
          onCancel={() => setClaiming(null)}
          onClaim={(name, category) => {
            const claimed = claiming;
            window.station.claimCode({ code: claimed, name, category }).then(
              () => {
                setClaiming(null);
                setSaid({ code: claimed, text: `${claimed} is now ${name}: scan it again to move it`, failed: false });
              },
              (e: unknown) => setSaid({ code: '', text: errorText(e), failed: true }),
            );
          }}
        />
      )}
      {said !== null && (
        <p role={said.failed ? 'alert' : 'status'} className={said.failed ? 'note-error' : 'note-ok'}>
          {said.text}
        </p>
      )}
    </div>
  );
}
