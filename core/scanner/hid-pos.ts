/**
 * HID POS barcode scanners (usage page 0x8C) send "scanned data" input reports instead of key
 * presses. The layout used by common POS-mode scanners, following the HID Point of Sale usage
 * tables: byte 0 report id, byte 1 data length, bytes 2–4 the AIM symbology identifier
 * (0x8C:0xFB–0xFD), then the decoded data (0x8C:0xFE), and a last byte whose bit 0 says the code
 * continues in the next report (0x8C:0xFF, "decoded data continued").
 */

import type { HidDecodeResult } from './types';

export class HidPosDecoder {
  private pending = '';

  constructor(private readonly reportId = 0x02) {}

  push(report: Uint8Array): HidDecodeResult {
    const none: HidDecodeResult = { scans: [], rejected: [] };
    if (report.length < 6 || report[0] !== this.reportId) return none;
    const length = report[1] ?? 0;
    const dataEnd = Math.min(5 + length, report.length - 1);
    const symbology = String.fromCharCode(report[2] ?? 0, report[3] ?? 0, report[4] ?? 0).replace(/\0+$/, '');
    const data = Array.from(report.subarray(5, dataEnd), (b) => String.fromCharCode(b)).join('');
    const continues = ((report[report.length - 1] ?? 0) & 0x01) === 1;
    this.pending += data;
    if (continues) return none;
    const code = this.pending;
    this.pending = '';
    return code === '' ? none : { scans: [{ code, symbology }], rejected: [] };
  }
}
