/**
 * The screens' lists (core/station-handlers.ts StationViews) over the cache index: the gig list
 * with each gig's assets out and planned items, the asset list, a crew member's assignments, a
 * gig's pick list and what is queued on an asset. The same code on the station and the phone,
 * reading decoded rows (core/sync/rows.ts): a row that fails its schema is in no list.
 */
import type { StationViews } from '../station-handlers';
import type { AssetListItem, GigListItem, PickListView } from '../station-views';
import type { QueuedOp } from '../sync/model';
import type { PlanSource } from '../planning/plan-edits';
import type { PlanViewSource } from '../planning/plan-view';
import type { AvailabilityRows } from '../views/availability';
import { bulkOutTo, countPickList } from '../views/counts';
import { buildPickList, subtree } from '../views/pick-list';
import { opDefinition } from '../sync/ops';
import type { Asset } from '../sync/rows';
import type { CacheIndex } from './cache-index';
import { caseContents } from './catalog';
import type { Queue } from './queue';

/** The cached rows planning reads (core/planning): lookups over the index, and what is queued. */
export type PlanTables = Omit<PlanSource, 'roleFor' | 'onlyMembership' | 'newId' | 'clashes'> &
  Omit<PlanViewSource, 'availabilityIndex'> & {
    /** Every cached row availability reads (the organization's buffers are the caller's). */
    rowArrays(): Omit<AvailabilityRows, 'buffers'>;
  };

/** Where the queued ops on an entity come from: the queue whose caches the index holds. */
export type QueuedSource = Pick<Queue, 'queuedFor' | 'queuedEntities'>;

/** Code-unit order with null first (SQLite's `order by` on text, which the station's list always had). */
function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class CacheStationViews implements StationViews {
  constructor(
    private readonly index: CacheIndex,
    private readonly queue: QueuedSource,
  ) {}

  /**
   * Gigs not deleted, by start then name, each with its own counts by the one definition
   * (core/views/counts.ts): planned, and everything out to it now (assets and bulk units).
   */
  async listGigs(): Promise<GigListItem[]> {
    const [gigs, assets, kit, cases, bulk] = await Promise.all([
      this.index.table('gigs'),
      this.index.table('assets'),
      this.index.table('kit_assignments'),
      this.index.table('cases'),
      this.index.table('bulk_items'),
    ]);
    const bulkItems = [...bulk.byId.values()];
    const items: GigListItem[] = [];
    for (const gig of gigs.byId.values()) {
      if (gig.deletedAt !== null) continue;
      const counts = countPickList({
        lines: kit.find('gigId', gig.id),
        asset: (id) => assets.get(id),
        caseContents: (caseId) => caseContents(caseId, cases, assets),
        outAssets: assets.find('gigId', gig.id),
        bulkOut: bulkOutTo(gig.id, bulkItems),
      });
      items.push({
        id: gig.id,
        parentId: gig.parentGigId,
        // A gig made on this device has no code until the server gives it one.
        code: gig.code ?? '',
        name: gig.name,
        status: gig.status,
        startsAt: gig.startsAt,
        venue: gig.venue,
        timeZone: gig.timeZone,
        version: gig.version,
        assetsOut: counts.scanned + counts.extra,
        planned: counts.planned,
      });
    }
    return items.sort((a, b) => compareText(a.startsAt, b.startsAt) || compareText(a.name, b.name));
  }

  /** Assets not deleted, in the store's order (the screens sort). */
  async listAssets(): Promise<AssetListItem[]> {
    const [assets, locations] = await Promise.all([this.index.table('assets'), this.index.table('locations')]);
    // Each place's chain up to its warehouse, once per place (thousands of items share a few hundred shelves).
    const chains = new Map<string, string[]>();
    const chain = (placeId: string | null): string[] => {
      if (placeId === null) return [];
      let known = chains.get(placeId);
      if (known === undefined) {
        known = [];
        for (let at: string | null = placeId, depth = 0; at !== null && depth < 16; depth += 1) {
          const place = locations.get(at);
          if (place === null || place.deletedAt !== null) break;
          known.push(place.id);
          at = place.parentLocationId;
        }
        chains.set(placeId, known);
      }
      return known;
    };
    const items: AssetListItem[] = [];
    for (const asset of assets.byId.values()) {
      if (asset.deletedAt !== null) continue;
      const placeIds = asset.status === 'checked_out' ? [] : chain(asset.locationId);
      const place = placeIds.length === 0 ? null : locations.get(placeIds[0] ?? '');
      items.push({
        placeIds,
        place: place === null ? null : `${place.name} (${place.code})`,
        id: asset.id,
        serial: asset.serialNumber,
        barcode: asset.barcode,
        name: asset.name,
        category: asset.category,
        status: asset.status,
        gigId: asset.currentGigId,
        caseId: asset.caseId,
      });
    }
    return items;
  }

  async myAssignments(email: string): Promise<{ gigId: string; role: string }[]> {
    const [staff, gigStaff] = await Promise.all([this.index.table('staff_profiles'), this.index.table('gig_staff')]);
    const wanted = email.toLowerCase();
    const mine = new Set<string>();
    for (const person of staff.byId.values()) if (person.email?.toLowerCase() === wanted) mine.add(person.id);
    const out: { gigId: string; role: string }[] = [];
    for (const line of gigStaff.byId.values()) if (mine.has(line.staffId)) out.push({ gigId: line.gigId, role: line.role });
    return out;
  }

  /** The gig's pick list (check-out) or what is still out to it (check-in), over its sets too. */
  async pickList(gigId: string, mode: PickListView['mode'] = 'check_out'): Promise<PickListView> {
    const [gigs, kit, assets, cases, bulk, places] = await Promise.all([
      this.index.table('gigs'),
      this.index.table('kit_assignments'),
      this.index.table('assets'),
      this.index.table('cases'),
      this.index.table('bulk_items'),
      this.index.table('locations'),
    ]);
    const picked = subtree(gigId, { gig: (id) => gigs.get(id), children: (id) => gigs.find('parentId', id) });
    // The cases whose queued moves can show on this list: planned on it, with contents out to it,
    // or moved by a queued op (a case picked offline though not planned: its contents are extra).
    const caseIds = new Set<string>(await this.queue.queuedEntities('cases'));
    for (const gig of picked) {
      for (const line of kit.find('gigId', gig.id)) if (line.caseId !== null) caseIds.add(line.caseId);
      for (const asset of assets.find('gigId', gig.id)) if (asset.caseId !== null) caseIds.add(asset.caseId);
    }
    const moved = await this.queuedCaseMoves(caseIds, (caseId) => caseContents(caseId, cases, assets));
    const current = (asset: Asset): Asset => moved.get(asset.id) ?? asset;
    return buildPickList(gigId, mode, {
      gig: (id) => gigs.get(id),
      children: (id) => gigs.find('parentId', id),
      kit: (id) => kit.find('gigId', id),
      asset: (id) => {
        const asset = assets.get(id);
        return asset === null ? null : current(asset);
      },
      kase: (id) => cases.get(id),
      caseContents: (caseId) => caseContents(caseId, cases, assets).map(current),
      outTo: (id) => [
        ...assets
          .find('gigId', id)
          .map(current)
          .filter((a) => a.currentGigId === id),
        ...[...moved.values()].filter((a) => a.currentGigId === id && assets.get(a.id)?.currentGigId !== id),
      ],
      bulk: [...bulk.byId.values()],
      place: (id) => places.get(id),
    });
  }

  /**
   * A queued case check-out or check-in moves the case's contents as the asset op would (ops.ts
   * `contents`), but the cached asset rows learn that only from the server's answer and pull:
   * until then, the contents as the queued case ops leave them (offline, a picked case is out).
   */
  private async queuedCaseMoves(caseIds: ReadonlySet<string>, contents: (caseId: string) => Asset[]): Promise<Map<string, Asset>> {
    const moved = new Map<string, Asset>();
    if (caseIds.size === 0) return moved;
    const ops = await this.queue.queuedFor([...caseIds].map((id) => `cases:${id}`));
    for (const op of ops) {
      const action = opDefinition(op.table, op.action)?.contents;
      const caseId = op.payload['id'];
      if (op.table !== 'cases' || action === undefined || typeof caseId !== 'string') continue;
      const sets = opDefinition('assets', action)?.sets(op.payload, op.timestamp, null) ?? null;
      if (sets === null) continue;
      for (const asset of contents(caseId)) {
        const before = moved.get(asset.id) ?? asset;
        moved.set(asset.id, {
          ...before,
          status: typeof sets['status'] === 'string' ? (sets['status'] as Asset['status']) : before.status,
          currentGigId: 'current_gig_id' in sets ? (sets['current_gig_id'] as string | null) : before.currentGigId,
        });
      }
    }
    return moved;
  }

  /** The rows planning reads, as the caches hold them now (queued edits shown). */
  async planTables(): Promise<PlanTables> {
    const [gigs, kit, assets, cases, bulk, crew, staff] = await Promise.all([
      this.index.table('gigs'),
      this.index.table('kit_assignments'),
      this.index.table('assets'),
      this.index.table('cases'),
      this.index.table('bulk_items'),
      this.index.table('gig_staff'),
      this.index.table('staff_profiles'),
    ]);
    const [queuedLines, queuedCrew, queuedGigs] = await Promise.all(
      (['kit_assignments', 'gig_staff', 'gigs'] as const).map(async (table) =>
        (await this.queue.queuedEntities(table)).map((id) => `${table}:${id}`),
      ),
    );
    return {
      gig: (id) => gigs.get(id),
      children: (id) => gigs.find('parentId', id),
      linesOf: (id) => kit.find('gigId', id),
      line: (id) => kit.get(id),
      asset: (id) => assets.get(id),
      kase: (id) => cases.get(id),
      caseContents: (caseId) => caseContents(caseId, cases, assets),
      bulkItemOf: (category) => bulk.find('category', category)[0] ?? null,
      person: (id) => staff.get(id),
      staff: () => staff.byId.values(),
      crewOf: (id) => crew.find('gigId', id),
      assignment: (id) => crew.get(id),
      waiting: new Set([...(queuedLines ?? []), ...(queuedCrew ?? []), ...(queuedGigs ?? [])]),
      rowArrays: () => ({
        gigs: [...gigs.byId.values()],
        assets: [...assets.byId.values()],
        cases: [...cases.byId.values()],
        kit: [...kit.byId.values()],
        bulk: [...bulk.byId.values()],
      }),
    };
  }

  /** Queued ops on the asset or on the case it is in (what the history cannot show yet). */
  queuedFor(assetId: string, caseId: string | null): Promise<QueuedOp[]> {
    return this.queue.queuedFor(caseId === null ? [`assets:${assetId}`] : [`assets:${assetId}`, `cases:${caseId}`]);
  }
}
