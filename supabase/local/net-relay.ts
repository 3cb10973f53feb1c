import pg from 'pg';
import { errorMessage } from '../../core/errors';

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeout_milliseconds: number;
}

export interface NetRelayOptions {
  superuserUrl: string;
  pool: pg.Pool;
  /** Called for `NOTIFY pgrst, 'reload schema'` so the RPC catalog is refreshed like PostgREST's. */
  onSchemaReload: () => void;
  log: (line: string) => void;
  pollIntervalMs?: number;
}

export interface RunningRelay {
  /** Resolves once every request queued so far has been answered (tests use it). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The pg_net stand-in's worker: after commit, NOTIFY wakes it; it takes queued requests (a poll
 * catches anything a notification missed), sends them with their headers, body and timeout,
 * and records each answer in net._http_response as pg_net does.
 */
export async function startNetRelay(options: NetRelayOptions): Promise<RunningRelay> {
  const listener = new pg.Client({ connectionString: options.superuserUrl });
  await listener.connect();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let again = false;

  const send = async (request: QueuedRequest): Promise<void> => {
    const started = Date.now();
    let status: number | null = null;
    let content: string | null = null;
    let contentType: string | null = null;
    let responseHeaders: Record<string, string> | null = null;
    let timedOut = false;
    let errorMessage: string | null = null;
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.method === 'GET' || request.body === null ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(request.timeout_milliseconds),
      });
      status = response.status;
      contentType = response.headers.get('content-type');
      responseHeaders = Object.fromEntries(response.headers.entries());
      content = await response.text();
    } catch (error) {
      timedOut = error instanceof Error && error.name === 'TimeoutError';
      errorMessage = timedOut
        ? `Timeout of ${request.timeout_milliseconds} ms reached`
        : error instanceof Error
          ? error.message
          : String(error);
    }
    options.log(`pg_net ${request.method} ${request.url} → ${status ?? errorMessage ?? 'error'} (${Date.now() - started} ms)`);
    await options.pool.query(
      `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing`,
      [request.id, status, contentType, responseHeaders, content, timedOut, errorMessage],
    );
  };

  const processQueue = async (): Promise<void> => {
    for (;;) {
      const taken = await options.pool.query<QueuedRequest>(
        `delete from net.http_request_queue
          where id in (select id from net.http_request_queue order by id for update skip locked limit 50)
          returning id, method, url, headers, body, timeout_milliseconds`,
      );
      if (taken.rows.length === 0) return;
      await Promise.all(taken.rows.map(send));
    }
  };

  const wake = (): void => {
    if (stopped) return;
    again = true;
    running = running.then(async () => {
      while (again && !stopped) {
        again = false;
        await processQueue().catch((error: unknown) => options.log(`pg_net relay: ${errorMessage(error)}`));
      }
    });
  };

  listener.on('notification', (message) => {
    if (message.channel === 'pgrst') options.onSchemaReload();
    else wake();
  });
  listener.on('error', (error) => options.log(`pg_net relay listener: ${error.message}`));
  await listener.query('listen local_pg_net');
  await listener.query('listen pgrst');
  const timer = setInterval(wake, options.pollIntervalMs ?? 1000);
  timer.unref();
  wake();

  return {
    drain: async () => {
      wake();
      await running;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      await listener.end().catch(() => undefined);
    },
  };
}
