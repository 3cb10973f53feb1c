import { useState, type FormEvent } from 'react';
import type { GigListItem } from '../../../core/station-views';
import type { GigTree } from '../../../core/views/gig-tree';
import { errorText } from '../station-data';
import { fromLocalInput } from '../zoned-time';
import { gigPath } from './GigPicker';
import { zoneWords } from './PlanDetails';

/**
 * A new gig, or a set under one: its name, venue and times (in the venue's time: a set takes its
 * parent's zone). Queued like any edit; the Plan screen opens on it at once, offline too.
 */
export function NewGigForm({
  parent,
  tree,
  onCreated,
  onCancel,
}: {
  parent: GigListItem | null;
  tree: GigTree;
  onCreated: (gigId: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [venue, setVenue] = useState(parent?.venue ?? '');
  const [starts, setStarts] = useState('');
  const [ends, setEnds] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const zone = parent?.timeZone ?? null;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    window.station
      .editGig({
        kind: 'create',
        parentGigId: parent?.id ?? null,
        name: name.trim(),
        venue: venue.trim() || null,
        startsAt: fromLocalInput(starts, zone),
        endsAt: fromLocalInput(ends, zone),
      })
      .then(
        (result) => {
          const id = result.queued[0]?.payload['id'];
          if (typeof id === 'string') onCreated(id);
          else setProblem('The station queued no new gig; look at the Sync screen.');
        },
        (e: unknown) => setProblem(`Not created: ${errorText(e)}`),
      );
  };
  return (
    <div className="plan-screen new-gig">
      <header className="plan-head">
        <button type="button" onClick={onCancel}>
          ← Back
        </button>
        <div className="plan-title">
          {parent !== null && <p className="breadcrumb">{gigPath(tree, parent)}</p>}
          <h2>{parent === null ? 'New gig' : `New set under ${parent.name}`}</h2>
        </div>
      </header>
      <form className="plan-form new-gig-form" aria-label="New gig" onSubmit={submit}>
        <label>
          Name
          <input value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Venue
          <input value={venue} maxLength={200} onChange={(e) => setVenue(e.target.value)} />
        </label>
        <label>
          <span>
            Starts <span className="muted">({zoneWords(zone, null)})</span>
          </span>
          <input type="datetime-local" value={starts} onChange={(e) => setStarts(e.target.value)} />
        </label>
        <label>
          <span>
            Ends <span className="muted">({zoneWords(zone, null)})</span>
          </span>
          <input type="datetime-local" value={ends} onChange={(e) => setEnds(e.target.value)} />
        </label>
        {problem !== null && (
          <p role="alert" className="note-error wide">
            {problem}
          </p>
        )}
        <div className="actions wide">
          <button type="submit" className="big" disabled={name.trim() === ''}>
            {parent === null ? 'Create gig' : 'Create set'}
          </button>
          <button type="button" className="big" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
