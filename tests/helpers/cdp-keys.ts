import type { ScannerKeyEvent } from '../bench/wedge';

/** CDP's modifiers bit field: Alt 1, Ctrl 2, Meta 4, Shift 8. */
const modifiers = (e: ScannerKeyEvent): number =>
  (e.altKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.metaKey === true ? 4 : 0) | (e.shiftKey ? 8 : 0);

/**
 * What Chromium's keyboard sends for one recorded key event, as `Input.dispatchKeyEvent` params
 * (the shape Playwright's keyboard uses). `base` is the burst's start in seconds: the event's
 * recorded time becomes its `timestamp`, which Chromium makes the event's timeStamp, so timing
 * comes from the recording, not from the CPU.
 */
export function cdpKeyEvent(e: ScannerKeyEvent, base: number): Record<string, unknown> {
  const text = e.type === 'keyup' || e.ctrlKey ? undefined : e.key === 'Enter' ? '\r' : e.key.length === 1 ? e.key : undefined;
  return {
    type: e.type === 'keyup' ? 'keyUp' : text === undefined ? 'rawKeyDown' : 'keyDown',
    key: e.key,
    code: e.code,
    windowsVirtualKeyCode: e.keyCode,
    location: e.location,
    modifiers: modifiers(e),
    autoRepeat: e.repeat,
    timestamp: base + e.at / 1000,
    ...(text === undefined ? {} : { text, unmodifiedText: text }),
  };
}
