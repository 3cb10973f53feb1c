import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { listMigrations, migrationStatus, pushMigrations } from '../local/migrate';
import { SUPABASE_DIR } from '../local/paths';
import { startLocalStack } from '../local/stack';

// The local stack applies supabase/migrations with the Supabase CLI users run (`supabase db
// push`), so "works with supabase db push" is proven on every run; the CLI's history table is
// the record of what is applied.
const MIGRATIONS = join(SUPABASE_DIR, 'migrations');
let stack: TestStack;
let scratch: string;

beforeAll(async () => {
  stack = await startTestStack();
  scratch = await mkdtemp(join(tmpdir(), 'supabase-cli-test-'));
  // As root PostgreSQL runs as `postgres`, which must be able to enter the data folder's parents.
  await chmod(scratch, 0o755);
});
afterAll(async () => {
  await stack?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of the project's migrations (never the real folder) plus extra files. */
async function migrationsCopy(name: string, extra: Record<string, string>): Promise<string> {
  const dir = join(scratch, name, 'supabase', 'migrations');
  await mkdir(dir, { recursive: true });
  await cp(MIGRATIONS, dir, { recursive: true });
  for (const [file, sql] of Object.entries(extra)) await writeFile(join(dir, file), sql);
  return dir;
}

describe('migrations through the Supabase CLI', () => {
  it('supabase migration list shows every file of supabase/migrations as applied on a fresh stack', async () => {
    const files = await listMigrations(MIGRATIONS);
    const status = await migrationStatus(stack.dbUrl, MIGRATIONS);
    expect(status).toEqual(files.map((file) => ({ local: file.version, remote: file.version })));
    // The CLI keeps each statement apart in its history; the old runner stored whole files.
    const { rows } = await stack.db.query<{ n: number }>(
      'select min(array_length(statements, 1))::int as n from supabase_migrations.schema_migrations where version = $1',
      [files.find((file) => file.name === 'organizations_and_staff')?.version],
    );
    expect(rows[0]?.n).toBeGreaterThan(1);
  });

  it('a broken migration fails the stack start with the CLI message, and leaves no trace of itself', async () => {
    const dir = await migrationsCopy('broken', {
      '30000101000000_half_made.sql': 'create table public.half_made (id int);\nselect * from missing_table;\n',
    });
    const start = startTestStack({ migrationsDir: dir, functionsDirs: [] });
    await expect(start).rejects.toThrow(/supabase db push failed \(exit 1\)/);
    await expect(start).rejects.toThrow(/ERROR: relation "missing_table" does not exist \(SQLSTATE 42P01\)\nAt statement: 1/);
  });

  it('applies only what is new on a second push, and a failing file rolls back alone', async () => {
    const db = `cli_push_${process.pid}`;
    await stack.db.query(`create database ${db}`);
    const url = new URL(stack.dbUrl);
    url.pathname = `/${db}`;
    const dir = join(scratch, 'rerun', 'supabase', 'migrations');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '30000101000000_make_table.sql'), 'create table public.migration_probe (id int);');
    const log: string[] = [];
    expect(await pushMigrations({ dbUrl: url.toString(), migrationsDir: dir, log: (line) => log.push(line) })).toEqual(['30000101000000']);
    expect(log).toEqual(['applied migration 30000101000000_make_table']);
    expect(await pushMigrations({ dbUrl: url.toString(), migrationsDir: dir, log: () => undefined })).toEqual([]);

    await writeFile(join(dir, '30000102000000_broken.sql'), 'create table public.half_made (id int); select * from missing_table;');
    await expect(pushMigrations({ dbUrl: url.toString(), migrationsDir: dir, log: () => undefined })).rejects.toThrow(
      /relation "missing_table" does not exist/,
    );
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      expect((await client.query("select to_regclass('public.half_made') as t")).rows[0]?.t).toBeNull();
      expect((await client.query('select version from supabase_migrations.schema_migrations order by version')).rows).toEqual([
        { version: '30000101000000' },
      ]);
    } finally {
      await client.end();
    }
    await expect(pushMigrations({ dbUrl: url.toString(), migrationsDir: join(scratch, 'missing'), log: () => undefined })).resolves.toEqual(
      [],
    );
  });

  it('adopts a data folder that the old hand-written runner migrated: nothing applied twice, data kept', async () => {
    const dataDir = join(scratch, 'old-runner-data');
    const empty = join(scratch, 'empty', 'supabase', 'migrations');
    await mkdir(empty, { recursive: true });
    const lines: string[] = [];
    const log = (line: string): void => void lines.push(line);
    const first = await startLocalStack({ dataDir, port: 0, migrationsDir: empty, functionsDirs: [], log });
    try {
      // What the pre-CLI runner left behind: the history table its bootstrap created, each file
      // run whole in its own transaction with one history row holding the whole file.
      const client = new pg.Client({ connectionString: first.dbUrl });
      await client.connect();
      try {
        await client.query(
          'create schema if not exists supabase_migrations; create table if not exists supabase_migrations.schema_migrations (version text primary key, statements text[], name text)',
        );
        for (const file of await listMigrations(MIGRATIONS)) {
          const sql = await readFile(file.path, 'utf8');
          await client.query('begin');
          await client.query(sql);
          await client.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [
            file.version,
            file.name,
            [sql],
          ]);
          await client.query('commit');
        }
        await client.query("insert into public.organizations (name, slug) values ('Kept', 'kept-org')");
      } finally {
        await client.end();
      }
    } finally {
      await first.stop();
    }

    lines.length = 0;
    const second = await startLocalStack({ dataDir, port: 0, functionsDirs: [], log });
    try {
      expect(lines.filter((line) => line.startsWith('applied migration'))).toEqual([]);
      const files = await listMigrations(MIGRATIONS);
      expect(await migrationStatus(second.dbUrl, MIGRATIONS)).toEqual(files.map((file) => ({ local: file.version, remote: file.version })));
      const client = new pg.Client({ connectionString: second.dbUrl });
      await client.connect();
      try {
        expect((await client.query("select name from public.organizations where slug = 'kept-org'")).rows).toEqual([{ name: 'Kept' }]);
      } finally {
        await client.end();
      }
    } finally {
      await second.stop();
    }
  }, 240_000);
});
