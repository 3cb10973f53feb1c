import type { z } from 'zod';
import { fail, ok, type StationResult } from './result';
import { isStationMethod, stationApiSchema, type StationMethod, type StationMethods, type StationReturn } from './station-api';

/**
 * Host-side dispatcher shared by every StationApi transport. It decides nothing about where a
 * call came from (the transport says whether the sender is trusted); it parses arguments with
 * zod, runs the handler, checks the result against the contract and never throws.
 */
export interface DispatchRequest {
  method: string;
  args: unknown;
  trustedSender: boolean;
}

export type StationHandlers = StationMethods;

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
      const message = error instanceof Error ? error.message : String(error);
      return fail('handler_failed', `${method} failed: ${message}`);
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
