/**
 * Planning over a host's services (issue 19): a gig's plan read from the caches and edits queued
 * as ops. One service for the StationApi handlers and for plan scans (a scan while the Plan
 * screen holds the lease adds the item to that gig's pick list, core/scan/pipeline.ts).
 */
import type { BackendLink } from '../backend-link';
import { StationError } from '../errors';
import type { QueueStore } from '../sync/queue-store';
import { onlyMembership, roleIn } from '../sync/roles';
import type { SyncEngine } from '../sync/engine';
import type { PlanTables } from '../store/views';
import type { EditResult, GigEdit, GigPlan, OverdueReturn, PlanEdit } from './plan-api';
import { gigOps, planOps, type PlanSource, type PlannedOps } from './plan-edits';
import { gigName, itemName } from './names';
import { buildGigPlan, DEFAULT_BUFFERS, type PlanViewSource } from './plan-view';
import { availability, availabilityIndexer, MAX_EXPAND, overdueReturns, type AvailabilityIndex } from '../views/availability';
import { formatDateTime } from '../views/time';

/**
 * The gigs that hold any of `assetIds` against the gig (planned at the same time, or out and not
 * back), in words: availability with the assets' categories expanded into the assets behind each gig.
 */
function clashWords(
  index: AvailabilityIndex,
  gigId: string,
  assetIds: readonly string[],
  now: number,
  tables: Pick<PlanTables, 'gig' | 'asset'>,
): string[] {
  const wanted = new Set(assetIds);
  const named = (id: string): string => gigName(tables.gig(id));
  const categories = [...new Set(assetIds.flatMap((id) => tables.asset(id)?.category ?? []))];
  const words = new Set<string>();
  for (let i = 0; i < categories.length; i += MAX_EXPAND) {
    const chunk = categories.slice(i, i + MAX_EXPAND);
    for (const category of availability(index, { gigId }, { now, categories: chunk, expand: chunk }).categories) {
      for (const held of category.plannedGigs)
        if (held.assetIds?.some((id) => wanted.has(id)) === true) words.add(`planned on ${named(held.gigId)} at the same time`);
      for (const held of category.outGigs)
        if (held.assetIds?.some((id) => wanted.has(id)) === true) words.add(`out to ${named(held.gigId)}, not back in time`);
    }
  }
  return [...words];
}

export interface Planning {
  plan(gigId: string): Promise<GigPlan>;
  /** Everything out past its gig's end and return buffer, most overdue first. */
  overdue(): Promise<OverdueReturn[]>;
  editPlan(edit: PlanEdit): Promise<EditResult>;
  editGig(edit: GigEdit): Promise<EditResult>;
}

export interface PlanningDeps {
  tables: () => Promise<PlanTables>;
  store: Pick<QueueStore, 'getCached'>;
  backend: Pick<BackendLink, 'knownRoles' | 'settings'>;
  engine: Pick<SyncEngine, 'enqueue'>;
  newId: () => string;
  now: () => number;
}

export function createPlanning(deps: PlanningDeps): Planning {
  // Availability's index over the caches, rebuilt only when their rows change.
  const indexFor = availabilityIndexer();
  /** What planning reads: the caches, the signed-in role as last known, new ids. */
  const source = async (gigId?: string): Promise<PlanSource & PlanViewSource> => {
    const tables = await deps.tables();
    const known = await deps.backend.knownRoles();
    const { signedInAs } = await deps.backend.settings();
    const orgOf = async (id: string): Promise<unknown> => (await deps.store.getCached('gigs', id))?.['org_id'];
    // Availability reads the gig's organization's buffers as last learnt (the columns' defaults
    // until the server has said).
    const orgId = gigId === undefined ? undefined : await orgOf(gigId);
    const buffers = known?.roles.find((r) => r.orgId === orgId)?.buffers ?? DEFAULT_BUFFERS;
    // The rows read once per question, and indexed only when they changed since the last one.
    let index: AvailabilityIndex | null = null;
    const availabilityIndex = (): AvailabilityIndex => (index ??= indexFor({ ...tables.rowArrays(), buffers }));
    return {
      ...tables,
      availabilityIndex,
      roleFor: async (id) => roleIn(known, signedInAs, await orgOf(id)),
      onlyMembership: () => Promise.resolve(onlyMembership(known, signedInAs)),
      clashes: (id, assetIds) => clashWords(availabilityIndex(), id, assetIds, deps.now(), tables),
      newId: deps.newId,
    };
  };
  /** Queues an edit's ops in order (each op durable on its own, as a scan's). */
  const queueAll = async (planned: PlannedOps): Promise<EditResult> => {
    const queued = [];
    for (const op of planned.ops) queued.push(await deps.engine.enqueue(op));
    return { queued, warnings: planned.warnings };
  };
  return {
    plan: async (gigId) => {
      const from = await source(gigId);
      const plan = buildGigPlan(gigId, await from.roleFor(gigId), from, deps.now());
      if (plan === null) throw new StationError('not_found', 'that gig is not on this station');
      return plan;
    },
    overdue: async () => {
      const from = await source();
      const index = from.availabilityIndex();
      const now = deps.now();
      const byGig = new Map<string, string[]>();
      for (const late of overdueReturns(index, now, null)) {
        const items = byGig.get(late.gigId) ?? [];
        for (const id of late.assets) items.push(itemName(from.asset(id)));
        if (late.units > 0) items.push(`${late.units} × ${from.bulkItemOf(late.category)?.name ?? late.category}`);
        byGig.set(late.gigId, items);
      }
      return [...byGig]
        .map(([gigId, items]) => {
          const gig = from.gig(gigId);
          const due = index.windowOf(gigId)?.to ?? now;
          return {
            gigId,
            due,
            gig: gigName(gig),
            dueBack: formatDateTime(due, { timeZone: gig?.timeZone ?? undefined, locale: 'en-GB' }),
            items: items.sort(),
          };
        })
        .sort((a, b) => a.due - b.due)
        .map(({ due: _due, ...entry }) => entry);
    },
    editPlan: async (edit) => queueAll(await planOps(edit, await source())),
    editGig: async (edit) => queueAll(await gigOps(edit, await source())),
  };
}
