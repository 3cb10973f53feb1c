/**
 * A stock-take's report as the server states it (public.audit_report: frozen when the audit
 * closes, merged from every device's scans), read once through a schema, and written out for the
 * office: CSV (the movements export's rules: RFC 4180, BOM, formula-safe) and an A4 PDF.
 */
import { jsPDF } from 'jspdf';
import { z } from 'zod';
import { csvText, csvUtc, fileStem } from '../views/movements-csv';
import { drawText } from '../labels/pdf';
import { fitText, wrapText } from '../labels/layout';

export const AUDIT_LINE_KINDS = ['found', 'wrong_place', 'out_to_gig', 'unknown', 'missing'] as const;
export type AuditLineKind = (typeof AUDIT_LINE_KINDS)[number];

const text = z.string().nullable();
export const auditLineSchema = z.object({
  kind: z.enum(AUDIT_LINE_KINDS),
  what: z.enum(['asset', 'case', 'bulk', 'code']),
  id: z.uuid().nullable(),
  code: z.string(),
  name: text,
  /** Where it belongs, in words ("Shelf A3 (WH1-A03)"). */
  belongs: text,
  /** Where it was scanned (for a bulk item: every place it was counted). */
  seen_at: text,
  gig: text,
  in_case: text,
  expected: z.number().int().nullable(),
  counted: z.number().int().nullable(),
  scanned_at: text,
});
export type AuditLine = z.infer<typeof auditLineSchema>;

export const auditReportSchema = z.object({
  audit_id: z.uuid(),
  place: z.string(),
  category: text,
  status: z.enum(['open', 'closed']),
  started_at: z.string(),
  closed_at: text,
  scans: z.number().int().nonnegative(),
  totals: z.partialRecord(z.enum(AUDIT_LINE_KINDS), z.number().int().nonnegative()),
  lines: z.array(auditLineSchema),
});
export type AuditReport = z.infer<typeof auditReportSchema>;

export const KIND_WORDS: Record<AuditLineKind, string> = {
  found: 'Found',
  wrong_place: 'Wrong place',
  out_to_gig: 'Out to a gig',
  unknown: 'Unknown code',
  missing: 'Missing',
};

/** The order the office reads a report in: what needs doing first. */
const ORDER: readonly AuditLineKind[] = ['missing', 'wrong_place', 'unknown', 'out_to_gig', 'found'];

/** "stock-take-Shelf-A03-WH1-A03-2026-12-07.csv": the place and the day it closed (or started). */
export function auditReportFileName(report: AuditReport, extension: 'csv' | 'pdf'): string {
  const day = (report.closed_at ?? report.started_at).slice(0, 10);
  return `stock-take-${fileStem(report.place, 'place')}-${/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : 'undated'}.${extension}`;
}

/** The report's lines in the order the office reads them: what needs doing first. */
export function reportLines(report: AuditReport): AuditLine[] {
  return [...report.lines].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.code.localeCompare(b.code));
}

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
  const totals = ORDER.map((kind) => `${report.totals[kind] ?? 0} ${KIND_WORDS[kind].toLowerCase()}`).join(' · ');
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
