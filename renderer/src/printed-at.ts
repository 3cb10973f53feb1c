/** "06 Dec 2026, 14:35": when a PDF (a stock-take report, a case's contents sheet) was printed, in this device's time. */
export function printedNow(): string {
  return new Date().toLocaleString('en-GB', { day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
