import { describe, expect, it } from 'vitest';
import { coalesceCacheChanges } from './cache-topics';
import type { CacheChanged } from './station-views';

function manualTimer() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn: () => void) => {
      next += 1;
      pending.set(next, fn);
      return next;
    },
    clearTimeout: (handle: unknown) => void pending.delete(handle as number),
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      due.forEach((fn) => fn());
    },
    pending,
  };
}

describe('cache change coalescing', () => {
  it('emits once per window with the topics the changed tables feed', () => {
    const timer = manualTimer();
    const emitted: CacheChanged[] = [];
    const changes = coalesceCacheChanges((c) => emitted.push(c), 150, timer);
    changes.add(['assets']);
    changes.add(['cases', 'assets']);
    changes.add(['gig_staff']);
    expect(timer.pending.size).toBe(1);
    timer.fire();
    expect(emitted).toEqual([{ topics: ['assets', 'other'] }]);
    changes.add(['kit_assignments']);
    timer.fire();
    expect(emitted[1]).toEqual({ topics: ['gigs'] });
  });

  it('emits nothing for no tables, and nothing after stop', () => {
    const timer = manualTimer();
    const emitted: CacheChanged[] = [];
    const changes = coalesceCacheChanges((c) => emitted.push(c), 150, timer);
    changes.add([]);
    expect(timer.pending.size).toBe(0);
    changes.add(['gigs']);
    changes.stop();
    timer.fire();
    expect(emitted).toEqual([]);
  });
});
