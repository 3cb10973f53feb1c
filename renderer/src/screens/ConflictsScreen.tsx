import { useCallback, useEffect, useState } from 'react';
import type { SyncStatusView } from '../../../core/station-api';
import type { Conflict } from '../../../core/sync/model';
import { wantedValue } from '../../../core/sync/ops';
import { errorText } from '../station-data';

function show(value: unknown): string {
  if (value === undefined) return '—';
  if (value === null) return 'empty';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function fieldsOf(conflict: Conflict): string[] {
  const fromOp = Object.keys(conflict.op.payload).filter((k) => k !== 'id' && k !== 'to' && k !== 'gig_id');
  return [...new Set([...conflict.changedFields, ...fromOp])];
}

/**
 * The "Sync Conflict" screen: for each op the server refused because the row moved on, this
 * station's value and the server's side by side, differing fields marked. Keep Local re-sends the
 * op against the server's version; Use Server drops it. Either per conflict or for all selected.
 */
export function ConflictsScreen({ sync }: { sync: SyncStatusView | null }) {
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);

  const count = sync?.conflicts ?? 0;
  const reload = useCallback(() => {
    window.station.listConflicts().then(
      (list) => {
        setConflicts(list);
        setSelected((s) => new Set([...s].filter((id) => list.some((c) => c.id === id))));
      },
      (e: unknown) => setMessage(errorText(e)),
    );
  }, []);
  useEffect(reload, [reload, count]);

  const resolve = (ids: string[], choice: 'keep_local' | 'use_server'): void => {
    if (ids.length === 0) return;
    window.station.resolveConflicts({ ids, choice }).then(
      ({ resolved }) => {
        setMessage(`${resolved} conflict(s): ${choice === 'keep_local' ? 'kept local — re-sending' : 'server value kept'}`);
        reload();
      },
      (e: unknown) => setMessage(errorText(e)),
    );
  };
  const toggle = (id: string): void =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="conflicts-screen">
      <div className="toolbar">
        <h2>Sync Conflicts ({conflicts.length})</h2>
        <label className="check">
          <input
            type="checkbox"
            checked={conflicts.length > 0 && selected.size === conflicts.length}
            onChange={(e) => setSelected(new Set(e.target.checked ? conflicts.map((c) => c.id) : []))}
          />
          Select all
        </label>
        <button type="button" className="big" disabled={selected.size === 0} onClick={() => resolve([...selected], 'keep_local')}>
          Keep Local ({selected.size})
        </button>
        <button type="button" className="big" disabled={selected.size === 0} onClick={() => resolve([...selected], 'use_server')}>
          Use Server ({selected.size})
        </button>
      </div>
      {message !== null && <p role="status">{message}</p>}
      {conflicts.length === 0 && (
        <p className="muted">No conflicts. Changes the server refused because someone else changed the same thing first show up here.</p>
      )}
      <ul className="conflicts">
        {conflicts.map((conflict) => {
          const serial = conflict.serverRow?.['serial_number'];
          const label = show(conflict.serverRow?.['name'] ?? conflict.op.payload['id']);
          const name = typeof serial === 'string' ? `${serial} ${label}` : label;
          return (
            <li key={conflict.id} className="conflict" data-testid="conflict">
              <header>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={selected.has(conflict.id)}
                    onChange={() => toggle(conflict.id)}
                    aria-label={`Select ${name}`}
                  />
                  <strong>{name}</strong>
                </label>
                <span className="muted">
                  {conflict.op.table}.{conflict.op.action} · {conflict.message}
                </span>
              </header>
              <table className="diff">
                <thead>
                  <tr>
                    <th>Field</th>
                    <th>This station</th>
                    <th>Server</th>
                  </tr>
                </thead>
                <tbody>
                  {fieldsOf(conflict).map((field) => {
                    const differs = conflict.changedFields.includes(field);
                    return (
                      <tr key={field} className={differs ? 'differs' : ''}>
                        <th>{field}</th>
                        <td data-testid={`local-${field}`}>{show(wantedValue(conflict.op, field))}</td>
                        <td data-testid={`server-${field}`}>{show(conflict.serverRow?.[field])}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <div className="actions">
                <button type="button" className="big" onClick={() => resolve([conflict.id], 'keep_local')}>
                  Keep Local
                </button>
                <button type="button" className="big" onClick={() => resolve([conflict.id], 'use_server')}>
                  Use Server
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
