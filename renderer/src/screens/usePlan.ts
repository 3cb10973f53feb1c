import { useCallback, useEffect, useRef, useState } from 'react';
import type { EditResult, GigEdit, GigPlan, PlanEdit } from '../../../core/planning/plan-api';
import { stationError } from '../../../core/errors';
import { errorText } from '../station-data';

/** What the last edit did, in words: queued (with any warning), or refused and why. */
export interface EditOutcome {
  kind: 'ok' | 'warning' | 'error';
  text: string;
  /** A new number each time, so the same words said twice are announced twice. */
  seq: number;
  /** An item another gig holds at the same time: planning it anyway is the planner's choice. */
  confirm?: { label: string; run: () => void };
}

export interface PlanState {
  plan: GigPlan | null;
  /** Why the plan could not be read, in words (null once it has been). */
  error: string | null;
  outcome: EditOutcome | null;
  /** Queues a pick list or crew edit; `done` says what it did. Resolves true when queued. */
  editPlan: (edit: PlanEdit, done: string) => Promise<boolean>;
  /** Queues an edit of the gig itself (or a new one); resolves with what was queued, or null when refused. */
  editGig: (edit: GigEdit, done: string) => Promise<EditResult | null>;
  /** Tells the planner something that is not an edit's outcome. */
  say: (kind: EditOutcome['kind'], text: string, confirm?: EditOutcome['confirm']) => void;
}

/** Reloads at most this often while the caches change (a pull, a scan burst, this screen's own edits). */
const RELOAD_EVERY_MS = 400;

/**
 * A gig's plan from the station (core/planning), read again whenever the station's caches change
 * — its own edits show at once (the station rebases queued ops onto its copy), and what the server
 * sends later (another planner, a refusal) replaces them.
 */
export function usePlan(gigId: string): PlanState {
  const [loaded, setLoaded] = useState<{ gigId: string; plan: GigPlan } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<EditOutcome | null>(null);
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    let live = true;
    let timer: number | null = null;
    let last = 0;
    const load = (): void => {
      last = performance.now();
      window.station.getGigPlan({ gigId }).then(
        (plan) => {
          if (!live) return;
          setLoaded({ gigId, plan });
          setError(null);
        },
        (e: unknown) => live && setError(errorText(e)),
      );
    };
    const soon = (): void => {
      if (timer !== null) return;
      timer = window.setTimeout(
        () => {
          timer = null;
          load();
        },
        Math.max(0, last + RELOAD_EVERY_MS - performance.now()),
      );
    };
    reloadRef.current = load;
    load();
    const off = window.station.onCacheChanged(soon);
    return () => {
      live = false;
      off();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, [gigId]);

  const say = useCallback((kind: EditOutcome['kind'], text: string, confirm?: EditOutcome['confirm']) => {
    setOutcome((previous) => ({ kind, text, seq: (previous?.seq ?? 0) + 1, ...(confirm === undefined ? {} : { confirm }) }));
  }, []);

  const settle = useCallback(
    (result: EditResult, done: string): void => {
      const warnings = result.warnings.length === 0 ? '' : ` — ${result.warnings.join('; ')}`;
      say(result.warnings.length === 0 ? 'ok' : 'warning', `${done}${warnings}`);
      reloadRef.current();
    },
    [say],
  );

  const editPlan = useCallback(
    function run(edit: PlanEdit, done: string): Promise<boolean> {
      return window.station.editPlan(edit).then(
        (result) => {
          settle(result, done);
          return true;
        },
        (e: unknown) => {
          // Held by another gig at the same time: said in words, and planned anyway only when confirmed.
          if (stationError(e).code === 'overbooked' && (edit.kind === 'add_asset' || edit.kind === 'add_case')) {
            say('warning', `Not added yet: ${errorText(e)}`, {
              label: 'Plan it anyway',
              run: () => void run({ ...edit, confirmOverbooking: true }, `${done} (overbooked on purpose)`),
            });
            return false;
          }
          say('error', `Not changed: ${errorText(e)}`);
          return false;
        },
      );
    },
    [settle, say],
  );

  const editGig = useCallback(
    (edit: GigEdit, done: string): Promise<EditResult | null> =>
      window.station.editGig(edit).then(
        (result) => {
          settle(result, done);
          return result;
        },
        (e: unknown) => {
          say('error', `Not changed: ${errorText(e)}`);
          return null;
        },
      ),
    [settle, say],
  );

  // A plan read for another gig is not shown while this one loads.
  const plan = loaded !== null && loaded.gigId === gigId ? loaded.plan : null;
  return { plan, error, outcome, editPlan, editGig, say };
}
