/**
 * A stock-take's report as the server states it (public.audit_report: frozen when the audit
 * closes, merged from every device's scans), read once through this schema; its lines in the order
 * the office reads them. Kept apart from the CSV and PDF writers (report.ts): the StationApi
 * schemas, and so the Electron preload, import this without jsPDF.
 */
import { z } from 'zod';
import { fileStem } from '../views/movements-csv';

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
export const REPORT_ORDER: readonly AuditLineKind[] = ['missing', 'wrong_place', 'unknown', 'out_to_gig', 'found'];

/** "stock-take-Shelf-A03-WH1-A03-2026-12-07.csv": the place and the day it closed (or started). */
export function auditReportFileName(report: AuditReport, extension: 'csv' | 'pdf'): string {
  const day = (report.closed_at ?? report.started_at).slice(0, 10);
  return `stock-take-${fileStem(report.place, 'place')}-${/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : 'undated'}.${extension}`;
}

/** The report's lines in the order the office reads them: what needs doing first. */
export function reportLines(report: AuditReport): AuditLine[] {
  return [...report.lines].sort((a, b) => REPORT_ORDER.indexOf(a.kind) - REPORT_ORDER.indexOf(b.kind) || a.code.localeCompare(b.code));
}
