import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';

// Database webhooks: supabase_functions.http_request over the local pg_net stand-in.
let stack: TestStack;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; headers: IncomingHttpHeaders; body: unknown }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      const delay = path.startsWith('/slow') ? 1500 : 0;
      setTimeout(() => {
        received.push({ path, headers: req.headers, body: text === '' ? null : (JSON.parse(text) as unknown) });
        res.writeHead(path.startsWith('/fail') ? 503 : 200, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      }, delay);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startTestStack();
  await stack.db.query('create table public.webhook_probe (id serial primary key, label text not null)');
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

async function addHook(name: string, path: string, timeoutMs: number): Promise<void> {
  await stack.db.query(
    `create trigger ${name} after insert on public.webhook_probe for each row
     when (new.label like '${name}%')
     execute function supabase_functions.http_request('${receiverUrl}${path}', 'POST',
       '{"Content-Type":"application/json","x-webhook-secret":"s3cret"}', '{"source":"probe & co","n":"é"}', '${timeoutMs}')`,
  );
}

describe('database webhooks through the pg_net stand-in', () => {
  beforeAll(async () => {
    await addHook('hook_ok', '/hook', 1000);
    await addHook('hook_slow', '/slow', 200);
    await addHook('hook_fail', '/fail', 1000);
  });

  it('posts Supabase’s webhook payload with the trigger’s headers and params after commit', async () => {
    await stack.db.query("insert into public.webhook_probe (label) values ('hook_ok 1')");
    await stack.drainWebhooks();
    const hit = received.find((r) => r.path.startsWith('/hook'));
    expect(hit?.path).toBe('/hook?n=%C3%A9&source=probe%20%26%20co');
    expect(hit?.headers['x-webhook-secret']).toBe('s3cret');
    expect(hit?.body).toEqual({
      type: 'INSERT',
      table: 'webhook_probe',
      schema: 'public',
      record: { id: expect.any(Number) as number, label: 'hook_ok 1' },
      old_record: null,
    });
    const response = await stack.db.query(
      `select r.status_code, r.timed_out from net._http_response r
       join supabase_functions.hooks h on h.request_id = r.id where h.hook_name = 'hook_ok'`,
    );
    expect(response.rows).toEqual([{ status_code: 200, timed_out: false }]);
  });

  it('sends nothing for a transaction that rolls back', async () => {
    const before = received.length;
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      await client.query("insert into public.webhook_probe (label) values ('hook_ok rolled back')");
      await client.query('rollback');
    } finally {
      client.release();
    }
    await stack.drainWebhooks();
    expect(received.length).toBe(before);
    expect((await stack.db.query('select count(*)::int as n from net.http_request_queue')).rows[0]?.n).toBe(0);
  });

  it('honours the timeout and records it, as pg_net does', async () => {
    await stack.db.query("insert into public.webhook_probe (label) values ('hook_slow 1')");
    await stack.drainWebhooks();
    const response = await stack.db.query(
      `select r.status_code, r.timed_out, r.error_msg from net._http_response r
       join supabase_functions.hooks h on h.request_id = r.id where h.hook_name = 'hook_slow'`,
    );
    expect(response.rows).toEqual([{ status_code: null, timed_out: true, error_msg: 'Timeout of 200 ms reached' }]);
  });

  it('records an error status without retrying (pg_net has no retries)', async () => {
    await stack.db.query("insert into public.webhook_probe (label) values ('hook_fail 1')");
    await stack.drainWebhooks();
    const response = await stack.db.query(
      `select r.status_code from net._http_response r
       join supabase_functions.hooks h on h.request_id = r.id where h.hook_name = 'hook_fail'`,
    );
    expect(response.rows).toEqual([{ status_code: 503 }]);
    expect(received.filter((r) => r.path.startsWith('/fail'))).toHaveLength(1);
  });
});
