/**
 * Labels as a printable page (issue 21): the same layout as the PDF and the ZPL (layout.ts), drawn
 * as SVG rectangles and text on pages of the label's size (`@page`), for the print dialog —
 * Electron's on the station, the browser's elsewhere. Chromium prints it at the printer's
 * resolution; tests/labels/print-html.test.ts prints it to PDF with Chromium and decodes every symbol.
 */
import { bars, darkRuns } from './symbol';
import { LABEL_SIZES, layoutLabel, placeOnPage, type LabelLayout, type LabelSize, type LabelSpec } from './layout';

/** Helvetica's cap height is 0.718 em (as in the PDF). */
const CAP_TO_EM = 1 / 0.718;

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A number in mm, short. */
const mm = (value: number): string => String(Math.round(value * 1000) / 1000);

function labelSvg(layout: LabelLayout, left: number, top: number): string {
  const shapes: string[] = [];
  const { symbol, x, y, module } = layout;
  if (symbol.kind === 'linear') {
    for (const bar of bars(symbol))
      shapes.push(
        `<rect x="${mm(left + x + bar.at * module)}" y="${mm(top + y)}" width="${mm(bar.width * module)}" height="${mm(layout.barHeight)}"/>`,
      );
  } else {
    // A hair taller than its row, as in the PDF: no light seam between rows.
    const seam = module * 0.04;
    for (const run of darkRuns(symbol))
      shapes.push(
        `<rect x="${mm(left + x + run.col * module)}" y="${mm(top + y + run.row * module)}" width="${mm(run.length * module)}" height="${mm(module + (run.row < symbol.rows - 1 ? seam : 0))}"/>`,
      );
  }
  for (const text of layout.texts)
    shapes.push(
      `<text x="${mm(left + text.x)}" y="${mm(top + text.y + text.size)}" font-size="${mm(text.size * CAP_TO_EM)}"${text.bold ? ' font-weight="bold"' : ''}>${escape(text.text)}</text>`,
    );
  return shapes.join('');
}

/** A whole document: one page per roll or shipping label, A4 sheets of 24. Refuses (StationError) a code that cannot be printed, before drawing any. */
export function labelsHtml(specs: readonly LabelSpec[], size: LabelSize): string {
  const { width, height, sheet } = LABEL_SIZES[size];
  const page = sheet === null ? { width, height } : { width: sheet.width, height: sheet.height };
  const layouts = specs.map((spec) => layoutLabel(spec, size));
  const pages: string[][] = [];
  layouts.forEach((layout, index) => {
    const at = placeOnPage(size, index);
    (pages[at.page] ??= []).push(labelSvg(layout, at.x, at.y));
  });
  const view = `0 0 ${mm(page.width)} ${mm(page.height)}`;
  const body = pages
    .map(
      (shapes) =>
        `<section class="page"><svg xmlns="http://www.w3.org/2000/svg" width="${mm(page.width)}mm" height="${mm(page.height)}mm" viewBox="${view}">${shapes.join('')}</svg></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GigManager labels (${escape(LABEL_SIZES[size].name)})</title>
<style>
@page { size: ${mm(page.width)}mm ${mm(page.height)}mm; margin: 0; }
html, body { margin: 0; padding: 0; background: #fff; }
.page { width: ${mm(page.width)}mm; height: ${mm(page.height)}mm; overflow: hidden; break-after: page; }
.page:last-child { break-after: auto; }
svg { display: block; shape-rendering: crispEdges; }
text { font-family: Helvetica, Arial, 'Liberation Sans', sans-serif; fill: #000; }
rect { fill: #000; }
</style></head>
<body>
${body}
</body></html>`;
}
