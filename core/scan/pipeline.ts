import { Observers } from '../observers';
import type { ScanEvent } from '../scanner/types';
import { ScanSession, type Feedback, type PlanAdder, type ScanInput, type SessionState, type WorkflowDeps } from './workflow';

/** Plan scans (issue 19): what adds a scanned item to a gig's pick list, and the clock its lease runs on. */
export interface PlanScans {
  add: PlanAdder;
  now: () => number;
}

/** Stock-take scans (issue 21): what judges and counts a scan in the stock-take open on this device. */
export interface StockTakeScans {
  scan: (scan: ScanEvent, quantity?: number) => Promise<Feedback>;
  /** An unknown label claimed for a new item, then counted: one scan's feedback. */
  claim: (input: { code: string; name: string; category: string }, scan: ScanEvent) => Promise<Feedback>;
}

/**
 * Scans → workflow → feedback, one at a time in arrival order (feedback must match the order
 * operators scanned in), with every raw scan and every feedback published for the UI. The
 * station's scanning service and the crew PWA both run their scans through one of these.
 */
export class ScanPipeline {
  private readonly session: ScanSession;
  private readonly scans: Observers<ScanEvent>;
  private readonly feedback: Observers<Feedback>;
  private queue: Promise<unknown> = Promise.resolve();
  /** The gig the Plan screen adds scans to, until when (a lease it renews: a closed screen cannot leave it on). */
  private planning: { gigId: string; until: number } | null = null;
  /** Until when the Stock-take screen holds the scans (a lease like planning's). */
  private auditingUntil: number | null = null;

  constructor(
    deps: WorkflowDeps,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly plans?: PlanScans,
    private readonly stockTakes?: StockTakeScans,
  ) {
    this.session = new ScanSession(deps);
    // A broken listener (a closed window, a full log) is reported; the scan is still decided.
    this.scans = new Observers(onError);
    this.feedback = new Observers(onError);
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    return this.scans.add(listener);
  }

  onFeedback(listener: (feedback: Feedback) => void): () => void {
    return this.feedback.add(listener);
  }

  /** `input`: what the screen adds to a typed code (a keypad quantity for a bulk item, a condition's note). */
  process(scan: ScanEvent, role: 'out' | 'in' | 'any', input: ScanInput = {}): Promise<Feedback> {
    if (this.auditing() && this.stockTakes !== undefined) {
      const { scan: count } = this.stockTakes;
      return this.run(scan, () => count(scan, input.quantity));
    }
    const gigId = this.planningGig();
    if (gigId !== null && this.plans !== undefined) {
      const { add } = this.plans;
      return this.run(scan, () => this.session.addToPlan(scan, gigId, add, input));
    }
    return this.run(scan, () => this.session.handle(scan, role, input));
  }

  /** Scans add to `gigId`'s pick list for `seconds` (null or 0 ends it): the gig planned now, if any. */
  planFor(gigId: string | null, seconds: number): string | null {
    const now = this.plans?.now();
    this.planning = gigId === null || seconds <= 0 || now === undefined ? null : { gigId, until: now + seconds * 1000 };
    return this.planningGig();
  }

  /** Claims an unknown label in the open stock-take, in turn with the scans (its feedback published like theirs). */
  claimLabel(input: { code: string; name: string; category: string }, scan: ScanEvent): Promise<Feedback> {
    const takes = this.stockTakes;
    if (takes === undefined) return Promise.reject(new Error('this host takes no stock'));
    return this.run(scan, () => takes.claim(input, scan));
  }

  /** A code typed (or a count keyed) on the Stock-take screen: counted there whatever the lease, never checked in or out. */
  stockTakeScan(scan: ScanEvent, quantity?: number): Promise<Feedback> {
    const takes = this.stockTakes;
    if (takes === undefined) return Promise.reject(new Error('this host takes no stock'));
    return this.run(scan, () => takes.scan(scan, quantity));
  }

  /** Work in turn with the scans (a stock-take started, joined, closed or left between two scans, never during one). */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(this.onError);
    return result;
  }

  /** Scans go to the open stock-take for `seconds` (0 ends it); whether they do now. */
  auditFor(seconds: number): boolean {
    const now = this.plans?.now();
    this.auditingUntil = seconds <= 0 || now === undefined || this.stockTakes === undefined ? null : now + seconds * 1000;
    return this.auditing();
  }

  private auditing(): boolean {
    if (this.auditingUntil === null || this.plans === undefined) return false;
    if (this.plans.now() >= this.auditingUntil) this.auditingUntil = null;
    return this.auditingUntil !== null;
  }

  private planningGig(): string | null {
    if (this.planning === null || this.plans === undefined) return null;
    if (this.plans.now() >= this.planning.until) this.planning = null;
    return this.planning?.gigId ?? null;
  }

  private run(scan: ScanEvent, decide: () => Promise<Feedback>): Promise<Feedback> {
    const result = this.queue.then(async () => {
      this.scans.emit(scan);
      const feedback = await decide();
      this.feedback.emit(feedback);
      return feedback;
    });
    this.queue = result.catch(this.onError);
    return result;
  }

  /** A test scan: shown and described like any scan, with no effect on the session or queue. */
  test(scan: ScanEvent): Promise<Feedback> {
    return this.run(scan, () => this.session.describe(scan));
  }

  state(): Promise<SessionState> {
    return this.session.state();
  }
}
