/**
 * Proof that the local copy is complete (issue 20): the server states, at the device's pull
 * cursor, how many rows of each synced table the device should hold and a checksum of which
 * version of each row (sync_verify, migration 20261206000200); the device computes the same over
 * the server rows it holds and compares. PowerSync verifies its buckets the same way.
 *
 * A row's hash mixes its id (four 32-bit words), its version (0 for staff profiles, which have
 * none) and its last update time in microseconds (two words) — what changes whenever the server
 * changes the row — as h = h·16777619 + word (mod 2^32), word by word; a table's checksum is the
 * sum of its rows' hashes (mod 2^32), so neither side needs an order. Integer arithmetic rather
 * than MD5: ~1 µs a row in JavaScript instead of 4–9, and plain SQL on the server. It finds a row
 * missing, a row the server no longer has and a row held at another version than the server's; it
 * does not re-check the bytes of a row held at the right version (SQLite's and the queue's own
 * reading of every row do).
 */
import { z } from 'zod';
import { CACHED_TABLES, type CachedTable } from './model';
import type { ServerVersion } from '../store/port';

export const tableChecksumSchema = z.object({
  count: z.number().int().nonnegative(),
  checksum: z.number().int().nonnegative().max(0xffffffff),
});
export type TableChecksum = z.infer<typeof tableChecksumSchema>;

/** The server's statement for a cursor, or `moved` when it committed changes after that cursor (pull first). */
export const verifyAnswerSchema = z.discriminatedUnion('moved', [
  z.object({ moved: z.literal(true), cursor: z.string() }),
  z.object({
    moved: z.literal(false),
    cursor: z.string(),
    tables: z.record(z.enum(CACHED_TABLES), tableChecksumSchema),
  }),
]);
export type VerifyAnswer = z.infer<typeof verifyAnswerSchema>;

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d)?)$/;
const WORD = 0x100000000;
/** What a version or a time that does not read counts as: never what the server sends. */
const UNREADABLE = WORD - 1;

/** "2026-12-05T19:04:41.97+01:00" → microseconds since 1970 (what the server's timestamptz holds); null when it does not read. */
export function epochMicros(text: string): number | null {
  const match = TIMESTAMP.exec(text);
  if (match === null) return null;
  const [, seconds = '', fraction = '', zone = 'Z'] = match;
  const ms = Date.parse(`${seconds}${/^[+-]\d\d$/.test(zone) ? `${zone}:00` : zone}`);
  if (Number.isNaN(ms)) return null;
  return ms * 1000 + Number(fraction.padEnd(6, '0'));
}

const mix = (h: number, word: number): number => (Math.imul(h, 16777619) + word) >>> 0;
const modWord = (n: number): number => ((n % WORD) + WORD) % WORD;

/** One stored server row's hash, as sync_verify computes it. */
export function rowHash(row: ServerVersion): number {
  const hex = row.id.replaceAll('-', '');
  let h = 0;
  for (let i = 0; i < 32; i += 8) {
    const word = Number.parseInt(hex.slice(i, i + 8), 16);
    h = mix(h, Number.isNaN(word) ? UNREADABLE : word);
  }
  const version = row.version === undefined || row.version === null ? 0 : row.version;
  h = mix(h, typeof version === 'number' && Number.isInteger(version) && version >= 0 && version < WORD ? version : UNREADABLE);
  const micros = typeof row.updated_at === 'string' ? epochMicros(row.updated_at) : null;
  h = mix(h, micros === null ? UNREADABLE : modWord(micros));
  return mix(h, micros === null ? UNREADABLE : modWord(Math.floor(micros / WORD)));
}

/** Count and checksum, added to as slices of a table are read. */
export function addToChecksum(sum: TableChecksum, rows: readonly ServerVersion[]): TableChecksum {
  let checksum = sum.checksum;
  for (const row of rows) checksum = (checksum + rowHash(row)) % WORD;
  return { count: sum.count + rows.length, checksum };
}

/** A table whose local copy differs from the server's statement. */
export interface TableMismatch {
  table: CachedTable;
  local: TableChecksum;
  server: TableChecksum;
}

export function mismatches(
  local: Partial<Record<CachedTable, TableChecksum>>,
  server: Partial<Record<CachedTable, TableChecksum>>,
): TableMismatch[] {
  const found: TableMismatch[] = [];
  for (const table of CACHED_TABLES) {
    const mine = local[table] ?? { count: 0, checksum: 0 };
    const theirs = server[table] ?? { count: 0, checksum: 0 };
    if (mine.count !== theirs.count || mine.checksum !== theirs.checksum) found.push({ table, local: mine, server: theirs });
  }
  return found;
}

/** What the device last learned about its copy (sync_state `copy`), shown in the header and on the Sync screen. */
export const copyStateSchema = z.object({
  /** When a pull last ended with nothing more to pull: the copy was the server's as of then. */
  asOf: z.number().nullable(),
  /** The last verification the server could answer (null: never). */
  verifiedAt: z.number().nullable(),
  /** Rows per table the server counted then. */
  counts: z.partialRecord(z.enum(CACHED_TABLES), z.number().int().nonnegative()),
  /** Tables whose local copy differed, with both counts (empty: verified). */
  mismatched: z.array(
    z.object({ table: z.enum(CACHED_TABLES), local: z.number().int().nonnegative(), server: z.number().int().nonnegative() }),
  ),
});
export type CopyState = z.infer<typeof copyStateSchema>;

export const NO_COPY_STATE: CopyState = { asOf: null, verifiedAt: null, counts: {}, mismatched: [] };

/** The copy state after a verification the server answered at `at`. */
export function verified(
  state: CopyState,
  server: Partial<Record<CachedTable, TableChecksum>>,
  found: TableMismatch[],
  at: number,
): CopyState {
  const counts: Partial<Record<CachedTable, number>> = {};
  for (const table of CACHED_TABLES) counts[table] = server[table]?.count ?? 0;
  return {
    ...state,
    verifiedAt: at,
    counts,
    mismatched: found.map((m) => ({ table: m.table, local: m.local.count, server: m.server.count })),
  };
}
