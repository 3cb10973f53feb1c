import { useEffect, useState } from 'react';
import type { z } from 'zod';
import type { MyGig, pickLineSchema } from '../../../core/station-views';
import type { CrewPush } from '../web/crew-push';
import { errorText } from '../station-data';
import { PushPrompt } from './PushPrompt';

type PickLine = z.infer<typeof pickLineSchema>;

function day(iso: string | null): string {
  return iso === null ? 'No date' : new Date(iso).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
}

function time(iso: string | null): string {
  return iso === null ? '' : new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * The crew member's schedule: their assigned gigs by day, with the path above each and their
 * role; a gig opens its pick list with what is already out. "Pick" starts scanning for it.
 */
export function MyGigsScreen({ onPick, push }: { onPick: () => void; push?: CrewPush | undefined }) {
  const [gigs, setGigs] = useState<MyGig[] | null>(null);
  const [open, setOpen] = useState<MyGig | null>(null);
  const [lines, setLines] = useState<PickLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const load = (): void =>
      void window.station.listMyGigs().then(
        (list) => live && setGigs(list),
        (e: unknown) => live && setError(errorText(e)),
      );
    load();
    // Assignments and gigs, not gear: a scan changes assets and must not reload the schedule.
    const off = window.station.onCacheChanged((change) => {
      if (change.topics.includes('gigs') || change.topics.includes('other')) load();
    });
    return () => {
      live = false;
      off();
    };
  }, []);

  const show = (gig: MyGig): void => {
    setOpen(gig);
    setLines(null);
    window.station.getPickList({ gigId: gig.id }).then(setLines, (e: unknown) => setError(errorText(e)));
  };
  const pick = (gig: MyGig): void => {
    window.station.submitScan({ code: gig.code, deviceId: 'screen' }).then(onPick, (e: unknown) => setError(errorText(e)));
  };

  const days = new Map<string, MyGig[]>();
  for (const gig of gigs ?? []) days.set(day(gig.startsAt), [...(days.get(day(gig.startsAt)) ?? []), gig]);
  return (
    <div className="split mine">
      <section className="list-pane" aria-label="My gigs">
        {error !== null && (
          <p role="alert" className="note-error">
            {error}
          </p>
        )}
        {push !== undefined && gigs !== null && gigs.length > 0 && <PushPrompt push={push} />}
        {gigs === null && <p className="muted">Loading…</p>}
        {gigs?.length === 0 && (
          <p className="muted">
            No gigs assigned to you on this device yet. Sign in as yourself in Settings; assignments arrive with the next sync.
          </p>
        )}
        {[...days].map(([label, list]) => (
          <div key={label}>
            <h2 className="day">{label}</h2>
            <ul className="schedule">
              {list.map((gig) => (
                <li key={gig.id}>
                  <button
                    type="button"
                    className={open?.id === gig.id ? 'schedule-item selected' : 'schedule-item'}
                    onClick={() => show(gig)}
                    data-testid="my-gig"
                  >
                    <span className="when">{time(gig.startsAt)}</span>
                    <span className="what">
                      <strong>{gig.name}</strong>
                      <small className="muted">{gig.path.join(' › ')}</small>
                    </span>
                    <span className="role">{gig.role}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </section>
      <aside className="detail-pane" aria-label="Gig detail">
        {open === null ? (
          <p className="muted">Tap a gig for its pick list.</p>
        ) : (
          <>
            <p className="muted">{open.path.join(' › ')}</p>
            <h2>{open.name}</h2>
            <p>
              {time(open.startsAt)} · {open.venue ?? 'no venue'} · {open.status.replace('_', ' ')} · you: {open.role}
            </p>
            <button type="button" className="big" onClick={() => pick(open)}>
              Pick for this gig
            </button>
            <h3>Pick list</h3>
            {lines === null && <p className="muted">Loading…</p>}
            {lines?.length === 0 && <p className="muted">Nothing planned for this gig itself.</p>}
            <ul className="pick-list" data-testid="pick-list">
              {lines?.map((line, i) => (
                <li key={i} className={line.out >= line.planned ? 'done' : ''}>
                  <span>{line.label}</span>
                  <span className="counts">
                    {line.out}/{line.planned}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </aside>
    </div>
  );
}
