import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spaced, whenQuiet } from './pwa-station';

describe('the sync status as screens hear it (spaced)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes the first status at once, then at most one per interval while statuses stream in, the last always', () => {
    const heard: number[] = [];
    const statuses = spaced<number>(250, (depth) => heard.push(depth));
    statuses.tell(1);
    expect(heard).toEqual([1]);
    // A burst of scans: one status each, 20 ms apart.
    for (let depth = 2; depth <= 30; depth += 1) {
      vi.advanceTimersByTime(20);
      statuses.tell(depth);
    }
    // 580 ms of statuses: the first, then at 250 ms and at 500 ms the newest told before then (13 at 240 ms, 25 at 480 ms).
    expect(heard).toEqual([1, 13, 25]);
    vi.advanceTimersByTime(250);
    expect(heard).toEqual([1, 13, 25, 30]);
    // Quiet again: the next status is passed on at once.
    vi.advanceTimersByTime(1000);
    statuses.tell(31);
    expect(heard).toEqual([1, 13, 25, 30, 31]);
  });

  it('passes nothing more once stopped', () => {
    const heard: number[] = [];
    const statuses = spaced<number>(250, (depth) => heard.push(depth));
    statuses.tell(1);
    statuses.tell(2);
    statuses.stop();
    vi.advanceTimersByTime(1000);
    expect(heard).toEqual([1]);
  });
});

describe('the index read again once the caches are quiet (whenQuiet)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once nothing changed for the interval, however often it was poked, and again after the next change', () => {
    let runs = 0;
    const warm = whenQuiet(
      1000,
      () => Date.now(),
      () => (runs += 1),
    );
    // A drain: changes every 100 ms for 3 s.
    for (let i = 0; i < 30; i += 1) {
      warm.poke();
      vi.advanceTimersByTime(100);
    }
    expect(runs).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(1);
    warm.poke();
    vi.advanceTimersByTime(999);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(2);
  });

  it('runs nothing once stopped', () => {
    let runs = 0;
    const warm = whenQuiet(
      1000,
      () => Date.now(),
      () => (runs += 1),
    );
    warm.poke();
    warm.stop();
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(0);
  });
});
