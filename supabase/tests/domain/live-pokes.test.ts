import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { createOrg, insertGig, waitFor, type Member, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { nodeSupabaseClient, type NodeSupabaseClient } from '../../../tests/helpers/supabase-client';
import { textOf } from '../../local/realtime';

// Live updates (issue 20): a committed transaction pokes its company's devices once, through
// Realtime broadcast from the database (realtime.send), on a private topic only the company's
// members may join. Supabase-js's own channel() against the local stand-in.
let stack: TestStack;
let acme: Org;
let globex: Org;

beforeAll(async () => {
  stack = await startTestStack();
  acme = await createOrg(stack, 'live-acme');
  globex = await createOrg(stack, 'live-globex');
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

interface Listening {
  pokes: unknown[];
  state: string[];
  reasons: string[];
  channel: RealtimeChannel;
}

/** Joins `org:<id>` as the client's session (private channel), as the app does; resolves once the join is answered. */
async function listen(client: NodeSupabaseClient, orgId: string, options: { private?: boolean } = {}): Promise<Listening> {
  await client.realtime.setAuth();
  const heard: Listening = { pokes: [], state: [], reasons: [], channel: null as unknown as RealtimeChannel };
  heard.channel = client
    .channel(`org:${orgId}`, { config: { private: options.private ?? true } })
    .on('broadcast', { event: 'changed' }, (message) => heard.pokes.push(message))
    .subscribe((status, error) => {
      heard.state.push(status);
      if (error !== undefined) heard.reasons.push(error.message);
    });
  await waitFor(() => Promise.resolve(heard.state.length > 0), 20_000, 'the join to be answered');
  return heard;
}

async function signedIn(member: Member): Promise<NodeSupabaseClient> {
  const client = nodeSupabaseClient(stack.url, stack.anonKey);
  const { error } = await client.auth.signInWithPassword({ email: member.email, password: member.password });
  if (error !== null) throw error;
  return client;
}

describe('pokes from the database', () => {
  it('one poke per committed transaction and company, after commit, none for a rollback', async () => {
    const crew = await signedIn(acme.members.crew);
    const other = await signedIn(globex.members.crew);
    const heard = await listen(crew, acme.id);
    const heardOther = await listen(other, globex.id);
    expect(heard.state).toEqual(['SUBSCRIBED']);

    // Fifty rows in one transaction: one poke.
    const tx = await stack.db.connect();
    try {
      await tx.query('begin');
      for (let i = 0; i < 50; i += 1) await tx.query("insert into public.gigs (org_id, name) values ($1, 'Night ' || $2)", [acme.id, i]);
      // Not yet committed: a committed change of the other company is heard by its member first,
      // and ours still has nothing (Realtime reads after commit).
      await insertGig(stack.db, globex.id, { name: 'Globex night' });
      await waitFor(() => Promise.resolve(heardOther.pokes.length === 1), 20_000, "globex's poke");
      expect(heard.pokes).toHaveLength(0);
      await tx.query('commit');
    } finally {
      tx.release();
    }
    await waitFor(() => Promise.resolve(heard.pokes.length === 1), 20_000, "acme's poke");

    // A rolled-back transaction pokes no one; the next committed one does, once.
    const rolled = await stack.db.connect();
    try {
      await rolled.query('begin');
      await rolled.query("insert into public.gigs (org_id, name) values ($1, 'Cancelled')", [acme.id]);
      await rolled.query('rollback');
    } finally {
      rolled.release();
    }
    // One transaction over two companies: each hears one.
    const both = await stack.db.connect();
    try {
      await both.query('begin');
      await both.query("insert into public.gigs (org_id, name) values ($1, 'A'), ($2, 'B'), ($1, 'C')", [acme.id, globex.id]);
      await both.query("update public.gigs set name = name || '!' where org_id = $1", [acme.id]);
      await both.query('commit');
    } finally {
      both.release();
    }
    await waitFor(() => Promise.resolve(heard.pokes.length === 2 && heardOther.pokes.length === 2), 20_000, 'the pokes of both companies');
    // A poke says nothing but that something changed: the pull brings the rows, under RLS.
    expect(heard.pokes[0]).toMatchObject({ type: 'broadcast', event: 'changed', payload: {} });
    // What a device's push does: one transaction of push_changes, one poke.
    const gigId = await insertGig(stack.db, acme.id, { name: 'Pushed' });
    await waitFor(() => Promise.resolve(heard.pokes.length === 3), 20_000, "the insert's poke");
    const update = (fields: Record<string, string>): Record<string, unknown> => ({
      id: crypto.randomUUID(),
      table: 'gigs',
      action: 'update',
      payload: { id: gigId, fields },
    });
    const pushed = await acme.members.manager.client.rpc('push_changes', {
      device_id: 'laptop-a',
      ops: [update({ notes: 'Load-in 14:00' }), update({ venue: 'Hall 2' })],
    });
    expect(pushed.error).toBeNull();
    expect((pushed.data as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(['applied', 'applied']);
    await waitFor(() => Promise.resolve(heard.pokes.length === 4), 20_000, "the push's poke");
    // Nothing else came in meanwhile: the count is exact once a later marker arrived.
    await insertGig(stack.db, acme.id, { name: 'Marker' });
    await waitFor(() => Promise.resolve(heard.pokes.length === 5), 20_000, "the marker's poke");
    expect(heardOther.pokes).toHaveLength(2);
    await crew.removeAllChannels();
    await other.removeAllChannels();
  });
});

describe('who may hear a company', () => {
  it('refuses another company’s admin, a removed member, an anonymous caller and a public channel', async () => {
    const foreignAdmin = await listen(await signedIn(globex.members.admin), acme.id);
    expect(foreignAdmin.state).toEqual(['CHANNEL_ERROR']);
    expect(foreignAdmin.reasons.join()).toMatch(/Unauthorized/);

    const anonymous = await listen(nodeSupabaseClient(stack.url, stack.anonKey), acme.id);
    expect(anonymous.state).toEqual(['CHANNEL_ERROR']);

    const member = await signedIn(acme.members.station);
    const publicChannel = await listen(member, acme.id, { private: false });
    expect(publicChannel.state).toEqual(['CHANNEL_ERROR']);
    expect(publicChannel.reasons.join()).toMatch(/private channels only/);
    await member.removeAllChannels();

    // A topic that only starts like the company's is another topic.
    const forged = await listen(await signedIn(acme.members.crew), `${acme.id} `);
    expect(forged.state).toEqual(['CHANNEL_ERROR']);

    const leaving = await createOrg(stack, 'live-leaving');
    const removed = await signedIn(leaving.members.crew);
    await stack.db.query('delete from public.memberships where user_id = $1', [leaving.members.crew.userId]);
    const refused = await listen(removed, leaving.id);
    expect(refused.state).toEqual(['CHANNEL_ERROR']);
  });

  it('a member removed while listening stops hearing at the next token refresh', async () => {
    const team = await createOrg(stack, 'live-removed');
    const client = nodeSupabaseClient(stack.url, stack.anonKey);
    await client.auth.signInWithPassword({ email: team.members.crew.email, password: team.members.crew.password });
    const heard = await listen(client, team.id);
    expect(heard.state).toEqual(['SUBSCRIBED']);
    await insertGig(stack.db, team.id);
    await waitFor(() => Promise.resolve(heard.pokes.length === 1), 20_000, 'the first poke');

    await stack.db.query('delete from public.memberships where user_id = $1', [team.members.crew.userId]);
    // supabase-js hands the refreshed token to Realtime (TOKEN_REFRESHED → setAuth), which checks again.
    const { error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    // Closed, as hosted Realtime shuts a channel down (the app's link joins again, and is refused).
    await waitFor(() => Promise.resolve(heard.state.includes('CLOSED')), 20_000, 'the channel to be closed');

    // A colleague still there hears the next change; the removed member does not.
    const colleague = await listen(await signedIn(team.members.manager), team.id);
    await insertGig(stack.db, team.id);
    await waitFor(() => Promise.resolve(colleague.pokes.length === 1), 20_000, "the colleague's poke");
    expect(heard.pokes).toHaveLength(1);
    await client.removeAllChannels();
  });
});

const org = (o: Org): NodeSupabaseClient => o.members.crew.client;

describe('the WebSocket itself', () => {
  const socketUrl = (key: string): string => `${stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=2.0.0`;

  it('survives clients that reset the connection while being refused', async () => {
    const { hostname, port } = new URL(stack.url);
    for (let i = 0; i < 20; i += 1) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            `GET /realtime/v1/websocket?apikey=bad-${i} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          );
          socket.resetAndDestroy();
          resolve();
        });
        socket.on('error', () => resolve());
      });
    }
    // Still answering.
    const { error } = await org(acme).rpc('my_memberships');
    expect(error).toBeNull();
  });

  it('refuses an unknown API key before the upgrade', async () => {
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(socketUrl('not-a-key'));
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(401);
  });

  it('closes a socket that sends something other than a Phoenix message, and answers a heartbeat', async () => {
    const socket = new WebSocket(socketUrl(stack.anonKey));
    await new Promise((resolve) => socket.once('open', resolve));
    const answer = new Promise<unknown>((resolve) => socket.once('message', (data) => resolve(JSON.parse(textOf(data)))));
    socket.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
    expect(await answer).toEqual([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('{"topic": 42');
    expect(await closed).toBe(1007);
  });
});
