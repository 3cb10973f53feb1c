import * as mupdf from 'mupdf';
import { describe, expect, it } from 'vitest';
import { StationError } from '../../core/errors';
import { caseSheetPdf } from '../../core/labels/case-sheet';
import { contentsReference, type CaseContentLine } from '../../core/labels/contents';
import { CHAR_WIDTH, LABEL_SIZES, layoutLabel, type LabelSize, type LabelSpec } from '../../core/labels/layout';
import { labelsPdf } from '../../core/labels/pdf';
import { SYMBOLOGIES, type Symbology } from '../../core/labels/symbol';
import { labelsZpl, ZPL_DPI, type ZplDpi } from '../../core/labels/zpl';
import { decodeSymbols } from '../helpers/decoder';

// Labels that scan (issue 21): every symbol printed, in each format and size, is read back by the
// decoder the phone's camera uses (zxing-wasm's reader, behind the barcode-detector ponyfill).
// PDFs are rendered by MuPDF (what print previews use) at a thermal printer's 203 dpi and an
// office printer's 300; ZPL is rasterised from its ^GB boxes at the printer's own dots, the way a
// Zebra prints them. A code that cannot be printed readably is refused in words.

const FORMAT: Record<Symbology, 'Code128' | 'QRCode' | 'DataMatrix'> = { code128: 'Code128', qrcode: 'QRCode', datamatrix: 'DataMatrix' };

/** Codes like the seed's and a production company's: serials, case and place codes, badges, with every allowed character. */
const CODES = ['MIC-1042', 'SPK/L-2031', 'WH1.A3.B2', 'case_07', 'B-MIKA-01', 'a0Z9-._/x'];

/** Each page of a PDF as PNG, rendered at `dpi`. */
function renderPdf(bytes: Uint8Array, dpi: number): Uint8Array[] {
  const doc = mupdf.Document.openDocument(bytes, 'application/pdf');
  const pages: Uint8Array[] = [];
  for (let i = 0; i < doc.countPages(); i += 1) {
    const pixmap = doc.loadPage(i).toPixmap(mupdf.Matrix.scale(dpi / 72, dpi / 72), mupdf.ColorSpace.DeviceRGB, false, true);
    pages.push(pixmap.asPNG());
  }
  return pages;
}

/** A ZPL label as the printer prints it: its ^PW × ^LL dots, white, with every ^FO…^GB box filled black. */
function rasterZpl(label: string): { data: Uint8ClampedArray; width: number; height: number } {
  const width = Number(/\^PW(\d+)/.exec(label)?.[1]);
  const height = Number(/\^LL(\d+)/.exec(label)?.[1]);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const [, x, y, w, h] of label.matchAll(/\^FO(\d+),(\d+)\^GB(\d+),(\d+),\d+,B\^FS/g)) {
    for (let row = Number(y); row < Number(y) + Number(h); row += 1)
      for (let col = Number(x); col < Number(x) + Number(w); col += 1) {
        const at = (row * width + col) * 4;
        data[at] = data[at + 1] = data[at + 2] = 0;
      }
  }
  return { data, width, height };
}

const sizes = Object.keys(LABEL_SIZES) as LabelSize[];

describe('PDF labels decode back to their codes', () => {
  it.each(sizes.flatMap((size) => SYMBOLOGIES.map((symbology) => [size, symbology] as const)))(
    '%s, %s: every label of the run, rendered at 203 and 300 dpi',
    async (size, symbology) => {
      const specs: LabelSpec[] = CODES.map((code, i) => ({
        code,
        title: `Shure SM58 wireless handheld #${i}`,
        detail: 'Audio · Mics',
        symbology,
      }));
      const pdf = labelsPdf(specs, size);
      expect(new TextDecoder().decode(pdf.slice(0, 5))).toBe('%PDF-');
      for (const dpi of [203, 300]) {
        const pages = renderPdf(pdf, dpi);
        expect(pages).toHaveLength(LABEL_SIZES[size].sheet === null ? CODES.length : 1);
        const read: string[] = [];
        for (const page of pages)
          read.push(...(await decodeSymbols(page, [FORMAT[symbology]])).filter((r) => r.isValid).map((r) => r.text));
        expect(read.sort(), `${size} ${symbology} at ${dpi} dpi`).toEqual([...CODES].sort());
      }
    },
  );

  it('an A4 run longer than a sheet goes on to a second sheet, every code once', async () => {
    const codes = Array.from({ length: 30 }, (_, i) => `ASSET-${String(i).padStart(4, '0')}`);
    const pdf = labelsPdf(
      codes.map((code) => ({ code, title: code, symbology: 'qrcode' })),
      'a4-3x8',
    );
    const pages = renderPdf(pdf, 203);
    expect(pages).toHaveLength(2);
    const read = (await Promise.all(pages.map((p) => decodeSymbols(p, ['QRCode'])))).map((page) => page.map((r) => r.text).sort());
    expect(read[0]).toHaveLength(24);
    expect([...(read[0] ?? []), ...(read[1] ?? [])].sort()).toEqual(codes);
  });
});

describe('ZPL labels decode back to their codes', () => {
  it.each(
    (['62x29mm', '4x6in'] as const).flatMap((size) =>
      SYMBOLOGIES.flatMap((symbology) => ([203, 300] as ZplDpi[]).map((dpi) => [size, symbology, dpi] as const)),
    ),
  )('%s, %s at %s dpi', async (size, symbology, dpi) => {
    const zpl = labelsZpl(
      CODES.map((code) => ({ code, title: 'Case ^07 ~ Stage \\ left', symbology })),
      size,
      dpi,
    );
    const labels = zpl.split('^XZ').filter((l) => l.includes('^XA'));
    expect(labels).toHaveLength(CODES.length);
    for (const [i, label] of labels.entries()) {
      expect(label).toContain(`^PW${Math.round(LABEL_SIZES[size].width * ZPL_DPI[dpi])}`);
      // The words cannot end the field or start a command: ^ ~ \ go as hex under ^FH (wrapped and cut to the label).
      expect(label).toMatch(/\^FH\\\^FDCase \\5E07 \\7E/);
      for (const [, field] of label.matchAll(/\^FD([^\n]*?)\^FS/g)) expect(field).toMatch(/^(?:[^\\^~]|\\[0-9A-F]{2})*$/);
      const words = [...label.matchAll(/\^FD([^\n]*?)\^FS/g)].map(([, field]) => field).join(' ');
      if (size === '4x6in') expect(words).toContain('Case \\5E07 \\7E Stage \\5C left');
      const read = await decodeSymbols(rasterZpl(label), [FORMAT[symbology]]);
      expect(read.map((r) => r.text)).toEqual([CODES[i]]);
    }
  });
});

describe('what cannot be printed is refused in words, before anything is drawn', () => {
  it.each([
    ['a code with a space', 'MIC 1042'],
    ['an empty code', ''],
    ['a code over 64 characters', `A${'1'.repeat(64)}`],
    ['a code with a control character', 'MIC\u00001042'],
    ['a code with letters the scanners cannot type back', 'MÏC-1042'],
  ])('%s', (_what, code) => {
    const attempt = (): Uint8Array =>
      labelsPdf(
        [
          { code: 'OK-1', title: 'fine', symbology: 'code128' },
          { code, title: 'x', symbology: 'code128' },
        ],
        '62x29mm',
      );
    expect(attempt).toThrow(StationError);
    expect(attempt).toThrow(/cannot be printed as a label: a code is 1 to 64 letters, digits and \. _ \/ -/);
  });

  it('a Code 128 too long for a 62 mm label says to print it as QR or DataMatrix; the QR label of it scans', async () => {
    const code = 'WAREHOUSE-NORTH/ZONE-A/SHELF-12/BIN-0042-X';
    expect(() => layoutLabel({ code, title: 'Bin', symbology: 'code128' }, '62x29mm')).toThrow(
      /too long for a Code 128 label of 62 × 29 mm.*QR or DataMatrix/,
    );
    const [page] = renderPdf(labelsPdf([{ code, title: 'Bin', symbology: 'qrcode' }], '62x29mm'), 203);
    expect((await decodeSymbols(page ?? new Uint8Array(), ['QRCode'])).map((r) => r.text)).toEqual([code]);
  });

  it('A4 sheets are not sent to a Zebra', () => {
    expect(() => labelsZpl([{ code: 'MIC-1', title: 'x', symbology: 'code128' }], 'a4-3x8')).toThrow(
      /is for office printers: print it as a PDF/,
    );
  });

  it('a long name is cut with an ellipsis to the label, never over the edge', () => {
    const layout = layoutLabel(
      { code: 'MIC-1', title: 'Sennheiser EW-DX 835-S wireless handheld transmitter, Q1-9 band, with clip', symbology: 'code128' },
      '62x29mm',
    );
    const title = layout.texts[0];
    expect(title?.text.endsWith('…')).toBe(true);
    expect((title?.text.length ?? 0) * (title?.size ?? 0) * CHAR_WIDTH).toBeLessThanOrEqual(62);
  });
});

describe("a case's contents sheet", () => {
  const contents: CaseContentLine[] = Array.from({ length: 60 }, (_, i) => ({
    code: `MIC-${String(1000 + i)}`,
    name: `Shure SM58 #${i}`,
    category: 'Audio',
    ...(i >= 50 ? { inside: 'Mic drawer' } : {}),
  }));

  it('carries the case code as QR and Code 128 and lists every item, over as many pages as it takes', async () => {
    const pdf = caseSheetPdf({ code: 'CASE-MIC-07', name: 'Mic case 07 (Stage left)' }, contents, '06 Dec 2026 14:32');
    const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
    expect(doc.countPages()).toBe(2);
    const text = Array.from({ length: doc.countPages() }, (_, i) => doc.loadPage(i).toStructuredText('preserve-whitespace').asText()).join(
      '\n',
    );
    for (const line of contents) expect(text).toContain(line.code);
    expect(text).toContain('60 items · continued, page 2');
    expect(text).toContain(`contents reference ${contentsReference(contents)}`);
    const pages = renderPdf(pdf, 203);
    const first = await decodeSymbols(pages[0] ?? new Uint8Array(), ['QRCode', 'Code128']);
    expect(first.map((r) => `${r.format}:${r.text}`).sort()).toEqual(['Code128:CASE-MIC-07', 'QRCode:CASE-MIC-07']);
    expect((await decodeSymbols(pages[1] ?? new Uint8Array(), ['QRCode'])).map((r) => r.text)).toEqual(['CASE-MIC-07']);
  });

  it('its reference changes when the contents change, not when they are listed in another order', () => {
    const reference = contentsReference(contents);
    expect(contentsReference([...contents].reverse())).toBe(reference);
    expect(contentsReference(contents.slice(1))).not.toBe(reference);
    expect(contentsReference([...contents, { code: 'DI-1', name: 'DI box', category: 'Audio' }])).not.toBe(reference);
    expect(contentsReference(contents.map((l, i) => (i === 3 ? { ...l, inside: 'Mic drawer' } : l)))).not.toBe(reference);
    expect(contentsReference(contents.map((l, i) => (i === 3 ? { ...l, code: l.code.toLowerCase() } : l)))).toBe(reference);
  });
});

describe('the code in words', () => {
  it.each(sizes.flatMap((size) => (['qrcode', 'datamatrix'] as const).map((symbology) => [size, symbology] as const)))(
    'is never cut on a %s %s label, even at 64 characters: it is set smaller instead',
    (size, symbology) => {
      const code = `WH1/ZONE-A/SHELF-12/BIN-${'7'.repeat(40)}`;
      const layout = layoutLabel({ code, title: 'Bin', symbology }, size);
      const words = layout.texts.find((t) => t.text === code);
      expect(words, `${size} ${symbology}`).toBeDefined();
      expect(words!.x + code.length * words!.size * CHAR_WIDTH).toBeLessThanOrEqual(LABEL_SIZES[size].width + 0.01);
    },
  );
});
