/**
 * Labels as a PDF (jsPDF, MIT, maintained since 2010; runs in the station's renderer, the phone
 * and Node): bars and modules as filled rectangles (vector: sharp at any printer resolution),
 * words in Helvetica. One page per roll or shipping label; A4 sheets of 24.
 */
import { jsPDF } from 'jspdf';
import { bars, darkRuns, type LabelSymbol } from './symbol';
import { LABEL_SIZES, layoutLabel, placeOnPage, type LabelLayout, type LabelSize, type LabelSpec, type TextBox } from './layout';

/** Helvetica's cap height is 0.718 em; a point is 0.3528 mm. */
const capToPoints = (capMm: number): number => capMm / 0.718 / 0.3528;

export function labelsPdf(specs: readonly LabelSpec[], size: LabelSize): Uint8Array {
  const { width, height, sheet } = LABEL_SIZES[size];
  const page = sheet === null ? { width, height } : { width: sheet.width, height: sheet.height };
  const doc = new jsPDF({
    unit: 'mm',
    format: [page.width, page.height],
    orientation: page.width > page.height ? 'landscape' : 'portrait',
  });
  doc.setProperties({ title: `GigManager labels (${LABEL_SIZES[size].name})`, creator: 'GigManager Station' });
  // Every layout first: a code that cannot be printed refuses the whole run before a page is drawn.
  const layouts = specs.map((spec) => layoutLabel(spec, size));
  let current = 0;
  layouts.forEach((layout, index) => {
    const at = placeOnPage(size, index);
    while (current < at.page) {
      doc.addPage([page.width, page.height], page.width > page.height ? 'landscape' : 'portrait');
      current += 1;
    }
    drawLabel(doc, layout, at.x, at.y);
  });
  return new Uint8Array(doc.output('arraybuffer'));
}

function drawLabel(doc: jsPDF, layout: LabelLayout, left: number, top: number): void {
  drawSymbol(doc, layout.symbol, left + layout.x, top + layout.y, layout.module, layout.barHeight);
  for (const text of layout.texts) drawText(doc, text, left, top);
}

/** A symbol with its first module at (x, y) mm: bars `barHeight` high, or the module matrix. */
export function drawSymbol(doc: jsPDF, symbol: LabelSymbol, x: number, y: number, module: number, barHeight: number): void {
  doc.setFillColor(0, 0, 0);
  if (symbol.kind === 'linear') {
    for (const bar of bars(symbol)) doc.rect(x + bar.at * module, y, bar.width * module, barHeight, 'F');
    return;
  }
  // A hair taller than its row, so a renderer's anti-aliasing leaves no light seam between rows.
  const seam = module * 0.04;
  for (const run of darkRuns(symbol)) {
    doc.rect(x + run.col * module, y + run.row * module, run.length * module, module + (run.row < symbol.rows - 1 ? seam : 0), 'F');
  }
}

export function drawText(doc: jsPDF, box: TextBox, left: number, top: number): void {
  doc.setFont('helvetica', box.bold ? 'bold' : 'normal');
  doc.setFontSize(capToPoints(box.size));
  doc.setTextColor(0, 0, 0);
  doc.text(box.text, left + box.x, top + box.y + box.size, { baseline: 'alphabetic' });
}
