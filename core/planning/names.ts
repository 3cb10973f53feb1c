/**
 * Planning's words for typed rows (core/sync/rows.ts), one place for each: what the Plan screen,
 * refusals, overdue lists and plan scans call an item, a case or a gig. (Raw cached rows, as the
 * Sync and Conflicts screens read them, have theirs in core/sync/quarantine-words.ts.)
 */
import type { Asset, Case, Gig } from '../sync/rows';

/** "Shure SM58 · MIC-7001"; an item the device does not hold says so. */
export const itemName = (asset: Pick<Asset, 'name' | 'serialNumber'> | null): string =>
  asset === null ? 'an item not on this device' : `${asset.name} · ${asset.serialNumber}`;

/** "case Drum kit" (its barcode when it has no name). */
export const caseName = (box: Pick<Case, 'name' | 'barcode'>): string => `case ${box.name ?? box.barcode}`;

/** "Main Stage Day 2 · GIG-0042" (a gig made here has no code yet); a gig the device does not hold says so. */
export const gigName = (gig: Pick<Gig, 'name' | 'code'> | null | undefined): string =>
  gig == null ? 'a gig not on this device' : gig.code ? `${gig.name} · ${gig.code}` : gig.name;
