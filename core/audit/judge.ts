/**
 * A stock-take scan judged on the device, from its own copy, at once and offline (issue 21): what
 * the operator sees and hears while scanning a shelf. The server judges the same scan again when
 * it arrives (app.judge_scan, migration 20261208000200) and its report is the record; the rule is
 * the same and tests/sync/audit-station.test.ts holds the two to it:
 *
 *   a location's code          → the place being counted changes (it is not a thing counted)
 *   an asset (serial, then barcode) out to a gig, or a case whose contents are → out_to_gig
 *   an asset, case or bulk item whose place is inside the place scanned → found
 *   any of them anywhere else (or on no shelf yet)       → wrong_place (it belongs elsewhere)
 *   a code the copy does not hold                        → unknown (a label to claim)
 */
import type { CacheIndex, TableOf } from '../store/cache-index';
import type { Location } from '../sync/rows';

export type AuditScanKind = 'found' | 'wrong_place' | 'out_to_gig' | 'unknown';

export type AuditJudgment =
  | { kind: 'place'; place: Location }
  | {
      kind: AuditScanKind;
      what: 'asset' | 'case' | 'bulk' | 'code';
      id: string | null;
      /** "Shure SM58 · MIC-1042", "Flight case 12", or the code itself. */
      name: string;
      /** Where it belongs (its current place in the copy), when not here. */
      belongs: Location | null;
    };

/** How many levels a place may be nested (warehouse › zone › shelf › bin, with room to spare): a damaged parent chain must not loop. */
const MAX_DEPTH = 16;

/** Whether `placeId` is `root` or inside it, at any depth. */
export function isInside(locations: TableOf<'locations'>, placeId: string | null, root: string): boolean {
  let at = placeId;
  for (let depth = 0; at !== null && depth < MAX_DEPTH; depth += 1) {
    if (at === root) return true;
    at = locations.get(at)?.parentLocationId ?? null;
  }
  return false;
}

export async function judgeAuditScan(index: Pick<CacheIndex, 'table'>, place: string, code: string): Promise<AuditJudgment> {
  const key = code.toUpperCase();
  const [locations, assets, cases, bulk] = await Promise.all([
    index.table('locations'),
    index.table('assets'),
    index.table('cases'),
    index.table('bulk_items'),
  ]);
  const spot = locations.first('code', key);
  if (spot !== null) return { kind: 'place', place: spot };
  const where = (at: string | null): { kind: AuditScanKind; belongs: Location | null } =>
    isInside(locations, at, place)
      ? { kind: 'found', belongs: null }
      : { kind: 'wrong_place', belongs: at === null ? null : locations.get(at) };
  const asset = [assets.first('serial', key), assets.first('barcode', key)].find((a) => a !== null && a.deletedAt === null) ?? null;
  if (asset !== null) {
    const name = `${asset.name} · ${asset.serialNumber}`;
    if (asset.status === 'checked_out') return { kind: 'out_to_gig', what: 'asset', id: asset.id, name, belongs: null };
    return { ...where(asset.locationId), what: 'asset', id: asset.id, name };
  }
  const box = cases.first('barcode', key);
  if (box !== null && box.deletedAt === null) {
    const name = box.name ?? box.barcode;
    // A case whose contents are out to a gig went with them.
    if (assets.find('caseId', box.id).some((a) => a.status === 'checked_out'))
      return { kind: 'out_to_gig', what: 'case', id: box.id, name, belongs: null };
    return { ...where(box.locationId), what: 'case', id: box.id, name };
  }
  const item = bulk.first('barcode', key);
  if (item !== null) return { ...where(item.locationId), what: 'bulk', id: item.id, name: item.name };
  return { kind: 'unknown', what: 'code', id: null, name: key, belongs: null };
}
