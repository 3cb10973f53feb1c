/**
 * A gig's plan as the Plan screen shows it: the gig's details with the names above it, its pick
 * list lines in words (item, case with how many items inside, quantity of a category), its crew
 * by name, who else could be assigned, and whether the signed-in role may change any of it.
 * Built from the station's cached rows, which already show queued edits (the optimistic rebase).
 */
import type { MemberRole } from '../sync/roles';
import type { Asset, BulkItem, Case, Gig, GigStaff, KitAssignment, StaffProfile } from '../sync/rows';
import type { GigPlan, PlanLine } from './plan-api';
import { closedWords, planRefusal } from './plan-edits';

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
}

const byText = (a: string, b: string): number => a.localeCompare(b, 'en', { sensitivity: 'base' });

export function buildGigPlan(gigId: string, role: MemberRole | null, source: PlanViewSource): GigPlan | null {
  const gig = source.gig(gigId);
  if (gig === null || gig.deletedAt !== null) return null;
  const path: string[] = [];
  const seen = new Set<string>([gig.id]);
  for (let up = gig.parentGigId === null ? null : source.gig(gig.parentGigId); up !== null && !seen.has(up.id);) {
    seen.add(up.id);
    path.unshift(up.name);
    up = up.parentGigId === null ? null : source.gig(up.parentGigId);
  }
  const lines = source
    .linesOf(gig.id)
    .map((l) => planLine(l, source))
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
  };
}

const KIND_ORDER: Record<PlanLine['kind'], number> = { case: 0, asset: 1, bulk: 2 };

function planLine(l: KitAssignment, source: PlanViewSource): PlanLine {
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
  };
}
