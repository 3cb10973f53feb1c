import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLog } from './logging';

const dirs: string[] = [];
function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'station-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const clock = () => new Date('2026-11-25T09:00:00Z');

describe('the station log', () => {
  it('writes one JSON object per line with time, level and fields', () => {
    const log = new RotatingLog({ dir: logDir(), now: clock });
    log.write('warn', 'sync failed', { depth: 3 });
    expect(JSON.parse(readFileSync(log.file, 'utf8'))).toEqual({
      ts: '2026-11-25T09:00:00.000Z',
      level: 'warn',
      msg: 'sync failed',
      depth: 3,
    });
  });

  it('rotates by size and keeps only the configured number of old files', () => {
    const log = new RotatingLog({ dir: logDir(), maxBytes: 200, keep: 2, now: clock });
    for (let i = 0; i < 20; i += 1) log.write('info', `line ${i}`);
    expect(log.files().map((f) => f.slice(log.file.length))).toEqual(['.2', '.1', '']);
    const kept = log.tail(100).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(kept.at(-1)).toBe('line 19');
    expect(kept).not.toContain('line 0');
    for (const file of log.files()) expect(readFileSync(file).length).toBeLessThanOrEqual(200);
  });

  it('never writes secrets: password/token/key fields, JWTs and bearer tokens are redacted', () => {
    const log = new RotatingLog({ dir: logDir(), now: clock });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    log.write('error', `push refused for Bearer abc.def and ${jwt}`, {
      password: 'hunter2',
      accessToken: 'tok',
      anonKey: 'k',
      url: 'https://x',
      request: { headers: { cookie: 'c=1', 'x-api-key': 'xyz' }, session: { user: 'u' }, note: `token ${jwt}` },
      list: [{ jwt: 'j' }],
    });
    const text = readFileSync(log.file, 'utf8');
    for (const secret of ['hunter2', '"tok"', jwt, 'abc.def', '"k"', 'c=1', 'xyz', '"u"', '"j"']) expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({
      password: '[redacted]',
      accessToken: '[redacted]',
      anonKey: '[redacted]',
      url: 'https://x',
      request: { headers: { cookie: '[redacted]', 'x-api-key': '[redacted]' }, session: '[redacted]', note: 'token [redacted]' },
      list: [{ jwt: '[redacted]' }],
    });
  });

  it('continues the current file after a restart', () => {
    const dir = logDir();
    new RotatingLog({ dir, maxBytes: 10_000, now: clock }).write('info', 'before restart');
    const again = new RotatingLog({ dir, maxBytes: 10_000, now: clock });
    again.write('info', 'after restart');
    expect(again.tail(10).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['before restart', 'after restart']);
  });
});
