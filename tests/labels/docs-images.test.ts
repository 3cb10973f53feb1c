import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditReportPdf } from '../../core/audit/report';
import { auditReportSchema } from '../../core/audit/report-schema';
import { caseSheetPdf } from '../../core/labels/case-sheet';
import { labelsPdf } from '../../core/labels/pdf';
import { decodeSymbols } from '../helpers/decoder';

// The labels, a case's contents sheet and a stock-take report as docs/labels shows them (rendered
// by MuPDF at 150 dpi), each image read back where it carries a symbol: what the docs show scans.
const out = join(import.meta.dirname, '../../docs/labels');

beforeAll(() => {
  mkdirSync(out, { recursive: true });
});

function firstPage(pdf: Uint8Array, name: string): Uint8Array {
  const png = mupdf.Document.openDocument(pdf, 'application/pdf')
    .loadPage(0)
    .toPixmap(mupdf.Matrix.scale(150 / 72, 150 / 72), mupdf.ColorSpace.DeviceRGB, false, true)
    .asPNG();
  writeFileSync(join(out, `${name}.png`), png);
  return png;
}

const mic = { code: 'MIC-1042', title: 'Shure SM58 · vocal mic', detail: 'Audio · Mics' };

describe('docs/labels', () => {
  it('shows a roll label as Code 128 and QR, a shipping label, a sheet of 24, and each scans', async () => {
    const images: [string, Uint8Array, string[]][] = [
      ['roll-62x29mm-code128', labelsPdf([{ ...mic, symbology: 'code128' }], '62x29mm'), ['MIC-1042']],
      ['roll-62x29mm-qrcode', labelsPdf([{ ...mic, symbology: 'qrcode' }], '62x29mm'), ['MIC-1042']],
      [
        'shelf-4x6in-datamatrix',
        labelsPdf([{ code: 'WH1-A01', title: 'Shelf A01 · Main Warehouse', detail: 'Zone A', symbology: 'datamatrix' }], '4x6in'),
        ['WH1-A01'],
      ],
      [
        'sheet-a4-3x8',
        labelsPdf(
          Array.from({ length: 24 }, (_, i) => ({
            code: `SPK-${100200 + i}A`,
            title: 'd&b audiotechnik E8',
            detail: 'Audio · Speakers',
            symbology: i % 2 === 0 ? ('code128' as const) : ('qrcode' as const),
          })),
          'a4-3x8',
        ),
        Array.from({ length: 24 }, (_, i) => `SPK-${100200 + i}A`),
      ],
    ];
    for (const [name, pdf, codes] of images) {
      const read = await decodeSymbols(firstPage(pdf, name), ['Code128', 'QRCode', 'DataMatrix']);
      expect(read.map((r) => r.text).sort(), name).toEqual([...codes].sort());
    }
  });

  it('shows a case contents sheet and a stock-take report', async () => {
    const sheet = caseSheetPdf(
      { code: 'CASE-000007', name: 'Mic case 07 · Stage left' },
      [
        { code: 'MIC-1042', name: 'Shure SM58', category: 'Audio' },
        { code: 'MIC-1043', name: 'Shure SM58', category: 'Audio' },
        { code: 'DI-2005', name: 'Radial JDI', category: 'Audio', inside: 'DI drawer' },
      ],
      '06 Dec 2026 14:32',
    );
    const read = await decodeSymbols(firstPage(sheet, 'case-contents-sheet'), ['Code128', 'QRCode']);
    expect(read.map((r) => r.text)).toEqual(['CASE-000007', 'CASE-000007']);
    const line = (
      kind: string,
      what: string,
      code: string,
      name: string | null,
      extra: Record<string, unknown> = {},
    ): Record<string, unknown> => ({
      kind,
      what,
      id: null,
      code,
      name,
      belongs: null,
      seen_at: null,
      gig: null,
      in_case: null,
      expected: null,
      counted: null,
      scanned_at: '2026-12-06T14:30:00Z',
      ...extra,
    });
    const report = auditReportSchema.parse({
      audit_id: '00000000-0000-4000-8000-000000000001',
      place: 'Shelf A01 (WH1-A01)',
      category: null,
      status: 'closed',
      started_at: '2026-12-06T14:00:00Z',
      closed_at: '2026-12-06T14:32:00Z',
      scans: 9,
      totals: { found: 3, wrong_place: 2, missing: 1, unknown: 1, out_to_gig: 1 },
      lines: [
        line('found', 'asset', 'MIC-1042', 'Shure SM58'),
        line('found', 'asset', 'MIC-1043', 'Shure SM58', { in_case: 'Mic case 07' }),
        line('found', 'case', 'CASE-000007', 'Mic case 07'),
        line('wrong_place', 'asset', 'SPK-100231B', 'd&b E8', { belongs: 'Shelf C04 (WH1-C04)', seen_at: 'Shelf A01 (WH1-A01)' }),
        line('wrong_place', 'bulk', 'XLR-10M', 'XLR cable 10 m', {
          belongs: 'Shelf B01 (WH1-B01)',
          seen_at: 'Shelf A01 (WH1-A01)',
          expected: 0,
          counted: 38,
        }),
        line('missing', 'asset', 'MIC-1044', 'Shure Beta 58', { belongs: 'Shelf A01 (WH1-A01)', scanned_at: null }),
        line('unknown', 'code', 'PRE-000123', null, { seen_at: 'Shelf A01 (WH1-A01)' }),
        line('out_to_gig', 'asset', 'MIC-2004', 'Shure SM58', { gig: 'Harbour Festival' }),
      ],
    });
    firstPage(auditReportPdf(report, '06 Dec 2026 14:35'), 'stock-take-report');
    const words = mupdf.Document.openDocument(auditReportPdf(report, '06 Dec 2026 14:35'), 'application/pdf')
      .loadPage(0)
      .toStructuredText('preserve-whitespace')
      .asText();
    expect(words).toContain('1 missing · 2 wrong place · 1 unknown code · 1 out to a gig · 3 found');
  });
});
