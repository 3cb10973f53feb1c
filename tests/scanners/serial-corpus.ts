/**
 * The serial part of the scanner corpus (tests/fixtures/scanners/serial/*.json): what a device
 * sent, with times, and what must come out. Events are either `text` (JSON string, one char per
 * byte, so "\u00ff" is byte 0xFF) or `hex`. With `baud`, an event's bytes are spread at wire
 * speed (10 bits per byte: 1 byte/ms at 9600) from its time, as a UART delivers them.
 */

import { z } from 'zod';
import { serialFramingSchema } from '../../core/scanner/config';
import { DEFAULT_FRAME, type FrameConfig } from '../../core/scanner/frame-decoder';
import type { Timeline } from '../../core/scanner/replay';
import { hexBytes, hexEventSchema, loadFixtures } from '../fixtures/scanners/load';

const eventSchema = z.union([hexEventSchema, z.strictObject({ at: z.number().min(0), text: z.string() })]);
const configSchema = z.strictObject({
  framing: serialFramingSchema.optional(),
  terminator: z.string().optional(),
  gapMs: z.number().optional(),
  stripPrefix: z.string().optional(),
  stripSuffix: z.string().optional(),
  minLength: z.number().optional(),
  maxLength: z.number().optional(),
});

export function serialFixtures() {
  return loadFixtures('serial', { config: configSchema, event: eventSchema, extra: { baud: z.number().int().positive().optional() } });
}
export type SerialFixture = ReturnType<typeof serialFixtures>[number];

export function frameConfigOfFixture(fixture: SerialFixture): FrameConfig {
  return { ...DEFAULT_FRAME, ...Object.fromEntries(Object.entries(fixture.config).filter(([, v]) => v !== undefined)) };
}

function bytesOf(event: z.infer<typeof eventSchema>): Uint8Array {
  if ('hex' in event) return hexBytes(event.hex);
  return Uint8Array.from(event.text, (ch) => {
    const code = ch.charCodeAt(0);
    if (code > 0xff) throw new Error(`fixture text must be bytes (latin1), found U+${code.toString(16)}`);
    return code;
  });
}

/** The fixture as timed writes: one per event, or one per byte at wire speed when `baud` is set. */
export function serialTimeline(fixture: SerialFixture): Timeline {
  const perByteMs = fixture.extra.baud === undefined ? null : 10_000 / fixture.extra.baud;
  return fixture.events.flatMap((event) => {
    const bytes = bytesOf(event);
    if (perByteMs === null) return [{ at: event.at, bytes }];
    return Array.from(bytes, (byte, i) => ({ at: event.at + i * perByteMs, bytes: Uint8Array.of(byte) }));
  });
}
