import type { StationViews } from '../../../core/station-handlers';
import type { AssetListItem, GigListItem } from '../../../core/station-views';
import type { ScanCatalog } from '../../../core/scan/catalog';
import type { QueuedOp, Row } from '../../../core/sync/model';
import { pickListFromCatalog, type PickLine } from '../../../core/views/pick-list';
import type { IdbQueueStore } from './idb-queue-store';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const maybe = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The screens' lists from the PWA's caches: the same shapes the station's SQLite views give. */
export class IdbStationViews implements StationViews {
  constructor(
    private readonly store: IdbQueueStore,
    private readonly catalog: ScanCatalog,
  ) {}

  async myAssignments(email: string): Promise<{ gigId: string; role: string }[]> {
    const mine = new Set(
      (await this.store.listCached('staff_profiles'))
        .filter((p) => text(p['email']).toLowerCase() === email.toLowerCase())
        .map((p) => p.id),
    );
    return (await this.store.listCached('gig_staff'))
      .filter((a) => mine.has(text(a['staff_id'])))
      .map((a) => ({ gigId: text(a['gig_id']), role: text(a['role']) }));
  }

  pickList(gigId: string): Promise<PickLine[]> {
    return pickListFromCatalog(gigId, this.catalog);
  }

  async listGigs(): Promise<GigListItem[]> {
    const [gigs, assets, kit] = await Promise.all([
      this.store.listCached('gigs'),
      this.store.listCached('assets'),
      this.store.listCached('kit_assignments'),
    ]);
    const out = new Map<string, number>();
    for (const asset of assets)
      if (asset['status'] === 'checked_out' && typeof asset['current_gig_id'] === 'string')
        out.set(asset['current_gig_id'], (out.get(asset['current_gig_id']) ?? 0) + 1);
    const planned = new Map<string, number>();
    for (const line of kit)
      if (typeof line['gig_id'] === 'string')
        planned.set(line['gig_id'], (planned.get(line['gig_id']) ?? 0) + (typeof line['quantity'] === 'number' ? line['quantity'] : 1));
    return gigs
      .filter((gig: Row) => gig['deleted_at'] == null)
      .map((gig) => ({
        id: gig.id,
        parentId: maybe(gig['parent_gig_id']),
        code: text(gig['code']),
        name: text(gig['name']),
        status: text(gig['status']),
        startsAt: maybe(gig['starts_at']),
        venue: maybe(gig['venue']),
        version: typeof gig['version'] === 'number' ? gig['version'] : 1,
        assetsOut: out.get(gig.id) ?? 0,
        planned: planned.get(gig.id) ?? 0,
      }))
      .sort((a, b) => (a.startsAt ?? '').localeCompare(b.startsAt ?? '') || a.name.localeCompare(b.name));
  }

  async listAssets(): Promise<AssetListItem[]> {
    return (await this.store.listCached('assets'))
      .filter((asset) => asset['deleted_at'] == null)
      .map((asset) => ({
        id: asset.id,
        serial: text(asset['serial_number']),
        barcode: maybe(asset['barcode']),
        name: text(asset['name']),
        category: text(asset['category']),
        status: text(asset['status']),
        gigId: maybe(asset['current_gig_id']),
        caseId: maybe(asset['case_id']),
      }));
  }

  queuedFor(assetId: string, caseId: string | null): Promise<QueuedOp[]> {
    return this.store.queuedFor(caseId === null ? [`assets:${assetId}`] : [`assets:${assetId}`, `cases:${caseId}`]);
  }
}
