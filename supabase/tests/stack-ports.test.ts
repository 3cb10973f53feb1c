import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../local/ports';
import { startLocalStack, type LocalStack } from '../local/stack';
import { nodeSupabaseClient } from '../../tests/helpers/supabase-client';

// A port found free is only free until someone binds it: on a busy CI machine other stacks and
// outgoing connections take ports all the time. CI once failed this way ("port 41401 is already in
// use"): the gateway's port was picked free, then bound after the functions had started. Now the
// gateway and Deno bind port 0 themselves; PostgreSQL, whose port is chosen before it binds (after
// initdb), chooses again when it lost the race. Here the port picker hands PostgreSQL ports that
// another process already holds, as a race lost at the worst moment would.
const held: Server[] = [];
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A port some other process is listening on. */
function takenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      held.push(server);
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address.port);
      else reject(new Error('no port'));
    });
  });
}

describe('the local stack and ports taken from under it', () => {
  it('starts PostgreSQL on another port when the one it picked is taken before it binds, and every function on its own', async () => {
    const taken = new Set<number>();
    // PostgreSQL's first two picks are lost races.
    let picks = 0;
    const pickPort = async (): Promise<number> => {
      picks += 1;
      if (picks <= 2) {
        const port = await takenPort();
        taken.add(port);
        return port;
      }
      return freePort();
    };
    const log: string[] = [];
    stack = await startLocalStack({ fresh: true, port: 0, pickPort, sweepIntervalMs: 0, log: (line) => log.push(line) });

    expect(taken.size).toBe(2);
    expect(taken.has(Number(new URL(stack.dbUrl).port))).toBe(false);
    expect(log.filter((line) => /PostgreSQL: port \d+ was taken before it could bind it; trying another/.test(line))).toHaveLength(2);
    // Each function on the port its Deno process bound: the port is its own (the process says so).
    for (const fn of stack.functions.values()) {
      expect(taken.has(fn.port)).toBe(false);
      expect(log).toContain(`serving edge function ${fn.name} on 127.0.0.1:${fn.port}`);
    }

    // And it works: the gateway answers, PostgreSQL behind it, and a function through it.
    const service = nodeSupabaseClient(stack.url, stack.serviceRoleKey);
    expect((await service.rpc('session_info')).data).toMatchObject({ role: 'service_role' });
    const health = await fetch(`${stack.url}/functions/v1/health`, { headers: { Authorization: `Bearer ${stack.serviceRoleKey}` } });
    expect(health.status).toBe(200);
    // The functions started after the gateway bound its port, and know its URL.
    expect(await health.json()).toMatchObject({ project: stack.url });
  }, 180_000);
});
