import { useCallback, useState, type FormEvent } from 'react';
import type { GigPlan } from '../../../core/planning/plan-api';
import type { GigListItem } from '../../../core/station-views';
import type { GigTree } from '../../../core/views/gig-tree';
import { Time } from '../Time';
import { fromLocalInput, toLocalInput, zoneShortName } from '../zoned-time';
import { GigPicker } from './GigPicker';
import type { PlanState } from './usePlan';

type Gig = GigPlan['gig'];

/** How many gigs sit below `id` (its sets, their sets…), from the station's list. */
export function countBelow(tree: GigTree, id: string): number {
  let n = 0;
  const stack = [...(tree.children.get(id) ?? [])];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    n += 1;
    stack.push(...(tree.children.get(next.id) ?? []));
  }
  return n;
}

/** Whether `id` is `rootId` or one of its sets (a gig cannot move under itself). */
function within(tree: GigTree, rootId: string, id: string): boolean {
  for (let at = tree.byId.get(id); at !== undefined; at = at.parentId === null ? undefined : tree.byId.get(at.parentId))
    if (at.id === rootId) return true;
  return false;
}

const sets = (n: number): string => `${n} set${n === 1 ? '' : 's'}`;

/** "venue time, CEST" or "this device’s time, CET": the zone the fields are read in. */
export function zoneWords(zone: string | null, at: string | null): string {
  const ms = at === null ? Date.now() : Date.parse(at);
  return `${zone === null ? 'this device’s time' : 'venue time'}, ${zoneShortName(zone, ms)}`;
}

function DetailsForm({ gig, edit }: { gig: Gig; edit: PlanState['editGig'] }) {
  const [name, setName] = useState(gig.name);
  const [venue, setVenue] = useState(gig.venue ?? '');
  const [notes, setNotes] = useState(gig.notes ?? '');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const fields: { name?: string; venue?: string | null; notes?: string | null } = {};
    if (name.trim() !== gig.name) fields.name = name.trim();
    if ((venue.trim() || null) !== gig.venue) fields.venue = venue.trim() || null;
    if ((notes.trim() || null) !== gig.notes) fields.notes = notes.trim() || null;
    if (Object.keys(fields).length === 0) return;
    void edit({ kind: 'update', gigId: gig.id, fields }, `${fields.name ?? gig.name}: details saved`);
  };
  return (
    <form className="plan-form" aria-label="Details" onSubmit={submit}>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      </label>
      <label>
        Venue
        <input value={venue} onChange={(e) => setVenue(e.target.value)} maxLength={200} />
      </label>
      <label className="wide">
        Notes
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={3} maxLength={10_000} />
      </label>
      <button type="submit" className="big">
        Save details
      </button>
    </form>
  );
}

function TimesForm({ gig, edit }: { gig: Gig; edit: PlanState['editGig'] }) {
  const [starts, setStarts] = useState(toLocalInput(gig.startsAt, gig.timeZone));
  const [ends, setEnds] = useState(toLocalInput(gig.endsAt, gig.timeZone));
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const startsAt = fromLocalInput(starts, gig.timeZone);
    const endsAt = fromLocalInput(ends, gig.timeZone);
    void edit({ kind: 'times', gigId: gig.id, startsAt, endsAt }, `${gig.name}: times saved`);
  };
  return (
    <form className="plan-form" aria-label="Times" onSubmit={submit}>
      <label>
        <span>
          Starts <span className="muted">({zoneWords(gig.timeZone, gig.startsAt)})</span>
        </span>
        <input type="datetime-local" value={starts} onChange={(e) => setStarts(e.target.value)} />
      </label>
      <label>
        <span>
          Ends <span className="muted">({zoneWords(gig.timeZone, gig.endsAt ?? gig.startsAt)})</span>
        </span>
        <input type="datetime-local" value={ends} onChange={(e) => setEnds(e.target.value)} />
      </label>
      <button type="submit" className="big">
        Save times
      </button>
    </form>
  );
}

function MoveForm({ gig, tree, edit }: { gig: Gig; tree: GigTree; edit: PlanState['editGig'] }) {
  const [under, setUnder] = useState<GigListItem | null>(null);
  const exclude = useCallback((other: GigListItem) => within(tree, gig.id, other.id) || other.id === gig.parentId, [tree, gig]);
  return (
    <div className="plan-form" role="group" aria-label="Move">
      <GigPicker tree={tree} label="Move under" chosen={under} onChoose={setUnder} exclude={exclude} testId="move-picker" />
      <div className="actions">
        <button
          type="button"
          disabled={under === null}
          onClick={() =>
            under !== null &&
            void edit({ kind: 'move', gigId: gig.id, parentGigId: under.id }, `${gig.name} moved under ${under.name}`).then(
              (r) => r !== null && setUnder(null),
            )
          }
        >
          Move here
        </button>
        {gig.parentId !== null && (
          <button
            type="button"
            onClick={() => void edit({ kind: 'move', gigId: gig.id, parentGigId: null }, `${gig.name} is now a gig of its own`)}
          >
            Make it a gig of its own
          </button>
        )}
      </div>
    </div>
  );
}

function DeleteGig({ gig, below, edit, onDeleted }: { gig: Gig; below: number; edit: PlanState['editGig']; onDeleted: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        Delete this gig…
      </button>
    );
  return (
    <div className="confirm" role="alertdialog" aria-label="Delete this gig?">
      <p>
        Delete <strong>{gig.name}</strong>
        {below === 0 ? '' : <> and the {sets(below)} under it</>}? Its pick list and crew go with it.
      </p>
      <div className="actions">
        <button
          type="button"
          className="danger big"
          onClick={() =>
            void edit({ kind: 'delete', gigId: gig.id }, `${gig.name} deleted${below === 0 ? '' : ` with ${sets(below)}`}`).then(
              (r) => r !== null && onDeleted(),
            )
          }
        >
          Delete {below === 0 ? 'it' : `all ${below + 1}`}
        </button>
        <button type="button" className="big" onClick={() => setAsking(false)}>
          Keep it
        </button>
      </div>
    </div>
  );
}

/** The gig itself: name, venue, notes, start and end in the venue's time, where it sits, delete. */
export function PlanDetails({
  plan,
  tree,
  edit,
  onAddSet,
  onDeleted,
}: {
  plan: GigPlan;
  tree: GigTree;
  edit: PlanState['editGig'];
  onAddSet: () => void;
  onDeleted: () => void;
}) {
  const { gig } = plan;
  const below = countBelow(tree, gig.id);
  if (!plan.canPlan)
    return (
      <dl className="facts">
        <dt>Venue</dt>
        <dd>{gig.venue ?? '—'}</dd>
        <dt>Starts</dt>
        <dd>{gig.startsAt === null ? '—' : <Time at={gig.startsAt} zone={gig.timeZone} date />}</dd>
        <dt>Ends</dt>
        <dd>{gig.endsAt === null ? '—' : <Time at={gig.endsAt} zone={gig.timeZone} date />}</dd>
        <dt>Notes</dt>
        <dd className="plan-notes">{gig.notes ?? '—'}</dd>
        <dt>Sets</dt>
        <dd>{below}</dd>
      </dl>
    );
  return (
    <>
      <DetailsForm key={`${gig.id}|${gig.name}|${gig.venue ?? ''}|${gig.notes ?? ''}`} gig={gig} edit={edit} />
      <TimesForm key={`${gig.id}|${gig.startsAt ?? ''}|${gig.endsAt ?? ''}|${gig.timeZone ?? ''}`} gig={gig} edit={edit} />
      <MoveForm key={`${gig.id}|${gig.parentId ?? ''}`} gig={gig} tree={tree} edit={edit} />
      <div className="actions plan-gig-actions">
        <button type="button" onClick={onAddSet}>
          Add a set under this gig
        </button>
        <DeleteGig key={gig.id} gig={gig} below={below} edit={edit} onDeleted={onDeleted} />
      </div>
    </>
  );
}
