/**
 * Planning over a host's services (issue 19): a gig's plan read from the caches and edits queued
 * as ops. One service for the StationApi handlers and for plan scans (a scan while the Plan
 * screen holds the lease adds the item to that gig's pick list, core/scan/pipeline.ts).
 */
import type { BackendLink } from '../backend-link';
import { StationError } from '../errors';
import type { QueueStore } from '../sync/queue-store';
import { roleIn } from '../sync/roles';
import type { SyncEngine } from '../sync/engine';
import type { PlanTables } from '../store/views';
import type { EditResult, GigEdit, GigPlan, PlanEdit } from './plan-api';
import { gigOps, planOps, type PlanSource, type PlannedOps } from './plan-edits';
import { buildGigPlan, DEFAULT_BUFFERS, type PlanViewSource } from './plan-view';

export interface Planning {
  plan(gigId: string): Promise<GigPlan>;
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
    return {
      ...tables,
      rows: () => ({ ...tables.rowArrays(), buffers }),
      roleFor: async (id) => roleIn(known, signedInAs, await orgOf(id)),
      onlyMembership: () => {
        const [only, ...more] = known?.roles ?? [];
        return Promise.resolve(only === undefined || more.length > 0 || roleIn(known, signedInAs, only.orgId) === null ? null : only);
      },
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
    editPlan: async (edit) => queueAll(await planOps(edit, await source())),
    editGig: async (edit) => queueAll(await gigOps(edit, await source())),
  };
}
