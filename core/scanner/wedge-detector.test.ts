import { describe, expect, it } from 'vitest';
import { WedgeDetector, type WedgeOutput } from './wedge-detector';

/** Feeds keys at the given times (ms), then lets time run on. */
function run(detector: WedgeDetector, keys: [string, number][], until?: number): WedgeOutput[] {
  const out = keys.flatMap(([key, at]) => detector.key(key, at));
  if (until !== undefined) out.push(...detector.tick(until));
  return out;
}

const burst = (code: string, start: number, gap: number): [string, number][] => [
  ...Array.from(code, (ch, i): [string, number] => [ch, start + i * gap]),
  ['Enter', start + code.length * gap],
];

describe('keyboard wedge detector (injected clock)', () => {
  it('recognises a fast burst ending in Enter as a scan', () => {
    expect(run(new WedgeDetector(), burst('SPK-100042C', 1000, 8))).toEqual([{ kind: 'scan', code: 'SPK-100042C' }]);
  });

  it('gives slow typing back as typing, Enter included', () => {
    const out = run(new WedgeDetector(), burst('hello', 1000, 120));
    expect(out.filter((o) => o.kind === 'scan')).toEqual([]);
    expect(out.flatMap((o) => (o.kind === 'typing' ? o.keys : []))).toEqual(['h', 'e', 'l', 'l', 'o', 'Enter']);
  });

  it('does not treat a fast but short burst as a scan', () => {
    expect(run(new WedgeDetector(), burst('ok', 0, 5))).toEqual([
      { kind: 'typing', keys: ['o', 'k'] },
      { kind: 'typing', keys: ['Enter'] },
    ]);
  });

  it('releases a burst that stalls without Enter as typing', () => {
    const detector = new WedgeDetector();
    expect(run(detector, [['a', 0], ['b', 5], ['c', 10]], 30)).toEqual([]);
    expect(detector.tick(60)).toEqual([{ kind: 'typing', keys: ['a', 'b', 'c'] }]);
  });

  it('separates typing that runs into a scan', () => {
    const out = run(new WedgeDetector(), [['x', 0], ...burst('CASE-77', 500, 6)]);
    expect(out).toEqual([
      { kind: 'typing', keys: ['x'] },
      { kind: 'scan', code: 'CASE-77' },
    ]);
  });

  it('honours configured thresholds', () => {
    const slowScanner = new WedgeDetector({ maxGapMs: 80, minLength: 3, terminator: 'Tab' });
    expect(run(slowScanner, [...Array.from('ABC', (ch, i): [string, number] => [ch, i * 60]), ['Tab', 180]])).toEqual([
      { kind: 'scan', code: 'ABC' },
    ]);
  });

  it('passes non-character keys through at once', () => {
    expect(run(new WedgeDetector(), [['a', 0], ['ArrowDown', 3]])).toEqual([
      { kind: 'typing', keys: ['a'] },
      { kind: 'typing', keys: ['ArrowDown'] },
    ]);
  });
});
