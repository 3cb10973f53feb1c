import type { CachedTable, QuarantinedOp, Row } from './model';
import { shortDay } from '../views/time';
import { opDefinition, type OpNames } from './ops';
import { CORRUPT_CODE, REPLAY_EXPIRED } from './queue-store';

/** What the operator reads about a quarantined op, and whether Retry is offered. */
export interface QuarantineWords {
  text: string;
  /** The server's code, shown beside the server's own words only (never instead of words). */
  code: string | null;
  canRetry: boolean;
}

/** How long the server remembers sent ops (app.prune_sync_ops' default retention). */
const RETENTION_DAYS = 30;

/**
 * Words for a quarantined op. A replay_expired op is one the server no longer remembers: it
 * cannot tell whether it was applied, so the operator is told to check the item's history first;
 * Retry re-issues it as a change made now (see reissued). A corrupt op was damaged on this
 * station and can only be discarded. Anything else is the server's refusal, in its words.
 */
export function quarantineWords(entry: Pick<QuarantinedOp, 'op' | 'code' | 'message'>, now: number, timeZone?: string): QuarantineWords {
  if (entry.code === REPLAY_EXPIRED) {
    const what = opDefinition(entry.op.table, entry.op.action)?.noun ?? 'change';
    return {
      text: `The server no longer remembers this ${what} from ${shortDay(entry.op.timestamp, now, timeZone)} (it keeps sent changes for ${RETENTION_DAYS} days), so it cannot tell whether it was applied. Check the item's history; Retry applies it now.`,
      code: null,
      canRetry: true,
    };
  }
  if (entry.code === CORRUPT_CODE) {
    return {
      text: `Damaged in this station's storage; it cannot be sent and can only be discarded. ${entry.message}`,
      code: null,
      canRetry: false,
    };
  }
  return { text: `Server said: ${entry.message}`, code: entry.code, canRetry: true };
}

/** Reads a row from the station's caches (null when the station does not hold it). */
export type CachedLookup = (table: CachedTable, id: string) => Promise<Row | null>;

/**
 * What a quarantined op was, in words, with the names the station holds: "Check-out of Shure
 * SM58 · MIC-1042 to Main Stage Friday". Never an id or `table.action`: a row the station does not
 * hold is "an asset not on this station" (or gig, case), and an op it cannot read says so.
 */
export async function quarantineLabel(entry: Pick<QuarantinedOp, 'op' | 'code'>, lookup: CachedLookup): Promise<string> {
  if (entry.code === CORRUPT_CODE) return 'A change this station can no longer read';
  return opLabel(entry.op, lookup);
}

/** The names the station holds, read through `lookup` (a lookup that fails reads as "not on this station"). */
export function opNames(lookup: CachedLookup): OpNames {
  const read = async (table: Parameters<CachedLookup>[0], key: unknown): Promise<Row | null> =>
    typeof key === 'string' ? lookup(table, key).catch(() => null) : null;
  const names: OpNames = {
    asset: async (key) => assetWords(await read('assets', key)),
    gig: async (key) => gigWords(await read('gigs', key)),
    kase: async (key) => caseWords(await read('cases', key)),
    bulkItem: async (key) => bulkItemWords(await read('bulk_items', key)),
    person: async (key) => text(await read('staff_profiles', key), 'display_name') ?? 'someone not on this station',
    planLine: async (key) => {
      const line = await read('kit_assignments', key);
      if (line === null) return 'a pick list line not on this station';
      const what =
        typeof line['asset_id'] === 'string'
          ? await names.asset(line['asset_id'])
          : typeof line['case_id'] === 'string'
            ? await names.kase(line['case_id'])
            : `${String(line['quantity'])} × ${String(line['category'])}`;
      return `${what} on ${await names.gig(line['gig_id'])}`;
    },
    crewAssignment: async (key) => {
      const assignment = await read('gig_staff', key);
      if (assignment === null) return 'a crew assignment not on this station';
      return `${await names.person(assignment['staff_id'])} (${String(assignment['role'])}) on ${await names.gig(assignment['gig_id'])}`;
    },
  };
  return names;
}

/** What an op is, in words with the station's names (the Sync screen's queue and quarantine, the Conflicts screen). */
export async function opLabel(op: Pick<QuarantinedOp['op'], 'table' | 'action' | 'payload'>, lookup: CachedLookup): Promise<string> {
  const id = op.payload['id'];
  if (typeof id !== 'string') return 'A change this station can no longer read';
  const names = opNames(lookup);
  const definition = opDefinition(op.table, op.action);
  if (definition !== null) return definition.label(op.payload, names);
  return `A change to ${op.table === 'assets' ? await names.asset(id) : op.table === 'gigs' ? await names.gig(id) : await names.kase(id)}`;
}

const text = (row: Row | null, field: string): string | null => {
  const value = row?.[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
};

/** "Shure SM58 · MIC-1042" (name and serial, whichever the station holds). */
export function assetWords(row: Row | null): string {
  const named = [text(row, 'name'), text(row, 'serial_number')].filter((part): part is string => part !== null);
  return named.length > 0 ? named.join(' · ') : 'an asset not on this station';
}

export function gigWords(row: Row | null): string {
  return text(row, 'name') ?? 'a gig not on this station';
}

export function caseWords(row: Row | null): string {
  const named = [text(row, 'name'), text(row, 'barcode')].filter((part): part is string => part !== null);
  return named.length > 0 ? `case ${named.join(' · ')}` : 'a case not on this station';
}

/** "XLR cable 10m · BULK-XLR10" (name and shelf barcode, whichever the station holds). */
export function bulkItemWords(row: Row | null): string {
  const named = [text(row, 'name'), text(row, 'barcode')].filter((part): part is string => part !== null);
  return named.length > 0 ? named.join(' · ') : 'a bulk item not on this station';
}
