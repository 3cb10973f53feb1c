import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WIRE_BYTES, type WireMessage } from '../../core/wire';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { SqliteQueueStore } from '../sync/sqlite-queue-store';

// The browser host attacked from outside, as its own process (`npm run station:web`'s CLI): frames
// written by hand over node:net, and HTTP requests no browser sends. Whatever one connection sends,
// the process keeps serving the others, and its queue keeps working.
const dir = mkdtempSync(join(tmpdir(), 'browser-host-attack-'));
const GIG = '00000000-0000-4000-8000-000000000001';
let child: ChildProcess;
let openUrl: URL;
let origin = '';
let token = '';
let stderr = '';
let bystander: WebSocket;

beforeAll(async () => {
  // A station with one cached gig: a status change on it is a queued op.
  const dataDir = join(dir, 'station');
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteQueueStore({ path: join(dataDir, 'station.sqlite'), newId: randomUUID });
  await store.applyPull(
    {
      changes: { gigs: [{ id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 }] },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    (row) => row,
  );
  store.close();
  const env: NodeJS.ProcessEnv = { ...process.env, GIGMANAGER_DATA_DIR: dir, STATION_PORT: '0' };
  for (const key of ['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'STATION_EMAIL', 'STATION_PASSWORD']) delete env[key];
  child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'main/browser-host/cli.ts')], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stdout = child.stdout;
  if (stdout === null) throw new Error('the host has no stdout');
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stdout }).on('line', (text) => text.startsWith('station ready') && resolve(text));
    child.once('exit', (code) => reject(new Error(`the host exited with ${code} before it was ready:\n${stderr}`)));
  });
  openUrl = new URL(line.replace(/^station ready: open /, ''));
  origin = openUrl.origin;
  token = new URLSearchParams(openUrl.hash.slice(1)).get('token') ?? '';
  bystander = await station();
}, 120_000);

afterAll(async () => {
  bystander?.close();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A well-behaved page's connection (the `ws` client, with the page's Origin). */
function station(): Promise<WebSocket> {
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/station?token=${token}`, { headers: { Origin: origin } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let nextId = 0;
function call(ws: WebSocket, method: string, args: unknown[] = []): Promise<WireMessage> {
  const id = (nextId += 1);
  return new Promise((resolve, reject) => {
    if (ws.readyState !== ws.OPEN) {
      reject(new Error(`the connection is closed: cannot call ${method}`));
      return;
    }
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(data.toString('utf8')) as WireMessage;
      if ('id' in message && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before answering ${method}`)));
    ws.send(JSON.stringify({ id, method, args }));
  });
}

/** One frame, by hand: any opcode, FIN and RSV bits, masked or not, and a length that may lie. */
function frame(options: {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
  declaredLength?: number;
}): Buffer {
  const { opcode, payload, fin = true, rsv = 0, masked = true } = options;
  const length = options.declaredLength ?? payload.length;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  let lengthBytes: Buffer;
  if (length < 126) lengthBytes = Buffer.from([maskBit | length]);
  else if (length < 65536) {
    lengthBytes = Buffer.alloc(3);
    lengthBytes[0] = maskBit | 126;
    lengthBytes.writeUInt16BE(length, 1);
  } else {
    lengthBytes = Buffer.alloc(9);
    lengthBytes[0] = maskBit | 127;
    lengthBytes.writeBigUInt64BE(BigInt(length), 1);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), lengthBytes, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from(head), lengthBytes, mask, body]);
}

/** Sends raw bytes and collects everything the host answers until it closes the connection. */
function raw(bytes: Buffer | string, options: { reset?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect(Number(openUrl.port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    // The host may close mid-write (a frame it refused): that is an answer, not a test failure.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.write(bytes, () => {
      if (options.reset === true) socket.resetAndDestroy();
    });
  });
}

function handshake(path = `/station?token=${token}`, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: openUrl.host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    Origin: origin,
    ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/** A raw WebSocket that sends `frames` after the handshake; resolves with the close code the host sent. */
function attack(frames: Buffer[]): Promise<{ status: string; closeCode: number | null }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect(Number(openUrl.port), '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let status = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (status === '') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = buffer.subarray(0, buffer.indexOf('\r\n')).toString('latin1');
        buffer = buffer.subarray(end + 4);
        if (!status.includes(' 101 ')) {
          socket.destroy();
          return;
        }
        for (const f of frames) socket.write(f);
      }
      // The host's close frame: 0x88, a length, then the code.
      if (buffer.length >= 4 && buffer[0] === 0x88) {
        const closeCode = buffer.readUInt16BE(2);
        socket.end();
        resolve({ status, closeCode });
      }
    });
    socket.on('close', () => (status === '' ? reject(new Error('closed before the handshake')) : resolve({ status, closeCode: null })));
    socket.write(handshake());
  });
}

async function stillServing(): Promise<void> {
  expect(child.exitCode, stderr).toBeNull();
  // The page that was connected all along, and a new one.
  expect(await call(bystander, 'getSyncStatus')).toMatchObject({ result: { ok: true } });
  const second = await station();
  try {
    expect(await call(second, 'getInfo')).toMatchObject({ result: { ok: true, value: { host: 'browser' } } });
  } finally {
    second.close();
  }
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const request = text(JSON.stringify({ id: 1, method: 'getInfo', args: [] }));

describe('browser host under attack: one bad WebSocket frame closes that connection only', () => {
  it.each([
    ['a text frame over 256 KiB', [frame({ opcode: 0x1, payload: Buffer.alloc(MAX_WIRE_BYTES + 1, 0x20) })], 1009],
    ['a frame that only claims to be 1 TiB', [frame({ opcode: 0x1, payload: Buffer.alloc(16, 0x20), declaredLength: 2 ** 40 })], 1009],
    ['invalid UTF-8 in a text frame', [frame({ opcode: 0x1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })], 1007],
    ['a reserved opcode (0x3)', [frame({ opcode: 0x3, payload: request })], 1002],
    ['an unmasked client frame', [frame({ opcode: 0x1, payload: request, masked: false })], 1002],
    ['a fragmented control frame (ping without FIN)', [frame({ opcode: 0x9, payload: text('x'), fin: false })], 1002],
    ['RSV1 set without an extension', [frame({ opcode: 0x1, payload: request, rsv: 4 })], 1002],
    ['a continuation frame with nothing to continue', [frame({ opcode: 0x0, payload: request })], 1002],
    ['a close frame with a reserved code', [frame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) })], 1002],
    [
      'a message split in fragments that add up to over 256 KiB',
      [
        frame({ opcode: 0x1, payload: Buffer.alloc(200 * 1024, 0x20), fin: false }),
        frame({ opcode: 0x0, payload: Buffer.alloc(100 * 1024, 0x20) }),
      ],
      1009,
    ],
  ])('%s', async (_label, frames, code) => {
    const answer = await attack(frames);
    expect(answer.status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(answer.closeCode).toBe(code);
    await stillServing();
  });

  it('logs each dropped connection with what was wrong', async () => {
    await attack([frame({ opcode: 0x3, payload: request })]);
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/browser host: dropped a connection \(1002\): .*opcode/i);
  });
});

describe('browser host under attack: HTTP and the upgrade', () => {
  it.each([
    ['an upgrade to a path that is not a URL', () => handshake('//'), /^HTTP\/1\.1 400 /],
    ['an upgrade to a backslash path', () => handshake('/\\'), /^HTTP\/1\.1 400 /],
    ['an upgrade without a key', () => handshake(undefined, { 'Sec-WebSocket-Key': '' }), /^HTTP\/1\.1 400 /],
    [
      'an upgrade with a protocol version ws does not speak',
      () => handshake(undefined, { 'Sec-WebSocket-Version': '7' }),
      /^HTTP\/1\.1 400 /,
    ],
    ['an upgrade with a wrong token', () => handshake('/station?token=guess'), /^HTTP\/1\.1 401 /],
    ['a request line with a 100 KiB URL', () => `GET /${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['an upgrade with a 100 KiB URL', () => handshake(`/station?token=${'a'.repeat(100 * 1024)}`), /^HTTP\/1\.1 431 /],
    ['a path with a NUL byte', () => `GET /%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 404 /],
    ['a path that is not percent-encoding', () => `GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['a POST', () => `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 405 /],
    ['bytes that are not HTTP', () => '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', /^HTTP\/1\.1 400 /],
  ])('%s', async (_label, bytes, status) => {
    const answer = await raw(bytes());
    expect(answer.toString('latin1')).toMatch(status);
    await stillServing();
  });

  it('survives clients that reset the connection right after an upgrade it refuses', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => raw(handshake(i % 2 === 0 ? '/elsewhere' : '/station?token=guess'), { reset: true })),
    );
    await stillServing();
  });

  it('keeps its queue working after every attack above', async () => {
    const before = await call(bystander, 'getSyncStatus');
    if (!('result' in before) || !before.result.ok) throw new Error('no status');
    const depth = (before.result.value as { depth: number }).depth;
    const fresh = await station();
    try {
      expect(await call(fresh, 'setGigStatus', [{ gigId: GIG, status: 'in_progress' }])).toMatchObject({
        result: { ok: true, value: { table: 'gigs', action: 'set_status' } },
      });
      expect(await call(fresh, 'getSyncStatus')).toMatchObject({ result: { ok: true, value: { depth: depth + 1 } } });
    } finally {
      fresh.close();
    }
  });
});
