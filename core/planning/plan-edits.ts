/**
 * A planner's edit (plan-api.ts) as the ops it queues, checked first against what this device
 * holds, so that what the server would refuse is refused here at once, in words, with nothing
 * queued: a role that does not plan, a closed or deleted gig, an item already on the list, a
 * person already on the crew, a move under the gig's own set. The server judges again when the
 * ops arrive (supabase/migrations/20261204000600_planning_ops.sql); these are the same rules
 * read from the station's copy, not a second definition of what an op does (core/sync/ops.ts).
 */
import { StationError } from '../errors';
import type { NewOp } from '../sync/model';
import { opAllowed, roleWords, type MemberRole } from '../sync/roles';
import type { Asset, BulkItem, Case, Gig, GigStaff, KitAssignment, StaffProfile } from '../sync/rows';
import { caseName, itemName } from './names';
import type { GigEdit, PlanEdit } from './plan-api';

/** What the edits read: the station's cached rows, decoded. */
export interface PlanSource {
  gig(id: string): Gig | null;
  /** The signed-in role in the gig's organization, as last known (null: not known). */
  roleFor(gigId: string): Promise<MemberRole | null>;
  /** For a new top-level gig: the one organization the signed-in person belongs to, with the role there. */
  onlyMembership(): Promise<{ orgId: string; role: MemberRole } | null>;
  children(gigId: string): readonly Gig[];
  linesOf(gigId: string): readonly KitAssignment[];
  line(id: string): KitAssignment | null;
  asset(id: string): Asset | null;
  kase(id: string): Case | null;
  /** The live items in a case, nested cases included. */
  caseContents(caseId: string): readonly Asset[];
  bulkItemOf(category: string): BulkItem | null;
  person(id: string): StaffProfile | null;
  crewOf(gigId: string): readonly GigStaff[];
  assignment(id: string): GigStaff | null;
  /** Other gigs holding any of these items during the gig's window, in words ("planned on Main Stage Day 2 · GIG-0042 at the same time"); none: []. */
  clashes(gigId: string, assetIds: readonly string[]): string[];
  newId(): string;
}

export interface PlannedOps {
  ops: NewOp[];
  warnings: string[];
}

const NOT_LEARNT = 'this station has not learnt your role from the server yet (sign in while online)';

/** Why the signed-in role may not plan this gig, or null when it may. */
export function planRefusal(role: MemberRole | null, what: 'pick list' | 'crew' | 'gig' = 'pick list'): string | null {
  if (role === null) return `Planning is offered once ${NOT_LEARNT}.`;
  if (!opAllowed(role, 'kit_assignments', 'create'))
    return `Signed in as ${roleWords(role)}: a gig's ${what} is changed by a manager or an admin.`;
  return null;
}

/** Why a gig's plan cannot change now (closed or deleted), or null. */
export function closedWords(gig: Gig): string | null {
  if (gig.deletedAt !== null) return `${gig.name} was deleted`;
  if (gig.status === 'completed' || gig.status === 'cancelled') return `${gig.name} is ${gig.status}; its plan no longer changes`;
  return null;
}

async function openGig(source: PlanSource, gigId: string, what: 'pick list' | 'crew'): Promise<Gig> {
  const gig = source.gig(gigId);
  if (gig === null || gig.deletedAt !== null) throw new StationError('not_found', 'that gig is not on this station');
  const refused = planRefusal(await source.roleFor(gigId), what);
  if (refused !== null) throw new StationError('forbidden', refused);
  const closed = closedWords(gig);
  if (closed !== null) throw new StationError('conflict', closed);
  return gig;
}

/** The ops a pick list or crew edit queues. */
export async function planOps(edit: PlanEdit, source: PlanSource): Promise<PlannedOps> {
  switch (edit.kind) {
    case 'add_asset': {
      const gig = await openGig(source, edit.gigId, 'pick list');
      const asset = source.asset(edit.assetId);
      if (asset === null || asset.deletedAt !== null) throw new StationError('not_found', 'that item is not on this station');
      if (source.linesOf(gig.id).some((l) => l.assetId === asset.id))
        throw new StationError('conflict', `${itemName(asset)} is already on the pick list of ${gig.name}`);
      return overbooking(source, gig.id, [asset.id], itemName(asset), { asset_id: asset.id }, edit.confirmOverbooking === true);
    }
    case 'add_case': {
      const gig = await openGig(source, edit.gigId, 'pick list');
      const box = source.kase(edit.caseId);
      if (box === null || box.deletedAt !== null) throw new StationError('not_found', 'that case is not on this station');
      if (source.linesOf(gig.id).some((l) => l.caseId === box.id))
        throw new StationError('conflict', `${caseName(box)} is already on the pick list of ${gig.name}`);
      const inside = source.caseContents(box.id).map((a) => a.id);
      return overbooking(source, gig.id, inside, caseName(box), { case_id: box.id }, edit.confirmOverbooking === true);
    }
    case 'add_quantity': {
      const gig = await openGig(source, edit.gigId, 'pick list');
      return { ops: [line(source, gig.id, { category: edit.category, quantity: edit.quantity })], warnings: [] };
    }
    case 'set_quantity': {
      const found = await openLine(source, edit.lineId);
      if (found.category === null) throw new StationError('conflict', 'only a quantity line (a category) has a quantity to change');
      return {
        ops: [{ table: 'kit_assignments', action: 'update', payload: { id: found.id, fields: { quantity: edit.quantity } } }],
        warnings: [],
      };
    }
    case 'set_line_notes': {
      const found = await openLine(source, edit.lineId);
      return {
        ops: [{ table: 'kit_assignments', action: 'update', payload: { id: found.id, fields: { notes: edit.notes } } }],
        warnings: [],
      };
    }
    case 'remove_line': {
      const found = await openLine(source, edit.lineId);
      return { ops: [{ table: 'kit_assignments', action: 'delete', payload: { id: found.id } }], warnings: [] };
    }
    case 'copy_plan':
      return copyPlan(source, edit.gigId, edit.fromGigId);
    case 'assign': {
      const gig = await openGig(source, edit.gigId, 'crew');
      const person = source.person(edit.staffId);
      if (person === null) throw new StationError('not_found', 'that person is not on this station');
      if (source.crewOf(gig.id).some((c) => c.staffId === person.id))
        throw new StationError('conflict', `${person.displayName} is already on the crew of ${gig.name}`);
      return {
        ops: [
          {
            table: 'gig_staff',
            action: 'create',
            payload: { id: source.newId(), gig_id: gig.id, staff_id: person.id, role: edit.role },
          },
        ],
        warnings: [],
      };
    }
    case 'set_role': {
      const found = await openAssignment(source, edit.assignmentId);
      return { ops: [{ table: 'gig_staff', action: 'update', payload: { id: found.id, fields: { role: edit.role } } }], warnings: [] };
    }
    case 'unassign': {
      const found = await openAssignment(source, edit.assignmentId);
      return { ops: [{ table: 'gig_staff', action: 'delete', payload: { id: found.id } }], warnings: [] };
    }
  }
}

/**
 * A new line for items another gig holds at the same time (as this device knows): refused with
 * the gigs in words unless the planner confirmed it, then sent as a deliberate overbooking (the
 * server records who confirmed it). The server checks again with what it knows.
 */
function overbooking(
  source: PlanSource,
  gigId: string,
  assetIds: readonly string[],
  what: string,
  planned: Record<string, unknown>,
  confirmed: boolean,
): PlannedOps {
  const clashes = source.clashes(gigId, assetIds);
  if (clashes.length === 0) return { ops: [line(source, gigId, planned)], warnings: [] };
  const words = `${what} is also ${clashes.join('; ')}`;
  if (!confirmed) throw new StationError('overbooked', `${words}; confirm to plan it anyway`);
  return { ops: [line(source, gigId, { ...planned, confirm_overbooking: true })], warnings: [`overbooked on purpose: ${words}`] };
}

function line(source: PlanSource, gigId: string, what: Record<string, unknown>): NewOp {
  return { table: 'kit_assignments', action: 'create', payload: { id: source.newId(), gig_id: gigId, ...what } };
}

async function openLine(source: PlanSource, lineId: string): Promise<KitAssignment> {
  const found = source.line(lineId);
  if (found === null) throw new StationError('not_found', 'that pick list line is not on this station (it may have been removed)');
  await openGig(source, found.gigId, 'pick list');
  return found;
}

async function openAssignment(source: PlanSource, assignmentId: string): Promise<GigStaff> {
  const found = source.assignment(assignmentId);
  if (found === null) throw new StationError('not_found', 'that crew assignment is not on this station (it may have been removed)');
  await openGig(source, found.gigId, 'crew');
  return found;
}

/** Another gig's lines added to this one's; lines it already has (the same item or case) are left out and said. */
async function copyPlan(source: PlanSource, gigId: string, fromGigId: string): Promise<PlannedOps> {
  const gig = await openGig(source, gigId, 'pick list');
  if (gigId === fromGigId) throw new StationError('conflict', 'choose another gig to copy from');
  const from = source.gig(fromGigId);
  if (from === null) throw new StationError('not_found', 'the gig to copy from is not on this station');
  const have = source.linesOf(gig.id);
  const ops: NewOp[] = [];
  let skipped = 0;
  for (const l of source.linesOf(from.id)) {
    if (l.assetId !== null) {
      const asset = source.asset(l.assetId);
      if (asset === null || asset.deletedAt !== null || have.some((h) => h.assetId === l.assetId)) skipped += 1;
      else ops.push(line(source, gig.id, { asset_id: l.assetId }));
    } else if (l.caseId !== null) {
      const box = source.kase(l.caseId);
      if (box === null || box.deletedAt !== null || have.some((h) => h.caseId === l.caseId)) skipped += 1;
      else ops.push(line(source, gig.id, { case_id: l.caseId }));
    } else if (l.category !== null && l.quantity !== null) {
      ops.push(line(source, gig.id, { category: l.category, quantity: l.quantity }));
    }
  }
  if (ops.length === 0 && skipped === 0) throw new StationError('conflict', `${from.name} has nothing on its pick list to copy`);
  const warnings =
    skipped === 0 ? [] : [`${skipped} line${skipped === 1 ? '' : 's'} of ${from.name} left out: already on this pick list, or retired`];
  return { ops, warnings };
}

/** The ops a gig edit queues. */
export async function gigOps(edit: GigEdit, source: PlanSource): Promise<PlannedOps> {
  if (edit.kind === 'create') {
    const parent = edit.parentGigId === null ? null : source.gig(edit.parentGigId);
    if (edit.parentGigId !== null && (parent === null || parent.deletedAt !== null))
      throw new StationError('not_found', 'the gig to add it under is not on this station');
    const membership = parent === null ? await source.onlyMembership() : null;
    if (parent === null && membership === null)
      throw new StationError('forbidden', `A top-level gig is created once ${NOT_LEARNT}, and only with one organization.`);
    const refused = planRefusal(parent === null ? (membership?.role ?? null) : await source.roleFor(parent.id), 'gig');
    if (refused !== null) throw new StationError('forbidden', refused);
    checkTimes(edit.startsAt ?? null, edit.endsAt ?? null);
    const payload: Record<string, unknown> = { id: source.newId(), name: edit.name, parent_gig_id: edit.parentGigId };
    if (membership !== null) payload['org_id'] = membership.orgId;
    if (edit.venue != null) payload['venue'] = edit.venue;
    if (edit.startsAt != null) payload['starts_at'] = edit.startsAt;
    if (edit.endsAt != null) payload['ends_at'] = edit.endsAt;
    // A set takes its parent's venue zone, as its times are shown in it.
    if (parent?.timeZone != null) payload['time_zone'] = parent.timeZone;
    return { ops: [{ table: 'gigs', action: 'create', payload }], warnings: [] };
  }
  const gig = source.gig(edit.gigId);
  if (gig === null || gig.deletedAt !== null) throw new StationError('not_found', 'that gig is not on this station');
  const refused = planRefusal(await source.roleFor(gig.id), 'gig');
  if (refused !== null) throw new StationError('forbidden', refused);
  switch (edit.kind) {
    case 'update': {
      const { timeZone, ...rest } = edit.fields;
      const fields: Record<string, unknown> = { ...rest };
      if (timeZone !== undefined) fields['time_zone'] = timeZone;
      return { ops: [{ table: 'gigs', action: 'update', payload: { id: gig.id, fields } }], warnings: [] };
    }
    case 'times':
      checkTimes(edit.startsAt, edit.endsAt);
      if (sameInstant(gig.startsAt, edit.startsAt) && sameInstant(gig.endsAt, edit.endsAt))
        throw new StationError('conflict', `${gig.name} already has these times`);
      return {
        ops: [
          {
            table: 'gigs',
            action: 'set_times',
            payload: { id: gig.id, starts_at: edit.startsAt, ends_at: edit.endsAt },
            base_version: gig.version,
          },
        ],
        warnings: [],
      };
    case 'move': {
      if (edit.parentGigId === gig.parentGigId) throw new StationError('conflict', `${gig.name} is already there`);
      if (edit.parentGigId !== null) {
        const parent = source.gig(edit.parentGigId);
        if (parent === null || parent.deletedAt !== null)
          throw new StationError('not_found', 'the gig to move it under is not on this station');
        if (within(source, gig.id, parent.id))
          throw new StationError('conflict', `${gig.name} cannot move under ${parent.name}: ${parent.name} is part of it`);
      }
      return {
        ops: [{ table: 'gigs', action: 'move', payload: { id: gig.id, parent_gig_id: edit.parentGigId }, base_version: gig.version }],
        warnings: [],
      };
    }
    case 'delete': {
      const below = countBelow(source, gig.id);
      return {
        ops: [{ table: 'gigs', action: 'delete', payload: { id: gig.id } }],
        warnings: below === 0 ? [] : [`${gig.name} is deleted with the ${below} gig${below === 1 ? '' : 's'} under it`],
      };
    }
  }
}

function checkTimes(startsAt: string | null, endsAt: string | null): void {
  if (startsAt !== null && endsAt !== null && Date.parse(endsAt) < Date.parse(startsAt))
    throw new StationError('invalid_arguments', 'the end is before the start');
}

const sameInstant = (a: string | null, b: string | null): boolean => (a === null || b === null ? a === b : Date.parse(a) === Date.parse(b));

/** Whether `id` is `rootId` or below it. */
function within(source: PlanSource, rootId: string, id: string): boolean {
  const stack = [rootId];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next === id) return true;
    for (const child of source.children(next)) if (child.deletedAt === null) stack.push(child.id);
  }
  return false;
}

function countBelow(source: PlanSource, rootId: string): number {
  let n = 0;
  const stack = [...source.children(rootId)];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.deletedAt !== null) continue;
    n += 1;
    stack.push(...source.children(next.id));
  }
  return n;
}
