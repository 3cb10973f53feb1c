/**
 * What a gig's pick list counts, defined once (issue 18: Scan said Planned 59 while Gigs said 54).
 * The server's roll-up (app.gig_asset_counts, behind get_gig_hierarchy) follows the same rule,
 * checked on a real PostgreSQL by supabase/tests/domain/counts.test.ts.
 *
 * - planned: each planned live asset once — an asset line counts 1, a case line counts the live
 *   assets in it (nested live cases included) — plus each bulk line's quantity.
 * - out: the live assets out to the gig now, and the bulk units out to it now.
 * - scanned: planned assets that are out, plus, per category, what is out and not planned by its
 *   own line (an unplanned serialized asset of that category, bulk units of that category) up to
 *   the quantity of the gig's bulk lines of that category.
 * - missing = planned − scanned; extra = what is out beyond that (an item on no line, units over a
 *   bulk line). Everything out = scanned + extra.
 */
import type { Asset, KitAssignment } from '../sync/rows';

export interface PickCounts {
  planned: number;
  scanned: number;
  missing: number;
  extra: number;
}

export interface CountInput {
  /** The gig's kit assignments (its pick list). */
  lines: readonly Pick<KitAssignment, 'assetId' | 'caseId' | 'category' | 'quantity'>[];
  /** A planned asset line's asset (null: not known here; it is not counted). */
  asset: (id: string) => Pick<Asset, 'id' | 'deletedAt'> | null;
  /** The assets in a case, nested cases included (deleted cases and what they hold left out). */
  caseContents: (caseId: string) => readonly Pick<Asset, 'id' | 'deletedAt'>[];
  /** The assets out to the gig now. */
  outAssets: readonly Pick<Asset, 'id' | 'category' | 'deletedAt'>[];
  /** Bulk units out to the gig now, by category. */
  bulkOut: ReadonlyMap<string, number>;
}

/** CountInput's `bulkOut`: the bulk units out to the gig now, by category (bulk_items.out_to). */
export function bulkOutTo(
  gigId: string,
  bulk: Iterable<{ readonly category: string; readonly outTo: Readonly<Record<string, number>> }>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const stock of bulk) {
    const units = stock.outTo[gigId] ?? 0;
    if (units > 0) out.set(stock.category, (out.get(stock.category) ?? 0) + units);
  }
  return out;
}

export function countPickList(input: CountInput): PickCounts {
  const specific = new Set<string>();
  const bulkLines = new Map<string, number>();
  for (const line of input.lines) {
    if (line.assetId !== null) {
      const asset = input.asset(line.assetId);
      if (asset !== null && asset.deletedAt === null) specific.add(asset.id);
    } else if (line.caseId !== null) {
      for (const asset of input.caseContents(line.caseId)) if (asset.deletedAt === null) specific.add(asset.id);
    } else if (line.category !== null) {
      bulkLines.set(line.category, (bulkLines.get(line.category) ?? 0) + (line.quantity ?? 0));
    }
  }
  let scanned = 0;
  const loose = new Map<string, number>(input.bulkOut);
  for (const asset of input.outAssets) {
    if (asset.deletedAt !== null) continue;
    if (specific.has(asset.id)) scanned += 1;
    else loose.set(asset.category, (loose.get(asset.category) ?? 0) + 1);
  }
  let extra = 0;
  for (const [category, n] of loose) {
    const quota = bulkLines.get(category) ?? 0;
    scanned += Math.min(quota, n);
    extra += Math.max(n - quota, 0);
  }
  const planned = specific.size + [...bulkLines.values()].reduce((a, b) => a + b, 0);
  return { planned, scanned, missing: planned - scanned, extra };
}
