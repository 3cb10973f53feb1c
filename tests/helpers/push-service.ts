import { execFile } from 'node:child_process';
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ece from 'http_ece';
import { z } from 'zod';
import { errorMessage } from '../../core/errors';

/** A browser's push subscription as the PWA would save it, plus the private half the test keeps. */
export interface TestSubscription {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** One message the service accepted: verified, decrypted, timed. */
export interface Arrival {
  subscriptionId: string;
  /** Date.now() when the payload had been decrypted. */
  at: number;
  payload: unknown;
  ttl: number;
  urgency: string | null;
  topic: string | null;
  status: number;
}

export interface Rejection {
  subscriptionId: string;
  reason: string;
}

export interface LocalPushService {
  /** The certificate to trust (web-push in Deno goes through node:https: NODE_EXTRA_CA_CERTS). */
  caFile: string;
  origin: string;
  subscribe(): TestSubscription;
  /** The next answers for one subscription (then 201 again), e.g. [503] or [410]. */
  answer(subscriptionId: string, statuses: number[]): void;
  arrivals: Arrival[];
  /** Requests that failed verification (bad VAPID, wrong encoding, undecryptable). */
  rejections: Rejection[];
  /** Every request, answered or not, per subscription. */
  attempts: Map<string, number>;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const vapidClaims = z.object({ aud: z.string(), exp: z.number().int(), sub: z.string().regex(/^(mailto:|https:)/) });

function b64url(value: string): Buffer {
  return Buffer.from(value, 'base64url');
}

/** Verifies `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292) and returns why not, or null. */
function vapidProblem(header: string | undefined, audience: string, expectedKey: string | null, now: number): string | null {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return `Authorization is not "vapid t=…, k=…": ${header ?? 'missing'}`;
  const [token, key] = [match[1], match[2]];
  if (expectedKey !== null && key !== expectedKey) return 'k is not the VAPID key this service was told to expect';
  const parts = token.split('.');
  if (parts.length !== 3) return 'the JWT does not have three parts';
  const [head, body, signature] = parts as [string, string, string];
  const point = b64url(key);
  if (point.length !== 65 || point[0] !== 4) return 'k is not an uncompressed P-256 point';
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  if (!verify('sha256', Buffer.from(`${head}.${body}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, b64url(signature)))
    return 'the JWT signature does not verify with k';
  const alg = z.object({ alg: z.literal('ES256') }).safeParse(JSON.parse(b64url(head).toString('utf8')));
  if (!alg.success) return 'the JWT is not ES256';
  const claims = vapidClaims.safeParse(JSON.parse(b64url(body).toString('utf8')));
  if (!claims.success) return `the JWT claims are invalid: ${claims.error.message}`;
  if (claims.data.aud !== audience) return `aud ${claims.data.aud} is not this push service's origin ${audience}`;
  const seconds = Math.floor(now / 1000);
  if (claims.data.exp <= seconds || claims.data.exp > seconds + 24 * 3600) return 'exp is not within the next 24 hours';
  return null;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * A Web Push service on loopback HTTPS, for tests and the push benchmark: it checks what a real
 * push service checks (VAPID JWT, aes128gcm, TTL), decrypts each message with the subscription's
 * private key like the browser would (http_ece, RFC 8291), and answers as scripted.
 */
export async function startPushService(options: { vapidPublicKey?: string; now?: () => number } = {}): Promise<LocalPushService> {
  const now = options.now ?? Date.now;
  const dir = await mkdtemp(join(tmpdir(), 'gigmanager-push-'));
  const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const keys = new Map<string, { ecdh: ECDH; auth: string }>();
  const scripted = new Map<string, number[]>();
  const arrivals: Arrival[] = [];
  const rejections: Rejection[] = [];
  const attempts = new Map<string, number>();
  let origin = '';

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '')?.[1];
    const body = await readBody(request);
    const subscription = id === undefined ? undefined : keys.get(id);
    if (id === undefined || subscription === undefined || request.method !== 'POST') {
      response.writeHead(404).end('no such subscription');
      return;
    }
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const reject = (status: number, reason: string): void => {
      rejections.push({ subscriptionId: id, reason });
      response.writeHead(status, { 'Content-Type': 'text/plain' }).end(reason);
    };
    const problem = vapidProblem(request.headers.authorization, origin, options.vapidPublicKey ?? null, now());
    if (problem !== null) return reject(401, problem);
    if (request.headers['content-encoding'] !== 'aes128gcm')
      return reject(415, `Content-Encoding must be aes128gcm, got ${request.headers['content-encoding'] ?? 'none'}`);
    const ttl = Number(request.headers.ttl);
    if (!Number.isInteger(ttl) || ttl < 0) return reject(400, 'a TTL header is required');
    const status = scripted.get(id)?.shift() ?? 201;
    if (status < 200 || status >= 300) {
      response.writeHead(status, { 'Content-Type': 'text/plain' }).end(`scripted ${status}`);
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(
        ece.decrypt(body, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth }).toString('utf8'),
      );
    } catch (error) {
      return reject(400, `payload did not decrypt: ${errorMessage(error)}`);
    }
    const header = (name: string): string | null => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : null;
    };
    arrivals.push({ subscriptionId: id, at: now(), payload, ttl, urgency: header('urgency'), topic: header('topic'), status });
    response.writeHead(status, { Location: `${origin}/message/${arrivals.length}` }).end();
  };

  const server: Server = createServer(
    { key: await readFile(keyFile), cert: await readFile(certFile), keepAliveTimeout: 30_000 },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end(String(error));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    caFile: certFile,
    origin,
    subscribe: () => {
      const id = randomBytes(12).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      keys.set(id, { ecdh, auth });
      return { id, endpoint: `${origin}/push/${id}`, p256dh: ecdh.getPublicKey().toString('base64url'), auth };
    },
    answer: (id, statuses) => scripted.set(id, [...(scripted.get(id) ?? []), ...statuses]),
    arrivals,
    rejections,
    attempts,
    waitFor: async (predicate, what, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(
            `push service: timed out waiting for ${what} (${arrivals.length} arrivals, ${rejections.length} rejections: ${rejections
              .slice(0, 3)
              .map((r) => r.reason)
              .join('; ')})`,
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
