import { z } from 'zod';

/**
 * The only surface the renderer sees. Every implementation (Electron preload, the browser
 * host's WebSocket, the PWA) satisfies this type, and every host validates arguments and
 * results against `stationApiSchema` before trusting them.
 */
export const stationInfoSchema = z.object({
  appName: z.string(),
  appVersion: z.string(),
  host: z.enum(['electron', 'browser', 'pwa']),
  platform: z.string(),
  backendUrl: z.url().nullable(),
  startedAt: z.iso.datetime(),
});
export type StationInfo = z.infer<typeof stationInfoSchema>;

export const pingInputSchema = z.strictObject({
  message: z.string().max(256, 'message is longer than 256 characters'),
});
export type PingInput = z.infer<typeof pingInputSchema>;

export const pingResultSchema = z.object({
  message: z.string(),
  receivedAt: z.iso.datetime(),
});
export type PingResult = z.infer<typeof pingResultSchema>;

export const stationApiSchema = {
  getInfo: { args: z.tuple([]), result: stationInfoSchema },
  ping: { args: z.tuple([pingInputSchema]), result: pingResultSchema },
} as const;

export type StationMethod = keyof typeof stationApiSchema;
export const stationMethods = Object.keys(stationApiSchema) as StationMethod[];

export type StationArgs<M extends StationMethod> = z.infer<(typeof stationApiSchema)[M]['args']>;
export type StationReturn<M extends StationMethod> = z.infer<(typeof stationApiSchema)[M]['result']>;

/** The renderer-facing API: one async method per entry of the schema map. */
export type StationApi = {
  [M in StationMethod]: (...args: StationArgs<M>) => Promise<StationReturn<M>>;
};

/** The IPC channel that carries one method. One channel per method, never a generic bridge. */
export function channelFor(method: StationMethod): `station:${StationMethod}` {
  return `station:${method}`;
}

export function isStationMethod(name: string): name is StationMethod {
  return Object.hasOwn(stationApiSchema, name);
}
