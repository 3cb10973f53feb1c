import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from '../../core/random';

/**
 * What a flaky venue network does to a request:
 * - `server_error`: a 503 from "the proxy", the server never saw the request;
 * - `reset`: the connection is reset before anything is forwarded;
 * - `drop_after_commit`: forwarded, the server answers (and has committed), the answer is lost;
 * - `hold`: forwarded and answered, but the answer is held past the client's timeout.
 */
export const FAULT_KINDS = ['server_error', 'reset', 'drop_after_commit', 'hold'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultingProxyOptions {
  /** Where requests go: the gateway's base URL (http only). */
  upstream: string;
  random: Random;
  /** Share of matching requests that are faulted while faults are on (0..1). */
  rate: number;
  /** How long a `hold` keeps the answer (longer than the client's timeout). */
  holdMs: number;
  /** Which requests may be faulted (default: all). */
  match?: (method: string, path: string) => boolean;
}

export interface FaultingProxy {
  /** Base URL of the proxy (always on 127.0.0.1). */
  url: string;
  /** Faults are off until switched on: set-up traffic (sign-in) goes through untouched. */
  faulting: boolean;
  readonly counts: { requests: number; faulted: number } & Record<FaultKind, number>;
  resetCounts(): void;
  stop(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that faults a seeded share of requests, for sync benchmarks and tests. */
export async function startFaultingProxy(options: FaultingProxyOptions): Promise<FaultingProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:') throw new Error(`the faulting proxy forwards to http only, got ${upstream.protocol}`);
  const match = options.match ?? (() => true);
  const zero = (): FaultingProxy['counts'] => ({ requests: 0, faulted: 0, server_error: 0, reset: 0, drop_after_commit: 0, hold: 0 });
  let counts = zero();
  const timers = new Set<NodeJS.Timeout>();

  const pickFault = (req: IncomingMessage): FaultKind | null => {
    if (!proxy.faulting || !match(req.method ?? 'GET', req.url ?? '/')) return null;
    if (options.random() >= options.rate) return null;
    return FAULT_KINDS[Math.floor(options.random() * FAULT_KINDS.length)] ?? 'reset';
  };

  /** Forwards the request; resolves with the upstream's whole answer. */
  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const answer = (res: ServerResponse, upstreamAnswer: { status: number; headers: IncomingMessage['headers']; body: Buffer }): void => {
    if (res.destroyed) return;
    const headers = { ...upstreamAnswer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(upstreamAnswer.body.length);
    res.writeHead(upstreamAnswer.status, headers);
    res.end(upstreamAnswer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counts.requests += 1;
    const fault = pickFault(req);
    if (fault !== null) {
      counts.faulted += 1;
      counts[fault] += 1;
    }
    if (fault === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    const body = await readBody(req);
    if (fault === 'server_error') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'service unavailable (faulting proxy)' }));
      return;
    }
    const upstreamAnswer = await forward(req, body);
    if (fault === 'drop_after_commit') {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === 'hold') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res, upstreamAnswer);
      }, options.holdMs);
      timers.add(timer);
      return;
    }
    answer(res, upstreamAnswer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'bad gateway (faulting proxy)' }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: FaultingProxy = {
    url: `http://127.0.0.1:${port}`,
    faulting: false,
    get counts() {
      return counts;
    },
    resetCounts: () => {
      counts = zero();
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
