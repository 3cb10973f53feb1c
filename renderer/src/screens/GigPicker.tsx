import { useId, useMemo, useState } from 'react';
import type { GigListItem } from '../../../core/station-views';
import { ancestry, type GigTree } from '../../../core/views/gig-tree';

const SHOWN = 8;

/** "Old Town Jazz Festival › Second Stage › Day 1": where a gig sits, by name. */
export function gigPath(tree: GigTree, gig: GigListItem): string {
  return ancestry(tree, gig.id)
    .map((g) => g.name)
    .join(' › ');
}

/**
 * Choose a gig by name (or code or venue): a search field and the first matches, each with the
 * names above it. Never shows an id. `exclude` leaves gigs out (the gig itself, its own sets).
 */
export function GigPicker({
  tree,
  label,
  chosen,
  onChoose,
  exclude,
  testId,
}: {
  tree: GigTree;
  label: string;
  chosen: GigListItem | null;
  onChoose: (gig: GigListItem | null) => void;
  exclude?: (gig: GigListItem) => boolean;
  testId?: string;
}) {
  const [query, setQuery] = useState('');
  const id = useId();
  const matches = useMemo(() => {
    const needle = query.trim().toLowerCase();
    if (needle === '') return { shown: [] as GigListItem[], total: 0 };
    const found: GigListItem[] = [];
    let total = 0;
    for (const gig of tree.byId.values()) {
      if (exclude?.(gig) === true) continue;
      const hay = `${gig.name}\u0000${gig.code}\u0000${gig.venue ?? ''}`.toLowerCase();
      if (!hay.includes(needle)) continue;
      total += 1;
      if (found.length < SHOWN) found.push(gig);
    }
    return { shown: found, total };
  }, [tree, query, exclude]);

  if (chosen !== null)
    return (
      <div className="gig-picker chosen" data-testid={testId}>
        <span className="gig-picker-label">{label}</span>
        <span className="gig-picker-choice">
          <strong>{chosen.name}</strong> <span className="muted">{gigPath(tree, chosen)}</span>
        </span>
        <button type="button" onClick={() => onChoose(null)}>
          Change
        </button>
      </div>
    );
  return (
    <div className="gig-picker" data-testid={testId}>
      <label htmlFor={id} className="gig-picker-label">
        {label}
      </label>
      <input id={id} type="search" placeholder="Type a gig’s name or code" value={query} onChange={(e) => setQuery(e.target.value)} />
      {matches.shown.length > 0 && (
        <ul className="picker-results" aria-label={`${label}: matches`}>
          {matches.shown.map((gig) => (
            <li key={gig.id}>
              <button type="button" className="picker-result" onClick={() => onChoose(gig)}>
                <strong>{gig.name}</strong>
                <span className="muted">
                  {gig.code} · {gigPath(tree, gig)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {matches.total > matches.shown.length && (
        <p className="muted small-text">{matches.total - matches.shown.length} more match — type more of the name</p>
      )}
      {query.trim() !== '' && matches.total === 0 && <p className="muted small-text">No gig matches “{query.trim()}”.</p>}
    </div>
  );
}
