/**
 * What a barcode may carry, for every kind of scanner (serial bytes, HID keyboard lines, wedge
 * bursts): printable ASCII, and the separators of GS1 and ISO/IEC 15434 data (GS 0x1d, RS 0x1e,
 * EOT 0x04). Anything else — NUL, 0xFF and 8-bit bytes from a waking scanner, "é" or "£" from a
 * keyboard layout that does not match the scanner's — is noise, and a code containing it is
 * dropped, never acted on.
 */
export function isCodeChar(code: number): boolean {
  return (code >= 0x20 && code <= 0x7e) || code === 0x1d || code === 0x1e || code === 0x04;
}

/** Whether every character of `text` is one a barcode may carry. */
export function isCodeText(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (!isCodeChar(text.charCodeAt(i))) return false;
  return true;
}
