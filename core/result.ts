/**
 * What crosses a process boundary: never a thrown exception (it loses its type and cause on
 * the way), always an explicit result.
 */
export type StationErrorCode = 'untrusted_sender' | 'unknown_method' | 'invalid_arguments' | 'handler_failed' | 'invalid_result';

export interface StationError {
  code: StationErrorCode;
  message: string;
  cause?: string;
}

export type StationResult<T> = { ok: true; value: T } | { ok: false; error: StationError };

export function ok<T>(value: T): StationResult<T> {
  return { ok: true, value };
}

export function fail(code: StationErrorCode, message: string, cause?: string): StationResult<never> {
  return cause === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, cause } };
}

/** Turns a failed result back into an exception on the calling side, keeping the code. */
export class StationCallError extends Error {
  readonly code: StationErrorCode;
  constructor(error: StationError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'StationCallError';
    this.code = error.code;
  }
}

export function unwrap<T>(result: StationResult<T>): T {
  if (result.ok) return result.value;
  throw new StationCallError(result.error);
}
