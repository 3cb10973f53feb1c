/**
 * A case's contents as its sheet lists them, and the sheet's contents reference (case-sheet.ts
 * prints them; sources.ts compares the reference with the contents now). No jsPDF here: the
 * StationApi schemas import this.
 */

export interface CaseContentLine {
  code: string;
  name: string;
  category: string;
  /** The nested case it sits in, when not directly in this one. */
  inside?: string;
}

/**
 * The contents' reference: FNV-1a (32 bit) over the sorted lines, as 8 hex digits. The same
 * contents in any order give the same reference; an item added, removed, renamed or moved to a
 * nested case gives another.
 */
export function contentsReference(lines: readonly CaseContentLine[]): string {
  const text = lines
    .map((l) => [l.code.toUpperCase(), l.name, l.category, l.inside ?? ''].join('\t'))
    .sort()
    .join('\n');
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).toUpperCase().padStart(8, '0');
}
