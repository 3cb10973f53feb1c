import { useEffect } from 'react';
import type { RejectedInput } from '../../core/scanner/types';
import { WedgeDetector, type WedgeConfig, type WedgeKeyEvent } from '../../core/scanner/wedge-detector';

/** Inputs that do not take typed text: a scan over them is a scan (Enter does not click them: prevented). */
const NOT_TEXT = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image', 'hidden']);

/**
 * A focused control that takes typed characters gets every key, a scanner's included: text-like
 * inputs, textareas, contenteditable — and SELECT, whose type-ahead and arrow keys are how a
 * keyboard user picks an option (taking its keys would break that; a scan into a select is not
 * taken as a scan). Buttons and checkboxes are not fields.
 */
function takesTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !NOT_TEXT.has(target.type);
}

function wedgeEvent(event: KeyboardEvent): WedgeKeyEvent {
  return {
    type: event.type === 'keyup' ? 'keyup' : 'keydown',
    key: event.key,
    code: event.code,
    at: event.timeStamp,
    shiftKey: event.shiftKey,
    ctrlKey: event.ctrlKey,
    altKey: event.altKey,
    metaKey: event.metaKey,
    repeat: event.repeat,
    modifierState: { AltGraph: event.getModifierState('AltGraph'), CapsLock: event.getModifierState('CapsLock') },
  };
}

/**
 * Keyboard-wedge scanners work with nothing focused: fast bursts ending in Enter or Tab become
 * scans (sent to the station), slower keys are left alone, and a burst a person typed into is
 * dropped whole (onRejected: ask for a rescan). While a text field has focus the field gets every
 * key, scans included — a scan into a search box searches for it, Tab moves to the next field,
 * Enter submits the field's form (the Scan screen's code box submits it as a scan) — and the
 * detector does not also take it. Times are the events' own timeStamps (no timer, one clock: a
 * stalled burst is noticed at the next key).
 */
export function useKeyboardWedge(
  onScan: (code: string) => void,
  onRejected?: (rejected: RejectedInput) => void,
  config?: Partial<WedgeConfig>,
): void {
  useEffect(() => {
    const detector = new WedgeDetector(config);
    const onKey = (event: KeyboardEvent): void => {
      if (takesTyping(event.target)) {
        // A burst begun elsewhere must not finish as a scan made of its tail.
        detector.reset();
        return;
      }
      for (const output of detector.event(wedgeEvent(event))) {
        if (output.kind === 'typing') continue;
        // The terminator belongs to the scanner: focus stays, a focused button is not clicked.
        event.preventDefault();
        if (output.kind === 'scan') onScan(output.code);
        else onRejected?.(output);
      }
      // Inside a burst every key is the scanner's: a space in "MIC 1042" must not press the focused
      // button (Chromium clicks on Space's keyup) or scroll the page. A person's lone key (the
      // burst's first) keeps its default.
      if (event.key.length === 1 && detector.burstLength >= 2) event.preventDefault();
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKey, true);
    };
  }, [onScan, onRejected, config]);
}
