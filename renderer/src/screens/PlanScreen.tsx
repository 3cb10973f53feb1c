import { useState, type FormEvent } from 'react';
import type { FeedbackView } from '../../../core/station-api';
import { errorText, type StationLists } from '../station-data';
import { NewGigForm } from './NewGigForm';
import { PlanAvailability } from './PlanAvailability';
import { PlanCrew } from './PlanCrew';
import { PlanDetails } from './PlanDetails';
import { PlanPickList, Waiting } from './PlanPickList';
import { usePlan } from './usePlan';
import { usePlanScan } from './usePlanScan';
import './plan.css';

/** What the Plan screen shows: a gig's plan, or the form for a new gig (at the top, or a set under one). */
export type PlanTarget = { kind: 'gig'; gigId: string } | { kind: 'new'; parentId: string | null };

export interface PlanScreenProps {
  target: PlanTarget;
  lists: StationLists;
  /** The last scan's feedback (a plan scan says what it added). */
  feedback: FeedbackView | null;
  onOpen: (target: PlanTarget) => void;
  onBack: () => void;
}

/** Codes typed here (or scanned, any scanner) while scans add to this pick list. */
function CodeEntry({ feedback }: { feedback: FeedbackView | null }) {
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  // A scan from before this screen opened is not this pick list's.
  const [before] = useState(feedback);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const typed = code.trim();
    if (typed === '') return;
    setProblem(null);
    window.station.submitScan({ code: typed, deviceId: 'screen' }).then(
      () => setCode(''),
      (e: unknown) => setProblem(`Scan not taken: ${errorText(e)}`),
    );
  };
  return (
    <div className="plan-scan" data-testid="plan-scan">
      <p className="plan-scan-on">Scans add to this pick list: scan an item or a case, or type its code.</p>
      <form className="manual-entry" onSubmit={submit}>
        <input aria-label="Code to add" placeholder="Serial or barcode" value={code} onChange={(e) => setCode(e.target.value)} />
        <button type="submit">Add</button>
      </form>
      {problem !== null && (
        <p role="alert" className="note-error">
          {problem}
        </p>
      )}
      {feedback !== null && feedback !== before && (
        <p className={`plan-scan-last feedback-${feedback.kind}`} data-testid="plan-scan-feedback">
          {feedback.message}
        </p>
      )}
    </div>
  );
}

function GigPlanView({ gigId, lists, feedback, onOpen, onBack }: Omit<PlanScreenProps, 'target'> & { gigId: string }) {
  const { plan, error, outcome, editPlan, editGig } = usePlan(gigId);
  const scansAddHere = usePlanScan(plan?.canPlan === true ? gigId : null);
  const head = (
    <button type="button" onClick={onBack}>
      ← Gigs
    </button>
  );
  if (plan === null)
    return (
      <div className="plan-screen">
        <header className="plan-head">{head}</header>
        {error === null ? (
          <p className="muted">Reading the plan…</p>
        ) : (
          <p role="alert" className="note-error">{`The plan could not be read: ${error}`}</p>
        )}
      </div>
    );
  const { gig } = plan;
  return (
    <div className="plan-screen" data-testid="plan-screen">
      <header className="plan-head">
        {head}
        <div className="plan-title">
          {gig.path.length > 0 && <p className="breadcrumb">{gig.path.join(' › ')}</p>}
          <h2>
            {gig.name} <Waiting waiting={gig.waiting} />
          </h2>
          <p className="muted">
            {gig.code === '' ? 'new — its code comes from the server' : gig.code} ·{' '}
            <span className={`status status-${gig.status}`}>{gig.status.replace('_', ' ')}</span>
          </p>
        </div>
        {outcome !== null && (
          <div role="status" key={outcome.seq} className={`plan-outcome outcome-${outcome.kind}`} data-testid="plan-outcome">
            <p>{outcome.text}</p>
            {outcome.confirm !== undefined && (
              <button type="button" onClick={outcome.confirm.run}>
                {outcome.confirm.label}
              </button>
            )}
          </div>
        )}
      </header>
      {!plan.canPlan && plan.note !== null && (
        <p className="plan-note" data-testid="plan-note">
          {plan.note}
        </p>
      )}
      <div className="plan-columns">
        <section className="plan-column" aria-label="Details and crew">
          <h3>Details</h3>
          <PlanDetails
            plan={plan}
            tree={lists.tree}
            edit={editGig}
            onAddSet={() => onOpen({ kind: 'new', parentId: gig.id })}
            onDeleted={onBack}
          />
          <h3>Crew</h3>
          <PlanCrew plan={plan} edit={editPlan} />
        </section>
        <section className="plan-column" aria-label="Pick list">
          <h3>Pick list</h3>
          <PlanPickList
            plan={plan}
            assets={lists.assets}
            tree={lists.tree}
            edit={editPlan}
            codeEntry={scansAddHere ? <CodeEntry feedback={feedback} /> : undefined}
          />
        </section>
        <section className="plan-column" aria-label="Availability">
          <h3>Availability</h3>
          <PlanAvailability availability={plan.availability} />
        </section>
      </div>
    </div>
  );
}

/** Planning a gig offline: its details, pick list, crew and what is free for it (issue 19). */
export function PlanScreen({ target, lists, feedback, onOpen, onBack }: PlanScreenProps) {
  if (target.kind === 'new') {
    const parent = target.parentId === null ? null : (lists.tree.byId.get(target.parentId) ?? null);
    return (
      <NewGigForm
        parent={parent}
        tree={lists.tree}
        onCreated={(gigId) => onOpen({ kind: 'gig', gigId })}
        onCancel={target.parentId === null ? onBack : () => onOpen({ kind: 'gig', gigId: target.parentId ?? '' })}
      />
    );
  }
  return <GigPlanView key={target.gigId} gigId={target.gigId} lists={lists} feedback={feedback} onOpen={onOpen} onBack={onBack} />;
}
