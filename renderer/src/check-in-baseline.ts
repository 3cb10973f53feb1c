import { z } from 'zod';
import { pickListSchema, type PickListView } from '../../core/station-views';

/**
 * What was out to a gig when check-in began for it (the list check-in ticks returns off against),
 * kept across reloads: a phone's browser drops a background tab, the active gig and mode survive a
 * reload, and so must what already came back — otherwise returned items vanish instead of showing
 * ticked. Kept per gig and mode in this page's origin; leaving check-in for a gig forgets it, so the
 * next check-in starts from what is out then. Storage that is missing, full or damaged only means a
 * fresh start: never an error on the Scan screen.
 */
const PREFIX = 'gigmanager:check-in-baseline:';
const storedSchema = z.object({ list: pickListSchema });

export function loadBaseline(key: string): PickListView | null {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    if (raw === null) return null;
    const stored = storedSchema.safeParse(JSON.parse(raw));
    return stored.success ? stored.data.list : null;
  } catch {
    return null;
  }
}

export function saveBaseline(key: string, list: PickListView): void {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ list }));
  } catch {
    // Full or unavailable: this page still holds it in memory.
  }
}

export function forgetBaseline(key: string): void {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // unavailable: nothing was kept
  }
}
