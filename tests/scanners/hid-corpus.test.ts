import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keyboardLayoutSchema } from '../../core/scanner/config';
import { decodeReports, HidKeyboardDecoder } from '../../core/scanner/hid-keyboard';
import { HidPosDecoder } from '../../core/scanner/hid-pos';
import { hexBytes, hexEventSchema, loadFixtures } from '../fixtures/scanners/load';

// The HID part of the scanner corpus, replayed through the real decoders (core tests stay free of
// Node for the web typecheck, so the files are read here).
const run = decodeReports;

/** Events in recorded order: times never go back (timing is part of the recording). */
function reportsOf(events: { at: number; hex: string }[]): Uint8Array[] {
  events.forEach((e, i) => expect(e.at, `event ${i} goes back in time`).toBeGreaterThanOrEqual(events[i - 1]?.at ?? 0));
  return events.map((e) => hexBytes(e.hex));
}

describe('HID keyboard corpus (tests/fixtures/scanners/hid-keyboard)', () => {
  const fixtures = loadFixtures('hid-keyboard', { event: hexEventSchema, config: z.strictObject({ layout: keyboardLayoutSchema }) });
  it('has the recordings the issue names', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });
  for (const fixture of fixtures) {
    it(`${fixture.file}: ${fixture.note}`, () => {
      const result = run(new HidKeyboardDecoder(fixture.config.layout), reportsOf(fixture.events));
      expect(result).toEqual(fixture.expect);
    });
  }
});

describe('HID POS corpus (tests/fixtures/scanners/hid-pos)', () => {
  const fixtures = loadFixtures('hid-pos', {
    event: hexEventSchema,
    config: z.strictObject({ reportId: z.number().int().min(0).max(255).optional() }),
  });
  it('has the recordings the issue names', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
  });
  for (const fixture of fixtures) {
    it(`${fixture.file}: ${fixture.note}`, () => {
      const result = run(new HidPosDecoder(fixture.config.reportId), reportsOf(fixture.events));
      expect(result).toEqual(fixture.expect);
    });
  }
});
