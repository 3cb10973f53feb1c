/**
 * What crosses a process boundary: never a thrown exception (it loses its type and cause on
 * the way), always an explicit result whose error is StationError data (core/errors.ts).
 */
import { StationError, type StationErrorCode, type StationErrorData } from './errors';

export type StationResult<T> = { ok: true; value: T } | { ok: false; error: StationErrorData };

export function ok<T>(value: T): StationResult<T> {
  return { ok: true, value };
}

export function fail(code: StationErrorCode, message: string): StationResult<never> {
  return { ok: false, error: { code, message } };
}

/** Turns a failed result back into a StationError on the calling side, code and words as sent. */
export function unwrap<T>(result: StationResult<T>): T {
  if (result.ok) return result.value;
  throw StationError.from(result.error);
}
