/**
 * Hands a printable page to the print dialog: Electron's on the station, the browser's elsewhere.
 * The page goes into a hidden frame of its own (its `@page` size is the label's), printed from
 * there, and the frame is removed once the dialog closes.
 */
export function printHtml(html: string): void {
  const frame = document.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.dataset['testid'] = 'print-frame';
  frame.style.cssText = 'position:fixed;right:0;bottom:0;width:0;height:0;border:0;visibility:hidden';
  frame.srcdoc = html;
  frame.addEventListener(
    'load',
    () => {
      const view = frame.contentWindow;
      if (view === null) return;
      // Removed after the dialog, not before: some platforms print the frame asynchronously.
      view.addEventListener('afterprint', () => setTimeout(() => frame.remove(), 1000), { once: true });
      view.focus();
      view.print();
      // Keys (F-keys, a keyboard-wedge scanner) belong to the app again once the dialog is closed.
      window.focus();
    },
    { once: true },
  );
  document.body.append(frame);
}
