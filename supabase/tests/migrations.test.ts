import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../tests/helpers/local-stack';
import { listMigrations } from '../local/migrate';
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
