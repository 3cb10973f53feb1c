import { describe, expect, it } from 'vitest';
import { escapeBytes, rejectedInWords, unescapeBytes } from './words';

describe('scanner words', () => {
  it('round-trips escaped bytes and refuses broken escapes', () => {
    for (const bytes of ['\r\n', '\x02', '\x03\x04', 'a\\b', '\t#']) expect(unescapeBytes(escapeBytes(bytes))).toBe(bytes);
    expect(escapeBytes('\x02MIC\r')).toBe('\\x02MIC\\r');
    expect(unescapeBytes('\\q')).toBeNull();
    expect(unescapeBytes('\\x4')).toBeNull();
    expect(unescapeBytes('end\\')).toBeNull();
  });

  it('says why input was dropped, with the limit', () => {
    expect(rejectedInWords('too_long', 9001, { maxLength: 8192 })).toBe(
      'Too long (9,001 bytes, the limit is 8,192) — dropped whole, no part of it was scanned.',
    );
    expect(rejectedInWords('incomplete', 9)).toContain('cable pulled?');
  });
});
