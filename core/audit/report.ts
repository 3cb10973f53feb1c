/**
 * A stock-take's report (its schema and order: report-schema.ts) written out for the office: CSV
 * (the movements export's rules: RFC 4180, BOM, formula-safe) and an A4 PDF.
 */
import { jsPDF } from 'jspdf';
import { csvText, csvUtc } from '../views/movements-csv';
import { KIND_WORDS, REPORT_ORDER, reportLines, type AuditLine, type AuditReport } from './report-schema';
import { drawText } from '../labels/pdf';
import { fitText, wrapText } from '../labels/layout';

const HEADER = ['Result', 'What', 'Code', 'Name', 'Belongs in', 'Found at', 'Out to', 'In case', 'Expected', 'Counted', 'Scanned at (UTC)'];

export function auditReportCsv(report: AuditReport): string {
  const rows = [HEADER.join(',')];
  for (const line of reportLines(report)) {
    rows.push(
      [
        csvText(KIND_WORDS[line.kind]),
        csvText(line.what === 'code' ? 'label' : line.what),
        csvText(line.code),
        csvText(line.name),
        csvText(line.belongs),
        csvText(line.seen_at),
        csvText(line.gig),
        csvText(line.in_case),
        line.expected === null ? '' : String(line.expected),
        line.counted === null ? '' : String(line.counted),
        line.scanned_at === null ? '' : csvUtc(line.scanned_at),
      ].join(','),
    );
  }
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}

/** One line of the PDF's table, in words. */
function lineWords(line: AuditLine): string {
  const parts = [line.name ?? ''];
  if (line.kind === 'wrong_place') parts.push(`belongs in ${line.belongs ?? 'no place yet'}, found at ${line.seen_at ?? '?'}`);
  if (line.kind === 'missing' && line.belongs !== null) parts.push(`expected in ${line.belongs}`);
  if (line.kind === 'out_to_gig' && line.gig !== null) parts.push(`out to ${line.gig}`);
  if (line.kind === 'unknown') parts.push(`a label not in the system, at ${line.seen_at ?? '?'}: claim it for a new item`);
  if (line.in_case !== null) parts.push(`in ${line.in_case}`);
  if (line.expected !== null || line.counted !== null)
    parts.push(
      line.expected === 0 || line.expected === null
        ? `${line.counted ?? 0} counted here`
        : `${line.counted ?? 0} counted of ${line.expected}`,
    );
  return parts.filter((p) => p !== '').join(' · ');
}

const PAGE = { width: 210, height: 297, margin: 15 } as const;
const LINE = 5.6;

export function auditReportPdf(report: AuditReport, printedAt: string): Uint8Array {
  const doc = new jsPDF({ unit: 'mm', format: 'a4' });
  doc.setProperties({ title: `Stock-take of ${report.place}`, creator: 'GigManager Station' });
  const width = PAGE.width - 2 * PAGE.margin;
  const totals = REPORT_ORDER.map((kind) => `${report.totals[kind] ?? 0} ${KIND_WORDS[kind].toLowerCase()}`).join(' · ');
  let page = 1;
  const header = (): number => {
    drawText(
      doc,
      { text: fitText(`Stock-take of ${report.place}`, 5.5, width), x: PAGE.margin, y: PAGE.margin, size: 5.5, bold: true },
      0,
      0,
    );
    const state = report.status === 'closed' ? `closed ${report.closed_at?.slice(0, 16).replace('T', ' ') ?? ''} UTC` : 'still open';
    const sub = `${report.scans} scans · ${state}${report.category === null ? '' : ` · ${report.category} only`}${page > 1 ? ` · page ${page}` : ''}`;
    drawText(doc, { text: fitText(sub, 3, width), x: PAGE.margin, y: PAGE.margin + 9, size: 3, bold: false }, 0, 0);
    drawText(doc, { text: fitText(totals, 3, width), x: PAGE.margin, y: PAGE.margin + 15, size: 3, bold: true }, 0, 0);
    return PAGE.margin + 25;
  };
  let y = header();
  for (const line of reportLines(report)) {
    // What it is and where, wrapped to two lines rather than cut: "found at …" is the point.
    const words = wrapText(lineWords(line), 2.6, width - 68, 2);
    if (y + (words.length - 1) * LINE * 0.8 > PAGE.height - PAGE.margin - LINE) {
      doc.addPage('a4', 'portrait');
      page += 1;
      y = header();
    }
    drawText(doc, { text: KIND_WORDS[line.kind], x: PAGE.margin, y, size: 2.6, bold: true }, 0, 0);
    drawText(doc, { text: fitText(line.code, 2.6, 36), x: PAGE.margin + 30, y, size: 2.6, bold: false }, 0, 0);
    words.forEach((text, i) => drawText(doc, { text, x: PAGE.margin + 68, y: y + i * LINE * 0.8, size: 2.6, bold: false }, 0, 0));
    y += LINE + (words.length - 1) * LINE * 0.8;
  }
  drawText(doc, { text: `Printed ${printedAt}`, x: PAGE.margin, y: PAGE.height - PAGE.margin + 4, size: 2.4, bold: false }, 0, 0);
  return new Uint8Array(doc.output('arraybuffer'));
}
