import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { ScannerConfig, ScannerRole } from '../../../core/scanner/config';
import type { FeedbackView, ScanEventView, scannerStatusSchema } from '../../../core/station-api';
import { errorText } from '../station-data';

type ScannerStatus = z.infer<typeof scannerStatusSchema>;
const MAX_FRAMES = 12;
const ROLES: [ScannerRole, string][] = [
  ['any', 'Follows the scan mode'],
  ['out', 'Always checks out'],
  ['in', 'Always checks in'],
];

/** Devices, their roles and status, adding a serial scanner, and a test area with raw frames. */
export function ScannersScreen({ feedback }: { feedback: FeedbackView | null }) {
  const [scanners, setScanners] = useState<ScannerStatus[]>([]);
  const [configs, setConfigs] = useState<ScannerConfig[]>([]);
  const [ports, setPorts] = useState<string[]>([]);
  const [frames, setFrames] = useState<Record<string, ScanEventView[]>>({});
  const [draft, setDraft] = useState<{ name: string; path: string; role: ScannerRole }>({ name: '', path: '', role: 'any' });
  const [message, setMessage] = useState<string | null>(null);

  const reload = useCallback(() => {
    void window.station.listScanners().then(setScanners, () => undefined);
    void window.station.getScannerConfigs().then(setConfigs, () => undefined);
  }, []);
  useEffect(() => {
    reload();
    void window.station.discoverScanners().then((found) => setPorts(found.serial.map((p) => p.path)), () => undefined);
    const timer = window.setInterval(() => void window.station.listScanners().then(setScanners, () => undefined), 2000);
    const off = window.station.onScan((scan) => setFrames((all) => ({ ...all, [scan.deviceId]: [scan, ...(all[scan.deviceId] ?? [])].slice(0, MAX_FRAMES) })));
    return () => {
      window.clearInterval(timer);
      off();
    };
  }, [reload]);

  const save = (next: ScannerConfig[], label: string): void => {
    window.station.saveScanners({ scanners: next }).then(
      (statuses) => {
        setScanners(statuses);
        setConfigs(next);
        setMessage(label);
      },
      (e: unknown) => setMessage(errorText(e)),
    );
  };
  const add = (event: FormEvent): void => {
    event.preventDefault();
    const name = draft.name.trim() || draft.path;
    const id = `serial:${draft.path}`;
    save([...configs.filter((c) => c.id !== id), { kind: 'serial', id, name, role: draft.role, path: draft.path, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, framing: 'auto', gapMs: 100, stripPrefix: '', stripSuffix: '', minLength: 4, maxLength: 8192 }], `added ${name}`);
    setDraft({ name: '', path: '', role: 'any' });
  };

  const devices = [...scanners.map((s) => s.id), ...Object.keys(frames).filter((id) => !scanners.some((s) => s.id === id))];
  return (
    <div className="scanners-screen">
      {feedback !== null && (
        <p className={`feedback feedback-${feedback.kind}`} role="status">
          {feedback.message}
        </p>
      )}
      {devices.length === 0 && <p>No scanners configured. A keyboard-wedge scanner works as soon as it scans.</p>}
      <ul className="devices" aria-label="Scanners">
        {devices.map((id) => {
          const device = scanners.find((s) => s.id === id);
          const config = configs.find((c) => c.id === id);
          return (
            <li key={id} className="device" data-testid="scanner">
              <div className="device-head">
                <strong>{device?.name ?? id}</strong>
                <span className={`state state-${device?.state ?? 'wedge'}`}>{device === undefined ? 'keyboard wedge' : `${device.kind} · ${device.state}`}</span>
                {device?.detail != null && <small className="muted">{device.detail}</small>}
                {config !== undefined && (
                  <>
                    <select aria-label={`Role of ${config.name}`} value={config.role} onChange={(e) => save(configs.map((c) => (c.id === id ? { ...c, role: e.target.value as ScannerRole } : c)), `${config.name}: role changed`)}>
                      {ROLES.map(([role, label]) => (
                        <option key={role} value={role}>
                          {label}
                        </option>
                      ))}
                    </select>
                    <button type="button" className="danger" onClick={() => save(configs.filter((c) => c.id !== id), `removed ${config.name}`)}>
                      Remove
                    </button>
                  </>
                )}
              </div>
              <ol className="frames" aria-label={`Raw frames from ${device?.name ?? id}`}>
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
      <form className="add-scanner" onSubmit={add} aria-label="Add a serial scanner">
        <h2>Add a serial scanner</h2>
        <label>
          Port
          <input list="serial-ports" required value={draft.path} onChange={(e) => setDraft({ ...draft, path: e.target.value })} placeholder="/dev/ttyACM0 or COM3" />
          <datalist id="serial-ports">
            {ports.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>
        <label>
          Name
          <input value={draft.name} maxLength={60} onChange={(e) => setDraft({ ...draft, name: e.target.value })} placeholder="Dock door" />
        </label>
        <label>
          Role
          <select value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as ScannerRole })}>
            {ROLES.map(([role, label]) => (
              <option key={role} value={role}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="big">
          Add scanner
        </button>
      </form>
      {message !== null && <p role="status">{message}</p>}
    </div>
  );
}
