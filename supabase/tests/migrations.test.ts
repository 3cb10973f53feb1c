import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { applyMigrations, listMigrations } from '../local/migrate';
import { SUPABASE_DIR } from '../local/paths';

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(join(tmpdir(), 'migrations-'));
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('records every project migration in supabase_migrations.schema_migrations', async () => {
    const files = await listMigrations(join(SUPABASE_DIR, 'migrations'));
    const recorded = await stack.db.query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations order by version',
    );
    expect(recorded.rows.map((row) => row.version)).toEqual(files.map((file) => file.version));
  });

  it('orders by version and refuses badly named files', async () => {
    await writeFile(join(dir, '20260102000000_second.sql'), 'select 1;');
    await writeFile(join(dir, '20260101000000_first.sql'), 'select 1;');
    expect((await listMigrations(dir)).map((file) => file.name)).toEqual(['first', 'second']);
    await writeFile(join(dir, 'no-version.sql'), 'select 1;');
    await expect(listMigrations(dir)).rejects.toThrow('migration file "no-version.sql" is not named <digits>_<name>.sql');
    await rm(join(dir, 'no-version.sql'));
  });

  it('applies only new migrations on re-run, and a failing one leaves no trace', async () => {
    const run = join(dir, 'run');
    await rm(run, { recursive: true, force: true });
    await mkdir(run);
    await writeFile(join(run, '30000101000000_make_table.sql'), 'create table public.migration_probe (id int);');
    const client = await stack.db.connect();
    try {
      expect(await applyMigrations(client, await listMigrations(run), () => undefined)).toEqual(['30000101000000']);
      expect(await applyMigrations(client, await listMigrations(run), () => undefined)).toEqual([]);

      await writeFile(
        join(run, '30000102000000_broken.sql'),
        'create table public.half_made (id int); select * from missing_table;',
      );
      await expect(applyMigrations(client, await listMigrations(run), () => undefined)).rejects.toThrow(
        /migration 30000102000000_broken.sql failed: relation "missing_table" does not exist/,
      );
      const left = await client.query("select to_regclass('public.half_made') as t");
      expect(left.rows[0]?.t).toBeNull();
      const recorded = await client.query("select 1 from supabase_migrations.schema_migrations where version = '30000102000000'");
      expect(recorded.rowCount).toBe(0);
    } finally {
      client.release();
    }
  });

  it('runs the compatibility bootstrap again without changing what exists', async () => {
    const bootstrap = await readFile(join(SUPABASE_DIR, 'local', 'bootstrap.sql'), 'utf8');
    await stack.db.query("insert into supabase_functions.hooks (hook_table_id, hook_name) values (0, 'kept')");
    await stack.db.query(bootstrap);
    const kept = await stack.db.query("select count(*)::int as n from supabase_functions.hooks where hook_name = 'kept'");
    expect(kept.rows[0]?.n).toBe(1);
    const roles = await stack.db.query<{ rolname: string; rolbypassrls: boolean }>(
      "select rolname, rolbypassrls from pg_roles where rolname in ('anon','authenticated','service_role','authenticator') order by rolname",
    );
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'authenticator', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
  });
});
