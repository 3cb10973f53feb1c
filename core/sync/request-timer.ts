/**
 * How long the engine waits for a push's answer, learnt from the answers so far (RFC 6298, TCP's
 * retransmission timer): a smoothed round trip plus four times its variation, never below a
 * floor nor above the configured maximum. An answer held by the network then costs a few round
 * trips instead of the whole configured timeout. Only answers to a request's first sending are
 * timed (Karn): the answer to a re-sent request may be the replay of work an earlier one did.
 *
 * It also keeps the last requests' outcomes, to tell a flaky network (most requests answered:
 * one that failed was unlucky) from a failing one (most not). While flaky, a request given up on
 * leaves the wait as it is and a failed batch is retried after the base backoff; while failing,
 * each given-up request doubles the wait for the next ones until an answer is timed again (a
 * server that is merely slow is then waited for rather than asked again and again), and retries
 * back off exponentially.
 */
export interface RequestTiming {
  /** The longest wait for an answer (the transport's own timeout should be no shorter). */
  maxMs: number;
  /** The shortest: however fast answers come, one is never given up on sooner. */
  floorMs: number;
  /** The wait before any answer has been timed. */
  initialMs: number;
  /** An answer this late at least (and later than usual) lets another batch start beside it. */
  hedgeFloorMs: number;
}

export const DEFAULT_REQUEST_TIMING: RequestTiming = { maxMs: 15_000, floorMs: 200, initialMs: 1000, hedgeFloorMs: 50 };

/** Doublings at most (2^6 × the floor is already past any sensible maximum). */
const MAX_BACKOFF = 6;
/** Recent requests whose outcomes judge the network. */
const WINDOW = 16;

export class RequestTimer {
  private srtt: number | null = null;
  private rttvar = 0;
  private backedOff = 0;
  /** true: answered; false: failed on the way (no answer, a reset, a 5xx, a timeout). */
  private readonly recent: boolean[] = [];

  constructor(private readonly timing: RequestTiming) {}

  /** A request was answered; `firstSendingMs` is its round trip when it was a batch's first sending. */
  answered(firstSendingMs: number | null): void {
    this.remember(true);
    if (firstSendingMs !== null) this.sample(firstSendingMs);
  }

  /** A request failed on the way; `timedOut` when it went unanswered for its whole wait. */
  failed(timedOut: boolean): void {
    this.remember(false);
    if (timedOut && !this.flaky()) this.backedOff = Math.min(this.backedOff + 1, MAX_BACKOFF);
  }

  /** Most recent requests were answered: the network works, and a failure was bad luck. */
  flaky(): boolean {
    return this.recent.length > 0 && this.recent.filter(Boolean).length * 2 >= this.recent.length;
  }

  private remember(answered: boolean): void {
    this.recent.push(answered);
    if (this.recent.length > WINDOW) this.recent.shift();
  }

  private sample(ms: number): void {
    if (this.srtt === null) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
    this.backedOff = 0;
  }

  /** How long to wait for the answer to a request sent now. */
  timeoutMs(): number {
    const base = this.srtt === null ? this.timing.initialMs : this.srtt + 4 * this.rttvar;
    return Math.round(Math.min(this.timing.maxMs, Math.max(this.timing.floorMs, base) * 2 ** this.backedOff));
  }

  /**
   * How late an answer must be before another batch starts beside it (a high percentile of the
   * answers so far); null before any answer was timed: "late" means nothing yet.
   */
  hedgeMs(): number | null {
    if (this.srtt === null) return null;
    return Math.round(Math.max(this.timing.hedgeFloorMs, this.srtt + 2 * this.rttvar));
  }
}
