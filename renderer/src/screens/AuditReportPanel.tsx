import { useCallback, useEffect, useState } from 'react';
import { auditReportCsv, auditReportPdf } from '../../../core/audit/report';
import { AUDIT_LINE_KINDS, KIND_WORDS, auditReportFileName, reportLines, type AuditReport } from '../../../core/audit/report-schema';
import { download } from '../download';
import { printedNow } from '../printed-at';
import { errorText } from '../station-data';

/** How many lines the screen lists (the files hold every one). */
const SHOWN = 300;
/** How often a report not closed yet on the server is asked for again. */
const RETRY_MS = 5000;

/**
 * A closed stock-take's report as the server states it (merged from every device, frozen at
 * close): totals, the lines that need doing first, and the whole as CSV or PDF. The server has it
 * once this device's close has synced: until then, and offline, the panel says so and retries.
 */
export function AuditReportPanel({ auditId }: { auditId: string }) {
  const [report, setReport] = useState<AuditReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(() => {
    window.station.getAuditReport({ auditId }).then(
      (value) => {
        setReport(value);
        setProblem(null);
      },
      (e: unknown) => setProblem(errorText(e)),
    );
  }, [auditId]);
  useEffect(load, [load]);
  // The close may still be in the queue: the report is asked for again until the server has it closed.
  useEffect(() => {
    if (report?.status === 'closed') return;
    const timer = window.setInterval(load, RETRY_MS);
    return () => window.clearInterval(timer);
  }, [load, report?.status]);

  if (report === null)
    return (
      <section className="audit-report" aria-label="Stock-take report">
        <h2>Report</h2>
        <p className="muted" role="status">
          {problem === null ? 'Asking the server…' : `The report comes from the server once this device has synced: ${problem}`}
        </p>
      </section>
    );
  const lines = reportLines(report);
  return (
    <section className="audit-report" aria-label="Stock-take report" data-testid="audit-report">
      <h2>
        Report: {report.place}
        {report.category === null ? '' : ` · ${report.category}`}
      </h2>
      <p className="muted">
        {report.status === 'closed' ? 'Closed' : 'Still open (another device has not closed it, or the close has not synced)'} ·{' '}
        {report.scans === 1 ? '1 scan' : `${report.scans} scans`} from every device
      </p>
      <dl className="stock-take-counts" data-testid="audit-report-totals">
        {AUDIT_LINE_KINDS.map((kind) => (
          <div key={kind} className={`count-${kind}`}>
            <dt>{KIND_WORDS[kind]}</dt>
            <dd>{report.totals[kind] ?? 0}</dd>
          </div>
        ))}
      </dl>
      <div className="audit-report-files">
        <button
          type="button"
          onClick={() => download(auditReportFileName(report, 'csv'), auditReportCsv(report), 'text/csv;charset=utf-8')}
        >
          Download CSV
        </button>
        <button
          type="button"
          onClick={() => download(auditReportFileName(report, 'pdf'), auditReportPdf(report, printedNow()), 'application/pdf')}
        >
          Download PDF
        </button>
      </div>
      <ul className="audit-report-lines">
        {lines.slice(0, SHOWN).map((line, i) => (
          <li key={`${line.kind}-${line.code}-${i}`} className={`line-${line.kind}`}>
            <span className="chip">{KIND_WORDS[line.kind]}</span>
            <span>
              {line.name ?? line.code} <code>{line.code}</code>
              {line.counted !== null && ` · ${line.counted} counted`}
              {line.expected !== null && ` of ${line.expected}`}
              <span className="muted">
                {line.belongs !== null && ` · belongs on ${line.belongs}`}
                {line.seen_at !== null && line.kind !== 'found' && ` · found on ${line.seen_at}`}
                {line.gig !== null && ` · out to ${line.gig}`}
              </span>
            </span>
          </li>
        ))}
      </ul>
      {lines.length > SHOWN && <p className="muted">and {lines.length - SHOWN} more lines in the CSV and PDF</p>}
    </section>
  );
}
