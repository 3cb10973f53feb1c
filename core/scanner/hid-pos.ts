/**
 * HID POS barcode scanners (usage page 0x8C) send "scanned data" input reports instead of key
 * presses. The layout used by common POS-mode scanners, following the HID Point of Sale usage
 * tables: byte 0 report id, byte 1 data length, bytes 2–4 the AIM symbology identifier
 * (0x8C:0xFB–0xFD), then the decoded data (0x8C:0xFE), and a 3-byte trailer whose last byte's
 * bit 0 says the code continues in the next report (0x8C:0xFF, "decoded data continued").
 *
 * What real devices put there, from reports captured off a Honeywell scanner in HID POS mode
 * (github.com/HenkVanAsselt/python_hon_usbhid, README): 64-byte reports, id 0x02, the length byte
 * is the number of data bytes *in this report* (56 = 0x38 in every continued report, 9 in the
 * last), data at bytes 5–60 padded with NUL, then [Honeywell code id, 0x00, continued].
 * So the data region is the report minus 5 header and 3 trailer bytes (56 of 64). No source was
 * found for a device sending length 0 with data; it is read as "length unknown" (data up to the
 * first NUL) rather than dropping a scan. Newland's POS reports (data from byte 2, no AIM bytes)
 * are a different layout and not read here.
 */

import { MAX_CODE_BYTES } from './config';
import { previewBytes } from './frame-decoder';
import { isCodeText } from './code-chars';
import type { HidDecodeResult, RejectReason } from './types';

const HEADER = 5;
const TRAILER = 3;

export class HidPosDecoder {
  private pending = '';
  private symbology = '';
  /** The code being continued passed MAX_CODE_BYTES and was reported; the rest of it is dropped. */
  private discarding = 0;

  constructor(private readonly reportId = 0x02) {}

  /**
   * Feeds one report. Never emits a code with NUL padding, never emits a code cut short: a length
   * byte beyond the data region is clamped to it and the NUL padding stripped; a report that
   * declares data but holds only NULs is malformed (and drops a code it was continuing); a code
   * continued past MAX_CODE_BYTES (a stuck continuation bit) is dropped (too_long), memory stays
   * bounded. Reports with another id (including all-NUL reports) are not scanned data: ignored.
   */
  push(report: Uint8Array): HidDecodeResult {
    const result: HidDecodeResult = { scans: [], rejected: [] };
    if (report[0] !== this.reportId) return result;
    const reject = (reason: RejectReason, text: string, bytes = text.length): void => {
      result.rejected.push({ reason, bytes, preview: previewBytes(text) });
    };
    const capacity = report.length - HEADER - TRAILER;
    if (capacity < 1) {
      reject('malformed', latin1(report), report.length);
      this.reset();
      return result;
    }
    const length = report[1] ?? 0;
    const region = report.subarray(HEADER, HEADER + (length === 0 ? capacity : Math.min(length, capacity)));
    const nul = region.indexOf(0);
    const data = latin1(nul === -1 ? region : region.subarray(0, nul));
    const continues = ((report[report.length - 1] ?? 0) & 0x01) === 1;

    if (length > 0 && data === '') {
      // It says it carries data and carries none: the code it belongs to cannot be trusted.
      reject(
        'malformed',
        this.pending + latin1(report.subarray(HEADER, HEADER + capacity)),
        this.pending.length + Math.min(length, capacity),
      );
      this.reset();
      return result;
    }
    if (this.discarding > 0) {
      this.discarding += data.length;
      if (!continues) this.reset();
      return result;
    }
    if (this.pending === '') this.symbology = latin1(report.subarray(2, HEADER)).replace(/\0+$/, '');
    this.pending += data;
    if (this.pending.length > MAX_CODE_BYTES) {
      reject('too_long', this.pending);
      this.discarding = this.pending.length;
      this.pending = '';
      if (!continues) this.reset();
      return result;
    }
    if (continues) return result;
    const code = this.pending;
    const symbology = this.symbology;
    this.reset();
    if (code !== '' && !isCodeText(code)) reject('noise', code);
    else if (code !== '') result.scans.push(symbology === '' ? { code } : { code, symbology });
    return result;
  }

  private reset(): void {
    this.pending = '';
    this.symbology = '';
    this.discarding = 0;
  }
}

/** One char per byte, as codes are handled everywhere else (serial frames are latin1 too). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}
