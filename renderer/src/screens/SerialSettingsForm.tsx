import { useState, type FormEvent } from 'react';
import type { SerialFraming, SerialScannerSettings } from '../../../core/scanner/config';
import { escapeBytes, unescapeBytes } from '../../../core/scanner/words';

const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const LINE_SETTINGS: Record<string, Pick<SerialScannerSettings, 'dataBits' | 'parity' | 'stopBits'>> = {
  '8N1': { dataBits: 8, parity: 'none', stopBits: 1 },
  '7E1': { dataBits: 7, parity: 'even', stopBits: 1 },
  '7O1': { dataBits: 7, parity: 'odd', stopBits: 1 },
  '8E1': { dataBits: 8, parity: 'even', stopBits: 1 },
  '8N2': { dataBits: 8, parity: 'none', stopBits: 2 },
};
const FRAMINGS: [SerialFraming, string][] = [
  ['auto', 'Any line end, or a pause (automatic)'],
  ['line', 'A line end only (CR, LF, CR LF)'],
  ['silence', 'A pause only (scanner sends no suffix)'],
  ['terminator', 'Custom characters'],
];

function lineSetting(c: Pick<SerialScannerSettings, 'dataBits' | 'parity' | 'stopBits'>): string {
  return `${c.dataBits}${c.parity[0]?.toUpperCase() ?? 'N'}${c.stopBits}`;
}

/**
 * One serial scanner's port settings: baud rate, framing, pause, prefix/suffix stripping and
 * code lengths. Bytes are typed with escapes (\r, \n, \t, \xHH) and checked before saving.
 */
export function SerialSettingsForm({ config, onSave }: { config: SerialScannerSettings; onSave: (next: SerialScannerSettings) => void }) {
  // A saved setting outside the usual choices (8O1, 7N2, 250000 baud) is offered as it is, never reset.
  const lineSettings = {
    ...LINE_SETTINGS,
    [lineSetting(config)]: { dataBits: config.dataBits, parity: config.parity, stopBits: config.stopBits },
  };
  const baudRates = BAUD_RATES.includes(config.baudRate) ? BAUD_RATES : [...BAUD_RATES, config.baudRate].sort((a, b) => a - b);
  const [draft, setDraft] = useState({
    baudRate: String(config.baudRate),
    line: lineSetting(config),
    framing: config.framing,
    terminator: escapeBytes(config.terminator ?? ''),
    gapMs: String(config.gapMs),
    stripPrefix: escapeBytes(config.stripPrefix),
    stripSuffix: escapeBytes(config.stripSuffix),
    minLength: String(config.minLength),
    maxLength: String(config.maxLength),
  });
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<typeof draft>): void => setDraft({ ...draft, ...patch });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const bytes = {
      terminator: unescapeBytes(draft.terminator),
      stripPrefix: unescapeBytes(draft.stripPrefix),
      stripSuffix: unescapeBytes(draft.stripSuffix),
    };
    const broken = Object.entries(bytes).find(([, v]) => v === null);
    if (broken !== undefined) {
      setError(
        `${broken[0] === 'terminator' ? 'The terminator' : broken[0] === 'stripPrefix' ? 'The prefix' : 'The suffix'} has a broken escape: use \\r, \\n, \\t or \\xHH.`,
      );
      return;
    }
    if (draft.framing === 'terminator' && bytes.terminator === '') {
      setError('Type the custom characters that end each code, e.g. \\x03.');
      return;
    }
    setError(null);
    onSave({
      ...config,
      ...(lineSettings[draft.line] ?? LINE_SETTINGS['8N1']),
      baudRate: Number(draft.baudRate),
      framing: draft.framing,
      terminator: draft.framing === 'terminator' ? (bytes.terminator ?? undefined) : undefined,
      gapMs: Number(draft.gapMs),
      stripPrefix: bytes.stripPrefix ?? '',
      stripSuffix: bytes.stripSuffix ?? '',
      minLength: Number(draft.minLength),
      maxLength: Number(draft.maxLength),
    });
  };

  return (
    <form className="port-settings" onSubmit={submit} aria-label={`Port settings of ${config.name}`}>
      <label>
        Baud rate
        <select value={draft.baudRate} onChange={(e) => set({ baudRate: e.target.value })}>
          {baudRates.map((rate) => (
            <option key={rate} value={rate}>
              {rate}
            </option>
          ))}
        </select>
      </label>
      <label>
        Data bits, parity, stop bits
        <select value={draft.line} onChange={(e) => set({ line: e.target.value })}>
          {Object.keys(lineSettings).map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </label>
      <label>
        Each code ends with
        <select value={draft.framing} onChange={(e) => set({ framing: e.target.value as SerialFraming })}>
          {FRAMINGS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {draft.framing === 'terminator' && (
        <label>
          Custom end
          <input value={draft.terminator} onChange={(e) => set({ terminator: e.target.value })} placeholder="\x03" spellCheck={false} />
        </label>
      )}
      <label>
        Pause that ends a code (ms)
        <input type="number" min={10} max={2000} required value={draft.gapMs} onChange={(e) => set({ gapMs: e.target.value })} />
      </label>
      <label>
        Remove prefix
        <input value={draft.stripPrefix} onChange={(e) => set({ stripPrefix: e.target.value })} placeholder="none" spellCheck={false} />
      </label>
      <label>
        Remove suffix
        <input value={draft.stripSuffix} onChange={(e) => set({ stripSuffix: e.target.value })} placeholder="none" spellCheck={false} />
      </label>
      <label>
        Shortest code
        <input type="number" min={1} max={64} required value={draft.minLength} onChange={(e) => set({ minLength: e.target.value })} />
      </label>
      <label>
        Longest code
        <input type="number" min={8} max={8192} required value={draft.maxLength} onChange={(e) => set({ maxLength: e.target.value })} />
      </label>
      <button type="submit">Save port settings</button>
      {error !== null && (
        <p className="note-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
