import { describe, expect, it } from 'vitest';
import { latencyVsScaleSvg } from './chart';

const results = [
  { bench: 'hierarchy', scale: 1, http_p95_ms: 10 },
  { bench: 'hierarchy', scale: 10, http_p95_ms: 20 },
  { bench: 'search', scale: 1, p95_ms: 5 },
];

function bars(svg: string): { series: string; scale: string; value: string; height: number }[] {
  return [...svg.matchAll(/height="([\d.]+)" fill="[^"]+" data-series="([^"]+)" data-scale="(\d+)" data-value="([\d.]+)"/g)].map((m) => ({
    height: Number(m[1]),
    series: m[2] ?? '',
    scale: m[3] ?? '',
    value: m[4] ?? '',
  }));
}

describe('latency vs scale chart', () => {
  it('draws one bar per recorded figure and scale, heights proportional to the values', () => {
    const drawn = bars(latencyVsScaleSvg(results, [1, 10]));
    expect(drawn.map((b) => [b.series, b.scale, b.value])).toEqual([
      ['get_gig_hierarchy p95', '1', '10'],
      ['get_gig_hierarchy p95', '10', '20'],
      ['search p95', '1', '5'],
    ]);
    const [h1, h10, s1] = drawn.map((b) => b.height);
    expect(h10! / h1!).toBeCloseTo(2, 5);
    expect(h1! / s1!).toBeCloseTo(2, 5);
  });

  it('marks a missing figure "n/a" instead of drawing it as zero', () => {
    const svg = latencyVsScaleSvg(results, [1, 10]);
    expect(svg.match(/>n\/a</g)?.length).toBe(5);
    expect(svg).toContain('scale 10 (50,000 gigs, 200,000 assets)');
  });
});
