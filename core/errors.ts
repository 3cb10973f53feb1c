/**
 * Errors that keep their type from the handler that threw to the screen that shows them.
 *
 * A handler throws a `StationError` with a code from the union below and a message in words; the
 * dispatcher sends `{ code, message }` as data (never a thrown exception: across a process it
 * would lose its type); each transport parses that data with `stationErrorSchema` and rejects
 * with a `StationError` again, and the UI switches on `error.code`. Anything else that escapes a
 * handler is a fault nobody named: the dispatcher reports it as `handler_failed`.
 */
import { z } from 'zod';

export const stationErrorCodes = [
  // Refused before any handler ran (the dispatcher and the transports decide these).
  /** The caller is not the station's own window. */
  'untrusted_sender',
  /** No StationApi method has that name. */
  'unknown_method',
  /** The arguments break the method's schema, or an op is not one the station can queue. */
  'invalid_arguments',
  /** The handler answered in a shape the contract does not allow (a bug on the station). */
  'invalid_result',
  // What the station found.
  /** The record named is not on this station (never synced, deleted, or already resolved). */
  'not_found',
  /** The record's current state refuses the change (already in that status, a transition the server refuses, unsynced work). */
  'conflict',
  /** The item is held by another gig at the same time: the planner may confirm it deliberately. */
  'overbooked',
  /** A stored record cannot be read; it can only be discarded. */
  'corrupt',
  /** This host cannot do that (scanner settings on a phone). */
  'unsupported',
  // The backend.
  /** No backend is set yet. */
  'not_configured',
  /** The station or the backend did not answer (network, timeout, connection closed). */
  'offline',
  /** Sign-in refused or the session is no longer valid. */
  'unauthorized',
  /** Signed in, but this person may not do that. */
  'forbidden',
  // Anything a handler threw without naming it: a fault, reported with the method's name.
  'handler_failed',
] as const;

export type StationErrorCode = (typeof stationErrorCodes)[number];

/**
 * A StationError as data, as it crosses IPC, Electron's contextBridge and the WebSocket. A code
 * this build does not know (a newer host) reads as `handler_failed` instead of dropping the answer.
 */
export const stationErrorSchema = z.object({
  code: z.enum(stationErrorCodes).catch('handler_failed'),
  message: z.string(),
});
export type StationErrorData = z.infer<typeof stationErrorSchema>;

export class StationError extends Error {
  readonly code: StationErrorCode;

  constructor(code: StationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StationError';
    this.code = code;
  }

  static from(data: StationErrorData): StationError {
    return new StationError(data.code, data.message);
  }

  /** The data that crosses a boundary: code and words, no stack or cause. */
  toData(): StationErrorData {
    return { code: this.code, message: this.message };
  }
}

/** The message of anything thrown or rejected: an Error's message, otherwise the value in words. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  // A rejection of plain data (a StationError through Electron's contextBridge) has a message too.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * Any rejection of a StationApi call as a StationError: the error itself, or its data (Electron's
 * contextBridge copies an Error's message only, so the preload rejects with the data). Anything
 * else — a bug in the page, a browser API failing — becomes `fallback` with its message.
 */
export function stationError(reason: unknown, fallback: StationErrorCode = 'handler_failed'): StationError {
  if (reason instanceof StationError) return reason;
  if (!(reason instanceof Error)) {
    const data = stationErrorSchema.safeParse(reason);
    if (data.success) return StationError.from(data.data);
  }
  return new StationError(fallback, errorMessage(reason), { cause: reason });
}
