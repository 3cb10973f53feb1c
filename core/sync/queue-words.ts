/**
 * A queued op's state in the operator's words, for the Sync screen's queue rows. An op that is
 * simply waiting its turn is "waiting", never "failed" in red; one whose last send failed says
 * when it is tried again and what went wrong, as a retry (amber), not as a failure: nothing is lost.
 */
import { localTime } from '../views/time';
import type { QueuedOp } from './model';

export interface QueuedOpState {
  text: string;
  /** waiting: its turn has not come; sending: in flight; retrying: the last send failed, it goes again. */
  tone: 'waiting' | 'sending' | 'retrying';
  /** What went wrong last time, when it did (cleared by the store once a send works). */
  lastError: string | null;
}

export function queuedOpState(
  op: Pick<QueuedOp, 'status' | 'nextAttemptAt' | 'retryCount' | 'lastError'>,
  now: number,
  timeZone?: string,
): QueuedOpState {
  if (op.status === 'syncing') return { text: 'sending', tone: 'sending', lastError: null };
  if (op.status === 'failed') {
    const tries = op.retryCount === 1 ? 'tried once' : `tried ${op.retryCount} times`;
    const when = op.nextAttemptAt > now ? `again at ${localTime(op.nextAttemptAt, now, timeZone)}` : 'again now';
    return { text: `${tries}, ${when}`, tone: 'retrying', lastError: op.lastError };
  }
  return { text: 'waiting to send', tone: 'waiting', lastError: null };
}
