import type { z } from 'zod';
import {
  pullPageSchema,
  pushResponseSchema,
  snapshotPageSchema,
  type CachedTable,
  type PullPage,
  type PushResult,
  type SnapshotPage,
} from './model';
import { scopeArgs, type SyncScope } from './scope';
import { verifyAnswerSchema, type VerifyAnswer } from './verify';
import { TransportError, type PushOptions, type ServerError, type SyncTransport, type WireOp } from './transport';
import { errorMessage } from '../errors';

/** The part of a supabase-js client the transport uses (any client that has it will do). */
export interface RpcClient {
  rpc(
    fn: string,
    args: Record<string, unknown>,
  ): {
    abortSignal(
      signal: AbortSignal,
    ): PromiseLike<{ data: unknown; error: { message: string; code?: string; details?: string | null } | null; status: number }>;
  };
  auth: { refreshSession(): Promise<{ error: unknown }> };
}

/**
 * What pull_changes raises for a cursor it did not issue or that is past its change log
 * (migration 20261203000500_pull_cursor_checks). Only a pull that sent a cursor can be told this;
 * the same code on a pull from the start is a plain refusal.
 */
const CURSOR_REFUSED = '22023';

function classify(status: number, message: string, server: ServerError): TransportError {
  if (status === 0) return new TransportError('network', message, status, server);
  if (server.code === 'PGRST202') return new TransportError('unsupported', message, status, server);
  if (status === 401) return new TransportError('unauthorized', message, status, server);
  if (status >= 500) return new TransportError('server', message, status, server);
  return new TransportError('refused', message, status, server);
}

/** push_changes / pull_changes / pull_snapshot / sync_verify over supabase-js `.rpc()`, with a timeout per call. */
export function supabaseTransport(client: RpcClient, options: { timeoutMs: number }): Required<SyncTransport> {
  async function call<T>(fn: string, args: Record<string, unknown>, schema: z.ZodType<T>, given?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = given === undefined ? timeout : either(timeout, given);
    let response;
    try {
      response = await client.rpc(fn, args).abortSignal(signal);
    } catch (error) {
      if (given?.aborted === true) throw new TransportError('timeout', `${fn}: given up on by the caller`);
      throw new TransportError('network', errorMessage(error));
    }
    if (response.error !== null) {
      if (given?.aborted === true) throw new TransportError('timeout', `${fn}: given up on by the caller`);
      if (timeout.aborted) throw new TransportError('timeout', `${fn} took longer than ${options.timeoutMs} ms`);
      if (fn === 'pull_changes' && args['cursor'] !== null && response.error.code === CURSOR_REFUSED) {
        throw new TransportError('cursor_refused', `${fn}: ${response.error.message}`, response.status);
      }
      const { code, details } = response.error;
      throw classify(response.status, `${fn}: ${response.error.message}`, {
        ...(code === undefined ? {} : { code }),
        ...(details === undefined || details === null ? {} : { details }),
      });
    }
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) throw new TransportError('protocol', `${fn} answered in an unexpected shape: ${parsed.error.message}`);
    return parsed.data;
  }
  return {
    push: async (deviceId: string, ops: WireOp[], pushOptions?: PushOptions): Promise<PushResult[]> =>
      (await call('push_changes', { device_id: deviceId, ops }, pushResponseSchema, pushOptions?.signal)).results,
    pull: (cursor: string | null, limit: number, scope?: SyncScope): Promise<PullPage> =>
      call('pull_changes', { cursor, limit, ...scopeArgs(scope) }, pullPageSchema),
    snapshot: (table: CachedTable, after: string | null, limit: number, scope?: SyncScope): Promise<SnapshotPage> =>
      call('pull_snapshot', { tbl: table, after, limit, ...scopeArgs(scope) }, snapshotPageSchema),
    verify: (cursor: string, scope?: SyncScope): Promise<VerifyAnswer> =>
      call('sync_verify', { cursor, ...scopeArgs(scope) }, verifyAnswerSchema),
    refreshSession: async () => (await client.auth.refreshSession()).error === null,
  };
}

/** A signal aborted when either is (AbortSignal.any is missing from older mobile browsers). */
function either(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (a.aborted) return a;
  if (b.aborted) return b;
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return controller.signal;
}
