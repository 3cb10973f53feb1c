import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { AuditPlace } from '../../../core/audit/stock-take';
import type { PlaceEdit } from '../../../core/places/places';
import { LOCATION_KIND_WORDS } from '../../../core/sync/rows';
import { errorText } from '../station-data';
import './labels.css';

/** What goes inside each kind of place (a bin holds things, not places). */
const INSIDE: Record<string, ('zone' | 'shelf' | 'bin')[]> = {
  warehouse: ['zone', 'shelf'],
  zone: ['zone', 'shelf'],
  shelf: ['bin'],
  bin: [],
};

/**
 * Warehouses and the places in them (issue 21): the tree this device holds, and — for admins and
 * managers — a warehouse added, a zone, shelf or bin added inside a place, a name or code changed,
 * an empty place removed. Each change is checked here first and queued (offline too).
 */
export function PlacesScreen() {
  const [places, setPlaces] = useState<readonly AuditPlace[]>([]);
  const [canEdit, setCanEdit] = useState(false);
  const [chosen, setChosen] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  const load = useCallback(() => {
    window.station.listPlaces().then(setPlaces, (e: unknown) => setMessage({ text: errorText(e), failed: true }));
  }, []);
  useEffect(() => {
    load();
    window.station.getRights().then(
      (r) => setCanEdit(r.editPlaces),
      () => setCanEdit(false),
    );
    return window.station.onCacheChanged(load);
  }, [load]);

  const edit = (change: PlaceEdit, done: string): Promise<boolean> =>
    window.station.editPlace(change).then(
      () => {
        setMessage({ text: done, failed: false });
        load();
        return true;
      },
      (e: unknown) => {
        setMessage({ text: errorText(e), failed: true });
        return false;
      },
    );
  const place = places.find((p) => p.id === chosen) ?? null;

  return (
    <div className="labels-screen places-screen">
      {!canEdit && <p className="muted">Warehouses and places are set up by a manager or an admin; here they are listed.</p>}
      {canEdit && (
        <PlaceForm
          title="Add a warehouse"
          kinds={['warehouse']}
          onSave={(kind, code, name) =>
            edit({ action: 'create', kind, parentId: null, code, name }, `${name} (${code.trim().toUpperCase()}) added`)
          }
        />
      )}
      {message !== null && (
        <p role={message.failed ? 'alert' : 'status'} className={message.failed ? 'note-error' : 'note-ok'} data-testid="places-result">
          {message.text}
        </p>
      )}
      {places.length === 0 && <p className="muted">No places on this device yet.</p>}
      <ul className="labels-list" data-testid="places-list">
        {places.map((p) => (
          <li key={p.id} className={p.id === chosen ? 'chosen' : undefined}>
            <button
              type="button"
              className="place-pick"
              aria-pressed={p.id === chosen}
              onClick={() => setChosen(p.id === chosen ? null : p.id)}
            >
              <span style={{ paddingLeft: `${p.depth * 1.2}rem` }}>
                <strong>{p.name}</strong> <code>{p.code}</code> <span className="muted">· {LOCATION_KIND_WORDS[p.kind]}</span>
              </span>
            </button>
            {canEdit && p.id === chosen && place !== null && (
              <div className="place-actions">
                {(INSIDE[place.kind] ?? []).length > 0 && (
                  <PlaceForm
                    title={`Add inside ${place.name}`}
                    kinds={INSIDE[place.kind] ?? []}
                    onSave={(kind, code, name) =>
                      edit({ action: 'create', kind, parentId: place.id, code, name }, `${name} (${code.trim().toUpperCase()}) added`)
                    }
                  />
                )}
                <PlaceForm
                  title={`Rename ${place.name}`}
                  kinds={null}
                  initial={{ code: place.code, name: place.name }}
                  onSave={(_kind, code, name) =>
                    edit(
                      {
                        action: 'update',
                        id: place.id,
                        ...(name.trim() === place.name ? {} : { name }),
                        ...(code.trim().toUpperCase() === place.code ? {} : { code }),
                      },
                      `${name} (${code.toUpperCase()}) saved`,
                    )
                  }
                />
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    void edit({ action: 'delete', id: place.id }, `${place.name} (${place.code}) removed`).then(
                      (ok) => ok && setChosen(null),
                    )
                  }
                >
                  Remove {place.name}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function PlaceForm({
  title,
  kinds,
  initial,
  onSave,
}: {
  title: string;
  /** The kinds offered; null: an edit of a place's name and code. */
  kinds: readonly ('warehouse' | 'zone' | 'shelf' | 'bin')[] | null;
  initial?: { code: string; name: string };
  onSave: (kind: 'warehouse' | 'zone' | 'shelf' | 'bin', code: string, name: string) => Promise<boolean>;
}) {
  const [kind, setKind] = useState(kinds?.[0] ?? 'warehouse');
  const [code, setCode] = useState(initial?.code ?? '');
  const [name, setName] = useState(initial?.name ?? '');
  const save = (event: FormEvent): void => {
    event.preventDefault();
    void onSave(kind, code, name).then((ok) => {
      if (ok && initial === undefined) {
        setCode('');
        setName('');
      }
    });
  };
  return (
    <form className="labels-filters place-form" aria-label={title} onSubmit={save}>
      <strong className="place-form-title">{title}</strong>
      {kinds !== null && kinds.length > 1 && (
        <label>
          <span>Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {LOCATION_KIND_WORDS[k]}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        <span>Name</span>
        <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} placeholder="e.g. Shelf A03" required />
      </label>
      <label>
        <span>Code (on its label)</span>
        <input
          value={code}
          maxLength={64}
          onChange={(e) => setCode(e.target.value)}
          placeholder="e.g. WH1-A03"
          required
          spellCheck={false}
        />
      </label>
      <button type="submit">{kinds === null ? 'Save' : title.startsWith('Add a') ? 'Add warehouse' : 'Add'}</button>
    </form>
  );
}
