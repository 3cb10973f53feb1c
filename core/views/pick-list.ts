import type { z } from 'zod';
import type { pickLineSchema } from '../station-views';
import type { Asset, Case, KitAssignment } from '../sync/rows';

/** One line of a gig's pick list as crew see it: what is planned and how much of it is out. */
export type PickLine = z.infer<typeof pickLineSchema>;

export interface PickListSource {
  kit: readonly KitAssignment[];
  assetsById: ReadonlyMap<string, Asset>;
  casesById: ReadonlyMap<string, Case>;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): readonly Asset[];
  /** Assets out to the gig now (queued check-outs included). */
  outToGig: readonly Asset[];
}

/**
 * The gig's kit lines with their progress: a named asset is out or not, a case counts its
 * contents, a bulk line ("XLR cable 10m × 20") counts items of its category that are out and not
 * already planned by name — the same rules the scan workflow's progress uses.
 */
export function buildPickList(gigId: string, source: PickListSource): PickLine[] {
  const outIds = new Set(source.outToGig.filter((a) => a.currentGigId === gigId).map((a) => a.id));
  const named = new Set<string>();
  const lines: PickLine[] = [];
  for (const line of source.kit) {
    if (line.assetId !== null) {
      const asset = source.assetsById.get(line.assetId);
      named.add(line.assetId);
      lines.push({
        kind: 'asset',
        label: asset === undefined ? 'asset not on this device' : `${asset.serialNumber} ${asset.name}`,
        planned: 1,
        out: outIds.has(line.assetId) ? 1 : 0,
      });
    } else if (line.caseId !== null) {
      const contents = source.caseContents(line.caseId);
      for (const item of contents) named.add(item.id);
      lines.push({
        kind: 'case',
        label: `case ${source.casesById.get(line.caseId)?.barcode ?? 'not on this device'}`,
        planned: contents.length,
        out: contents.filter((a) => outIds.has(a.id)).length,
      });
    }
  }
  const bulkOut = new Map<string, number>();
  for (const asset of source.outToGig) {
    if (!outIds.has(asset.id) || named.has(asset.id)) continue;
    bulkOut.set(asset.category, (bulkOut.get(asset.category) ?? 0) + 1);
  }
  for (const line of source.kit) {
    if (line.category === null) continue;
    const planned = line.quantity ?? 1;
    const available = bulkOut.get(line.category) ?? 0;
    const out = Math.min(planned, available);
    bulkOut.set(line.category, available - out);
    lines.push({ kind: 'bulk', label: `${line.category} × ${planned}`, planned, out });
  }
  return lines;
}
