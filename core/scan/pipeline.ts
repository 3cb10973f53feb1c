import { Observers } from '../observers';
import type { ScanEvent } from '../scanner/types';
import { ScanSession, type Feedback, type ScanInput, type SessionState, type WorkflowDeps } from './workflow';

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

  constructor(
    deps: WorkflowDeps,
    private readonly onError: (error: unknown) => void = () => undefined,
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
    return this.run(scan, () => this.session.handle(scan, role, input));
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
