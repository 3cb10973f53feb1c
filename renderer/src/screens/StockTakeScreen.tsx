import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { AuditPlace, OpenAudit, StockTakeView } from '../../../core/audit/stock-take';
import { KIND_WORDS } from '../../../core/audit/report-schema';
import type { FeedbackView } from '../../../core/station-api';
import { Time } from '../Time';
import { errorText } from '../station-data';
import { CameraScanner } from './CameraScanner';
import { ClaimForm } from './ClaimForm';
import { ManualEntry } from './ManualEntry';
import { QuantityPad } from './QuantityPad';
import { LastScan } from './ScanScreen';
import { AuditReportPanel } from './AuditReportPanel';
import { useScanLease } from './useScanLease';
import './stock-take.css';

/**
 * A stock-take (issue 21): start one by scanning a shelf's label (or choosing a place), then scan
 * what is there. Every scan is judged at once from this device's copy, offline too — found, wrong
 * place, out to a gig, unknown — with what is still to find beside it. A station claims an unknown
 * label for a new item. Closing sends it; the report (merged from every device) comes from the server.
 */
export function StockTakeScreen({ feedback, camera = false }: { feedback: FeedbackView | null; camera?: boolean }) {
  const [view, setView] = useState<StockTakeView | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [closedId, setClosedId] = useState<string | null>(null);
  const [closedElsewhere, setClosedElsewhere] = useState(false);
  const auditing = useScanLease('stock-take', (seconds) => window.station.setStockTakeScan({ seconds }).then((r) => r.auditing));

  const refresh = useCallback(() => {
    window.station.getStockTake().then(setView, (e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(refresh, [feedback, refresh]);
  useEffect(() => window.station.onCacheChanged(refresh), [refresh]);

  const act = (work: Promise<unknown>, after?: () => void): void => {
    work.then(
      () => {
        setError(null);
        after?.();
        refresh();
      },
      (e: unknown) => setError(errorText(e)),
    );
  };

  return (
    <div className="stock-take-screen">
      {!auditing && <p className="muted">Taking over the scanners…</p>}
      {view === null && closedId === null && <StartStockTake onStart={(work) => act(work)} feedback={feedback} />}
      {view === null && closedId !== null && (
        <section aria-label="Report">
          {closedElsewhere && (
            <p role="status" className="note-error" data-testid="closed-elsewhere">
              This stock-take was closed on another device: scans here would not be counted. The report is below.
            </p>
          )}
          <AuditReportPanel auditId={closedId} />
          <button
            type="button"
            className="big"
            onClick={() => {
              setClosedId(null);
              setClosedElsewhere(false);
            }}
          >
            Start another stock-take
          </button>
        </section>
      )}
      {view != null && (
        <OpenStockTake
          view={view}
          feedback={feedback}
          camera={camera}
          act={act}
          onClosed={(auditId, where) => {
            setClosedId(auditId);
            setClosedElsewhere(where === 'elsewhere');
          }}
        />
      )}
      {error !== null && (
        <p role="alert" className="note-error">
          {error}
        </p>
      )}
    </div>
  );
}

function StartStockTake({ onStart, feedback }: { onStart: (work: Promise<unknown>) => void; feedback: FeedbackView | null }) {
  const [places, setPlaces] = useState<AuditPlace[] | null>(null);
  const [placeId, setPlaceId] = useState('');
  const [category, setCategory] = useState('');
  const [open, setOpen] = useState<OpenAudit[] | string | null>(null);
  useEffect(() => {
    // The station's own warehouse first, when it has one.
    void Promise.all([window.station.listPlaces(), window.station.getStationWarehouse().catch(() => null)]).then(
      ([list, home]) => {
        setPlaces(list);
        setPlaceId((id) => (id === '' ? (home?.warehouseId ?? list[0]?.id ?? '') : id));
      },
      () => setPlaces([]),
    );
    window.station.listOpenStockTakes().then(setOpen, (e: unknown) => setOpen(errorText(e)));
  }, []);
  const start = (event: FormEvent): void => {
    event.preventDefault();
    if (placeId === '') return;
    onStart(window.station.startStockTake({ placeId, category: category.trim() === '' ? null : category.trim() }));
  };
  return (
    <>
      <LastScan feedback={feedback} idle="Scan a shelf's label to start" hint="or choose a place below" />
      <form className="stock-take-start" onSubmit={start} aria-label="Start a stock-take">
        <h2>Start a stock-take</h2>
        <label htmlFor="stock-place">Place</label>
        <select id="stock-place" value={placeId} onChange={(e) => setPlaceId(e.target.value)} disabled={places === null}>
          {places?.map((p) => (
            <option key={p.id} value={p.id}>
              {`${'\u2003'.repeat(p.depth)}${p.name} (${p.code})`}
            </option>
          ))}
        </select>
        {places !== null && places.length === 0 && (
          <p className="muted">No places on this device yet: sync, or ask a manager to set up the warehouse.</p>
        )}
        <label htmlFor="stock-category">Only this category (optional)</label>
        <input id="stock-category" value={category} maxLength={80} onChange={(e) => setCategory(e.target.value)} placeholder="e.g. Audio" />
        <button type="submit" className="big" disabled={placeId === ''}>
          Start
        </button>
      </form>
      <section aria-label="Stock-takes in progress" className="stock-take-open">
        <h2>Join one in progress</h2>
        {open === null && <p className="muted">Asking the server…</p>}
        {typeof open === 'string' && <p className="muted">{open}</p>}
        {Array.isArray(open) && open.length === 0 && <p className="muted">None open: start one above.</p>}
        {Array.isArray(open) && open.length > 0 && (
          <ul>
            {open.map((audit) => (
              <li key={audit.id}>
                <span>
                  <strong>{audit.place}</strong>
                  {audit.category !== null && ` · ${audit.category}`}
                  <span className="muted">
                    {' · started '}
                    <Time at={audit.started_at} date />
                    {audit.started_by === null ? '' : ` by ${audit.started_by}`}
                    {` · ${audit.scans === 1 ? '1 scan' : `${audit.scans} scans`}`}
                  </span>
                </span>
                <button type="button" onClick={() => onStart(window.station.joinStockTake({ auditId: audit.id }))}>
                  Join
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function OpenStockTake({
  view,
  feedback,
  camera,
  act,
  onClosed,
}: {
  view: StockTakeView;
  feedback: FeedbackView | null;
  camera: boolean;
  act: (work: Promise<unknown>, after?: () => void) => void;
  onClosed: (auditId: string, where: 'here' | 'elsewhere') => void;
}) {
  const [answered, setAnswered] = useState<FeedbackView | null>(null);
  const [claiming, setClaiming] = useState<string | null>(null);
  const [closing, setClosing] = useState(false);
  const asked = feedback !== null && feedback !== answered && feedback.awaiting === 'quantity' ? feedback : null;
  const elsewhere = useScannedElsewhere(view.auditId);
  // Closed on another device: scans here would be refused and not counted. This device leaves it
  // and shows the server's report.
  const closedElsewhere = elsewhere?.closed === true;
  useEffect(() => {
    if (closedElsewhere) act(window.station.leaveStockTake(), () => onClosed(view.auditId, 'elsewhere'));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, when the server says it closed
  }, [closedElsewhere]);
  const toFind = elsewhere === null ? view.toFind : view.toFind.filter((thing) => !elsewhere.ids.has(thing.id));
  const toFindTotal = view.toFindTotal - (view.toFind.length - toFind.length);
  const { counts } = view;
  const inRoot = view.place.id === view.root.id;
  return (
    <>
      <section className="stock-take-context" aria-label="Stock-take">
        <div>
          <span className="label">Stock-take of</span>
          <strong data-testid="stock-take-root">
            {view.root.name} ({view.root.code}){view.category === null ? '' : ` · ${view.category}`}
          </strong>
        </div>
        <div>
          <span className="label">Counting</span>
          <strong data-testid="stock-take-place">
            {view.place.name} ({view.place.code})
            {inRoot && view.root.kind !== 'shelf' && view.root.kind !== 'bin' && (
              <span className="muted"> — scan a shelf label to narrow</span>
            )}
          </strong>
        </div>
      </section>

      <LastScan feedback={feedback} idle="Scan what is on the shelf" />

      <dl className="stock-take-counts" data-testid="stock-take-counts">
        <div className="count-found">
          <dt>Found</dt>
          <dd>{counts.found}</dd>
        </div>
        <div className="count-wrong_place">
          <dt>Wrong place</dt>
          <dd>{counts.wrong_place}</dd>
        </div>
        <div className="count-out_to_gig">
          <dt>Out to a gig</dt>
          <dd>{counts.out_to_gig}</dd>
        </div>
        <div className="count-unknown">
          <dt>Unknown</dt>
          <dd>{counts.unknown}</dd>
        </div>
        <div className="count-to-find">
          <dt>Still to find</dt>
          <dd>
            {toFindTotal} <span className="muted">of {counts.expected}</span>
          </dd>
        </div>
      </dl>

      {camera && <CameraScanner />}
      <ManualEntry
        id="stock-code"
        placeholder="serial, barcode or shelf label"
        onCode={(code) => act(window.station.submitStockTakeScan({ code, deviceId: 'screen' }))}
      />

      {view.unclaimed.length > 0 && (
        <section aria-label="Unknown codes" className="stock-take-unknown">
          <h2>Unknown codes</h2>
          {!view.canClaim && <p className="muted">A station or a manager can claim these labels for new items.</p>}
          <ul>
            {view.unclaimed.map((code) => (
              <li key={code}>
                <code>{code}</code>
                {view.canClaim && claiming !== code && (
                  <button type="button" onClick={() => setClaiming(code)}>
                    Claim for a new item
                  </button>
                )}
                {claiming === code && (
                  <ClaimForm
                    code={code}
                    onCancel={() => setClaiming(null)}
                    onClaim={(name, category) =>
                      act(window.station.claimLabel({ code, name, category, deviceId: 'screen' }), () => setClaiming(null))
                    }
                  />
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      <div className="stock-take-lists">
        <section aria-label="Latest scans">
          <h2>Latest scans</h2>
          {view.recent.length === 0 && <p className="muted">Nothing scanned yet.</p>}
          <ol className="stock-take-recent">
            {view.recent.map((line) => (
              <li key={`${line.code}-${line.at}`} className={`line-${line.kind}`}>
                <span className="chip">{KIND_WORDS[line.kind]}</span>
                <span>
                  {line.name}
                  {line.detail !== null && <span className="muted"> — {line.detail}</span>}
                </span>
              </li>
            ))}
          </ol>
        </section>
        <section aria-label="Still to find">
          <h2>Still to find</h2>
          <p className="muted" data-testid="stock-take-merged">
            {elsewhere === null ? (
              'From this device’s scans (other devices’ scans are added while online).'
            ) : (
              <>
                With every device’s scans as of <Time at={elsewhere.at} />.
              </>
            )}
          </p>
          {toFindTotal === 0 && <p className="muted">Everything expected here has been scanned.</p>}
          <ul className="stock-take-to-find" data-testid="stock-take-to-find">
            {toFind.map((thing) => (
              <li key={thing.id}>
                <span>
                  {thing.name} <code>{thing.code}</code>
                </span>
                <span className="muted">{thing.where}</span>
              </li>
            ))}
          </ul>
          {toFindTotal > toFind.length && <p className="muted">and {toFindTotal - toFind.length} more</p>}
        </section>
      </div>

      <section className="stock-take-actions" aria-label="Finish">
        {!closing && (
          <>
            <button type="button" className="big" onClick={() => setClosing(true)}>
              Close stock-take…
            </button>
            <button type="button" onClick={() => act(window.station.leaveStockTake())}>
              Leave (others go on counting)
            </button>
          </>
        )}
        {closing && (
          <div className="stock-take-close" role="group" aria-label="Close the stock-take">
            <p>
              {toFindTotal === 0
                ? 'Everything expected was found.'
                : `${toFindTotal} not scanned yet will read missing${elsewhere === null ? ' unless another device scanned them' : ''}.`}
            </p>
            {view.canAdjust && (
              <button
                type="button"
                className="big"
                onClick={() => act(window.station.closeStockTake({ adjust: true }).then((r) => onClosed(r.auditId, 'here')))}
              >
                Close and move what was in the wrong place here
              </button>
            )}
            <button
              type="button"
              className="big"
              onClick={() => act(window.station.closeStockTake({ adjust: false }).then((r) => onClosed(r.auditId, 'here')))}
            >
              {view.canAdjust ? 'Close without moving anything' : 'Close'}
            </button>
            <button type="button" onClick={() => setClosing(false)}>
              Keep counting
            </button>
          </div>
        )}
      </section>

      {asked !== null && (
        <QuantityPad
          title={asked.message.replace(/: how many are here\?$/, '')}
          hint="How many are here?"
          onEnter={(quantity) => {
            setAnswered(asked);
            act(window.station.submitStockTakeScan({ code: `CMD:QTY:${quantity}`, deviceId: 'screen' }));
          }}
          onCancel={() => setAnswered(asked)}
        />
      )}
    </>
  );
}

/** How often, while online, the server's merged count of an open stock-take is read. */
const MERGE_EVERY_MS = 10_000;

/**
 * What every device has scanned in this stock-take, by thing, as the server has merged it (its
 * report of the open audit): the Still-to-find list leaves those out. Null offline or until read.
 */
function useScannedElsewhere(auditId: string): { ids: ReadonlySet<string>; at: number; closed: boolean } | null {
  const [seen, setSeen] = useState<{ auditId: string; ids: ReadonlySet<string>; at: number; closed: boolean } | null>(null);
  useEffect(() => {
    let live = true;
    const read = (): void =>
      void window.station.getAuditReport({ auditId }).then(
        (report) => {
          const ids = new Set(report.lines.filter((l) => l.kind !== 'missing' && l.id !== null).map((l) => l.id ?? ''));
          if (live) setSeen({ auditId, ids, at: Date.now(), closed: report.status === 'closed' });
        },
        // Offline, or the start not synced yet: this device's own scans stand alone.
        () => live && setSeen(null),
      );
    read();
    const timer = window.setInterval(read, MERGE_EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [auditId]);
  return seen?.auditId === auditId ? seen : null;
}
