import { describe, expect, it } from 'vitest';
import { EventObservers, Observers } from './observers';

describe('Observers', () => {
  it('tells every listener in the order they were added, until each unsubscribes', () => {
    const heard: string[] = [];
    const observers = new Observers<number>();
    const offA = observers.add((n) => heard.push(`a${n}`));
    observers.add((n) => heard.push(`b${n}`));
    observers.emit(1);
    offA();
    observers.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(observers.size).toBe(1);
  });

  it('one listener throwing does not stop the others, and the error is reported', () => {
    const reported: unknown[] = [];
    const heard: number[] = [];
    const observers = new Observers<number>((error) => reported.push(error));
    observers.add(() => {
      throw new Error('listener broke');
    });
    observers.add((n) => heard.push(n));
    expect(() => observers.emit(7)).not.toThrow();
    expect(heard).toEqual([7]);
    expect(reported).toEqual([new Error('listener broke')]);
  });

  it('a listener’s rejected promise is reported, not left unhandled', async () => {
    const reported: unknown[] = [];
    const observers = new Observers<number>((error) => reported.push(error));
    observers.add(() => Promise.reject(new Error('async listener broke')));
    observers.emit(1);
    await expect.poll(() => reported).toEqual([new Error('async listener broke')]);
  });

  it('emitAndWait waits for every listener’s work; a failing one is reported and the rest still finish', async () => {
    const reported: unknown[] = [];
    const done: string[] = [];
    const observers = new Observers<string>((error) => reported.push(error));
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    observers.add(async (v) => {
      await slow;
      done.push(`slow ${v}`);
    });
    observers.add(() => {
      throw new Error('sync failure');
    });
    observers.add(() => Promise.reject(new Error('async failure')));
    let finished = false;
    const waiting = observers.emitAndWait('x').then(() => (finished = true));
    await Promise.resolve();
    expect(finished).toBe(false);
    release();
    await waiting;
    expect(done).toEqual(['slow x']);
    expect(reported).toEqual([new Error('sync failure'), new Error('async failure')]);
  });

  it('the same function added twice is one listener (a set, as before)', () => {
    let calls = 0;
    const observers = new Observers<void>();
    const listener = (): void => void (calls += 1);
    observers.add(listener);
    observers.add(listener);
    observers.emit();
    expect(calls).toBe(1);
  });
});

describe('EventObservers', () => {
  it('keeps one listener set per event name, each isolated', () => {
    const reported: unknown[] = [];
    const events = new EventObservers<{ a: number; b: string }>((error) => reported.push(error));
    const heard: string[] = [];
    events.on('a', () => {
      throw new Error('a broke');
    });
    events.on('a', (n) => heard.push(`a${n}`));
    const offB = events.on('b', (s) => heard.push(`b${s}`));
    events.emit('a', 1);
    events.emit('b', 'x');
    offB();
    events.emit('b', 'y');
    expect(heard).toEqual(['a1', 'bx']);
    expect(reported).toEqual([new Error('a broke')]);
  });
});
