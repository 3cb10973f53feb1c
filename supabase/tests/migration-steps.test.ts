import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { listMigrations, pushMigrations, type MigrationFile } from '../local/migrate';
import { SUPABASE_DIR } from '../local/paths';

// Migrations tested with data before and after: migrate a scratch database to N−1, insert
// rows, migrate to N, check the rows and what N adds.
let stack: TestStack;
let files: MigrationFile[];
let scratch: string;

beforeAll(async () => {
  stack = await startTestStack();
  files = await listMigrations(join(SUPABASE_DIR, 'migrations'));
  scratch = await mkdtemp(join(tmpdir(), 'migration-steps-'));
});
afterAll(async () => {
  await stack?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function scratchDatabase(name: string): Promise<pg.Client & { url: string }> {
  await stack.db.query(`create database ${name}`);
  const url = new URL(stack.dbUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(await readFile(join(SUPABASE_DIR, 'local', 'bootstrap.sql'), 'utf8'));
  return Object.assign(client, { url: url.toString() });
}

/** `supabase db push` of exactly these files (a folder holding copies of them). */
async function push(client: { url: string }, subset: MigrationFile[]): Promise<void> {
  const dir = await mkdtemp(join(scratch, 'step-'));
  await mkdir(join(dir, 'supabase', 'migrations'), { recursive: true });
  for (const file of subset) await copyFile(file.path, join(dir, 'supabase', 'migrations', `${file.version}_${file.name}.sql`));
  await pushMigrations({ dbUrl: client.url, migrationsDir: join(dir, 'supabase', 'migrations'), log: () => undefined });
}

const upTo = (version: string, inclusive: boolean): MigrationFile[] =>
  files.filter((f) => (inclusive ? f.version <= version : f.version < version));

describe('migrations with data in place', () => {
  it('applies every migration on top of the previous ones with rows present', async () => {
    const client = await scratchDatabase('stepwise');
    try {
      // Up to the organizations migration, then a row that every later migration finds in place
      // (the CLI applies each file in its own transaction, in order, as one step each).
      const organizations = files.findIndex((file) => file.name === 'organizations_and_staff');
      expect(organizations).toBeGreaterThanOrEqual(0);
      await push(client, files.slice(0, organizations + 1));
      await client.query(
        "insert into public.organizations (id, name, slug) values ('00000000-0000-4000-8000-00000000000a', 'Step', 'step')",
      );
      await push(client, files);
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from supabase_migrations.schema_migrations');
      expect(rows[0]?.n).toBe(files.length);
      const kept = await client.query("select slug from public.organizations where id = '00000000-0000-4000-8000-00000000000a'");
      expect(kept.rows).toEqual([{ slug: 'step' }]);
    } finally {
      await client.end();
    }
  });

  it('20261125001600 starts logging changes for rows that existed before it, on their next write', async () => {
    const target = '20261125001600';
    const client = await scratchDatabase('changelog');
    try {
      await push(client, upTo(target, false));
      await client.query(
        "insert into public.organizations (id, name, slug) values ('00000000-0000-4000-8000-00000000000c', 'Log', 'logs')",
      );
      const { rows } = await client.query<{ id: string }>(
        "insert into public.gigs (org_id, name) values ('00000000-0000-4000-8000-00000000000c', 'Pre-existing') returning id",
      );
      await push(client, upTo(target, true));
      await client.query("update public.gigs set notes = 'touched' where id = $1", [rows[0]?.id]);
      const logged = await client.query<{ entity: string; entity_id: string }>('select entity, entity_id from app.sync_changes');
      expect(logged.rows).toEqual([{ entity: 'gigs', entity_id: rows[0]?.id }]);
    } finally {
      await client.end();
    }
  });
});
