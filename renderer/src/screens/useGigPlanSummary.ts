import { useEffect, useMemo, useState } from 'react';
import type { GigPlan } from '../../../core/planning/plan-api';
import type { GigTree } from '../../../core/views/gig-tree';

/** While arrow keys move through the tree, a plan is read only for the gig the selection rests on. */
const SETTLE_MS = 250;

/**
 * The selected gig's plan, for what the Gigs screen shows beside it (overdue returns, whether a
 * set may be added): read once the selection rests, again when the gig changes.
 */
export function useSelectedPlan(gigId: string | null, version: string): GigPlan | null {
  const [answer, setAnswer] = useState<{ key: string; plan: GigPlan } | null>(null);
  const key = `${gigId ?? ''}|${version}`;
  useEffect(() => {
    if (gigId === null) return;
    let live = true;
    const timer = window.setTimeout(() => {
      window.station.getGigPlan({ gigId }).then(
        (plan) => live && setAnswer({ key, plan }),
        // Nothing beside the gig rather than a stale answer: the detail pane still has its facts.
        () => live && setAnswer(null),
      );
    }, SETTLE_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [gigId, key]);
  return answer !== null && answer.key === key ? answer.plan : null;
}

/**
 * Whether the signed-in role plans gigs here (a manager or an admin): what the plan of an open gig
 * says — an open gig's plan is refused for the role alone. Null until known (no open gig yet).
 */
export function useMayPlan(tree: GigTree): boolean | null {
  const probe = useMemo(() => {
    for (const gig of tree.byId.values())
      if (gig.status === 'draft' || gig.status === 'confirmed' || gig.status === 'in_progress') return gig.id;
    return null;
  }, [tree]);
  const [answer, setAnswer] = useState<{ probe: string; may: boolean } | null>(null);
  useEffect(() => {
    if (probe === null) return;
    let live = true;
    window.station.getGigPlan({ gigId: probe }).then(
      (plan) => live && setAnswer({ probe, may: plan.canPlan }),
      () => live && setAnswer(null),
    );
    return () => {
      live = false;
    };
  }, [probe]);
  return answer !== null && answer.probe === probe ? answer.may : null;
}
