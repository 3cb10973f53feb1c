import { useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import type { pickLineSchema } from '../../../core/station-views';
import { errorText } from '../station-data';

type PickLine = z.infer<typeof pickLineSchema>;

/**
 * The active gig's pick list on the Scan screen, line by line with how much is out. `focus`
 * changes when a gig was tapped in My gigs: the list is brought into view once it has loaded.
 * `changed` is the last scan: what is out may have moved.
 */
export function PickListPanel({ gigId, focus, changed }: { gigId: string | null; focus: number; changed: unknown }) {
  const [lines, setLines] = useState<{ gigId: string; lines: PickLine[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panel = useRef<HTMLElement>(null);
  const shownFocus = useRef(0);

  useEffect(() => {
    if (gigId === null) return;
    let live = true;
    window.station.getPickList({ gigId }).then(
      (list) => {
        if (!live) return;
        setLines({ gigId, lines: list });
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [gigId, changed]);

  const current = lines !== null && lines.gigId === gigId ? lines.lines : null;
  useEffect(() => {
    if (focus === shownFocus.current || current === null) return;
    shownFocus.current = focus;
    panel.current?.scrollIntoView({ block: 'start' });
  }, [focus, current]);

  if (gigId === null) return null;
  return (
    <section className="pick-list-panel" aria-label="Pick list" ref={panel}>
      <h2>Pick list</h2>
      {error !== null && <p role="alert">{error}</p>}
      {current === null && error === null && <p className="muted">Loading…</p>}
      {current?.length === 0 && <p className="muted">Nothing planned for this gig itself.</p>}
      <ul className="pick-list" data-testid="pick-list">
        {current?.map((line, i) => (
          <li key={i} className={line.out >= line.planned ? 'done' : ''}>
            <span>{line.label}</span>
            <span className="counts">
              {line.out}/{line.planned}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
