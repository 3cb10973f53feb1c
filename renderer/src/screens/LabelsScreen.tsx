import { useEffect, useMemo, useState } from 'react';
import type { AuditPlace } from '../../../core/audit/stock-take';
import { caseSheetPdf } from '../../../core/labels/case-sheet';
import { labelsHtml } from '../../../core/labels/html';
import { LABEL_SIZES, type LabelSize, type LabelSpec } from '../../../core/labels/layout';
import { labelsPdf } from '../../../core/labels/pdf';
import type { LabelKind, LabelSource } from '../../../core/labels/sources';
import type { Symbology } from '../../../core/labels/symbol';
import { labelsZpl } from '../../../core/labels/zpl';
import { download } from '../download';
import { printedNow } from '../printed-at';
import { printHtml } from '../print';
import { errorText } from '../station-data';
import './labels.css';

const KINDS: { kind: LabelKind; words: string }[] = [
  { kind: 'places', words: 'Places' },
  { kind: 'items', words: 'Items' },
  { kind: 'cases', words: 'Cases' },
  { kind: 'badges', words: 'Badges' },
];
const SYMBOLS: { symbology: Symbology; words: string }[] = [
  { symbology: 'code128', words: 'Code 128 (bars)' },
  { symbology: 'qrcode', words: 'QR code' },
  { symbology: 'datamatrix', words: 'DataMatrix' },
];
const SHEET_WORDS = {
  never: 'Contents sheet not printed here',
  current: 'Contents sheet up to date',
  changed: 'Contents changed since the sheet was printed',
} as const;

/**
 * Labels (issue 21): places, items, cases and badges from this device's copy, as PDF (roll,
 * shipping or A4 sheet), ZPL for Zebra printers, or straight to the print dialog; every symbol is
 * the one the station's scanners and the phone's camera read. A case's contents sheet says when
 * the contents changed since it was printed.
 */
export function LabelsScreen() {
  const [kind, setKind] = useState<LabelKind>('places');
  const [placeId, setPlaceId] = useState<string>('');
  const [words, setWords] = useState('');
  const [places, setPlaces] = useState<AuditPlace[]>([]);
  const [list, setList] = useState<{ labels: LabelSource[]; total: number } | null>(null);
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [size, setSize] = useState<LabelSize>('62x29mm');
  const [symbology, setSymbology] = useState<Symbology>('code128');
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    window.station.listPlaces().then(setPlaces, () => setPlaces([]));
  }, []);
  useEffect(() => {
    let live = true;
    const query = { kind, words, ...(kind === 'badges' || placeId === '' ? {} : { placeId }) };
    window.station.listLabels(query).then(
      (found) => {
        if (!live) return;
        setList(found);
        setSkipped(new Set());
      },
      (e: unknown) => live && setMessage({ text: errorText(e), failed: true }),
    );
    return () => {
      live = false;
    };
  }, [kind, placeId, words, reload]);

  const chosen = useMemo(() => list?.labels.filter((l) => !skipped.has(l.id)) ?? [], [list, skipped]);
  const specs = (): LabelSpec[] =>
    chosen.map((l) => ({ code: l.code, title: l.title, ...(l.detail === null ? {} : { detail: l.detail }), symbology }));
  const fileStem = `labels-${kind}-${new Date().toISOString().slice(0, 10)}`;
  /** Runs one output; a code that cannot be printed is said in words and nothing is made. */
  const make = (what: string, work: () => void): void => {
    try {
      work();
      setMessage({ text: `${what}: ${chosen.length === 1 ? '1 label' : `${chosen.length} labels`}`, failed: false });
    } catch (e) {
      setMessage({ text: `Not made: ${errorText(e)}`, failed: true });
    }
  };
  const sheet = (box: LabelSource): void => {
    window.station
      .getCaseSheet({ caseId: box.id })
      .then(async (found) => {
        download(
          `contents-${found.code}.pdf`,
          caseSheetPdf({ code: found.code, name: found.name }, found.lines, printedNow()),
          'application/pdf',
        );
        await window.station.markSheetPrinted({ caseId: found.caseId, reference: found.reference });
        setMessage({ text: `Contents sheet of ${found.name} (${found.lines.length} items, reference ${found.reference})`, failed: false });
        setReload((n) => n + 1);
      })
      .catch((e: unknown) => setMessage({ text: `Not made: ${errorText(e)}`, failed: true }));
  };

  return (
    <div className="labels-screen">
      <div className="labels-kinds" role="group" aria-label="What to label">
        {KINDS.map((k) => (
          <button
            key={k.kind}
            type="button"
            className={kind === k.kind ? 'active' : ''}
            aria-pressed={kind === k.kind}
            onClick={() => setKind(k.kind)}
          >
            {k.words}
          </button>
        ))}
      </div>
      <div className="labels-filters">
        {kind !== 'badges' && (
          <label>
            <span>At</span>
            <select value={placeId} onChange={(e) => setPlaceId(e.target.value)} aria-label="At place">
              <option value="">Everywhere</option>
              {places.map((p) => (
                <option key={p.id} value={p.id}>{`${'\u2003'.repeat(p.depth)}${p.name} (${p.code})`}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          <span>Words</span>
          <input
            value={words}
            maxLength={100}
            onChange={(e) => setWords(e.target.value)}
            placeholder="code, name or category"
            aria-label="Words"
          />
        </label>
        <label>
          <span>Size</span>
          <select value={size} onChange={(e) => setSize(e.target.value as LabelSize)} aria-label="Label size">
            {(Object.keys(LABEL_SIZES) as LabelSize[]).map((s) => (
              <option key={s} value={s}>
                {LABEL_SIZES[s].name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Symbol</span>
          <select value={symbology} onChange={(e) => setSymbology(e.target.value as Symbology)} aria-label="Symbol">
            {SYMBOLS.map((s) => (
              <option key={s.symbology} value={s.symbology}>
                {s.words}
              </option>
            ))}
          </select>
        </label>
      </div>

      <div className="labels-actions">
        <button
          type="button"
          className="big"
          disabled={chosen.length === 0}
          onClick={() => make('Sent to the print dialog', () => printHtml(labelsHtml(specs(), size)))}
        >
          Print…
        </button>
        <button
          type="button"
          disabled={chosen.length === 0}
          onClick={() => make('Saved as PDF', () => download(`${fileStem}.pdf`, labelsPdf(specs(), size), 'application/pdf'))}
        >
          Download PDF
        </button>
        <button
          type="button"
          disabled={chosen.length === 0}
          onClick={() =>
            make('Saved as ZPL for a 203 dpi Zebra', () => download(`${fileStem}-203dpi.zpl`, labelsZpl(specs(), size, 203), 'text/plain'))
          }
        >
          ZPL 203 dpi
        </button>
        <button
          type="button"
          disabled={chosen.length === 0}
          onClick={() =>
            make('Saved as ZPL for a 300 dpi Zebra', () => download(`${fileStem}-300dpi.zpl`, labelsZpl(specs(), size, 300), 'text/plain'))
          }
        >
          ZPL 300 dpi
        </button>
      </div>
      {message !== null && (
        <p role={message.failed ? 'alert' : 'status'} className={message.failed ? 'note-error' : 'muted'} data-testid="labels-result">
          {message.text}
        </p>
      )}

      <p className="muted" data-testid="labels-count">
        {list === null
          ? 'Reading…'
          : `${chosen.length} of ${list.total} chosen${list.total > list.labels.length ? ` (the first ${list.labels.length} listed)` : ''}`}
        {list !== null && list.labels.length > 0 && (
          <>
            {' · '}
            <button type="button" className="link" onClick={() => setSkipped(new Set())}>
              all
            </button>
            {' · '}
            <button type="button" className="link" onClick={() => setSkipped(new Set(list.labels.map((l) => l.id)))}>
              none
            </button>
          </>
        )}
      </p>
      <ul className="labels-list" data-testid="labels-list">
        {list?.labels.map((label) => (
          <li key={label.id}>
            <label className="labels-pick">
              <input
                type="checkbox"
                checked={!skipped.has(label.id)}
                onChange={(e) =>
                  setSkipped((before) => {
                    const next = new Set(before);
                    if (e.target.checked) next.delete(label.id);
                    else next.add(label.id);
                    return next;
                  })
                }
              />
              <span>
                <strong>{label.title}</strong> <code>{label.code}</code>
                {label.detail !== null && <span className="muted"> · {label.detail}</span>}
              </span>
            </label>
            {label.sheet !== undefined && (
              <span className={`labels-sheet sheet-${label.sheet}`}>
                {SHEET_WORDS[label.sheet]}
                <button type="button" onClick={() => sheet(label)}>
                  {label.sheet === 'never' ? 'Contents sheet' : 'Reprint sheet'}
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {list !== null && list.total === 0 && <p className="muted">Nothing to label here.</p>}
    </div>
  );
}
