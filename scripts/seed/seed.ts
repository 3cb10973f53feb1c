import pg from 'pg';
import { generateOrg, type OrgData, type SeedSize } from './generate';
import { loadOrg } from './load';

export const DEMO_PASSWORD = 'gigmanager-demo';

/** Named accounts every seeded database has, documented in the README. */
export const DEMO_LOGINS = [
  { email: 'station@northlight.test', role: 'station', org: 'northlight' },
  { email: 'manager@northlight.test', role: 'manager', org: 'northlight' },
  { email: 'crew@northlight.test', role: 'crew', org: 'northlight' },
  { email: 'admin@harbour.test', role: 'admin', org: 'harbour' },
] as const;

export const ORGS = {
  northlight: { id: '6e0f6a4e-2c1b-4c8e-9a57-3b1f0f6f0001', name: 'Northlight Productions' },
  harbour: { id: '6e0f6a4e-2c1b-4c8e-9a57-3b1f0f6f0002', name: 'Harbour Events' },
} as const;

export interface SeedOptions extends SeedSize {
  seed: number;
  progress?: (line: string) => void;
}

export interface SeedSummary {
  gigs: number;
  assets: number;
  staff: number;
  movements: number;
  largestTreeNodes: number;
  maxDepth: number;
  seconds: number;
}

/**
 * Seeds an empty database: the main organization at the requested size, a second small
 * organization (for isolation), and the demo logins. One transaction: all or nothing.
 */
export async function seedDatabase(dbUrl: string, options: SeedOptions): Promise<SeedSummary> {
  const progress = options.progress ?? (() => undefined);
  const started = performance.now();
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const existing = await client.query<{ n: number }>('select count(*)::int as n from public.organizations');
    if ((existing.rows[0]?.n ?? 0) > 0) {
      throw new Error('the database already has organizations: seed an empty database (e.g. npm run backend -- --fresh)');
    }
    progress(`generating data (seed ${options.seed})…`);
    const main = generateOrg(options.seed, options, 'northlight');
    const second = generateOrg(
      options.seed + 1,
      { gigs: 40, assets: 120, staff: 6, ...(options.now === undefined ? {} : { now: options.now }) },
      'harbour',
    );
    const hash = await client.query<{ hash: string }>("select extensions.crypt($1, extensions.gen_salt('bf', 10)) as hash", [
      DEMO_PASSWORD,
    ]);
    const passwordHash = hash.rows[0]?.hash ?? '';

    await client.query('begin');
    await loadOrg(client, main, {
      orgId: ORGS.northlight.id,
      orgName: ORGS.northlight.name,
      orgSlug: 'northlight',
      passwordHash,
      progress,
    });
    await loadOrg(client, second, { orgId: ORGS.harbour.id, orgName: ORGS.harbour.name, orgSlug: 'harbour', passwordHash, progress });
    for (const login of DEMO_LOGINS) {
      const data: OrgData = login.org === 'northlight' ? main : second;
      const member = data.staff.find((s) => s.role === login.role) ?? data.staff[0];
      if (member === undefined) continue;
      await client.query('update auth.users set email = $1 where id = $2', [login.email, member.userId]);
      await client.query('update public.memberships set role = $1 where user_id = $2', [login.role, member.userId]);
      await client.query('update public.staff_profiles set email = $1 where user_id = $2', [login.email, member.userId]);
    }
    await client.query('commit');
    // VACUUM also merges the GIN pending lists the bulk load filled; until then every trigram
    // and full-text search scans them.
    progress('vacuum analyze…');
    await client.query('vacuum (analyze)');
    return {
      gigs: main.gigs.length,
      assets: main.assets.length,
      staff: main.staff.length,
      movements: main.movementCount,
      largestTreeNodes: main.largestTreeNodes,
      maxDepth: main.maxDepth,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * The small demo dataset, loaded only into a database without organizations. Returns whether it
 * loaded. Its gigs are placed around `now` (the flagship festival running, most gigs upcoming);
 * the codes are the same whatever `now` is.
 */
export async function seedDemoIfEmpty(dbUrl: string, now: number = Date.now()): Promise<boolean> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from public.organizations');
    if (rows[0]?.n !== 0) return false;
  } finally {
    await client.end();
  }
  await seedDatabase(dbUrl, { gigs: 80, assets: 400, staff: 12, seed: 42, now });
  return true;
}
