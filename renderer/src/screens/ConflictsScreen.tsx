import { useCallback, useEffect, useState } from 'react';
import type { StationReturn, SyncStatusView } from '../../../core/station-api';
import { errorText } from '../station-data';

type ConflictEntry = StationReturn<'listConflicts'>[number];

/**
 * The "Sync Conflict" screen: for each op the server refused because the row moved on, what it is
 * (names from the station's caches, never ids), this station's value and the server's side by
 * side in words with only differing fields marked, who changed the server's side and when, and
 * what each choice will do before it is taken (core/sync/conflict-choices.ts). A Keep Local the
 * server would refuse is not offered; the reason is shown in its place.
 */
export function ConflictsScreen({ sync }: { sync: SyncStatusView | null }) {
  const [conflicts, setConflicts] = useState<ConflictEntry[]>([]);
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
        setMessage(
          `${resolved === 1 ? 'One conflict' : `${resolved} conflicts`}: ${choice === 'keep_local' ? "this station's change sent again" : "the server's kept"}`,
        );
        reload();
      },
      (e: unknown) => setMessage(errorText(e)),
    );
  };
  const chosen = conflicts.filter((c) => selected.has(c.id));
  const keepRefused = chosen.filter((c) => !c.view.choices.keep_local.allowed).length;
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
        <button
          type="button"
          className="big"
          disabled={selected.size === 0 || keepRefused > 0}
          title={keepRefused > 0 ? `Keep Local is not offered for ${keepRefused} of the selected` : undefined}
          onClick={() => resolve([...selected], 'keep_local')}
        >
          Keep Local ({selected.size})
        </button>
        <button type="button" className="big" disabled={selected.size === 0} onClick={() => resolve([...selected], 'use_server')}>
          Use Server ({selected.size})
        </button>
      </div>
      {keepRefused > 0 && (
        <p className="muted" data-testid="keep-refused-note">
          Keep Local is not offered for {keepRefused} of the selected: the server would refuse it (see each below).
        </p>
      )}
      {message !== null && <p role="status">{message}</p>}
      {conflicts.length === 0 && (
        <p className="muted">No conflicts. Changes the server refused because someone else changed the same thing first show up here.</p>
      )}
      <ul className="conflicts">
        {conflicts.map((conflict) => {
          const { view } = conflict;
          const keep = view.choices.keep_local;
          return (
            <li key={conflict.id} className="conflict" data-testid="conflict">
              <header>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={selected.has(conflict.id)}
                    onChange={() => toggle(conflict.id)}
                    aria-label={`Select ${view.title}`}
                  />
                  <strong data-testid="conflict-title">{view.title}</strong>
                </label>
                <span className="muted" data-testid="conflict-server-change">
                  {view.serverChange}
                </span>
              </header>
              <p className="conflict-what">{view.what}</p>
              <table className="diff">
                <thead>
                  <tr>
                    <th></th>
                    <th>This station</th>
                    <th>Server now</th>
                  </tr>
                </thead>
                <tbody>
                  {view.fields.map((field) => (
                    <tr key={field.key} className={field.differs ? 'differs' : ''}>
                      <th>{field.label}</th>
                      <td data-testid={`local-${field.key}`} data-side="This station">
                        {field.local}
                      </td>
                      <td data-testid={`server-${field.key}`} data-side="Server now">
                        {field.server}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <ul className="choices">
                <li data-testid="choice-keep_local" className={keep.allowed ? '' : 'refused'}>
                  {keep.text}
                </li>
                <li data-testid="choice-use_server">{view.choices.use_server.text}</li>
              </ul>
              <div className="actions">
                <button type="button" className="big" disabled={!keep.allowed} onClick={() => resolve([conflict.id], 'keep_local')}>
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
