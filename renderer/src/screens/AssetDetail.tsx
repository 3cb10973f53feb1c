import { useEffect, useState } from 'react';
import type { AssetHistory } from '../../../core/station-views';
import type { AssetEntry } from '../../../core/views/asset-index';
import { errorText } from '../station-data';
import { Time } from '../Time';

/** One asset (keyed by its id and state, so a change reloads it): where it is, and every movement — the server's history plus what is still queued here. */
export function AssetDetail({ entry }: { entry: AssetEntry }) {
  const { asset } = entry;
  const [history, setHistory] = useState<AssetHistory | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    window.station.getAssetHistory({ assetId: asset.id }).then(
      (value) => live && setHistory(value),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [asset.id]);

  return (
    <>
      <h2>
        <span className="mono">{asset.serial}</span> {asset.name}
      </h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{asset.status.replace('_', ' ')}</dd>
        <dt>Location</dt>
        <dd>{entry.locationLabel}</dd>
        <dt>Category</dt>
        <dd>{asset.category}</dd>
        <dt>Barcode</dt>
        <dd className="mono">{asset.barcode ?? '—'}</dd>
      </dl>
      <h3>History</h3>
      {error !== null && <p role="alert">{error}</p>}
      {history === null && error === null && <p className="muted">Loading…</p>}
      {history !== null && (
        <ol className="history" data-testid="asset-history">
          {history.pending.map((op) => (
            <li key={op.id} className="pending">
              <strong>{op.action.replace('assets.', '').replace('cases.', 'case ').replace('_', '-')}</strong> ·{' '}
              <Time at={op.timestamp} date /> · <em>queued on this station</em>
            </li>
          ))}
          {history.movements?.map((m) => (
            <li key={m.id}>
              <strong>{m.kind.replace('_', '-')}</strong> · <Time at={m.occurred_at} date />
              {m.gig_name !== null && ` · ${m.gig_name}`}
              {m.condition !== null && m.condition !== 'ok' && ` · ${m.condition.replace('_', ' ')}`}
              {m.staff_name !== null && ` · ${m.staff_name}`}
              {m.device !== null && ` · ${m.device}`}
              {m.note !== null && m.note !== '' && <span className="history-note">{` · “${m.note}”`}</span>}
            </li>
          ))}
          {history.movements?.length === 0 && history.pending.length === 0 && <li className="muted">No movements yet.</li>}
        </ol>
      )}
      {history?.unavailable != null && <p className="muted">Server history unavailable: {history.unavailable}</p>}
    </>
  );
}
