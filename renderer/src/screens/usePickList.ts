import { useCallback, useEffect, useRef, useState } from 'react';
import type { PickListView } from '../../../core/station-views';
import { tickReturns } from '../../../core/views/pick-list';
import { forgetBaseline, loadBaseline, saveBaseline } from '../check-in-baseline';
import { errorText } from '../station-data';

/** Re-reads at most this often while scans and cache changes stream in (a scan burst, a pull of a thousand rows). */
const RELOAD_EVERY_MS = 250;

export interface PickListState {
  list: PickListView | null;
  error: string | null;
}

/**
 * The active gig's pick list (check-out) or expected returns (check-in), read again after a scan
 * (`changed`) and when the caches change (a case's contents come back from the server): the first
 * change at once, then at most once per RELOAD_EVERY_MS with the last change always read — on a
 * phone's CPU a read per scan and another per cache change cost more than the scan. In check-in,
 * what was out when check-in began for this gig is kept, across reloads too (check-in-baseline.ts),
 * so returned items tick off instead of vanishing (core/views/pick-list.ts tickReturns).
 */
export function usePickList(gigId: string | null, mode: PickListView['mode'], changed: unknown): PickListState {
  const [state, setState] = useState<{ key: string; list: PickListView } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const baseline = useRef<{ key: string; list: PickListView } | null>(null);
  const throttle = useRef<{ last: number; timer: number | null }>({ last: -Infinity, timer: null });
  const key = `${gigId ?? ''}|${mode}`;

  // A change asks for a read: now if none was asked for lately, else once when the interval is up.
  const changedSoon = useCallback(() => {
    const t = throttle.current;
    if (t.timer !== null) return;
    const wait = t.last + RELOAD_EVERY_MS - performance.now();
    if (wait <= 0) {
      t.last = performance.now();
      setTick((n) => n + 1);
      return;
    }
    t.timer = window.setTimeout(() => {
      t.timer = null;
      t.last = performance.now();
      setTick((n) => n + 1);
    }, wait);
  }, []);

  useEffect(() => {
    const t = throttle.current;
    const off = window.station.onCacheChanged(changedSoon);
    return () => {
      off();
      if (t.timer !== null) window.clearTimeout(t.timer);
      t.timer = null;
    };
  }, [changedSoon]);

  // Leaving check-in for a gig (another gig, or check-out) ends it: the next one starts afresh.
  const previousKey = useRef(key);
  useEffect(() => {
    const before = previousKey.current;
    previousKey.current = key;
    if (before !== key && before.endsWith('|check_in')) forgetBaseline(before);
  }, [key]);

  // A scan (not the first render: the read below runs then anyway).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else changedSoon();
  }, [changed, changedSoon]);

  useEffect(() => {
    if (gigId === null) return;
    let live = true;
    window.station.getPickList({ gigId, mode }).then(
      (now) => {
        if (!live) return;
        let shown = now;
        if (mode === 'check_in') {
          if (baseline.current?.key !== key) {
            // After a reload, the check-in that was under way; else it begins now.
            const kept = loadBaseline(key);
            baseline.current = { key, list: kept ?? now };
            if (kept === null) saveBaseline(key, now);
          }
          if (baseline.current.list !== now) shown = tickReturns(baseline.current.list, now);
        }
        setState({ key, list: shown });
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [gigId, mode, key, tick]);

  return { list: gigId !== null && state?.key === key ? state.list : null, error: gigId === null ? null : error };
}
