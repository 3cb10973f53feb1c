import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationError } from '../../core/errors';
import { MAX_WIRE_BYTES } from '../../core/wire';
import type { SyncEngine } from '../../core/sync/engine';
import type { WireMessage } from '../../core/wire';
import { webSocketStation, type WebSocketLike } from '../../core/station-ws-client';
import { stationHarness, type StationHarness } from '../../tests/helpers/station-harness';
import { subscribeStationEvents } from '../station-events';
import { startBrowserHost, type BrowserHost } from './server';

// The browser host: the station's handlers over a loopback WebSocket, plus the built renderer.
const dir = mkdtempSync(join(tmpdir(), 'browser-host-'));
const renderer = join(dir, 'renderer');
mkdirSync(join(renderer, 'assets'), { recursive: true });
writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>GigManager Station</title>');
writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(dir, 'secret.txt'), 'not for the browser');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let host: BrowserHost;
let engine: SyncEngine;
let n = 0;

let harness: StationHarness;
beforeEach(async () => {
  harness = stationHarness({ dir, name: `host-${(n += 1)}` });
  ({ engine } = harness);
  host = await startBrowserHost({
    handlers: harness.handlers,
    rendererDir: renderer,
    port: 0,
    subscribe: (emit) => subscribeStationEvents(harness, (event, value) => emit({ event, value })),
  });
});
afterEach(async () => {
  await host.close();
  await harness.stop();
});

function connect(options: { token?: string; origin?: string | null } = {}): Promise<WebSocket> {
  const headers: Record<string, string> = {};
  const origin = options.origin === undefined ? host.url : options.origin;
  if (origin !== null) headers['Origin'] = origin;
  const ws = new WebSocket(`${host.url.replace('http', 'ws')}/station?token=${options.token ?? host.token}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, id: number, method: string, args: unknown[]): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(data.toString('utf8')) as WireMessage;
      if ('id' in message && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, args }));
  });
}

describe('browser host', () => {
  it('binds to loopback and answers StationApi calls over the WebSocket', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.openUrl).toBe(`${host.url}/#token=${host.token}`);
    const ws = await connect();
    expect(await request(ws, 1, 'getInfo', [])).toMatchObject({
      id: 1,
      result: { ok: true, value: { host: 'browser', appVersion: '0.1.0' } },
    });
    expect(await request(ws, 2, 'ping', [{ message: 'x', extra: 1 }])).toMatchObject({
      id: 2,
      result: { ok: false, error: { code: 'invalid_arguments' } },
    });
    expect(await request(ws, 3, 'query', ['select 1'])).toMatchObject({ id: 3, result: { ok: false, error: { code: 'unknown_method' } } });
    ws.close();
  });

  it.each([
    ['a wrong token', { token: 'guess' }, 401],
    ['a foreign origin', { origin: 'https://evil.example' }, 403],
    ['no origin at all', { origin: null }, 403],
  ])('refuses %s at the handshake', async (_label, options, status) => {
    await expect(connect(options)).rejects.toThrow(`refused with ${status}`);
  });

  it('closes a connection that sends something that is not a request', async () => {
    const ws = await connect();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"id": "one", "method": 5}');
    expect(await closed).toBe(1007);
  });

  it('pushes sync status events to connected pages', async () => {
    const ws = await connect();
    const event = new Promise<WireMessage>((resolve) =>
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as WireMessage)),
    );
    await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } });
    expect(await event).toMatchObject({ event: 'syncStatus', value: { depth: 1 } });
    ws.close();
  });

  it('serves the renderer with a CSP that allows only its own socket, and nothing outside it', async () => {
    const page = await fetch(`${host.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GigManager Station');
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://${host.url.replace('http://', '')}`);
    expect((await fetch(`${host.url}/assets/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${host.url}/..%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${host.url}/assets/%2e%2e/%2e%2e/secret.txt`)).status).toBe(404);
  });

  it('is what the renderer’s WebSocket client talks to, methods and events alike', async () => {
    // The renderer's client, given `ws` with this page's Origin, as a browser would send it.
    const Socket = class extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { Origin: host.url } });
      }
    } as unknown as WebSocketLike;
    const station = webSocketStation(`${host.url.replace('http', 'ws')}/station?token=${host.token}`, Socket);
    try {
      expect(await station.getInfo()).toMatchObject({ host: 'browser' });
      const statuses: number[] = [];
      station.onSyncStatus((s) => statuses.push(s.depth));
      await engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: randomUUID() } });
      await expect.poll(() => statuses.at(-1)).toBe(1);
      const unknown = randomUUID();
      const missing = station.resolveConflicts({ ids: [unknown], choice: 'use_server' });
      await expect(missing).rejects.toBeInstanceOf(StationError);
      await expect(missing).rejects.toMatchObject({ code: 'not_found', message: `no conflict ${unknown}` });
      expect((await station.submitScan({ code: 'WHO-KNOWS', deviceId: 'wedge' })).kind).toBe('error');
    } finally {
      station.close();
    }
  });

  it('fails an oversized call in the page’s client with a typed error, and keeps the connection', async () => {
    let sockets = 0;
    const Socket = class extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { Origin: host.url } });
        sockets += 1;
      }
    } as unknown as WebSocketLike;
    const station = webSocketStation(`${host.url.replace('http', 'ws')}/station?token=${host.token}`, Socket);
    try {
      expect(await station.getInfo()).toMatchObject({ host: 'browser' });
      // 90,000 characters, 270,000 bytes in UTF-8: the limit is on bytes, as the host counts them.
      const huge = '€'.repeat(90_000);
      expect(huge.length).toBeLessThan(MAX_WIRE_BYTES);
      const refused = await station.submitScan({ code: huge, deviceId: 'wedge' }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(StationError);
      expect(refused).toMatchObject({ code: 'invalid_arguments' });
      expect(String(refused)).toMatch(/submitScan: the request is 270,\d{3} bytes; the station takes at most 262,144/);
      // The same socket goes on answering: nothing was sent, nothing was closed.
      expect(await station.getInfo()).toMatchObject({ host: 'browser' });
      expect(sockets).toBe(1);
    } finally {
      station.close();
    }
  });

  it('cuts off a client that dribbles its headers (slowloris), and serves others meanwhile', async () => {
    const quick = await startBrowserHost({
      handlers: harness.handlers,
      rendererDir: renderer,
      port: 0,
      subscribe: () => () => undefined,
      timeouts: { headersMs: 500, requestMs: 2000 },
    });
    try {
      const port = Number(new URL(quick.url).port);
      const socket = tcpConnect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      const started = Date.now();
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      // One more header line every 100 ms, never the blank line that ends them.
      let n = 0;
      const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${(n += 1)}: x\r\n`), 100);
      try {
        expect((await fetch(`${quick.url}/`)).status).toBe(200);
        // Generous: the bound proves it is cut off at all (Node's default waits 60 s and checks every 30 s).
        const at = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
        expect(at).not.toBeNull();
        expect((at ?? 0) - started).toBeGreaterThanOrEqual(400);
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(drip);
        socket.destroy();
      }
    } finally {
      await quick.close();
    }
  });
});
