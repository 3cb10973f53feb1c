import type { QuarantinedOp } from './model';
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
    return { text: `Damaged in this station's storage; it cannot be sent and can only be discarded. ${entry.message}`, code: null, canRetry: false };
  }
  return { text: `Server said: ${entry.message}`, code: entry.code, canRetry: true };
}

/** "12 Oct", with the year when it is not this year's. */
function day(at: number, now: number, timeZone?: string): string {
  const year = (ms: number): string => new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone }).format(ms);
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', ...(year(at) === year(now) ? {} : { year: 'numeric' }), timeZone }).format(at);
}
