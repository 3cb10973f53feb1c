import { useEffect, useState } from 'react';
import type { OverdueReturn } from '../../../core/planning/plan-api';
import { errorText } from '../station-data';

/** Read again at most this often while the caches change (a scan burst brings things back). */
const RELOAD_EVERY_MS = 1000;

/**
 * Everything out past its gig's end and return buffer, most overdue first, from this device's
 * copy (offline too): what the warehouse chases before planning the next gig.
 */
export function OverdueList() {
  const [list, setList] = useState<readonly OverdueReturn[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let timer: number | null = null;
    const load = (): void => {
      window.station.listOverdueReturns().then(
        (value) => {
          if (!live) return;
          setList(value);
          setProblem(null);
        },
        (e: unknown) => live && setProblem(`Overdue returns could not be read: ${errorText(e)}`),
      );
    };
    load();
    const off = window.station.onCacheChanged(() => {
      if (timer === null)
        timer = window.setTimeout(() => {
          timer = null;
          load();
        }, RELOAD_EVERY_MS);
    });
    return () => {
      live = false;
      off();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, []);
  if (problem !== null)
    return (
      <p role="alert" className="note-error">
        {problem}
      </p>
    );
  if (list === null) return null;
  return (
    <section className="overdue" aria-label="Overdue returns" data-testid="overdue-all">
      <h3>Overdue returns</h3>
      {list.length === 0 ? (
        <p className="muted">Nothing is overdue.</p>
      ) : (
        <ul className="holdings">
          {list.map((o) => (
            <li key={o.gigId} className="holding">
              <strong>{o.gig}</strong>
              <span className="holding-when">due back {o.dueBack}</span>
              <ul className="holding-items">
                {o.items.map((item) => (
                  <li key={item}>{item}</li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
