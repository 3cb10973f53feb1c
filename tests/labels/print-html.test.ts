import * as mupdf from 'mupdf';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsHtml } from '../../core/labels/html';
import { LABEL_SIZES, type LabelSize, type LabelSpec } from '../../core/labels/layout';
import { SYMBOLOGIES, type Symbology } from '../../core/labels/symbol';
import { launchChromium } from '../helpers/chromium';
import { decodeSymbols } from '../helpers/decoder';

// Labels from the print dialog (issue 21): the page the station hands to Electron's (or the
// browser's) print dialog, printed by Chromium's own print path (page.pdf uses it), at the label's
// paper size, then rendered by MuPDF at a thermal printer's 203 dpi and an office printer's 300
// and read back by the camera's decoder. Every symbol in every size decodes to its code; the
// words cannot break out of the page (a name with markup is text).
const FORMAT: Record<Symbology, 'Code128' | 'QRCode' | 'DataMatrix'> = { code128: 'Code128', qrcode: 'QRCode', datamatrix: 'DataMatrix' };
const CODES = ['MIC-1042', 'SPK/L-2031', 'WH1.A3.B2', 'case_07', 'B-MIKA-01'];

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function printed(html: string): Promise<Uint8Array> {
  const page = await browser.newPage();
  try {
    await page.setContent(html);
    return new Uint8Array(await page.pdf({ preferCSSPageSize: true, printBackground: true }));
  } finally {
    await page.close();
  }
}

function pages(pdf: Uint8Array, dpi: number): { png: Uint8Array; width: number; height: number }[] {
  const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
  return Array.from({ length: doc.countPages() }, (_, i) => {
    const page = doc.loadPage(i);
    const [x0, y0, x1, y1] = page.getBounds();
    const png = page.toPixmap(mupdf.Matrix.scale(dpi / 72, dpi / 72), mupdf.ColorSpace.DeviceRGB, false, true).asPNG();
    return { png, width: ((x1 - x0) / 72) * 25.4, height: ((y1 - y0) / 72) * 25.4 };
  });
}

describe('printed labels decode back to their codes', () => {
  it.each((Object.keys(LABEL_SIZES) as LabelSize[]).flatMap((size) => SYMBOLOGIES.map((symbology) => [size, symbology] as const)))(
    '%s, %s: on paper of the label’s size, at 203 and 300 dpi',
    async (size, symbology) => {
      const specs: LabelSpec[] = CODES.map((code, i) => ({
        code,
        title: `Shure SM58 <b>wireless</b> #${i}`,
        detail: 'Audio & Mics',
        symbology,
      }));
      const html = labelsHtml(specs, size);
      // A name with markup is text on the label (compared as booleans: the document is long).
      expect(html.includes('&lt;b&gt;')).toBe(true);
      expect(html.includes('<b>')).toBe(false);
      const pdf = await printed(html);
      const { width, height, sheet } = LABEL_SIZES[size];
      for (const dpi of [203, 300]) {
        const printedPages = pages(pdf, dpi);
        expect(printedPages).toHaveLength(sheet === null ? CODES.length : 1);
        // The paper is the label (or the sheet), to a tenth of a millimetre.
        for (const page of printedPages) {
          expect(page.width).toBeCloseTo(sheet?.width ?? width, 0);
          expect(page.height).toBeCloseTo(sheet?.height ?? height, 0);
        }
        const read: string[] = [];
        for (const page of printedPages)
          read.push(...(await decodeSymbols(page.png, [FORMAT[symbology]])).filter((r) => r.isValid).map((r) => r.text));
        expect(read.sort(), `${size} ${symbology} at ${dpi} dpi`).toEqual([...CODES].sort());
      }
    },
    60_000,
  );

  it('refuses a code a scanner could not read back, before drawing anything', () => {
    expect(() =>
      labelsHtml(
        [
          { code: 'OK-1', title: 'fine', symbology: 'code128' },
          { code: 'BAD CODE', title: 'x', symbology: 'code128' },
        ],
        '62x29mm',
      ),
    ).toThrow(/cannot be printed as a label/);
  });
});
