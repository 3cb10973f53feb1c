/**
 * How current and how complete the local copy is, in the operator's words (the header's "as of"
 * and the Sync screen's Local copy section): "Ready offline · data as of 14:32 today · 1,250 gigs,
 * 3,400 items · verified", or what differs and that Repair fetches it again.
 */
import { localTime } from '../views/time';
import type { CachedTable } from './model';
import type { SyncScope } from './scope';
import type { CopyState } from './verify';

/** Each synced table as the screens name it, in the order they are listed. */
export const TABLE_WORDS: readonly (readonly [CachedTable, string, string])[] = [
  ['gigs', 'gig', 'gigs'],
  ['assets', 'item', 'items'],
  ['cases', 'case', 'cases'],
  ['bulk_items', 'bulk line', 'bulk lines'],
  ['kit_assignments', 'kit plan line', 'kit plan lines'],
  ['gig_staff', 'crew assignment', 'crew assignments'],
  ['staff_profiles', 'staff member', 'staff'],
  ['locations', 'place', 'places'],
];

const number = new Intl.NumberFormat('en-GB');

export function counted(table: CachedTable, count: number): string {
  const words = TABLE_WORDS.find(([t]) => t === table);
  return `${number.format(count)}\u00a0${count === 1 ? (words?.[1] ?? table) : (words?.[2] ?? table)}`;
}

export interface CopyWords {
  /** The one-line state: "Ready offline · data as of 14:32 today · 1,250 gigs, 3,400 items · verified". */
  headline: string;
  /** verified: complete at the last check; mismatch: something differs (Repair); unverified: not checked yet. */
  tone: 'verified' | 'mismatch' | 'unverified';
  /** "as of 14:32 today" (the header), null before the first complete pull. */
  asOf: string | null;
  /** Each table with the server's count at the last verification. */
  tables: { table: CachedTable; label: string; text: string }[];
  /** What differs, one line per table: "items: 3,398 here, 3,400 on the server". */
  problems: string[];
  /** "checked 14:32 today", or "not checked yet". */
  checked: string;
}

export function copyWords(copy: CopyState, now: number, timeZone?: string): CopyWords {
  const asOf = copy.asOf === null ? null : `as of ${localTime(copy.asOf, now, timeZone)}`;
  const tables = TABLE_WORDS.map(([table, , plural]) => ({
    table,
    label: plural[0]?.toUpperCase() + plural.slice(1),
    text: copy.counts[table] === undefined ? '—' : number.format(copy.counts[table]),
  }));
  const problems = copy.mismatched.map((m) => {
    const plural = TABLE_WORDS.find(([t]) => t === m.table)?.[2] ?? m.table;
    return m.local === m.server
      ? `${plural}: ${number.format(m.local)} here and on the server, but not the same versions`
      : `${plural}: ${number.format(m.local)} here, ${number.format(m.server)} on the server`;
  });
  const checked = copy.verifiedAt === null ? 'not checked yet' : `checked ${localTime(copy.verifiedAt, now, timeZone)}`;
  const data = asOf === null ? 'no data yet' : `data ${asOf}`;
  if (copy.verifiedAt !== null && copy.mismatched.length > 0)
    return {
      headline: `Incomplete · ${data} · ${problems.length === 1 ? '1 table differs' : `${problems.length} tables differ`} from the server`,
      tone: 'mismatch',
      asOf,
      tables,
      problems,
      checked,
    };
  if (copy.verifiedAt === null) return { headline: `Not verified yet · ${data}`, tone: 'unverified', asOf, tables, problems, checked };
  const summary = [counted('gigs', copy.counts.gigs ?? 0), counted('assets', copy.counts.assets ?? 0)].join(', ');
  return { headline: `Ready offline · ${data} · ${summary} · verified`, tone: 'verified', asOf, tables, problems, checked };
}

/**
 * What the device keeps, in words: "the whole company", "my gigs", or the chosen gigs by name
 * ("Autumn tour, Spring tour", "Autumn tour and 3 more gigs"); a gig whose name this copy lacks
 * is counted, never shown as an id.
 */
export function scopeWords(scope: SyncScope, nameOf: (gigId: string) => string | undefined): string {
  if (scope.kind === 'org') return 'the whole company';
  if (scope.kind === 'mine') return 'my gigs (the ones I am crew on)';
  const names = scope.roots.map(nameOf).filter((name): name is string => name !== undefined);
  const shown = names.slice(0, 2);
  const more = scope.roots.length - shown.length;
  if (shown.length === 0) return `${number.format(more)} chosen ${more === 1 ? 'gig' : 'gigs'}`;
  return more === 0 ? shown.join(', ') : `${shown.join(', ')} and ${number.format(more)} more ${more === 1 ? 'gig' : 'gigs'}`;
}
