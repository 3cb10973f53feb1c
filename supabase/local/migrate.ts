import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { cliDbUrl, runSupabaseCli } from './supabase-cli';

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
 * The CLI reads `<workdir>/supabase/migrations`. A folder laid out that way is used in place;
 * any other folder is linked into a throwaway workdir.
 */
async function withWorkdir<T>(migrationsDir: string, run: (workdir: string) => Promise<T>): Promise<T> {
  const dir = resolve(migrationsDir);
  if (basename(dir) === 'migrations' && basename(dirname(dir)) === 'supabase') return run(dirname(dirname(dir)));
  const workdir = await mkdtemp(join(tmpdir(), 'gigmanager-cli-'));
  try {
    await mkdir(join(workdir, 'supabase'));
    await symlink(dir, join(workdir, 'supabase', 'migrations'), 'dir');
    return await run(workdir);
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

export interface PushOptions {
  /** A superuser connection string (the CLI connects with it, as `--db-url`). */
  dbUrl: string;
  migrationsDir: string;
  log: (line: string) => void;
}

/**
 * `supabase db push --include-all` against the database: the CLI applies every file whose
 * version is not in supabase_migrations.schema_migrations (each in its own transaction, with its
 * history row) and stops at the first failure with PostgreSQL's message. `--include-all` applies
 * a file older than the newest applied one (a teammate's migration merged late) as the old
 * runner did, instead of refusing. Returns the versions applied.
 */
export async function pushMigrations(options: PushOptions): Promise<string[]> {
  // The CLI skips a misnamed file with a warning only; refuse it instead.
  const files = await listMigrations(options.migrationsDir);
  if (files.length === 0) return [];
  const { stderr } = await withWorkdir(options.migrationsDir, (workdir) =>
    runSupabaseCli(['db', 'push', '--db-url', cliDbUrl(options.dbUrl), '--workdir', workdir, '--include-all', '--yes']),
  );
  const applied: string[] = [];
  for (const match of stderr.matchAll(/^Applying migration (\d+)_(.+)\.sql\.\.\.$/gm)) {
    options.log(`applied migration ${match[1] ?? ''}_${match[2] ?? ''}`);
    applied.push(match[1] ?? '');
  }
  return applied;
}

export interface MigrationStatus {
  local: string | null;
  remote: string | null;
}

/** `supabase migration list`: each version with whether it is a local file and/or applied. */
export async function migrationStatus(dbUrl: string, migrationsDir: string): Promise<MigrationStatus[]> {
  const { stdout } = await withWorkdir(migrationsDir, (workdir) =>
    runSupabaseCli(['migration', 'list', '--db-url', cliDbUrl(dbUrl), '--workdir', workdir]),
  );
  const rows: MigrationStatus[] = [];
  for (const line of stdout.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim().replaceAll('`', ''));
    if (cells.length < 3 || !/^\d*$/.test(cells[0] ?? '') || !/^\d*$/.test(cells[1] ?? '')) continue;
    if (cells[0] === '' && cells[1] === '') continue;
    rows.push({ local: cells[0] === '' ? null : (cells[0] ?? null), remote: cells[1] === '' ? null : (cells[1] ?? null) });
  }
  return rows;
}
