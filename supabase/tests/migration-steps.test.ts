import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { applyMigrations, listMigrations, type MigrationFile } from '../local/migrate';
import { SUPABASE_DIR } from '../local/paths';

// Migrations tested with data before and after: migrate a scratch database to N−1, insert
// rows, migrate to N, check the rows and what N adds.
let stack: TestStack;
let files: MigrationFile[];

beforeAll(async () => {
  stack = await startTestStack();
  files = await listMigrations(join(SUPABASE_DIR, 'migrations'));
});
afterAll(async () => {
  await stack?.stop();
});

async function scratchDatabase(name: string): Promise<pg.Client> {
  await stack.db.query(`create database ${name}`);
  const url = new URL(stack.dbUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(await readFile(join(SUPABASE_DIR, 'local', 'bootstrap.sql'), 'utf8'));
  return client;
}

const upTo = (version: string, inclusive: boolean): MigrationFile[] =>
  files.filter((f) => (inclusive ? f.version <= version : f.version < version));

describe('migrations with data in place', () => {
  it('applies every migration on top of the previous ones with rows present', async () => {
    const client = await scratchDatabase('stepwise');
    try {
      for (const file of files) {
        await applyMigrations(client, [file], () => undefined);
        // After the organizations migration exists, keep a row in every table there is.
        if ((await client.query("select to_regclass('public.organizations') is not null as ok")).rows[0]?.ok === true) {
          await client.query(
            "insert into public.organizations (id, name, slug) values ('00000000-0000-4000-8000-00000000000a', 'Step', 'step') on conflict do nothing",
          );
        }
      }
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from supabase_migrations.schema_migrations');
      expect(rows[0]?.n).toBe(files.length);
    } finally {
      await client.end();
    }
  });

  it('20261125001600 starts logging changes for rows that existed before it, on their next write', async () => {
    const target = '20261125001600';
    const client = await scratchDatabase('changelog');
    try {
      await applyMigrations(client, upTo(target, false), () => undefined);
      await client.query("insert into public.organizations (id, name, slug) values ('00000000-0000-4000-8000-00000000000c', 'Log', 'logs')");
      const { rows } = await client.query<{ id: string }>(
        "insert into public.gigs (org_id, name) values ('00000000-0000-4000-8000-00000000000c', 'Pre-existing') returning id",
      );
      await applyMigrations(client, upTo(target, true), () => undefined);
      await client.query("update public.gigs set notes = 'touched' where id = $1", [rows[0]?.id]);
      const logged = await client.query<{ entity: string; entity_id: string }>('select entity, entity_id from app.sync_changes');
      expect(logged.rows).toEqual([{ entity: 'gigs', entity_id: rows[0]?.id }]);
    } finally {
      await client.end();
    }
  });
});
