import { useEffect, useMemo, useRef, useState } from 'react';
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
      () => undefined,
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
        },
        () => undefined,
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
  return { gigs, tree, assets: index, loaded };
}

/**
 * What the station said, for an operator: the dispatcher's "handler_failed: signIn failed: …"
 * framing is for logs (and only the message survives Electron's contextBridge anyway).
 */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^handler_failed: \w+ failed: /, '').replace(/^invalid_arguments: \w+: /, '');
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
