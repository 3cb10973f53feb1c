import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WedgeDetector } from '../../core/scanner/wedge-detector';
import { loadFixtures } from '../fixtures/scanners/load';

// The wedge corpus (tests/fixtures/scanners/wedge/*.json): key events as Chromium reports them for
// real scanners and people, in the KeyboardEvent fields the detector reads.
const keyEvent = z.strictObject({
  type: z.enum(['keydown', 'keyup']),
  key: z.string().min(1),
  code: z.string(),
  at: z.number(),
  shiftKey: z.boolean(),
  ctrlKey: z.boolean(),
  altKey: z.boolean(),
  metaKey: z.boolean().optional(),
  repeat: z.boolean(),
  modifierState: z.strictObject({ AltGraph: z.boolean().optional(), CapsLock: z.boolean().optional() }),
});
const wedgeConfig = z.strictObject({
  maxGapMs: z.number().optional(),
  minLength: z.number().optional(),
  terminators: z.array(z.string()).optional(),
  undoCapsLock: z.boolean().optional(),
  heldLimitMs: z.number().optional(),
  resumeMs: z.number().optional(),
});

describe('the keyboard-wedge corpus (tests/fixtures/scanners/wedge), replayed through WedgeDetector', () => {
  const fixtures = loadFixtures('wedge', { event: keyEvent, config: wedgeConfig });
  it('holds recordings', () => expect(fixtures.length).toBeGreaterThanOrEqual(11));
  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const detector = new WedgeDetector(fixture.config);
    const out = fixture.events.flatMap((e) => detector.event(e));
    expect(out.flatMap((o) => (o.kind === 'scan' ? [o.code] : []))).toEqual(fixture.expect.scans);
    expect(out.flatMap((o) => (o.kind === 'rejected' ? [o.reason] : []))).toEqual(fixture.expect.rejected);
  });
});
