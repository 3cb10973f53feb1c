import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';
import { pullToCurrent } from '../../../tests/helpers/pull';

// A gig's venue zone (migration 20261204000100): a place's IANA zone or nothing; anything else is
// refused by name and changes nothing; devices receive it with the gig in the pull.
let stack: TestStack;
let org: Org;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'zones');
});
afterAll(async () => {
  await stack?.stop();
});

async function zoneOf(id: string): Promise<{ time_zone: string | null; version: number }> {
  const { rows } = await stack.db.query<{ time_zone: string | null; version: number }>(
    'select time_zone, version from public.gigs where id = $1',
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`gig ${id} not found`);
  return row;
}

describe('gig time zone', () => {
  it('keeps a place’s zone, bumps the version and reaches devices in the pull', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Set at The Docks' });
    const before = await zoneOf(gig);
    expect(before.time_zone).toBeNull();
    await stack.db.query(`update public.gigs set time_zone = 'Europe/Lisbon' where id = $1`, [gig]);
    const after = await zoneOf(gig);
    expect(after).toEqual({ time_zone: 'Europe/Lisbon', version: before.version + 1 });
    for (const zone of ['UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'Asia/Kolkata']) {
      await stack.db.query('update public.gigs set time_zone = $1 where id = $2', [zone, gig]);
      expect((await zoneOf(gig)).time_zone).toBe(zone);
    }
    await stack.db.query(`update public.gigs set time_zone = 'Europe/Lisbon' where id = $1`, [gig]);

    const page = await pullToCurrent(org.members.crew, null);
    const pulled = page.changes['gigs']?.findLast((row) => row.id === gig);
    expect(pulled?.time_zone).toBe('Europe/Lisbon');
  });

  it('refuses what is not a place’s zone, saying which, and changes nothing', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Set in Helsinki' });
    await stack.db.query(`update public.gigs set time_zone = 'Europe/Helsinki' where id = $1`, [gig]);
    const before = await zoneOf(gig);
    const refused: [string, RegExp][] = [
      ['Europe/Lisbonn', /unknown time zone 'Europe\/Lisbonn'/],
      ['CET', /unknown time zone 'CET'/], // an abbreviation: no place's rules
      ['EST', /unknown time zone 'EST'/],
      ['Mars/Olympus_Mons', /unknown time zone/],
      ['', /a time zone is a place's IANA name/],
      ['Europe/Lisbon; drop table public.gigs', /a time zone is a place's IANA name/],
      ['../../etc/passwd', /a time zone is a place's IANA name/],
      ['Europe/\u202eLisbon', /a time zone is a place's IANA name/],
      [`Europe/${'X'.repeat(80)}`, /a time zone is a place's IANA name/],
    ];
    for (const [zone, words] of refused) {
      const error = await stack.db.query('update public.gigs set time_zone = $1 where id = $2', [zone, gig]).then(
        () => null,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(error?.code, zone).toBe('23514');
      expect(error?.message ?? '', zone).toMatch(words);
      expect(await zoneOf(gig)).toEqual(before);
    }
    // A new gig is checked too.
    await expect(
      stack.db.query(`insert into public.gigs (org_id, name, time_zone) values ($1, 'Bad zone', 'Europe/Nowhere')`, [org.id]),
    ).rejects.toThrow(/unknown time zone 'Europe\/Nowhere'/);
  });

  it('checks names against the copy made at migration, and the zone database for a name the copy lacks', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Set in Lisbon' });
    const client = await stack.db.connect();
    try {
      await client.query('begin');
      // A zone a newer PostgreSQL added after the copy was made: still known through pg_timezone_names.
      await client.query(`delete from app.time_zone_names where name = 'Europe/Lisbon'`);
      await client.query(`update public.gigs set time_zone = 'Europe/Lisbon' where id = $1`, [gig]);
      const { rows } = await client.query<{ time_zone: string }>('select time_zone from public.gigs where id = $1', [gig]);
      expect(rows[0]?.time_zone).toBe('Europe/Lisbon');
      // An abbreviation is refused on either path.
      await expect(client.query(`update public.gigs set time_zone = 'CET' where id = $1`, [gig])).rejects.toThrow(
        /unknown time zone 'CET'/,
      );
    } finally {
      await client.query('rollback');
      client.release();
    }
    const { rows } = await stack.db.query<{ n: number }>(
      `select count(*)::int as n from app.time_zone_names c join pg_catalog.pg_timezone_names z using (name)`,
    );
    expect(rows[0]?.n).toBeGreaterThan(300);
  });
});
