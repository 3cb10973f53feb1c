import { z } from 'zod';

/** One benchmark's last-line JSON, as recorded in docs/perf/results.json. */
export const recordedSchema = z.object({ bench: z.string(), scale: z.number().int().positive().optional() }).loose();
export type Recorded = z.infer<typeof recordedSchema>;

export interface Series {
  label: string;
  bench: string;
  field: string;
}

/** The latencies drawn against scale: what a station or phone waits for, at p95. */
export const SCALE_SERIES: Series[] = [
  { label: 'get_gig_hierarchy p95', bench: 'hierarchy', field: 'http_p95_ms' },
  { label: 'search p95', bench: 'search', field: 'p95_ms' },
  { label: 'pull (incremental) p95', bench: 'pull', field: 'incremental_p95_ms' },
  { label: 'pull (page of 1,000) p95', bench: 'pull', field: 'page_p95_ms' },
];

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function valueOf(results: Recorded[], bench: string, field: string, scale: number): number | null {
  const found = results.find((r) => r.bench === bench && (r.scale ?? 1) === scale);
  const value = found?.[field];
  return typeof value === 'number' ? value : null;
}

/**
 * A grouped bar chart as plain SVG (no charting dependency): one group per figure, one bar per
 * scale, the value written above each bar; a missing figure is drawn as "n/a", never as zero.
 */
export function latencyVsScaleSvg(results: Recorded[], scales: number[], series: Series[] = SCALE_SERIES): string {
  const width = 760;
  const height = 360;
  const left = 56;
  const bottom = 70;
  const top = 48;
  const plotHeight = height - top - bottom;
  const values = series.flatMap((s) => scales.map((scale) => valueOf(results, s.bench, s.field, scale) ?? 0));
  const max = Math.max(1, ...values);
  const step = 10 ** Math.floor(Math.log10(max));
  const axisMax = Math.ceil(max / step) * step;
  const groupWidth = (width - left - 16) / series.length;
  const barWidth = Math.min(48, (groupWidth - 24) / scales.length);
  const colours = ['#3d8bfd', '#f0a030', '#3fb37f', '#c05fd0'];
  const y = (v: number): number => top + plotHeight - (v / axisMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Latency vs data scale (ms, p95, over HTTP)</text>`,
  ];
  for (let i = 0; i <= 4; i += 1) {
    const v = (axisMax * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - 16}" y1="${y(v)}" y2="${y(v)}" stroke="#dddddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555555">${round1(v)}</text>`);
  }
  series.forEach((s, g) => {
    const groupX = left + g * groupWidth + (groupWidth - barWidth * scales.length) / 2;
    scales.forEach((scale, b) => {
      const value = valueOf(results, s.bench, s.field, scale);
      const x = groupX + b * barWidth;
      if (value === null) {
        parts.push(`<text x="${x + barWidth / 2}" y="${y(0) - 4}" text-anchor="middle" fill="#999999">n/a</text>`);
        return;
      }
      parts.push(
        `<rect x="${x + 2}" y="${y(value)}" width="${barWidth - 4}" height="${y(0) - y(value)}" fill="${colours[b % colours.length]}" data-series="${escape(s.label)}" data-scale="${scale}" data-value="${value}"/>`,
      );
      parts.push(`<text x="${x + barWidth / 2}" y="${y(value) - 4}" text-anchor="middle">${round1(value)}</text>`);
    });
    parts.push(
      `<text x="${left + g * groupWidth + groupWidth / 2}" y="${height - bottom + 18}" text-anchor="middle">${escape(s.label)}</text>`,
    );
  });
  scales.forEach((scale, b) => {
    const x = left + b * 300;
    parts.push(`<rect x="${x}" y="${height - 28}" width="12" height="12" fill="${colours[b % colours.length]}"/>`);
    parts.push(
      `<text x="${x + 18}" y="${height - 18}">scale ${scale} (${(5000 * scale).toLocaleString('en-US')} gigs, ${(20000 * scale).toLocaleString('en-US')} assets)</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function round1(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
