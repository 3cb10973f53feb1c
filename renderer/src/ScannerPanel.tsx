import { useCallback, useEffect, useState } from 'react';
import type { FeedbackView, ScanEventView } from '../../core/station-api';
import { useKeyboardWedge } from './useKeyboardWedge';

interface ScannerRow {
  id: string;
  name: string;
  role: string;
  state: string;
  detail: string | null;
}

const MAX_FRAMES = 12;

/** Scanner test area: each device's status and its latest raw frames, and the last feedback. */
export function ScannerPanel() {
  const [scanners, setScanners] = useState<ScannerRow[]>([]);
  const [frames, setFrames] = useState<Record<string, ScanEventView[]>>({});
  const [feedback, setFeedback] = useState<FeedbackView | null>(null);

  useEffect(() => {
    const refresh = (): void => void window.station.listScanners().then(setScanners, () => setScanners([]));
    refresh();
    const timer = window.setInterval(refresh, 2000);
    const offScan = window.station.onScan((scan) =>
      setFrames((all) => ({ ...all, [scan.deviceId]: [scan, ...(all[scan.deviceId] ?? [])].slice(0, MAX_FRAMES) })),
    );
    const offFeedback = window.station.onScanFeedback(setFeedback);
    return () => {
      window.clearInterval(timer);
      offScan();
      offFeedback();
    };
  }, []);

  const submit = useCallback((code: string) => {
    void window.station.submitScan({ code, deviceId: 'keyboard-wedge' }).then(setFeedback);
  }, []);
  useKeyboardWedge(submit);

  const devices = [...scanners.map((s) => s.id), ...Object.keys(frames).filter((id) => !scanners.some((s) => s.id === id))];
  return (
    <section className="scanners" aria-label="Scanners">
      <h2>Scanners</h2>
      {feedback !== null && (
        <p className={`feedback feedback-${feedback.kind}`} role="status">
          {feedback.message}
        </p>
      )}
      {devices.length === 0 && <p>No scanners configured. A keyboard-wedge scanner works as soon as it scans.</p>}
      <ul className="devices">
        {devices.map((id) => {
          const device = scanners.find((s) => s.id === id);
          return (
            <li key={id}>
              <strong>{device?.name ?? id}</strong> <span>{device === undefined ? 'keyboard wedge' : `${device.role} · ${device.state}`}</span>
              {device?.detail != null && <small> — {device.detail}</small>}
              <ol className="frames">
                {(frames[id] ?? []).map((scan) => (
                  <li key={`${scan.receivedAt}-${scan.code}`}>
                    <code>{JSON.stringify(scan.code)}</code>
                    {scan.symbology !== undefined && <small> {scan.symbology}</small>}
                  </li>
                ))}
              </ol>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
