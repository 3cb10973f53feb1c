import { describe, expect, it } from 'vitest';
import { randomInt, randomUuid, seededRandom } from './random';

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws integers in range and well-formed UUIDs', () => {
    const random = seededRandom(7);
    const ints = Array.from({ length: 1000 }, () => randomInt(random, 3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    expect(randomUuid(random)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
