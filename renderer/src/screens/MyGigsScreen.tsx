import { useEffect, useState } from 'react';
import type { MyGig } from '../../../core/station-views';
import { byVenueDay } from '../../../core/views/time';
import type { CrewPush } from '../web/crew-push';
import { errorText } from '../station-data';
import { Time } from '../Time';
import { PushPrompt } from './PushPrompt';

/** A gig that is running, over or called off says so: tapping a finished one picks nothing (the Scan screen says why). */
const STATUS_WORDS: Partial<Record<string, string>> = { in_progress: 'on now', completed: 'finished', cancelled: 'cancelled' };

/**
 * The crew member's schedule: their assigned gigs by day, with the path above each and their
 * role. Tapping a gig starts picking for it: the Scan screen opens on its pick list.
 */
export function MyGigsScreen({ onOpen, push }: { onOpen: () => void; push?: CrewPush | undefined }) {
  const [gigs, setGigs] = useState<MyGig[] | null>(null);
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

  // The gig's code, as if scanned: the Scan screen then shows the gig (or why it cannot be picked).
  const open = (gig: MyGig): void => {
    window.station.submitScan({ code: gig.code, deviceId: 'screen' }).then(onOpen, (e: unknown) => setError(errorText(e)));
  };

  // Each gig under its venue's day, as its times below are the venue's.
  const days = byVenueDay(gigs ?? []);
  return (
    <section className="mine" aria-label="My gigs">
      {error !== null && (
        <p role="alert" className="note-error">
          {error}
        </p>
      )}
      {push !== undefined && gigs !== null && gigs.length > 0 && <PushPrompt push={push} />}
      {gigs === null && <p className="muted">Loading…</p>}
      {gigs?.length === 0 && <p className="muted">No gigs assigned to you on this device yet. Assignments arrive with the next sync.</p>}
      {gigs !== null && gigs.length > 0 && <p className="muted">Tap a gig to pick for it.</p>}
      {days.map(({ key, label, gigs: list }) => (
        <div key={key}>
          <h2 className="day">{label}</h2>
          <ul className="schedule">
            {list.map((gig) => (
              <li key={gig.id}>
                <button type="button" className="schedule-item" onClick={() => open(gig)} data-testid="my-gig">
                  <span className="when">
                    {gig.startsAt === null ? '—' : <Time at={gig.startsAt} zone={gig.timeZone} />}
                    {STATUS_WORDS[gig.status] !== undefined && (
                      <span className={`status status-${gig.status}`}>{STATUS_WORDS[gig.status]}</span>
                    )}
                  </span>
                  <span className="what">
                    <strong>{gig.name}</strong>
                    <small className="muted">{[...gig.path, gig.venue].filter((part) => part !== null).join(' › ')}</small>
                    <small className="role">you: {gig.role}</small>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
