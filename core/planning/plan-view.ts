/**
 * A gig's plan as the Plan screen shows it: the gig's details with the names above it, its pick
 * list lines in words (item, case with how many items inside, quantity of a category), its crew
 * by name, who else could be assigned, and whether the signed-in role may change any of it.
 * Built from the station's cached rows, which already show queued edits (the optimistic rebase).
 */
import type { MemberRole } from '../sync/roles';
import type { Asset, BulkItem, Case, Gig, GigStaff, KitAssignment, StaffProfile } from '../sync/rows';
import { expandedAvailability, type Availability, type AvailabilityIndex } from '../views/availability';
import { formatDateTime } from '../views/time';
import type { GigPlan, PlanAvailability, PlanLine } from './plan-api';
import { gigName, itemName } from './names';
import { closedWords, planRefusal } from './plan-edits';

/** The organizations' buffers until the server has said (organizations' column defaults, migration 20261204000400). */
export const DEFAULT_BUFFERS = { prepHours: 24, returnHours: 24 } as const;

export interface PlanViewSource {
  gig(id: string): Gig | null;
  linesOf(gigId: string): readonly KitAssignment[];
  asset(id: string): Asset | null;
  kase(id: string): Case | null;
  caseContents(caseId: string): readonly Asset[];
  bulkItemOf(category: string): BulkItem | null;
  crewOf(gigId: string): readonly GigStaff[];
  staff(): Iterable<StaffProfile>;
  person(id: string): StaffProfile | null;
  /** Ids with an op queued on this device ("kit_assignments:<id>" and the like). */
  waiting: ReadonlySet<string>;
  /** Every cached row availability reads, with the organization's buffers, indexed (core/views/availability.ts). */
  availabilityIndex(): AvailabilityIndex;
}

const byText = (a: string, b: string): number => a.localeCompare(b, 'en', { sensitivity: 'base' });

export function buildGigPlan(gigId: string, role: MemberRole | null, source: PlanViewSource, now: number): GigPlan | null {
  const gig = source.gig(gigId);
  if (gig === null || gig.deletedAt !== null) return null;
  const path: string[] = [];
  const seen = new Set<string>([gig.id]);
  for (let up = gig.parentGigId === null ? null : source.gig(gig.parentGigId); up !== null && !seen.has(up.id);) {
    seen.add(up.id);
    path.unshift(up.name);
    up = up.parentGigId === null ? null : source.gig(up.parentGigId);
  }
  const index = source.availabilityIndex();
  // The gig's own categories are few: each opens into every gig and item behind its numbers.
  const free = expandedAvailability(index, { gigId: gig.id }, { now });
  const words = availabilityWords(free, index.rows.buffers, source);
  const lines = source
    .linesOf(gig.id)
    .map((l) => planLine(l, source, words.problem(l)))
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || byText(a.title, b.title));
  const crew = source
    .crewOf(gig.id)
    .map((c) => ({
      id: c.id,
      staffId: c.staffId,
      name: source.person(c.staffId)?.displayName ?? 'someone not on this station',
      role: c.role,
      waiting: source.waiting.has(`gig_staff:${c.id}`),
    }))
    .sort((a, b) => byText(a.name, b.name));
  const onCrew = new Set(crew.map((c) => c.staffId));
  const staff = [...source.staff()]
    .filter((p) => !onCrew.has(p.id))
    .map((p) => ({ id: p.id, name: p.displayName }))
    .sort((a, b) => byText(a.name, b.name));
  const refused = planRefusal(role) ?? closedWords(gig);
  return {
    gig: {
      id: gig.id,
      name: gig.name,
      code: gig.code ?? '',
      status: gig.status,
      venue: gig.venue,
      notes: gig.notes,
      startsAt: gig.startsAt,
      endsAt: gig.endsAt,
      timeZone: gig.timeZone,
      parentId: gig.parentGigId,
      path,
      waiting: source.waiting.has(`gigs:${gig.id}`),
    },
    canPlan: refused === null,
    note: refused,
    lines,
    crew,
    staff,
    availability: words.view,
  };
}

const KIND_ORDER: Record<PlanLine['kind'], number> = { case: 0, asset: 1, bulk: 2 };

function planLine(l: KitAssignment, source: PlanViewSource, problem: string | null): PlanLine {
  const waiting = source.waiting.has(`kit_assignments:${l.id}`);
  if (l.assetId !== null) {
    const asset = source.asset(l.assetId);
    return {
      id: l.id,
      kind: 'asset',
      title: asset?.name ?? 'an item not on this station',
      code: asset?.serialNumber ?? null,
      quantity: null,
      notes: l.notes,
      waiting,
      problem,
      overbookedOnPurpose: l.overbookingConfirmedAt !== null,
    };
  }
  if (l.caseId !== null) {
    const box = source.kase(l.caseId);
    return {
      id: l.id,
      kind: 'case',
      title: box === null ? 'a case not on this station' : `Case ${box.name ?? box.barcode}`,
      code: box?.barcode ?? null,
      quantity: source.caseContents(l.caseId).filter((a) => a.deletedAt === null).length,
      notes: l.notes,
      waiting,
      problem,
      overbookedOnPurpose: l.overbookingConfirmedAt !== null,
    };
  }
  const category = l.category ?? '';
  const stock = source.bulkItemOf(category);
  return {
    id: l.id,
    kind: 'bulk',
    title: stock?.name ?? category,
    code: stock?.barcode ?? null,
    quantity: l.quantity,
    notes: l.notes,
    waiting,
    problem,
    overbookedOnPurpose: l.overbookingConfirmedAt !== null,
  };
}

const REASON_WORDS = { maintenance: 'in maintenance', written_off: 'lost or retired' } as const;

/** Availability in the planner's words: names instead of ids, windows in each gig's venue time. */
function availabilityWords(
  free: Availability,
  buffers: AvailabilityIndex['rows']['buffers'],
  source: PlanViewSource,
): { view: PlanAvailability; problem: (line: KitAssignment) => string | null } {
  const gigNames = new Map(free.gigs.map((g) => [g.id, g]));
  const gigWords = (id: string): string => gigName(gigNames.get(id) ?? source.gig(id));
  const when = (id: string, window: { from: string; to: string } | null): string | null => {
    if (window === null) return null;
    const timeZone = source.gig(id)?.timeZone ?? undefined;
    return `${formatDateTime(window.from, { timeZone, locale: 'en-GB' })} – ${formatDateTime(window.to, { timeZone, locale: 'en-GB' })}`;
  };
  const windowOf = (id: string) => gigNames.get(id)?.window ?? null;
  const itemWords = (assetId: string): string => itemName(source.asset(assetId));
  const holding = (h: { gigId: string; assetIds: string[] | null; units: number }) => ({
    gigId: h.gigId,
    gig: gigWords(h.gigId),
    when: when(h.gigId, windowOf(h.gigId)),
    items: (h.assetIds ?? []).map(itemWords),
    units: h.units,
  });
  const reasonWords = (reason: string, gigId: string | null): string => {
    if (reason === 'out') return `out to ${gigId === null ? 'another gig' : gigWords(gigId)}, not back in time`;
    if (reason === 'planned') return `planned on ${gigId === null ? 'another gig' : gigWords(gigId)} at the same time`;
    return REASON_WORDS[reason as keyof typeof REASON_WORDS] ?? reason;
  };
  const byLine = new Map(free.lines.map((l) => [l.id, l]));
  const byCategory = new Map(free.categories.map((c) => [c.category, c]));
  const problem = (line: KitAssignment): string | null => {
    const figures = byLine.get(line.id);
    if (figures === undefined) return null;
    if (line.category !== null) {
      const c = byCategory.get(line.category);
      return c === undefined || c.shortage === 0
        ? null
        : `short by ${c.shortage}: ${Math.max(c.available, 0)} free of ${c.owned} for ${c.demand} planned`;
    }
    const blocked = figures.items.filter((i) => i.reason !== null);
    if (blocked.length === 0) return null;
    const [first] = blocked;
    const why = first === undefined || first.reason === null ? '' : reasonWords(first.reason, first.gigId);
    if (line.assetId !== null) return why;
    return `${blocked.length} of ${figures.items.length} items not free: ${itemWords(first?.assetId ?? '')} ${why}${blocked.length > 1 ? ', …' : ''}`;
  };
  const subject = free.subject.window;
  return {
    view: {
      window: free.subject.gigId === null ? null : when(free.subject.gigId, subject),
      buffers: { prepHours: buffers.prepHours, returnHours: buffers.returnHours },
      categories: free.categories.map((c) => ({
        category: c.category,
        owned: c.owned,
        maintenance: c.maintenance,
        out: c.out,
        planned: c.planned,
        available: c.available,
        demand: c.demand,
        shortage: c.shortage,
        maintenanceItems: (c.maintenanceAssets ?? []).map(itemWords),
        outGigs: c.outGigs.map(holding),
        plannedGigs: c.plannedGigs.map(holding),
      })),
      overdue: free.overdue.map(holding),
    },
    problem,
  };
}
