/**
 * Host-side dispatcher shared by every StationApi transport. It decides nothing about where a
 * call came from (the transport says whether the sender is trusted); it parses arguments with
 * zod, runs the handler, checks the result against the contract and never throws. A handler's
 * StationError goes out with its own code and words; the errors core's own parts throw are named
 * here; anything else is `handler_failed`, with the method's name for the log.
 */
import type { z } from 'zod';
import { errorMessage, StationError, type StationErrorCode } from './errors';
import { fail, ok, type StationResult } from './result';
import { isStationMethod, stationApiSchema, type StationMethod, type StationMethods, type StationReturn } from './station-api';
import { InvalidOpError } from './sync/engine';
import { QueueStoreError } from './sync/queue-store';
import { TransportError, type TransportErrorKind } from './sync/transport';

export interface DispatchRequest {
  method: string;
  args: unknown;
  trustedSender: boolean;
}

export type StationHandlers = StationMethods;

const queueStoreCodes: Record<QueueStoreError['code'], StationErrorCode> = {
  not_found: 'not_found',
  corrupt: 'corrupt',
  invalid_op: 'invalid_arguments',
  stale: 'conflict',
};

/** Backend answers a handler did not turn into words of its own (signIn, syncNow, assetHistory). */
const transportCodes: Record<TransportErrorKind, StationErrorCode> = {
  network: 'offline',
  timeout: 'offline',
  unauthorized: 'unauthorized',
  server: 'handler_failed',
  refused: 'handler_failed',
  protocol: 'handler_failed',
  cursor_refused: 'handler_failed',
  unsupported: 'handler_failed',
};

/** The code and words a failed handler goes out with. */
function failure(method: StationMethod, error: unknown): StationResult<never> {
  if (error instanceof StationError) return fail(error.code, error.message);
  if (error instanceof QueueStoreError) return fail(queueStoreCodes[error.code], error.message);
  if (error instanceof InvalidOpError) return fail('invalid_arguments', error.message);
  if (error instanceof TransportError && transportCodes[error.kind] !== 'handler_failed')
    return fail(transportCodes[error.kind], error.message);
  return fail('handler_failed', `${method} failed: ${errorMessage(error)}`);
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(arguments)'}: ${issue.message}`).join('; ');
}

export function createDispatcher(handlers: StationHandlers) {
  async function call<M extends StationMethod>(method: M, args: unknown): Promise<StationResult<StationReturn<M>>> {
    const schema = stationApiSchema[method];
    const parsedArgs = schema.args.safeParse(args);
    if (!parsedArgs.success) {
      return fail('invalid_arguments', `${method}: ${describeIssues(parsedArgs.error)}`);
    }
    const handler = handlers[method] as (...a: unknown[]) => Promise<unknown>;
    let value: unknown;
    try {
      value = await handler(...(parsedArgs.data as unknown[]));
    } catch (error) {
      return failure(method, error);
    }
    const parsedResult = schema.result.safeParse(value);
    if (!parsedResult.success) {
      return fail('invalid_result', `${method} produced an invalid result: ${describeIssues(parsedResult.error)}`);
    }
    return ok(parsedResult.data as StationReturn<M>);
  }

  return async function dispatch(request: DispatchRequest): Promise<StationResult<unknown>> {
    if (!request.trustedSender) {
      return fail('untrusted_sender', `refused ${request.method}: the caller is not the station window`);
    }
    if (!isStationMethod(request.method)) {
      return fail('unknown_method', `unknown StationApi method "${request.method}"`);
    }
    return call(request.method, request.args);
  };
}
