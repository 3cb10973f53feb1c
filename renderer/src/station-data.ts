import { useEffect, useMemo, useRef, useState } from 'react';
import { stationError } from '../../core/errors';
import type { SyncStatusView } from '../../core/station-api';
import type { AssetListItem, GigListItem } from '../../core/station-views';
import { AssetIndex } from '../../core/views/asset-index';
import { buildGigTree, type GigTree } from '../../core/views/gig-tree';

/** The live sync status: read once, then pushed by the station on every change. */
export function useSyncStatus(): SyncStatusView | null {
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  useEffect(() => {
    let live = true;
    window.station.getSyncStatus().then(
      (value) => live && setStatus(value),
      // Safe to leave the status empty ("—" on screen): the station pushes the next one on any change.
      (error: unknown) => console.warn(`sync status not read: ${errorText(error)}`),
    );
    const off = window.station.onSyncStatus(setStatus);
    return () => {
      live = false;
      off();
    };
  }, []);
  return status;
}

export interface StationLists {
  gigs: readonly GigListItem[];
  tree: GigTree;
  assets: AssetIndex;
  loaded: boolean;
  /** Why the last load failed, in words (null once a load succeeds). */
  error: string | null;
}

/** Reloads at most this often while changes stream in (a pull of 20k rows, a scan burst). */
const RELOAD_EVERY_MS = 1000;

/**
 * Every gig and asset the station holds, kept in the page so lists, search and filters never
 * wait on the station: loaded at start, reloaded (throttled) when the caches change. While not
 * `enabled` (a phone not showing a list) nothing is loaded or reloaded.
 */
export function useStationLists(enabled = true): StationLists {
  const [gigs, setGigs] = useState<readonly GigListItem[]>([]);
  const [assets, setAssets] = useState<readonly AssetListItem[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | null>(null);
  const lastLoad = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const load = (): void => {
      lastLoad.current = performance.now();
      void Promise.all([window.station.listGigs(), window.station.listAssets()]).then(
        ([g, a]) => {
          if (!live) return;
          setGigs(g);
          setAssets(a);
          setLoaded(true);
          setError(null);
        },
        (e: unknown) => live && setError(`Gigs and assets could not be read: ${errorText(e)}`),
      );
    };
    load();
    const off = window.station.onCacheChanged(() => {
      if (timer.current !== null) return;
      const wait = Math.max(0, lastLoad.current + RELOAD_EVERY_MS - performance.now());
      timer.current = window.setTimeout(() => {
        timer.current = null;
        load();
      }, wait);
    });
    return () => {
      live = false;
      off();
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [enabled]);

  const tree = useMemo(() => buildGigTree(gigs), [gigs]);
  const index = useMemo(() => new AssetIndex(assets, (id) => tree.byId.get(id)?.name), [assets, tree]);
  return { gigs, tree, assets: index, loaded, error };
}

/**
 * A failed StationApi call in words for the operator, by its code (core/errors.ts). Most codes
 * carry the handler's own words; the ones a person cannot act on say what to do instead.
 */
export function errorText(reason: unknown): string {
  const error = stationError(reason);
  switch (error.code) {
    case 'offline':
      return `no connection (${error.message})`;
    case 'untrusted_sender':
      return `this window may not use the station; restart the app (${error.message})`;
    case 'unknown_method':
    case 'invalid_result':
      return `this screen and the station do not match; update the app (${error.message})`;
    // The handler's own words say what is wrong and what to do; a fault nobody named (handler_failed)
    // starts with the method that failed, which support needs.
    case 'invalid_arguments':
    case 'not_found':
    case 'conflict':
    case 'overbooked':
    case 'corrupt':
    case 'unsupported':
    case 'not_configured':
    case 'unauthorized':
    case 'forbidden':
    case 'handler_failed':
      return error.message;
  }
}

export function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Re-renders every `ms` so relative times stay true. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
