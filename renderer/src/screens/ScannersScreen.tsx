import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import {
  keyboardLayoutSchema,
  scannerConfigSchema,
  type KeyboardLayout,
  type ScannerConfig,
  type ScannerRole,
} from '../../../core/scanner/config';
import { escapeBytes, rejectedInWords, SCANNER_STATE_WORDS } from '../../../core/scanner/words';
import type { DeviceInputView, FeedbackView, discoveredScannersSchema, scannerStatusSchema } from '../../../core/station-api';
import { errorText } from '../station-data';
import { SerialSettingsForm } from './SerialSettingsForm';

type ScannerStatus = z.infer<typeof scannerStatusSchema>;
type SerialPortInfo = z.infer<typeof discoveredScannersSchema>['serial'][number];
const MAX_LINES = 12;
/** The test lease: renewed every 2 s while the screen is open, so a closed window ends it soon. */
const TEST_LEASE_S = 6;
const ROLES: [ScannerRole, string][] = [
  ['any', 'Follows the scan mode'],
  ['out', 'Always checks out'],
  ['in', 'Always checks in'],
];
const LAYOUTS: Record<KeyboardLayout, string> = { us: 'US English', uk: 'UK English', de: 'German', fr: 'French (AZERTY)' };
const ENDED: Record<string, string> = {
  CR: 'ended with CR',
  LF: 'ended with LF',
  CRLF: 'ended with CR LF',
  LFCR: 'ended with LF CR',
  silence: 'ended by a pause',
  terminator: 'ended with the custom end',
};

/** A scanned code as the raw view shows it: escaped, and a 2D code's first 120 characters with its length. */
function shown(code: string): string {
  const text = escapeBytes(code.slice(0, 120));
  return code.length > 120 ? `${text}… (${code.length.toLocaleString('en')} characters)` : text;
}

/** One line of a device's live raw view. */
type RawLine = { key: number; kind: 'scan' | 'rejected'; text: string; note: string };

/**
 * Devices, their roles, port settings and status; a live raw view per device; adding a serial
 * scanner. While this screen is open every scan is a test scan: identified, never acted on.
 */
export function ScannersScreen({ feedback }: { feedback: FeedbackView | null }) {
  const [scanners, setScanners] = useState<ScannerStatus[]>([]);
  const [configs, setConfigs] = useState<ScannerConfig[]>([]);
  const [ports, setPorts] = useState<SerialPortInfo[]>([]);
  const [lines, setLines] = useState<Record<string, RawLine[]>>({});
  const [draft, setDraft] = useState<{ name: string; path: string; role: ScannerRole }>({ name: '', path: '', role: 'any' });
  const [message, setMessage] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [testing, setTesting] = useState(false);
  const configsRef = useRef(configs);
  useEffect(() => {
    configsRef.current = configs;
  }, [configs]);
  // Feedback from before this screen opened is not a test result.
  const [firstFeedback] = useState(feedback);
  const counter = useRef(0);

  const push = useCallback((deviceId: string, line: Omit<RawLine, 'key'>) => {
    counter.current += 1;
    const next = { ...line, key: counter.current };
    setLines((all) => ({ ...all, [deviceId]: [next, ...(all[deviceId] ?? [])].slice(0, MAX_LINES) }));
  }, []);

  const loadFailed = useCallback((what: string) => (e: unknown) => setLoadError(`${what} could not be read: ${errorText(e)}`), []);
  const listed = useCallback((statuses: ScannerStatus[]) => {
    setScanners(statuses);
    setLoadError(null);
  }, []);
  const reload = useCallback(() => {
    void window.station.listScanners().then(listed, loadFailed('Scanners'));
    void window.station.getScannerConfigs().then(setConfigs, loadFailed('Scanner settings'));
  }, [listed, loadFailed]);
  useEffect(() => {
    reload();
    void window.station.discoverScanners().then((found) => setPorts(found.serial), loadFailed('Serial ports'));
    const lease = (): void =>
      void window.station.setScannerTest({ seconds: TEST_LEASE_S }).then(
        (r) => setTesting(r.testing),
        () => setTesting(false),
      );
    lease();
    const timer = window.setInterval(() => {
      lease();
      void window.station.listScanners().then(listed, loadFailed('Scanners'));
    }, 2000);
    const offInput = window.station.onScannerInput((input: DeviceInputView) => {
      const config = configsRef.current.find((c) => c.id === input.deviceId);
      const limits = config?.kind === 'serial' ? config : {};
      if (input.kind === 'scan')
        push(input.deviceId, { kind: 'scan', text: shown(input.code), note: input.ended === undefined ? '' : (ENDED[input.ended] ?? '') });
      else push(input.deviceId, { kind: 'rejected', text: input.preview, note: rejectedInWords(input.reason, input.bytes, limits) });
    });
    // Scans the renderer itself detects (keyboard wedge, camera) have no device driver behind them.
    const offScan = window.station.onScan((scan) => {
      if (!configsRef.current.some((c) => c.id === scan.deviceId))
        push(scan.deviceId, { kind: 'scan', text: shown(scan.code), note: scan.symbology ?? '' });
    });
    return () => {
      window.clearInterval(timer);
      offInput();
      offScan();
      // The screen is gone, so nobody to tell; safe, because the test lease ends by itself within TEST_LEASE_S.
      void window.station.setScannerTest({ seconds: 0 }).catch((e: unknown) => console.warn(`scanner test not ended: ${errorText(e)}`));
    };
  }, [reload, push, listed, loadFailed]);

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
  const replace = (id: string, patch: Partial<ScannerConfig>, label: string): void =>
    save(
      configs.map((c) => (c.id === id ? scannerConfigSchema.parse({ ...c, ...patch }) : c)),
      label,
    );

  const add = (event: FormEvent): void => {
    event.preventDefault();
    const port = ports.find((p) => p.path === draft.path || p.byIdPath === draft.path);
    const name = draft.name.trim() || port?.manufacturer || draft.path;
    const usb =
      port?.vendorId !== undefined && port.productId !== undefined
        ? {
            vendorId: port.vendorId,
            productId: port.productId,
            ...(port.serialNumber === undefined ? {} : { serialNumber: port.serialNumber }),
          }
        : undefined;
    // Ids are at most 100 characters; long by-id paths keep their distinctive end.
    const id = (
      usb === undefined
        ? `serial:${draft.path}`
        : `serial:${usb.vendorId.toString(16)}:${usb.productId.toString(16)}:${usb.serialNumber ?? draft.path}`
    ).slice(-100);
    const config = scannerConfigSchema.safeParse({
      kind: 'serial',
      id,
      name,
      role: draft.role,
      path: draft.path,
      ...(usb === undefined ? {} : { usb }),
    });
    if (!config.success) {
      setMessage(config.error.issues.map((i) => i.message).join('; '));
      return;
    }
    save([...configs.filter((c) => c.id !== id), config.data], `Added ${name}`);
    setDraft({ name: '', path: '', role: 'any' });
  };

  const devices = [...scanners.map((s) => s.id), ...Object.keys(lines).filter((id) => !scanners.some((s) => s.id === id))];
  const result = feedback !== firstFeedback ? feedback : null;
  return (
    <div className="scanners-screen">
      <p className={`test-mode ${testing ? 'on' : 'off'}`} role="note">
        {testing ? 'Test mode: scans on this screen are identified and shown here — nothing is checked out or in.' : 'Starting test mode…'}
      </p>
      {result !== null && (
        <p className={`feedback feedback-${result.kind}`} role="status" data-testid="test-scan-result">
          {result.message}
        </p>
      )}
      {devices.length === 0 && <p>No scanners configured. A keyboard-wedge scanner works as soon as it scans: try one here.</p>}
      <ul className="devices" aria-label="Scanners">
        {devices.map((id) => {
          const device = scanners.find((s) => s.id === id);
          const config = configs.find((c) => c.id === id);
          return (
            <li key={id} className="device" data-testid="scanner">
              <div className="device-head">
                <strong>{device?.name ?? (id === 'keyboard-wedge' ? 'Keyboard-wedge scanner' : id)}</strong>
                <span className={`state state-${device?.state ?? 'wedge'}`}>
                  {device === undefined
                    ? 'types like a keyboard'
                    : `${device.kind === 'serial' ? 'serial' : 'USB HID'} · ${SCANNER_STATE_WORDS[device.state]}`}
                </span>
                {device?.detail != null && <small className="muted">{device.detail}</small>}
                {config !== undefined && (
                  <>
                    <select
                      aria-label={`Role of ${config.name}`}
                      value={config.role}
                      onChange={(e) => replace(id, { role: e.target.value as ScannerRole }, `${config.name}: role changed`)}
                    >
                      {ROLES.map(([role, label]) => (
                        <option key={role} value={role}>
                          {label}
                        </option>
                      ))}
                    </select>
                    {config.kind === 'hid' && config.mode === 'keyboard' && (
                      <select
                        aria-label={`Keyboard layout of ${config.name}`}
                        value={config.layout}
                        onChange={(e) =>
                          replace(id, { layout: keyboardLayoutSchema.parse(e.target.value) }, `${config.name}: layout changed`)
                        }
                      >
                        {Object.entries(LAYOUTS).map(([layout, label]) => (
                          <option key={layout} value={layout}>
                            {label}
                          </option>
                        ))}
                      </select>
                    )}
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        save(
                          configs.filter((c) => c.id !== id),
                          `Removed ${config.name}`,
                        )
                      }
                    >
                      Remove
                    </button>
                  </>
                )}
              </div>
              {config?.kind === 'serial' && (
                <details className="port">
                  <summary>
                    Port {config.path} · {config.baudRate} baud ·{' '}
                    {config.framing === 'terminator'
                      ? `ends with ${escapeBytes(config.terminator ?? '')}`
                      : config.framing === 'silence'
                        ? 'ends by a pause'
                        : config.framing === 'line'
                          ? 'ends with a line end'
                          : 'line end or pause'}
                  </summary>
                  <SerialSettingsForm
                    key={JSON.stringify(config)}
                    config={config}
                    onSave={(next) =>
                      save(
                        configs.map((c) => (c.id === id ? next : c)),
                        `${config.name}: port settings saved`,
                      )
                    }
                  />
                </details>
              )}
              <ol className="frames" aria-label={`What ${device?.name ?? id} sent`}>
                {(lines[id] ?? []).map((line) => (
                  <li key={line.key} className={`raw-${line.kind}`}>
                    <code>{line.text}</code> {line.note !== '' && <small>{line.note}</small>}
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
          <input
            list="serial-ports"
            required
            value={draft.path}
            onChange={(e) => setDraft({ ...draft, path: e.target.value })}
            placeholder="/dev/ttyACM0 or COM3"
          />
          <datalist id="serial-ports">
            {ports.map((p) => (
              <option key={p.path} value={p.byIdPath ?? p.path}>
                {[p.manufacturer, p.path].filter(Boolean).join(' · ')}
              </option>
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
        <p className="muted">New scanners read any line end or a pause, at 9600 baud 8N1; change it under the scanner&apos;s port.</p>
      </form>
      {message !== null && <p role="status">{message}</p>}
      {loadError !== null && (
        <p role="alert" className="note-error">
          {loadError}
        </p>
      )}
    </div>
  );
}
