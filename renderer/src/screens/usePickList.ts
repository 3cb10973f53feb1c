import { useEffect, useRef, useState } from 'react';
import type { PickListView } from '../../../core/station-views';
import { tickReturns } from '../../../core/views/pick-list';
import { errorText } from '../station-data';

/** Re-reads after a cache change at most this often (a pull of a thousand rows is many changes). */
const RELOAD_EVERY_MS = 250;

export interface PickListState {
  list: PickListView | null;
  error: string | null;
}

/**
 * The active gig's pick list (check-out) or expected returns (check-in), read again after every
 * scan (`changed`) and when the caches change (a case's contents come back from the server). In
 * check-in, what was out when check-in began for this gig is kept, so returned items tick off
 * instead of vanishing (core/views/pick-list.ts tickReturns).
 */
export function usePickList(gigId: string | null, mode: PickListView['mode'], changed: unknown): PickListState {
  const [state, setState] = useState<{ key: string; list: PickListView } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cacheTick, setCacheTick] = useState(0);
  const baseline = useRef<{ key: string; list: PickListView } | null>(null);
  const key = `${gigId ?? ''}|${mode}`;

  useEffect(() => {
    let timer: number | null = null;
    const off = window.station.onCacheChanged(() => {
      timer ??= window.setTimeout(() => {
        timer = null;
        setCacheTick((n) => n + 1);
      }, RELOAD_EVERY_MS);
    });
    return () => {
      off();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    if (gigId === null) return;
    let live = true;
    window.station.getPickList({ gigId, mode }).then(
      (now) => {
        if (!live) return;
        let shown = now;
        if (mode === 'check_in') {
          if (baseline.current?.key !== key) baseline.current = { key, list: now };
          else shown = tickReturns(baseline.current.list, now);
        }
        setState({ key, list: shown });
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [gigId, mode, key, changed, cacheTick]);

  return { list: gigId !== null && state?.key === key ? state.list : null, error: gigId === null ? null : error };
}
