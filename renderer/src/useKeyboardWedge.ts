import { useEffect } from 'react';
import { WedgeDetector, type WedgeConfig } from '../../core/scanner/wedge-detector';

function editable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * Keyboard-wedge scanners work with nothing focused: fast bursts ending in Enter become scans
 * (sent to the station), slower keys are left alone. While an operator types in a field, the
 * field gets the keys — the station never steals typing.
 */
export function useKeyboardWedge(onScan: (code: string) => void, config?: WedgeConfig): void {
  useEffect(() => {
    const detector = new WedgeDetector(config);
    const onKey = (event: KeyboardEvent): void => {
      if (editable(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      for (const output of detector.key(event.key, event.timeStamp)) {
        if (output.kind === 'scan') {
          event.preventDefault();
          onScan(output.code);
        }
      }
    };
    const timer = window.setInterval(() => detector.tick(performance.now()), 100);
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.clearInterval(timer);
    };
  }, [onScan, config]);
}
