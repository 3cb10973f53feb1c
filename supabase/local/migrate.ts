import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';

export interface MigrationFile {
  version: string;
  name: string;
  path: string;
}

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** `supabase/migrations/<version>_<name>.sql`, in version order, the way the Supabase CLI reads them. */
export async function listMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const files: MigrationFile[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(entry);
    if (match === null) {
      throw new Error(`migration file "${entry}" is not named <digits>_<name>.sql`);
    }
    files.push({ version: match[1] ?? '', name: match[2] ?? '', path: join(dir, entry) });
  }
  files.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  for (let i = 1; i < files.length; i += 1) {
    if (files[i]?.version === files[i - 1]?.version) {
      throw new Error(`two migrations share version ${files[i]?.version}`);
    }
  }
  return files;
}

/**
 * Applies every migration not yet recorded in supabase_migrations.schema_migrations, each in
 * its own transaction with its history row, so a failing file leaves no trace and stops the run.
 */
export async function applyMigrations(
  client: pg.ClientBase,
  files: MigrationFile[],
  log: (line: string) => void,
): Promise<string[]> {
  const applied = new Set(
    (await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).rows.map(
      (row) => row.version,
    ),
  );
  const newlyApplied: string[] = [];
  for (const file of files) {
    if (applied.has(file.version)) continue;
    const sql = await readFile(file.path, 'utf8');
    await client.query('begin');
    try {
      await client.query(sql);
      await client.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [file.version, file.name, [sql]],
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`migration ${file.version}_${file.name}.sql failed: ${message}`, { cause: error });
    }
    log(`applied migration ${file.version}_${file.name}`);
    newlyApplied.push(file.version);
  }
  return newlyApplied;
}
