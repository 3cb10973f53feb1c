import type { QuarantinedOp, Row } from './model';
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

const WHAT: Record<string, string> = {
  'assets.check_out': 'check-out scan',
  'assets.check_in': 'check-in scan',
  'assets.update': 'item edit',
  'cases.check_out': 'case check-out scan',
  'cases.check_in': 'case check-in scan',
};

/**
 * Words for a quarantined op. A replay_expired op is one the server no longer remembers: it
 * cannot tell whether it was applied, so the operator is told to check the item's history first;
 * Retry re-issues it as a change made now (see reissued). A corrupt op was damaged on this
 * station and can only be discarded. Anything else is the server's refusal, in its words.
 */
export function quarantineWords(entry: Pick<QuarantinedOp, 'op' | 'code' | 'message'>, now: number, timeZone?: string): QuarantineWords {
  if (entry.code === REPLAY_EXPIRED) {
    const what = WHAT[`${entry.op.table}.${entry.op.action}`] ?? 'change';
    return {
      text: `The server no longer remembers this ${what} from ${day(entry.op.timestamp, now, timeZone)} (it keeps sent changes for ${RETENTION_DAYS} days), so it cannot tell whether it was applied. Check the item's history; Retry applies it now.`,
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

/** "12 Oct", with the year when it is not this year's. */
function day(at: number, now: number, timeZone?: string): string {
  const year = (ms: number): string => new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone }).format(ms);
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(year(at) === year(now) ? {} : { year: 'numeric' }),
    timeZone,
  }).format(at);
}

/** Reads a row from the station's caches (null when the station does not hold it). */
export type CachedLookup = (table: 'assets' | 'gigs' | 'cases', id: string) => Promise<Row | null>;

/**
 * What a quarantined op was, in words, with the names the station holds: "Check-out of Shure
 * SM58 · MIC-1042 to Main Stage Friday". Never an id or `table.action`: a row the station does not
 * hold is "an asset not on this station" (or gig, case), and an op it cannot read says so.
 */
export async function quarantineLabel(entry: Pick<QuarantinedOp, 'op' | 'code'>, lookup: CachedLookup): Promise<string> {
  const { op } = entry;
  const id = op.payload['id'];
  if (entry.code === CORRUPT_CODE || typeof id !== 'string') return 'A change this station can no longer read';
  const read = async (table: 'assets' | 'gigs' | 'cases', key: unknown): Promise<Row | null> =>
    typeof key === 'string' ? lookup(table, key).catch(() => null) : null;
  const asset = async (): Promise<string> => assetWords(await read('assets', id));
  const gig = async (key: unknown): Promise<string> => gigWords(await read('gigs', key));
  const kase = async (): Promise<string> => caseWords(await read('cases', id));
  switch (`${op.table}.${op.action}`) {
    case 'assets.check_out':
      return `Check-out of ${await asset()} to ${await gig(op.payload['gig_id'])}`;
    case 'assets.check_in':
      return `Check-in of ${await asset()}${CONDITION[String(op.payload['condition'])] ?? ''}`;
    case 'assets.update':
      return `Edit of ${await asset()}`;
    case 'cases.check_out':
      return `Check-out of ${await kase()} to ${await gig(op.payload['gig_id'])}`;
    case 'cases.check_in':
      return `Check-in of ${await kase()}`;
    case 'gigs.create':
      return typeof op.payload['name'] === 'string' ? `New gig ${op.payload['name']}` : 'A new gig';
    case 'gigs.update':
      return `Edit of ${await gig(id)}`;
    case 'gigs.set_status':
      return `Status of ${await gig(id)} set to ${String(op.payload['to']).replaceAll('_', ' ')}`;
    case 'gigs.move':
      return op.payload['parent_gig_id'] == null
        ? `Move of ${await gig(id)} to the top level`
        : `Move of ${await gig(id)} under ${await gig(op.payload['parent_gig_id'])}`;
    case 'gigs.delete':
      return `Deletion of ${await gig(id)}`;
    default:
      return `A change to ${op.table === 'assets' ? await asset() : op.table === 'gigs' ? await gig(id) : await kase()}`;
  }
}

const CONDITION: Record<string, string> = { damaged: ', damaged', missing_parts: ', parts missing' };

const text = (row: Row | null, field: string): string | null => {
  const value = row?.[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
};

/** "Shure SM58 · MIC-1042" (name and serial, whichever the station holds). */
function assetWords(row: Row | null): string {
  const named = [text(row, 'name'), text(row, 'serial_number')].filter((part): part is string => part !== null);
  return named.length > 0 ? named.join(' · ') : 'an asset not on this station';
}

function gigWords(row: Row | null): string {
  return text(row, 'name') ?? 'a gig not on this station';
}

function caseWords(row: Row | null): string {
  const named = [text(row, 'name'), text(row, 'barcode')].filter((part): part is string => part !== null);
  return named.length > 0 ? `case ${named.join(' · ')}` : 'a case not on this station';
}
