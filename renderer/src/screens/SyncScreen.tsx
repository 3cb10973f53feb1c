import { useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import type { quarantineEntrySchema, SyncStatusView } from '../../../core/station-api';
import type { QueuedOp } from '../../../core/sync/model';
import type { GigListItem } from '../../../core/station-views';
import { copyWords, scopeWords } from '../../../core/sync/copy-words';
import { quarantineWords } from '../../../core/sync/quarantine-words';
import { queuedOpState } from '../../../core/sync/queue-words';
import { ago, errorText, useNow } from '../station-data';
import { useVirtualRows } from '../virtual';
import { gigNames } from './DeviceScope';

type Quarantined = z.infer<typeof quarantineEntrySchema>;
const QUEUE_ROWS = 1000;
const ROW_HEIGHT = 44;

/** Labels kept for at most this many ops (the screen asks for the rows it shows). */
const LABELS_KEPT = 2000;

/** The queue as the operator needs it: is it moving, how far behind, and what needs a decision. */
export function SyncScreen({ sync, gigs }: { sync: SyncStatusView | null; gigs: readonly GigListItem[] }) {
  const now = useNow();
  const [queue, setQueue] = useState<QueuedOp[]>([]);
  const [quarantine, setQuarantine] = useState<Quarantined[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The largest backlog seen since the queue was last empty: progress is measured against it.
  const [peak, setPeak] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualRows(queue.length, scroller, ROW_HEIGHT, 6);
  // What each shown op is, in words with the station's names (asked for the rows on screen only).
  const [labels, setLabels] = useState<ReadonlyMap<string, string>>(new Map());
  const missing = virtualizer
    .getVirtualItems()
    .map((item) => queue[item.index]?.id)
    .filter((id): id is string => id !== undefined && !labels.has(id));
  const missingKey = missing.join(',');
  useEffect(() => {
    if (missingKey === '') return;
    let live = true;
    window.station.labelOps({ ids: missingKey.split(',') }).then(
      (list) =>
        live && setLabels((known) => new Map([...(known.size > LABELS_KEPT ? [] : known), ...list.map((l) => [l.id, l.label] as const)])),
      // The row keeps "…" and the next refresh asks again: a label is not worth an alert.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [missingKey]);

  const depth = sync?.depth ?? 0;
  const nextPeak = depth === 0 ? 0 : Math.max(peak, depth);
  if (nextPeak !== peak) setPeak(nextPeak);
  useEffect(() => {
    let live = true;
    const t = window.setTimeout(() => {
      void window.station.listQueue({ limit: QUEUE_ROWS }).then(
        (q) => {
          if (!live) return;
          setQueue(q);
          setLoadError(null);
        },
        (e: unknown) => live && setLoadError(`The queue could not be read: ${errorText(e)}`),
      );
      void window.station.listQuarantine().then(
        (q) => live && setQuarantine(q),
        (e: unknown) => live && setLoadError(`Quarantined ops could not be read: ${errorText(e)}`),
      );
    }, 200);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [sync]);

  const act = (label: string, call: () => Promise<unknown>): void => {
    call().then(
      () => setMessage(`${label}: done`),
      (e: unknown) => setMessage(`${label}: ${errorText(e)}`),
    );
  };
  const drained = peak === 0 ? 100 : Math.round(((peak - depth) / peak) * 100);

  return (
    <div className="sync-screen">
      {loadError !== null && (
        <p role="alert" className="note-error">
          {loadError}
        </p>
      )}
      <section className="cards" aria-label="Sync status">
        <div className={`card ${sync?.online === true ? 'good' : 'bad'}`}>
          <span className="label">Connection</span>
          <strong data-testid="sync-online">{sync === null ? '—' : sync.online ? 'Online' : 'Offline'}</strong>
          {sync?.online === true && (
            <small data-testid="sync-live">{sync.live ? 'Live: changes arrive as they happen' : 'Changes arrive at the next check'}</small>
          )}
        </div>
        <div className="card">
          <span className="label">Queued</span>
          <strong data-testid="sync-depth">{depth}</strong>
          <small>
            {sync?.pending ?? 0} pending · {sync?.syncing ?? 0} sending · {sync?.failed ?? 0} retrying · {sync?.held ?? 0} held
          </small>
        </div>
        <div className="card">
          <span className="label">Oldest pending</span>
          <strong>{sync?.oldestPendingAt == null ? '—' : ago(sync.oldestPendingAt, now)}</strong>
        </div>
        <div className="card">
          <span className="label">Last sync</span>
          <strong>{ago(sync?.lastSuccessAt ?? null, now)}</strong>
        </div>
        <div className={`card ${sync?.lastError == null ? '' : 'bad'}`}>
          <span className="label">Last error</span>
          <strong className="small-text">{sync?.lastError ?? 'none'}</strong>
          {sync?.lastErrorAt != null && <small>{ago(sync.lastErrorAt, now)}</small>}
        </div>
      </section>

      <section aria-label="Progress" className="drain">
        <div
          className="progress-bar"
          role="progressbar"
          aria-label="Backlog sent"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={drained}
        >
          <div style={{ width: `${drained}%` }} />
        </div>
        <p>{peak === 0 ? 'Nothing waiting.' : `${peak - depth} of ${peak} sent${sync?.draining === true ? ' — sending…' : ''}`}</p>
        <button type="button" className="big" onClick={() => act('Sync now', () => window.station.syncNow())}>
          Sync now
        </button>
        {message !== null && <p role="status">{message}</p>}
      </section>

      <LocalCopy sync={sync} now={now} gigs={gigs} />

      <section aria-label="Quarantined">
        <h2>Quarantined ({quarantine.length})</h2>
        {quarantine.length === 0 && <p className="muted">Nothing refused by the server.</p>}
        <ul className="quarantine">
          {quarantine.map((q) => {
            const words = quarantineWords(q, now);
            return (
              <li key={q.id} data-testid="quarantined">
                <div>
                  <strong data-testid="quarantined-label">{q.label}</strong>
                  <p>
                    {words.text}
                    {words.code !== null && ` (${words.code})`} · {ago(q.quarantinedAt, now)}
                  </p>
                </div>
                <button
                  type="button"
                  className="big"
                  disabled={!words.canRetry}
                  onClick={() => act('Retry', () => window.station.retryQuarantined({ id: q.id }))}
                >
                  Retry
                </button>
                <button
                  type="button"
                  className="big danger"
                  onClick={() => act('Discard', () => window.station.discardQuarantined({ id: q.id }))}
                >
                  Discard
                </button>
              </li>
            );
          })}
        </ul>
      </section>

      <section aria-label="Queue">
        <h2>
          Queue ({depth}
          {depth > QUEUE_ROWS ? `, first ${QUEUE_ROWS} shown` : ''})
        </h2>
        <div className="virtual-scroll short" ref={scroller} data-testid="queue-list">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const op = queue[item.index];
              if (op === undefined) return null;
              const state = queuedOpState(op, now);
              return (
                <div
                  key={op.id}
                  className="row queue-row"
                  data-testid="queue-row"
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  <span className="mono">#{op.seq}</span>
                  <span className="queue-label">{labels.get(op.id) ?? '…'}</span>
                  <span className={`state state-${state.tone}`}>{state.text}</span>
                  <span className="muted small-text">{state.lastError === null ? '' : `last try: ${state.lastError}`}</span>
                </div>
              );
            })}
          </div>
        </div>
      </section>
    </div>
  );
}

/**
 * Whether this device can go dark: how old its data is, what it holds, when that was last
 * checked against the server (core/sync/verify.ts), and Repair when something differs.
 */
function LocalCopy({ sync, now, gigs }: { sync: SyncStatusView | null; now: number; gigs: readonly GigListItem[] }) {
  const [busy, setBusy] = useState<'verify' | 'repair' | null>(null);
  // The section's own outcome is its headline; only a failure needs words of its own.
  const [failure, setFailure] = useState<string | null>(null);
  if (sync === null) return null;
  const words = copyWords(sync.copy, now);
  const run = (kind: 'verify' | 'repair', label: string, call: () => Promise<unknown>): void => {
    setBusy(kind);
    setFailure(null);
    call().then(
      () => setBusy(null),
      (e: unknown) => {
        setBusy(null);
        setFailure(`${label} did not finish: ${errorText(e)}`);
      },
    );
  };
  return (
    <section aria-label="Local copy" className={`local-copy copy-${words.tone}`}>
      <h2>Local copy</h2>
      <p className="copy-headline" data-testid="copy-headline">
        {words.headline}
      </p>
      <p data-testid="copy-scope">
        Keeps {scopeWords(sync.scope, gigNames(gigs))} <span className="muted">(Settings, “On this device”)</span>
      </p>
      {words.problems.length > 0 && (
        <ul className="copy-problems" data-testid="copy-problems">
          {words.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {failure !== null && (
        <p role="alert" className="note-error">
          {failure}
        </p>
      )}
      <p className="muted">On the server at the last check:</p>
      <dl className="copy-tables">
        {words.tables.map((t) => (
          <div key={t.table}>
            <dt>{t.label}</dt>
            <dd data-testid={`copy-count-${t.table}`}>{t.text}</dd>
          </div>
        ))}
      </dl>
      <p className="muted">
        {words.checked}
        {sync.oldestPendingAt !== null && ` · oldest queued change ${ago(sync.oldestPendingAt, now)}`}
      </p>
      <div className="copy-actions">
        <button
          type="button"
          className="big"
          disabled={busy !== null || !sync.online}
          onClick={() => run('verify', 'Check', () => window.station.verifyCopy())}
        >
          {busy === 'verify' ? 'Checking…' : 'Check now'}
        </button>
        {words.tone === 'mismatch' && (
          <button
            type="button"
            className="big"
            disabled={busy !== null || !sync.online}
            onClick={() => run('repair', 'Repair', () => window.station.repairCopy())}
          >
            {busy === 'repair' ? 'Repairing…' : 'Repair'}
          </button>
        )}
      </div>
    </section>
  );
}
