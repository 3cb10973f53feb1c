import { describe, expect, it } from 'vitest';
import { scannerKeyEvents, seededRandom } from '../../tests/bench/wedge';
import { WedgeDetector, type WedgeKeyEvent, type WedgeOutput } from './wedge-detector';

const replay = (detector: WedgeDetector, events: readonly WedgeKeyEvent[]): WedgeOutput[] => events.flatMap((e) => detector.event(e));

const down = (key: string, code: string, at: number, extra: Partial<WedgeKeyEvent> = {}): WedgeKeyEvent => ({
  type: 'keydown',
  key,
  code,
  at,
  shiftKey: false,
  ctrlKey: false,
  altKey: false,
  repeat: false,
  ...extra,
});
const up = (key: string, code: string, at: number): WedgeKeyEvent => ({ ...down(key, code, at), type: 'keyup' });
/** A person's keys: each held `hold` ms, `gap` ms between presses. */
const typed = (text: string, start: number, gap: number, hold: number): WedgeKeyEvent[] =>
  [...text]
    .flatMap((ch, i) => {
      const key = ch === '\n' ? 'Enter' : ch;
      const code = ch === '\n' ? 'Enter' : `Key${ch.toUpperCase()}`;
      return [down(key, code, start + i * gap), up(key, code, start + i * gap + hold)];
    })
    .sort((a, b) => a.at - b.at);

// Every recorded device stream is replayed in tests/scanners/wedge-corpus.test.ts (it reads files).
describe('keyboard wedge detector (injected clock)', () => {
  it('takes a Shift-per-capital burst at an 8 ms poll as one exact scan, with its terminator', () => {
    const out = replay(new WedgeDetector(), scannerKeyEvents('CASE-650525', { start: 1000, pollMs: 8 }));
    expect(out).toEqual([{ kind: 'scan', code: 'CASE-650525', terminator: 'Enter' }]);
  });

  it('ends a scan on Tab as well as Enter, and only on the configured terminators', () => {
    const events = scannerKeyEvents('MIC-1042', { start: 0, pollMs: 4, terminator: 'Tab' });
    expect(replay(new WedgeDetector(), events)).toEqual([{ kind: 'scan', code: 'MIC-1042', terminator: 'Tab' }]);
    const enterOnly = replay(new WedgeDetector({ terminators: ['Enter'] }), events);
    expect(enterOnly.filter((o) => o.kind === 'scan')).toEqual([]);
  });

  it('gives slow typing back as typing, Enter included', () => {
    const out = replay(new WedgeDetector(), typed('hello\n', 1000, 120, 60));
    expect(out.filter((o) => o.kind !== 'typing')).toEqual([]);
    expect(out.flatMap((o) => (o.kind === 'typing' ? o.keys : []))).toEqual(['h', 'e', 'l', 'l', 'o', 'Enter']);
  });

  it('drops a burst longer than a 2D code can be whole (too_long), never submits it', () => {
    const code = 'A'.repeat(8193);
    const out = replay(new WedgeDetector(), scannerKeyEvents(code, { start: 0, pollMs: 1 }));
    expect(out).toEqual([{ kind: 'rejected', reason: 'too_long', bytes: 8193, preview: `${'A'.repeat(48)}…` }]);
  });

  it('does not treat a fast but short burst as a scan', () => {
    expect(replay(new WedgeDetector(), scannerKeyEvents('ok', { start: 0, pollMs: 2 }))).toEqual([
      { kind: 'typing', keys: ['o', 'k'] },
      { kind: 'typing', keys: ['Enter'] },
    ]);
  });

  it('releases a burst that stalls without a terminator as typing', () => {
    const detector = new WedgeDetector();
    const burst = scannerKeyEvents('abc', { start: 0, pollMs: 2 }).slice(0, -2);
    expect(replay(detector, burst)).toEqual([]);
    expect(detector.tick(20)).toEqual([]);
    expect(detector.tick(60)).toEqual([{ kind: 'typing', keys: ['a', 'b', 'c'] }]);
  });

  it('a modifier keydown keeps the burst alive; its auto-repeat does not', () => {
    // 30 ms from "A" to Shift, 30 ms from Shift to "B": the modifier is activity.
    const alive = [
      down('A', 'KeyA', 0),
      up('A', 'KeyA', 5),
      down('Shift', 'ShiftLeft', 30, { shiftKey: true }),
      down('B', 'KeyB', 60, { shiftKey: true }),
      up('B', 'KeyB', 65),
      down('C', 'KeyC', 70),
      up('C', 'KeyC', 75),
      down('D', 'KeyD', 80),
      up('D', 'KeyD', 85),
      down('Enter', 'Enter', 90),
    ];
    expect(replay(new WedgeDetector(), alive)).toEqual([{ kind: 'scan', code: 'ABCD', terminator: 'Enter' }]);
    const repeated = alive.map((e) => (e.key === 'Shift' ? { ...e, repeat: true } : e));
    expect(replay(new WedgeDetector(), repeated).filter((o) => o.kind === 'scan')).toEqual([]);
  });

  it('keeps AltGr characters (Windows Ctrl+Alt and Linux AltGraph), makes Ctrl+] GS, and gives other shortcuts back', () => {
    const tail = [
      down('1', 'Digit1', 30),
      up('1', 'Digit1', 32),
      down('2', 'Digit2', 34),
      up('2', 'Digit2', 36),
      down('Enter', 'Enter', 38),
    ];
    const win = [
      down('A', 'KeyA', 0, { shiftKey: true }),
      up('A', 'KeyA', 2),
      down('@', 'KeyQ', 10, { ctrlKey: true, altKey: true }),
      up('@', 'KeyQ', 12),
      ...tail,
    ];
    expect(replay(new WedgeDetector(), win)).toEqual([{ kind: 'scan', code: 'A@12', terminator: 'Enter' }]);
    const linux = [
      down('A', 'KeyA', 0, { shiftKey: true }),
      up('A', 'KeyA', 2),
      down('@', 'KeyQ', 10, { modifierState: { AltGraph: true } }),
      up('@', 'KeyQ', 12),
      ...tail,
    ];
    expect(replay(new WedgeDetector(), linux)).toEqual([{ kind: 'scan', code: 'A@12', terminator: 'Enter' }]);
    const gs = [
      down('A', 'KeyA', 0, { shiftKey: true }),
      up('A', 'KeyA', 2),
      down(']', 'BracketRight', 10, { ctrlKey: true }),
      up(']', 'BracketRight', 12),
      ...tail,
    ];
    expect(replay(new WedgeDetector(), gs)).toEqual([{ kind: 'scan', code: 'A\x1d12', terminator: 'Enter' }]);
    // Ctrl+C alone is a person's shortcut: typing, not part of anything.
    expect(replay(new WedgeDetector(), [down('c', 'KeyC', 0, { ctrlKey: true })])).toEqual([{ kind: 'typing', keys: ['c'] }]);
  });

  it('undoes the host Caps Lock for ASCII letters only, unless told the scanner compensates', () => {
    const events = scannerKeyEvents('MIC-1042Kb', { start: 0, pollMs: 3 }).map((e) => ({
      ...e,
      key: /^[a-z]$/i.test(e.key) ? (e.key === e.key.toUpperCase() ? e.key.toLowerCase() : e.key.toUpperCase()) : e.key,
      modifierState: { CapsLock: true },
    }));
    expect(replay(new WedgeDetector(), events)).toEqual([{ kind: 'scan', code: 'MIC-1042Kb', terminator: 'Enter' }]);
    expect(replay(new WedgeDetector({ undoCapsLock: false }), events)).toEqual([{ kind: 'scan', code: 'mic-1042kB', terminator: 'Enter' }]);
  });

  it('drops a burst whole when a person holds a key during it, and the next scan is clean', () => {
    const burst = scannerKeyEvents('CASE-650525', { start: 0, pollMs: 8 });
    const person = [down('j', 'KeyJ', 41), up('j', 'KeyJ', 120)];
    const out = replay(
      new WedgeDetector(),
      [...burst, ...person].sort((a, b) => a.at - b.at),
    );
    expect(out.filter((o) => o.kind !== 'typing')).toEqual([
      { kind: 'rejected', reason: 'mixed_with_typing', bytes: 12, preview: expect.stringMatching(/^CA.*j.*525$/) },
    ]);
    const detector = new WedgeDetector();
    replay(
      detector,
      [...burst, ...person].sort((a, b) => a.at - b.at),
    );
    expect(replay(detector, scannerKeyEvents('CASE-650526', { start: 1000, pollMs: 8 }))).toEqual([
      { kind: 'scan', code: 'CASE-650526', terminator: 'Enter' },
    ]);
  });

  it('a person key pressed just before the burst and still held makes it mixed; a lost keyup long ago does not', () => {
    const burst = scannerKeyEvents('CASE-1', { start: 20, pollMs: 4 });
    expect(replay(new WedgeDetector(), [down('x', 'KeyX', 0), ...burst]).filter((o) => o.kind !== 'typing')).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'mixed_with_typing' }),
    ]);
    const later = scannerKeyEvents('CASE-1', { start: 5000, pollMs: 4 });
    expect(replay(new WedgeDetector(), [down('x', 'KeyX', 0), ...later])).toEqual([
      { kind: 'typing', keys: ['x'] },
      { kind: 'scan', code: 'CASE-1', terminator: 'Enter' },
    ]);
  });

  it('an arrow key, a shortcut or a modified terminator inside a burst rejects it instead of emitting its tail', () => {
    const burst = scannerKeyEvents('CASE-650525', { start: 0, pollMs: 2 });
    const arrow = [...burst.slice(0, 10), down('ArrowDown', 'ArrowDown', burst[9]!.at + 0.5), ...burst.slice(10)];
    expect(replay(new WedgeDetector(), arrow).filter((o) => o.kind !== 'typing')).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'mixed_with_typing' }),
    ]);
    const shortcut = [...burst.slice(0, 10), down('v', 'KeyV', burst[9]!.at + 0.5, { ctrlKey: true }), ...burst.slice(10)];
    expect(replay(new WedgeDetector(), shortcut).filter((o) => o.kind !== 'typing')).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'mixed_with_typing' }),
    ]);
    const shiftedEnter = burst.map((e) => (e.key === 'Enter' ? { ...e, shiftKey: true } : e));
    expect(replay(new WedgeDetector(), shiftedEnter).filter((o) => o.kind !== 'typing')).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'mixed_with_typing' }),
    ]);
  });

  it('a burst that stalls mid-code and resumes is rejected as incomplete, never emitted as its tail', () => {
    const burst = scannerKeyEvents('CASE-650525', { start: 0, pollMs: 4 });
    const stalled = burst.map((e, i) => (i >= 12 ? { ...e, at: e.at + 80 } : e));
    const out = replay(new WedgeDetector(), stalled);
    expect(out.filter((o) => o.kind !== 'typing')).toEqual([{ kind: 'rejected', reason: 'incomplete', bytes: 8, preview: 'E-650525' }]);
  });

  it('emits no wrong code when USB timing is ragged (seeded: 1,000 bursts with up to 40 ms of jitter per report)', () => {
    const random = seededRandom(16);
    const detector = new WedgeDetector();
    let at = 0;
    let exact = 0;
    for (let i = 0; i < 1000; i += 1) {
      const code = `CASE-${String(Math.floor(random() * 1e6)).padStart(6, '0')}`;
      const events = scannerKeyEvents(code, { start: at, pollMs: 8, jitterMs: random() < 0.2 ? 40 : 2, random });
      const scans = replay(detector, events).flatMap((o) => (o.kind === 'scan' ? [o.code] : []));
      expect(scans.filter((s) => s !== code)).toEqual([]);
      if (scans.length === 1) exact += 1;
      at = (events.at(-1)?.at ?? at) + 300 + random() * 700;
    }
    expect(exact).toBeGreaterThan(750);
  });

  it('separates typing that runs into a scan', () => {
    const out = replay(new WedgeDetector(), [...typed('x', 0, 100, 60), ...scannerKeyEvents('CASE-77', { start: 500, pollMs: 6 })]);
    expect(out).toEqual([
      { kind: 'typing', keys: ['x'] },
      { kind: 'scan', code: 'CASE-77', terminator: 'Enter' },
    ]);
  });

  it('honours configured thresholds', () => {
    const slowScanner = new WedgeDetector({ maxGapMs: 80, minLength: 3, terminators: ['Tab'] });
    expect(replay(slowScanner, scannerKeyEvents('ABC', { start: 0, pollMs: 25, terminator: 'Tab' }))).toEqual([
      { kind: 'scan', code: 'ABC', terminator: 'Tab' },
    ]);
  });

  it('passes non-character keys through at once when no burst is open', () => {
    expect(replay(new WedgeDetector(), [down('ArrowDown', 'ArrowDown', 3)])).toEqual([{ kind: 'typing', keys: ['ArrowDown'] }]);
  });
});
