import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAsset, insertCase } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { drainUntilSettled, openStation } from '../helpers/station';
import { arrangeAttackers, callRpc, type Attackers, type Caller } from './rpc-attackers';

// Outside tester, issue 18: server-side defects in what a push may carry, each failing on the code
// as it was before migration 20261203001000_push_input_hardening (and, for the NUL, before the
// engine set a batch the server cannot read apart op by op):
// * a scan time in PostgreSQL's special words ('epoch', 'today', '-infinity', …) passed the cast;
// * a station whose clock reset to 1970 recorded movements in 1970 until a prune had run;
// * condition notes kept bells, terminal escapes and backspaces (shown in history and lists);
// * a NUL in one op's note made the server refuse the whole batch (400, 22P05), the good ops too;
// * a crew member's own phone recorded movements in another staff member's name.
let stack: TestStack;
let who: Attackers;
let n = 0;
const dir = mkdtempSync(join(tmpdir(), 'opjob-defects-'));
const DAY = 86_400_000;

interface Result {
  status: string;
  code?: string;
  message?: string;
}

async function push(
  caller: Caller,
  ops: Record<string, unknown>[],
  device = 'probe-station',
): Promise<{ status: number; results: Result[]; text: string }> {
  const answer = await callRpc(stack, caller, 'push_changes', { device_id: device, ops });
  const results = answer.status === 200 ? (answer.json as { results: Result[] }).results : [];
  return { status: answer.status, results, text: answer.text };
}

const serial = (): string => `DEFECT-${(n += 1)}-${randomUUID().slice(0, 4).toUpperCase()}`;
async function outAsset(caseId: string | null = null): Promise<string> {
  const id = await insertAsset(stack.db, who.a.org.id, serial(), { caseId });
  await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [id, who.a.child]);
  return id;
}
const checkIn = (asset: string, payload: Record<string, unknown>, createdAt?: string): Record<string, unknown> => ({
  id: randomUUID(),
  table: 'assets',
  action: 'check_in',
  payload: { id: asset, ...payload },
  ...(createdAt === undefined ? {} : { created_at: createdAt }),
});
const movement = async (asset: string): Promise<{ occurred_at: string; note: string | null; staff_id: string | null } | undefined> =>
  (
    await stack.db.query<{ occurred_at: string; note: string | null; staff_id: string | null }>(
      "select occurred_at::text, note, staff_id from public.asset_movements where asset_id = $1 and kind = 'check_in'",
      [asset],
    )
  ).rows[0];
const status = async (asset: string): Promise<string> =>
  (await stack.db.query<{ status: string }>('select status from public.assets where id = $1', [asset])).rows[0]?.status ?? 'gone';

async function bulkItem(): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, unit, consumable, in_warehouse)
     values ($1, $2, 'XLR cable 10m', $2, 'pcs', false, 50) returning id`,
    [who.a.org.id, `BULK-${serial()}`],
  );
  return rows[0]?.id ?? '';
}
const bulkOut = (item: string, payload: Record<string, unknown>, createdAt?: string): Record<string, unknown> => ({
  id: randomUUID(),
  table: 'bulk_items',
  action: 'check_out',
  payload: { id: item, gig_id: who.a.child, quantity: 2, ...payload },
  ...(createdAt === undefined ? {} : { created_at: createdAt }),
});
const bulkMovements = async (item: string): Promise<number> =>
  (await stack.db.query<{ n: number }>('select count(*)::int as n from public.bulk_movements where bulk_item_id = $1', [item])).rows[0]
    ?.n ?? -1;

beforeAll(async () => {
  stack = await startTestStack();
  who = await arrangeAttackers(stack, 'opjobdef');
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('scan time: an ISO 8601 timestamp with a time zone, or the op is refused', () => {
  // op.created_at was cast with ::timestamptz alone: PostgreSQL's special inputs passed.
  for (const forged of ['-infinity', 'infinity', 'epoch', 'today', 'yesterday', 'now', '2026-12-03 10:00:00+00', '2026-12-03T10:00:00']) {
    it(`created_at ${JSON.stringify(forged)} is refused invalid_field, and nothing moves`, async () => {
      const asset = await outAsset();
      const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, {}, forged)]);
      expect(results[0], JSON.stringify(await movement(asset))).toMatchObject({
        status: 'rejected',
        code: 'invalid_field',
        message: 'op.created_at must be an ISO 8601 timestamp',
      });
      expect(await status(asset)).toBe('checked_out');
      expect(await movement(asset)).toBeUndefined();
    });
  }

  it('an ISO 8601 scan time with an offset is kept as the movement’s time', async () => {
    const asset = await outAsset();
    // Three days ago at 14:05:00.250 in UTC+2, written with its offset (inside the replay window whenever the test runs).
    const day = new Date(Date.now() - 3 * DAY).toISOString().slice(0, 10);
    const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, {}, `${day}T14:05:00.250+02:00`)]);
    expect(results[0]).toMatchObject({ status: 'applied' });
    expect(Date.parse((await movement(asset))?.occurred_at ?? '')).toBe(Date.parse(`${day}T12:05:00.250Z`));
  });
});

describe('scan time older than the replay window (30 days), with no prune run', () => {
  it('a station whose clock reset to 1970 is refused replay_expired on the asset path, and nothing moves', async () => {
    const asset = await outAsset();
    const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, {}, '1970-01-01T00:00:00Z')]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'replay_expired' });
    expect(results[0]?.message).toMatch(/older than the server remembers/);
    expect(await status(asset)).toBe('checked_out');
    expect(await movement(asset)).toBeUndefined();
  });

  it('and on the quantity path (bulk stock), and for a case', async () => {
    const item = await bulkItem();
    const box = await insertCase(stack.db, who.a.org.id, `CASE-${serial()}`);
    const inside = await outAsset(box);
    const { results } = await push(who.member(who.a, 'station'), [
      bulkOut(item, {}, '1970-01-01T00:00:00Z'),
      {
        id: randomUUID(),
        table: 'cases',
        action: 'check_in',
        payload: { id: box },
        created_at: new Date(Date.now() - 31 * DAY).toISOString(),
      },
    ]);
    expect(results.map((r) => r.code)).toEqual(['replay_expired', 'replay_expired']);
    expect(await bulkMovements(item)).toBe(0);
    expect(await status(inside)).toBe('checked_out');
  });

  it('a scan 29 days ago is still inside the window and keeps its time', async () => {
    const asset = await outAsset();
    const scanned = new Date(Date.now() - 29 * DAY).toISOString();
    const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, {}, scanned)]);
    expect(results[0]).toMatchObject({ status: 'applied' });
    expect(Date.parse((await movement(asset))?.occurred_at ?? '')).toBe(Date.parse(scanned));
  });
});

describe('a condition note is one line of text: control characters are refused', () => {
  it('a note with terminal escapes and a bell is refused invalid_field, and nothing moves', async () => {
    const asset = await outAsset();
    const note = 'lens cracked\u0007\u001b[2J\u001b[31m OK \u0008\u0008';
    const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, { condition: 'damaged', note })]);
    expect(results[0]).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
      message: 'payload.note: control characters are not allowed (a note is one line of text)',
    });
    expect(await status(asset)).toBe('checked_out');
    expect(await movement(asset)).toBeUndefined();
  });

  for (const [label, note] of [
    ['a tab', 'lens\tcracked'],
    ['a line break', 'lens\ncracked'],
    ['DEL', 'lens\u007f'],
    ['a C1 control (CSI)', 'lens \u009b2J'],
  ] as const) {
    it(`a note with ${label} is refused on both the fast path (one op) and the per-op path (two ops on the item)`, async () => {
      const fast = await outAsset();
      const slow = await outAsset();
      const out = await push(who.member(who.a, 'station'), [
        checkIn(fast, { condition: 'damaged', note }),
        checkIn(slow, { condition: 'ok' }),
        checkIn(slow, { condition: 'damaged', note }),
      ]);
      expect(out.results.map((r) => [r.status, r.code])).toEqual([
        ['rejected', 'invalid_field'],
        ['applied', undefined],
        // Back already, but its note is refused before anything is judged.
        ['rejected', 'invalid_field'],
      ]);
      expect(await status(fast)).toBe('checked_out');
    });
  }

  it('a case check-in refuses a control character in an item’s note and in the case’s note, and nothing comes back', async () => {
    const box = await insertCase(stack.db, who.a.org.id, `CASE-${serial()}`);
    const broken = await outAsset(box);
    const fine = await outAsset(box);
    const caseIn = (payload: Record<string, unknown>): Record<string, unknown> => ({
      id: randomUUID(),
      table: 'cases',
      action: 'check_in',
      payload: { id: box, ...payload },
    });
    const { results } = await push(who.member(who.a, 'station'), [
      caseIn({ items: [{ asset_id: broken, condition: 'damaged', note: 'cable \u001b[31mcut' }] }),
    ]);
    expect(results[0]).toMatchObject({
      status: 'rejected',
      code: 'invalid_field',
      message: 'payload.items[0].note: control characters are not allowed (a note is one line of text)',
    });
    const second = await push(who.member(who.a, 'station'), [caseIn({ condition: 'missing_parts', note: 'two\rclamps' })]);
    expect(second.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_field' });
    expect([await status(broken), await status(fine)]).toEqual(['checked_out', 'checked_out']);
  });

  it('a note in another script with punctuation is kept as sent', async () => {
    const asset = await outAsset();
    const note = 'Linse gesprungen — objectif fêlé, ø 52 mm (“см. фото”)';
    const { results } = await push(who.member(who.a, 'station'), [checkIn(asset, { condition: 'damaged', note })]);
    expect(results[0]).toMatchObject({ status: 'applied' });
    expect((await movement(asset))?.note).toBe(note);
  });
});

describe('a NUL in one op’s note (jsonb cannot hold \\u0000: the server refuses the whole request)', () => {
  it('the server refuses the batch with 22P05 (the engine is what keeps the rest going)', async () => {
    const good = await outAsset();
    const bad = await outAsset();
    const answer = await push(who.member(who.a, 'station'), [
      checkIn(good, { condition: 'ok' }),
      checkIn(bad, { condition: 'damaged', note: 'a\u0000b' }),
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ code: '22P05' });
    expect([await status(good), await status(bad)]).toEqual(['checked_out', 'checked_out']);
  });

  it('a real station sets the op apart (quarantined with the server’s words) and the ops beside it apply', async () => {
    const member = who.a.org.members.station;
    const station = await openStation({
      url: stack.url,
      anonKey: stack.anonKey,
      email: member.email,
      password: member.password,
      dbPath: join(dir, 'nul.sqlite'),
    });
    const goods = [await outAsset(), await outAsset(), await outAsset(), await outAsset(), await outAsset()];
    const bad = await outAsset();
    const queued: string[] = [];
    for (const [index, asset] of goods.entries()) {
      queued.push((await station.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: asset, condition: 'ok' } })).id);
      if (index === 2) {
        const poison = { table: 'assets', action: 'check_in', payload: { id: bad, condition: 'damaged', note: 'lens\u0000cracked' } };
        queued.push((await station.engine.enqueue(poison)).id);
      }
    }
    await drainUntilSettled(station);
    expect(await Promise.all(goods.map(status))).toEqual(goods.map(() => 'available'));
    expect(await status(bad)).toBe('checked_out');
    const quarantined = await station.store.quarantined();
    expect(quarantined.map((q) => [q.op.id, q.code])).toEqual([[queued[3], 'invalid_op']]);
    expect(quarantined[0]?.message).toMatch(/^the server cannot read this change: unsupported Unicode escape sequence/);
    expect(await station.store.stats()).toMatchObject({ depth: 0, quarantined: 1 });
    station.store.close();
  });
});

describe('accountability: who may be named as operator', () => {
  async function crewProfile(): Promise<string> {
    const crew = who.a.org.members.crew;
    const { rows } = await stack.db.query<{ id: string }>(
      `insert into public.staff_profiles (org_id, user_id, display_name, badge_code, email) values ($1, $2, 'Crew A', $3, $4)
       on conflict (org_id, user_id) do update set display_name = excluded.display_name returning id`,
      [who.a.org.id, crew.userId, `B-${serial()}`, crew.email],
    );
    return rows[0]?.id ?? '';
  }

  it('a crew member’s phone cannot record a movement in another staff member’s name (forbidden, nothing stored)', async () => {
    // Tech SECRET-A is the org's staff profile, not the crew member's own. A shared station
    // names whichever badge was scanned; a person signed in on their own phone is that person.
    await crewProfile();
    const asset = await outAsset();
    const { results } = await push(who.member(who.a, 'crew'), [checkIn(asset, { condition: 'ok', staff_id: who.a.staff })], 'crew-phone');
    expect(results[0]).toMatchObject({
      status: 'rejected',
      code: 'forbidden',
      message: 'a crew member records movements as themselves: payload.staff_id must be your own staff profile',
    });
    expect(await status(asset)).toBe('checked_out');
    expect(await movement(asset)).toBeUndefined();
  });

  it('nor a quantity of bulk stock in another’s name', async () => {
    const item = await bulkItem();
    const { results } = await push(who.member(who.a, 'crew'), [bulkOut(item, { staff_id: who.a.staff })], 'crew-phone');
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'forbidden' });
    expect(await bulkMovements(item)).toBe(0);
  });

  it('a crew member naming their own staff profile records it; a station names any staff profile (a badge scanned)', async () => {
    const own = await crewProfile();
    const mine = await outAsset();
    const badge = await outAsset();
    expect((await push(who.member(who.a, 'crew'), [checkIn(mine, { staff_id: own })], 'crew-phone')).results[0]).toMatchObject({
      status: 'applied',
    });
    expect((await movement(mine))?.staff_id).toBe(own);
    expect((await push(who.member(who.a, 'station'), [checkIn(badge, { staff_id: who.a.staff })])).results[0]).toMatchObject({
      status: 'applied',
    });
    expect((await movement(badge))?.staff_id).toBe(who.a.staff);
  });
});
