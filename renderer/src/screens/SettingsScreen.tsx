import { useEffect, useState, type FormEvent } from 'react';
import type { AuditPlace } from '../../../core/audit/stock-take';
import type { StationInfo } from '../../../core/station-api';
import type { GigListItem, StationSettings } from '../../../core/station-views';
import { errorText } from '../station-data';
import { BackendForm, SignInForm, type FormOutcome } from './AccountForms';
import { DeviceScopeSettings } from './DeviceScope';

/** Station name, which backend it syncs with (BackendForm), and who it is signed in as (SignInForm). */
export function SettingsScreen({
  info,
  settings,
  onSaved,
  gigs,
}: {
  info: StationInfo;
  settings: StationSettings | null;
  onSaved: (s: StationSettings) => void;
  /** The gigs this copy holds, to name the chosen ones. */
  gigs: readonly GigListItem[];
}) {
  const [name, setName] = useState(settings?.stationName ?? '');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const outcome: FormOutcome = {
    onSaved: (saved, words) => {
      onSaved(saved);
      setMessage({ ok: true, text: words });
    },
    onFailed: (words) => setMessage({ ok: false, text: words }),
  };

  /** Saves the bundle as a file the user can attach to a support request (a download, on every host). */
  const exportDiagnostics = (): void => {
    window.station.getDiagnostics().then(
      (bundle) => {
        const link = document.createElement('a');
        const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
        link.href = url;
        link.download = `gigmanager-diagnostics-${bundle.generatedAt.replace(/[:.]/g, '-')}.json`;
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        setMessage({ ok: true, text: `Diagnostics saved as ${link.download} (no keys or passwords in it)` });
      },
      (e: unknown) => setMessage({ ok: false, text: errorText(e) }),
    );
  };

  const run = (event: FormEvent, call: () => Promise<StationSettings>, done: string): void => {
    event.preventDefault();
    call().then(
      (saved) => outcome.onSaved(saved, done),
      (e: unknown) => outcome.onFailed(errorText(e)),
    );
  };

  return (
    <div className="settings-screen">
      {message !== null && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'note-ok' : 'note-error'}>
          {message.text}
        </p>
      )}
      <section aria-label="Account">
        <h2>Account</h2>
        <p data-testid="signed-in-as">
          {settings?.signedInAs == null
            ? 'Not signed in: scans are queued and sent once someone signs in.'
            : `Signed in as ${settings.signedInAs}`}
        </p>
        <SignInForm outcome={outcome} />
        {settings?.signedInAs != null && (
          <button type="button" className="big" onClick={(e) => run(e, () => window.station.signOut(), 'Signed out')}>
            Sign out
          </button>
        )}
      </section>

      <form onSubmit={(e) => run(e, () => window.station.saveSettings({ stationName: name }), 'Station name saved')} aria-label="Station">
        <h2>Station</h2>
        <label>
          Station name
          <input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="big">
          Save name
        </button>
      </form>

      <StationWarehouse
        onSaved={(words) => setMessage({ ok: true, text: words })}
        onFailed={(words) => setMessage({ ok: false, text: words })}
      />

      <DeviceScopeSettings gigs={gigs} />

      <BackendForm settings={settings} outcome={outcome} />

      <section aria-label="About">
        <h2>About</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd>{info.appVersion}</dd>
          <dt>Host</dt>
          <dd>{info.host}</dd>
          <dt>Platform</dt>
          <dd>{info.platform}</dd>
        </dl>
        <button type="button" className="big" onClick={exportDiagnostics}>
          Export diagnostics
        </button>
      </section>
    </div>
  );
}

/**
 * The warehouse this station stands in (issue 21): what it checks in from another warehouse stays
 * here instead of being recorded back home; the Stock-take screen starts here.
 */
function StationWarehouse({ onSaved, onFailed }: { onSaved: (words: string) => void; onFailed: (words: string) => void }) {
  const [warehouses, setWarehouses] = useState<readonly AuditPlace[]>([]);
  const [chosen, setChosen] = useState('');
  useEffect(() => {
    window.station.listPlaces().then(
      (places) => setWarehouses(places.filter((p) => p.kind === 'warehouse')),
      () => setWarehouses([]),
    );
    window.station.getStationWarehouse().then(
      (saved) => setChosen(saved.warehouseId ?? ''),
      () => setChosen(''),
    );
  }, []);
  if (warehouses.length === 0) return null;
  const save = (event: FormEvent): void => {
    event.preventDefault();
    window.station.setStationWarehouse({ warehouseId: chosen === '' ? null : chosen }).then(
      (saved) => onSaved(saved.name === null ? 'This station belongs to no warehouse' : `This station is in ${saved.name}`),
      (e: unknown) => onFailed(errorText(e)),
    );
  };
  return (
    <form onSubmit={save} aria-label="Warehouse">
      <h2>Warehouse</h2>
      <label>
        This station stands in
        <select value={chosen} onChange={(e) => setChosen(e.target.value)}>
          <option value="">No warehouse</option>
          {warehouses.map((w) => (
            <option key={w.id} value={w.id}>{`${w.name} (${w.code})`}</option>
          ))}
        </select>
      </label>
      <p className="muted">What it checks in from another warehouse stays here (a transfer); its home does not change.</p>
      <button type="submit" className="big">
        Save warehouse
      </button>
    </form>
  );
}
