/**
 * A new device's first sync (issue 20): instead of replaying the whole change log from cursor 0,
 * it reads every synced table as it is now, page by page in key order (pull_snapshot, migration
 * 20261206000100), then pulls the log from the smallest cursor its pages answered. Each page holds
 * every commit below its cursor, so what committed while the device read is pulled again after:
 * nothing is missed, and a row applied twice is the same row (pulls answer rows, not deltas).
 *
 * The progress is stored with each applied page (sync_state `snapshot`), so a connection lost
 * half-way resumes at the next page instead of starting over — a laptop on a venue's Wi-Fi.
 * These are the rules of that progress, used by the queue (which stores it) and the engine
 * (which asks for the next page while the last one is written).
 */
import { z } from 'zod';
import { CACHED_TABLES, type CachedTable, type SnapshotPage } from './model';

/** Parents before children, so a screen that shows a partial copy never shows an orphan. */
export const SNAPSHOT_TABLES: readonly CachedTable[] = [
  'locations',
  'staff_profiles',
  'gigs',
  'cases',
  'assets',
  'bulk_items',
  'kit_assignments',
  'gig_staff',
];

const cursorText = z.string().regex(/^\d+:\d+$/);

export const snapshotProgressSchema = z.object({
  /** The page to ask for next. */
  table: z.enum(CACHED_TABLES),
  after: z.string().min(1).nullable(),
  /** The smallest cursor the applied pages answered (null before the first). */
  cursor: cursorText.nullable(),
  /** How many rows the applied pages held (the Sync screen's progress). */
  rows: z.number().int().nonnegative(),
});
export type SnapshotProgress = z.infer<typeof snapshotProgressSchema>;

export const SNAPSHOT_START: SnapshotProgress = { table: SNAPSHOT_TABLES[0] ?? 'gigs', after: null, cursor: null, rows: 0 };

/** Where a snapshot stands after `page`: the next page to ask for, or done with the cursor to pull from. */
export type SnapshotStep = { done: false; progress: SnapshotProgress } | { done: true; cursor: string; rows: number };

export function advanceSnapshot(progress: SnapshotProgress, page: SnapshotPage): SnapshotStep {
  const cursor = progress.cursor === null ? page.cursor : earlierCursor(progress.cursor, page.cursor);
  const rows = progress.rows + page.rows.length;
  if (page.next !== null) return { done: false, progress: { table: page.table, after: page.next, cursor, rows } };
  const following = SNAPSHOT_TABLES[SNAPSHOT_TABLES.indexOf(page.table) + 1];
  if (following === undefined) return { done: true, cursor, rows };
  return { done: false, progress: { table: following, after: null, cursor, rows } };
}

/** The earlier of two pull cursors ("txid:seq"; txid is a 64-bit transaction id, so compared as BigInt). */
export function earlierCursor(a: string, b: string): string {
  const [aTx = '0', aSeq = '0'] = a.split(':');
  const [bTx = '0', bSeq = '0'] = b.split(':');
  const byTx = BigInt(aTx) - BigInt(bTx);
  if (byTx !== 0n) return byTx < 0n ? a : b;
  return BigInt(aSeq) <= BigInt(bSeq) ? a : b;
}
