/**
 * The one listener set: engines, scan pipelines, scanner drivers and session changes publish
 * through it. A listener that throws (or whose promise rejects) is reported and the others still
 * hear the value: one broken screen or log line must not stop a scan reaching the queue.
 */

import { errorMessage } from './errors';

/** A listener may do async work; a promise it returns is awaited only by `emitAndWait`. */
export type Listener<T> = (value: T) => unknown;

/** Where a failing listener is reported when the owner names no log. */
function reportToConsole(error: unknown): void {
  console.error(`a listener failed: ${errorMessage(error)}`);
}

export class Observers<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly report: (error: unknown) => void = reportToConsole) {}

  /** Adds a listener; the returned function removes it. Adding the same function twice adds it once. */
  add(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Tells every listener now; their async work runs on, and a rejection is reported. */
  emit(value: T): void {
    for (const listener of this.listeners) {
      const result = this.call(listener, value);
      if (result !== undefined) result.catch(this.report);
    }
  }

  /** Tells every listener and waits for all of their work; failures are reported, never thrown. */
  async emitAndWait(value: T): Promise<void> {
    const running: Promise<unknown>[] = [];
    for (const listener of this.listeners) {
      const result = this.call(listener, value);
      if (result !== undefined) running.push(result.catch(this.report));
    }
    await Promise.all(running);
  }

  private call(listener: Listener<T>, value: T): Promise<unknown> | undefined {
    try {
      const result = listener(value);
      return result instanceof Promise ? (result as Promise<unknown>) : undefined;
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }
}

/** One `Observers` per event name, for a named set of events (StationApi's, say). */
export class EventObservers<M extends object> {
  private readonly byName = new Map<keyof M, Observers<unknown>>();

  constructor(private readonly report?: (error: unknown) => void) {}

  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    return this.observers(name).add(listener);
  }

  emit<K extends keyof M>(name: K, value: M[K]): void {
    (this.byName.get(name) as Observers<M[K]> | undefined)?.emit(value);
  }

  private observers<K extends keyof M>(name: K): Observers<M[K]> {
    const known = this.byName.get(name) as Observers<M[K]> | undefined;
    if (known !== undefined) return known;
    const observers = new Observers<M[K]>(this.report);
    this.byName.set(name, observers as Observers<unknown>);
    return observers;
  }
}
