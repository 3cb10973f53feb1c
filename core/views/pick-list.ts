import type { ScanCatalog } from '../scan/catalog';
import type { Row } from '../sync/model';

/** One line of a gig's pick list as crew see it: what is planned and how much of it is out. */
export interface PickLine {
  kind: 'asset' | 'case' | 'bulk';
  label: string;
  planned: number;
  out: number;
}

export interface PickListSource {
  kit: readonly Row[];
  assetsById: ReadonlyMap<string, Row>;
  casesById: ReadonlyMap<string, Row>;
  /** Every asset in a case, nested cases included. */
  caseContents(caseId: string): readonly Row[];
  /** Assets out to the gig now (queued check-outs included). */
  outToGig: readonly Row[];
}

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

/**
 * The gig's kit lines with their progress: a named asset is out or not, a case counts its
 * contents, a bulk line ("XLR cable 10m × 20") counts items of its category that are out and not
 * already planned by name — the same rules the scan workflow's progress uses.
 */
export function buildPickList(gigId: string, source: PickListSource): PickLine[] {
  const outIds = new Set(source.outToGig.filter((a) => a['current_gig_id'] === gigId).map((a) => a.id));
  const named = new Set<string>();
  const lines: PickLine[] = [];
  for (const line of source.kit) {
    if (typeof line['asset_id'] === 'string') {
      const asset = source.assetsById.get(line['asset_id']);
      named.add(line['asset_id']);
      lines.push({
        kind: 'asset',
        label: asset === undefined ? 'asset not on this device' : `${str(asset['serial_number'])} ${str(asset['name'])}`,
        planned: 1,
        out: outIds.has(line['asset_id']) ? 1 : 0,
      });
    } else if (typeof line['case_id'] === 'string') {
      const box = source.casesById.get(line['case_id']);
      const contents = source.caseContents(line['case_id']);
      for (const item of contents) named.add(item.id);
      lines.push({
        kind: 'case',
        label: `case ${str(box?.['barcode'], 'not on this device')}`,
        planned: contents.length,
        out: contents.filter((a) => outIds.has(a.id)).length,
      });
    }
  }
  const bulkOut = new Map<string, number>();
  for (const asset of source.outToGig) {
    if (!outIds.has(asset.id) || named.has(asset.id)) continue;
    const category = str(asset['category']);
    bulkOut.set(category, (bulkOut.get(category) ?? 0) + 1);
  }
  for (const line of source.kit) {
    if (typeof line['category'] !== 'string') continue;
    const planned = typeof line['quantity'] === 'number' ? line['quantity'] : 1;
    const available = bulkOut.get(line['category']) ?? 0;
    const out = Math.min(planned, available);
    bulkOut.set(line['category'], available - out);
    lines.push({ kind: 'bulk', label: `${line['category']} × ${planned}`, planned, out });
  }
  return lines;
}

/** The pick list from the scan catalog's lookups (the station's SQLite or the phone's IndexedDB). */
export async function pickListFromCatalog(
  gigId: string,
  catalog: ScanCatalog,
  caseById: (id: string) => Promise<Row | null>,
): Promise<PickLine[]> {
  const kit = await catalog.pickList(gigId);
  const assetsById = new Map<string, Row>();
  const casesById = new Map<string, Row>();
  const contents = new Map<string, Row[]>();
  for (const line of kit) {
    if (typeof line['asset_id'] === 'string') {
      const asset = await catalog.findAssetById(line['asset_id']);
      if (asset !== null) assetsById.set(asset.id, asset);
    }
    if (typeof line['case_id'] === 'string') {
      const box = await caseById(line['case_id']);
      if (box !== null) casesById.set(box.id, box);
      contents.set(line['case_id'], await catalog.caseContents(line['case_id']));
    }
  }
  return buildPickList(gigId, {
    kit,
    assetsById,
    casesById,
    caseContents: (id) => contents.get(id) ?? [],
    outToGig: await catalog.assetsOutTo(gigId),
  });
}
