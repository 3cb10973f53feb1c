/**
 * A case's contents sheet (A4, kept in the case's lid): the case's code as QR and Code 128, then
 * every item in it, nested cases included. The sheet carries a short reference of the contents
 * it lists; the station compares it with the contents now and says "contents changed since the
 * sheet was printed" so the sheet is reprinted instead of lying.
 */
import { jsPDF } from 'jspdf';
import { drawSymbol, drawText } from './pdf';
import { encodeSymbol } from './symbol';
import { fitText } from './layout';
import { contentsReference, type CaseContentLine } from './contents';

const PAGE = { width: 210, height: 297, margin: 15 } as const;
const LINE = 6.2;

export function caseSheetPdf(box: { code: string; name: string }, lines: readonly CaseContentLine[], printedAt: string): Uint8Array {
  const qr = encodeSymbol('qrcode', box.code);
  const code128 = encodeSymbol('code128', box.code);
  if (qr.kind !== 'matrix' || code128.kind !== 'linear') throw new Error('bwip-js answered a QR code as bars or Code 128 as a matrix');
  const doc = new jsPDF({ unit: 'mm', format: 'a4' });
  doc.setProperties({ title: `Contents of ${box.name} (${box.code})`, creator: 'GigManager Station' });
  const width = PAGE.width - 2 * PAGE.margin;
  const reference = contentsReference(lines);
  const sorted = [...lines].sort((a, b) => (a.inside ?? '').localeCompare(b.inside ?? '') || a.code.localeCompare(b.code));
  let page = 1;
  const header = (): number => {
    const qrModule = 32 / (qr.cols + 2 * qr.quiet);
    drawSymbol(doc, qr, PAGE.width - PAGE.margin - 32 + qr.quiet * qrModule, PAGE.margin + qr.quiet * qrModule, qrModule, 0);
    drawText(doc, { text: fitText(box.name, 7, width - 40), x: PAGE.margin, y: PAGE.margin, size: 7, bold: true }, 0, 0);
    drawText(doc, { text: box.code, x: PAGE.margin, y: PAGE.margin + 11, size: 4, bold: false }, 0, 0);
    if (page === 1) {
      const module = Math.min(0.4, (width - 40) / (code128.modules + 2 * code128.quiet));
      drawSymbol(doc, code128, PAGE.margin + code128.quiet * module, PAGE.margin + 18, module, 12);
    }
    const top = PAGE.margin + 38;
    drawText(
      doc,
      { text: `${lines.length} items${page > 1 ? ` · continued, page ${page}` : ''}`, x: PAGE.margin, y: top, size: 3.2, bold: true },
      0,
      0,
    );
    return top + LINE * 1.5;
  };
  let y = header();
  for (const line of sorted) {
    if (y > PAGE.height - PAGE.margin - 2 * LINE) {
      doc.addPage('a4', 'portrait');
      page += 1;
      y = header();
    }
    const where = line.inside === undefined ? '' : `in ${line.inside}`;
    drawText(doc, { text: fitText(line.code, 3, 45), x: PAGE.margin, y, size: 3, bold: true }, 0, 0);
    drawText(doc, { text: fitText(line.name, 3, 70), x: PAGE.margin + 46, y, size: 3, bold: false }, 0, 0);
    drawText(
      doc,
      {
        text: fitText(where === '' ? line.category : `${line.category} · ${where}`, 3, width - 118),
        x: PAGE.margin + 118,
        y,
        size: 3,
        bold: false,
      },
      0,
      0,
    );
    y += LINE;
  }
  drawText(
    doc,
    {
      text: `Printed ${printedAt} · contents reference ${reference}`,
      x: PAGE.margin,
      y: PAGE.height - PAGE.margin,
      size: 2.6,
      bold: false,
    },
    0,
    0,
  );
  return new Uint8Array(doc.output('arraybuffer'));
}
