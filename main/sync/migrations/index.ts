import type Database from 'better-sqlite3';
import * as m001 from './001_initial';
import * as m002 from './002_entity_key';
import * as m003 from './003_lookup_indexes';
import * as m004 from './004_cache_writes';

export const MIGRATIONS = [m001, m002, m003, m004] as const;

/** Brings the file to the latest schema, one migration per transaction, tracked in user_version. */
export function migrate(db: Database.Database, target: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`the station database is at schema ${current}, newer than this app (${latest}); update the app`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
