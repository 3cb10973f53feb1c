import type { ScanEvent } from '../scanner/types';
import { ScanSession, type Feedback, type SessionState, type WorkflowDeps } from './workflow';

/**
 * Scans → workflow → feedback, one at a time in arrival order (feedback must match the order
 * operators scanned in), with every raw scan and every feedback published for the UI. The
 * station's scanning service and the crew PWA both run their scans through one of these.
 */
export class ScanPipeline {
  private readonly session: ScanSession;
  private readonly scanListeners = new Set<(scan: ScanEvent) => void>();
  private readonly feedbackListeners = new Set<(feedback: Feedback) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    deps: WorkflowDeps,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.session = new ScanSession(deps);
  }

  onScan(listener: (scan: ScanEvent) => void): () => void {
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  onFeedback(listener: (feedback: Feedback) => void): () => void {
    this.feedbackListeners.add(listener);
    return () => this.feedbackListeners.delete(listener);
  }

  process(scan: ScanEvent, role: 'out' | 'in' | 'any'): Promise<Feedback> {
    return this.run(scan, () => this.session.handle(scan, role));
  }

  private run(scan: ScanEvent, decide: () => Promise<Feedback>): Promise<Feedback> {
    const result = this.queue.then(async () => {
      for (const listener of this.scanListeners) listener(scan);
      const feedback = await decide();
      for (const listener of this.feedbackListeners) listener(feedback);
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
