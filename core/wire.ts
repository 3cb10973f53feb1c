/**
 * The browser host's WebSocket messages: requests carry a StationApi method and its arguments,
 * responses carry the dispatcher's result, events are pushed. Both ends parse with these schemas.
 */

import { z } from 'zod';
import { stationErrorSchema } from './errors';
import { stationEventNames } from './station-api';

export const wireRequestSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  method: z.string().min(1).max(64),
  args: z.array(z.unknown()).max(8),
});
export type WireRequest = z.infer<typeof wireRequestSchema>;

export const wireResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: stationErrorSchema }),
]);

export const wireMessageSchema = z.union([
  z.object({ id: z.number().int(), result: wireResultSchema }),
  z.object({ event: z.enum(stationEventNames), value: z.unknown() }),
]);
export type WireMessage = z.infer<typeof wireMessageSchema>;

/** Frames larger than this are refused before parsing (a request is a few hundred bytes). */
export const MAX_WIRE_BYTES = 256 * 1024;
