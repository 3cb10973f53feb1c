import pg from 'pg';
import { ORGS } from '../../scripts/seed/seed';
import type { Scenario } from './scenario';
import type { LoadUser } from './steps';

/** What k6 and the Node driver read: the cohort, the org, and the pull cursor to start from. */
export interface UsersFile {
  orgId: string;
  festivalId: string;
  cursor: string | null;
  users: LoadUser[];
}

const LOAD_PASSWORD = 'gigmanager-load-test';

/**
 * Arranges the scenario's crew in a seeded database (`npm run seed`), idempotently: N crew members
 * of the seeded company (load-crew-<n>@northlight.test) each assigned to a set of its largest
 * festival, each with their own available gear, and none of an earlier run's test push
 * subscriptions. Superuser
 * SQL: this is the seeder's job, not the app's.
 */
export async function prepareFestival(dbUrl: string, scenario: Scenario, log: (line: string) => void): Promise<UsersFile> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    // ltree's operators live in the extensions schema, as on Supabase.
    await client.query('set search_path = public, extensions');
    const orgId = ORGS.northlight.id;
    const festival = (
      await client.query<{ id: string; size: number }>(
        `select r.id, (select count(*)::int from public.gigs d where d.org_id = r.org_id and d.path <@ r.path and d.deleted_at is null) as size
           from public.gigs r where r.org_id = $1 and r.parent_gig_id is null and r.deleted_at is null order by size desc, r.id limit 1`,
        [orgId],
      )
    ).rows[0];
    if (festival === undefined) throw new Error('no gigs in the seeded company: run npm run seed -- --db-url … first');
    const sets = (
      await client.query<{ id: string; root: string }>(
        `select g.id, coalesce(a.id, g.id) as root
           from public.gigs f
           join public.gigs g on g.org_id = f.org_id and g.path <@ f.path and g.deleted_at is null
           left join public.gigs a on a.org_id = g.org_id and a.path = extensions.subpath(g.path, 0, least($3 + 1, extensions.nlevel(g.path)))
          where f.id = $2 and f.org_id = $1
            and g.status in ('confirmed', 'in_progress')
            and not exists (select 1 from public.gigs c where c.parent_gig_id = g.id and c.deleted_at is null)
          order by g.path`,
        [orgId, festival.id, scenario.users.hierarchyDepth],
      )
    ).rows;
    if (sets.length === 0) throw new Error('the festival has no leaf gigs');
    const count = scenario.users.count;
    const needed = count * scenario.users.assetsPerUser;
    log(`festival ${festival.id}: ${festival.size} gigs, ${sets.length} sets; arranging ${count} crew members with ${needed} assets…`);

    await client.query('begin');
    // The cohort's test subscriptions (push.load.invalid) from an earlier run go: nothing may try to
    // deliver to them between runs, and each run starts without any.
    await client.query("delete from public.user_push_subscriptions where endpoint like 'https://push.load.invalid/%'");
    const hash =
      (await client.query<{ hash: string }>("select extensions.crypt($1, extensions.gen_salt('bf', 10)) as hash", [LOAD_PASSWORD])).rows[0]
        ?.hash ?? '';
    const emails = Array.from({ length: count }, (_, i) => `load-crew-${i + 1}@northlight.test`);
    await client.query(
      `insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
       select gen_random_uuid(), 'authenticated', 'authenticated', e, $2, now(), '{"provider":"email","providers":["email"]}', jsonb_build_object('name', e)
         from unnest($1::text[]) e
        where not exists (select 1 from auth.users u where lower(u.email) = lower(e) and u.deleted_at is null)`,
      [emails, hash],
    );
    const users = (
      await client.query<{ id: string; email: string }>('select id, email from auth.users where email = any($1) and deleted_at is null', [
        emails,
      ])
    ).rows;
    const byEmail = new Map(users.map((u) => [u.email, u.id]));
    await client.query(
      `insert into public.memberships (org_id, user_id, role) select $1, u, 'crew' from unnest($2::uuid[]) u on conflict do nothing`,
      [orgId, users.map((u) => u.id)],
    );
    await client.query(
      `insert into public.staff_profiles (org_id, user_id, display_name, email, badge_code)
       select $1, u.id, 'Load crew ' || u.n, u.email, 'LOAD-' || lpad(u.n::text, 5, '0')
         from jsonb_to_recordset($2::jsonb) as u(id uuid, email text, n int)
       on conflict (org_id, user_id) do nothing`,
      [orgId, JSON.stringify(emails.map((email, i) => ({ id: byEmail.get(email), email, n: i + 1 })))],
    );
    const assignment = emails.map((email, i) => ({ email, set: sets[i % sets.length] ?? sets[0]! }));
    await client.query(
      `insert into public.gig_staff (org_id, gig_id, staff_id, role)
       select $1, a.gig_id, sp.id, 'Crew'
         from jsonb_to_recordset($2::jsonb) as a(user_id uuid, gig_id uuid)
         join public.staff_profiles sp on sp.org_id = $1 and sp.user_id = a.user_id
        where not exists (select 1 from public.gig_staff gs where gs.gig_id = a.gig_id and gs.staff_id = sp.id)`,
      [orgId, JSON.stringify(assignment.map((a) => ({ user_id: byEmail.get(a.email), gig_id: a.set.id })))],
    );
    // Gear nobody else touches during the run: available, loose (not in a case).
    const assets = (
      await client.query<{ id: string; version: number }>(
        `select id, version from public.assets where org_id = $1 and status = 'available' and case_id is null and deleted_at is null order by id limit $2`,
        [orgId, needed],
      )
    ).rows;
    if (assets.length < needed) throw new Error(`only ${assets.length} available loose assets for ${needed} needed`);
    // Each crew member's gear is planned for their set: it is what their phone keeps (the scope
    // "mine": their sets and what is planned for or out to them), checked out or in.
    const per = scenario.users.assetsPerUser;
    await client.query(
      `insert into public.kit_assignments (org_id, gig_id, asset_id)
       select $1, a.gig_id, a.asset_id from jsonb_to_recordset($2::jsonb) as a(gig_id uuid, asset_id uuid)
        where not exists (select 1 from public.kit_assignments k where k.gig_id = a.gig_id and k.asset_id = a.asset_id)`,
      [
        orgId,
        JSON.stringify(
          assignment.flatMap((a, i) => assets.slice(i * per, (i + 1) * per).map((x) => ({ gig_id: a.set.id, asset_id: x.id }))),
        ),
      ],
    );
    await client.query('commit');

    const cursor =
      (
        await client.query<{ cursor: string }>(
          "select txid::text || ':' || seq as cursor from app.sync_changes where org_id = $1 order by txid desc, seq desc limit 1",
          [orgId],
        )
      ).rows[0]?.cursor ?? null;
    const prepared: LoadUser[] = assignment.map((a, i) => ({
      email: a.email,
      password: LOAD_PASSWORD,
      device_id: `load-${i + 1}`,
      gig_id: a.set.id,
      root_gig_id: a.set.root,
      assets: assets.slice(i * per, (i + 1) * per),
    }));
    return { orgId, festivalId: festival.id, cursor, users: prepared };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
