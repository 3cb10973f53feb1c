import { useEffect, useState } from 'react';
import type { StationInfo, SyncStatusView } from '../../core/station-api';
import { ScannerPanel } from './ScannerPanel';

type Load = { state: 'loading' } | { state: 'ready'; info: StationInfo } | { state: 'failed'; message: string };

export function App() {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [sync, setSync] = useState<SyncStatusView | null>(null);

  useEffect(() => {
    window.station.getSyncStatus().then(setSync, () => setSync(null));
    return window.station.onSyncStatus(setSync);
  }, []);

  useEffect(() => {
    let cancelled = false;
    window.station.getInfo().then(
      (info) => {
        if (!cancelled) setLoad({ state: 'ready', info });
      },
      (error: unknown) => {
        if (!cancelled) setLoad({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <main className="shell">
      <h1>GigManager Station</h1>
      {load.state === 'loading' && <p>Connecting to the station…</p>}
      {load.state === 'failed' && <p role="alert">The station did not answer: {load.message}</p>}
      {load.state === 'ready' && (
        <dl className="info">
          <dt>Version</dt>
          <dd>{load.info.appVersion}</dd>
          <dt>Host</dt>
          <dd>{load.info.host}</dd>
          <dt>Backend</dt>
          <dd>{load.info.backendUrl ?? 'not configured'}</dd>
          <dt>Sync</dt>
          <dd>
            {sync === null
              ? 'unknown'
              : `${sync.online ? 'online' : 'offline'} · ${sync.depth} queued · ${sync.conflicts} conflicts · ${sync.quarantined} quarantined`}
          </dd>
        </dl>
      )}
      <ScannerPanel />
    </main>
  );
}
