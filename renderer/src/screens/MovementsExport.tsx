import { useState } from 'react';
import { download } from '../download';
import { errorText } from '../station-data';

/**
 * "Who moved what, when, from which device" for a gig and its sets, as a CSV file
 * (core/views/movements-csv.ts). The movements live on the server: offline, the button says so.
 */
export function MovementsExport({ gigId }: { gigId: string }) {
  const [state, setState] = useState<{ gigId: string; busy: boolean; message: string | null; failed: boolean }>({
    gigId,
    busy: false,
    message: null,
    failed: false,
  });
  // A message about another gig is not shown once a different gig is selected.
  const shown = state.gigId === gigId ? state : { gigId, busy: false, message: null, failed: false };

  const run = (): void => {
    setState({ gigId, busy: true, message: 'Asking the server…', failed: false });
    window.station.exportGigMovements({ gigId }).then(
      (result) => {
        download(result.fileName, result.csv, 'text/csv;charset=utf-8');
        const count = result.rows === 1 ? '1 movement' : `${result.rows.toLocaleString()} movements`;
        setState({ gigId, busy: false, message: `Exported ${count} (with its sets): ${result.fileName}`, failed: false });
      },
      (e: unknown) => setState({ gigId, busy: false, message: `Not exported: ${errorText(e)}`, failed: true }),
    );
  };

  return (
    <div className="movements-export">
      <button type="button" onClick={run} disabled={shown.busy} data-testid="export-movements">
        Export movements (CSV)
      </button>
      {shown.message !== null && (
        <p role={shown.failed ? 'alert' : 'status'} className={shown.failed ? 'note-error' : 'muted'} data-testid="export-movements-result">
          {shown.message}
        </p>
      )}
    </div>
  );
}
