/**
 * Planning on the station and the phone (issue 19), as the screens see it: a gig's plan (its
 * details, pick list lines and crew, with what the signed-in role may change) and the edits a
 * planner makes to it. Every edit becomes queued ops (core/sync/ops.ts), offline like a scan.
 */
import { z } from 'zod';
import { GIG_STATUSES } from '../station-views';
import { queuedOpSchema } from '../sync/model';

const uuid = z.uuid();
const name = z.string().trim().min(1, 'the name is empty').max(200, 'the name is longer than 200 characters');
/** An instant as the screens send it (ISO 8601 with a zone or Z); null clears it. */
const instant = z.iso.datetime({ offset: true, message: 'a time must be an ISO 8601 date and time with its zone' }).nullable();
const quantity = z
  .number({ message: 'the quantity must be a number' })
  .int('the quantity must be a whole number')
  .min(1, 'the quantity must be at least 1')
  .max(100_000, 'the quantity must be at most 100000');
const role = z.string().trim().min(1, 'the role is empty').max(80, 'the role is longer than 80 characters');
const notes = z.string().max(2000, 'the notes are longer than 2000 characters').nullable();

export const planLineSchema = z.object({
  id: uuid,
  kind: z.enum(['asset', 'case', 'bulk']),
  /** "Shure SM58", "Case Drum kit", "XLR cable": what the line plans. */
  title: z.string(),
  /** What is printed on it: serial, case barcode, shelf barcode; null for a category with no shelf. */
  code: z.string().nullable(),
  /** A bulk line's units, a case's items inside; null for one item. */
  quantity: z.number().int().nullable(),
  notes: z.string().nullable(),
  /** Changed on this device and not yet accepted by the server. */
  waiting: z.boolean(),
  /** Why (some of) what this line plans is not free for the gig, in words; null when it all is. */
  problem: z.string().nullable(),
  /** A planner confirmed it although another gig holds it at the same time (shown as such). */
  overbookedOnPurpose: z.boolean(),
});
export type PlanLine = z.infer<typeof planLineSchema>;

export const crewLineSchema = z.object({
  id: uuid,
  staffId: uuid,
  name: z.string(),
  role: z.string(),
  waiting: z.boolean(),
});
export type CrewLine = z.infer<typeof crewLineSchema>;

/** Gigs that hold some of a category, in words: "Main Stage Day 2 · GIG-0042", when, what. */
const holdingSchema = z.object({
  gigId: uuid,
  gig: z.string(),
  /** The gig's window with its buffers, in its venue's time ("3 Jul 08:00 – 5 Jul 12:00"); null: no dates. */
  when: z.string().nullable(),
  /** The items it holds, in words ("Shure SM58 · MIC-7001"); none for units. */
  items: z.array(z.string()),
  units: z.number().int(),
});

/** One category's availability for the gig (core/views/availability.ts), every number with what is behind it. */
export const categoryAvailabilitySchema = z.object({
  category: z.string(),
  owned: z.number().int(),
  maintenance: z.number().int(),
  out: z.number().int(),
  planned: z.number().int(),
  available: z.number().int(),
  demand: z.number().int(),
  shortage: z.number().int(),
  maintenanceItems: z.array(z.string()),
  outGigs: z.array(holdingSchema),
  plannedGigs: z.array(holdingSchema),
});
export type CategoryAvailability = z.infer<typeof categoryAvailabilitySchema>;

export const planAvailabilitySchema = z.object({
  /** The window the gig needs its gear for, buffers included, in words; null when it has no dates. */
  window: z.string().nullable(),
  /** The organization's prep and return buffers, in hours. */
  buffers: z.object({ prepHours: z.number().int(), returnHours: z.number().int() }),
  categories: z.array(categoryAvailabilitySchema),
  /** Items and units out past their gig's end and return buffer, by gig. */
  overdue: z.array(holdingSchema),
});
export type PlanAvailability = z.infer<typeof planAvailabilitySchema>;

export const gigPlanSchema = z.object({
  gig: z.object({
    id: uuid,
    name: z.string(),
    code: z.string(),
    status: z.enum(GIG_STATUSES),
    venue: z.string().nullable(),
    notes: z.string().nullable(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    timeZone: z.string().nullable(),
    parentId: uuid.nullable(),
    /** The names above it, outermost first ("Summer Festival", "Day 1"). */
    path: z.array(z.string()),
    waiting: z.boolean(),
  }),
  /** Whether the signed-in role may change this gig's plan; `note` says why not. */
  canPlan: z.boolean(),
  note: z.string().nullable(),
  lines: z.array(planLineSchema),
  crew: z.array(crewLineSchema),
  /** Everyone on the organization's staff who is not on this gig's crew yet, by name. */
  staff: z.array(z.object({ id: uuid, name: z.string() })),
  /** What is free for this gig and its sets, from this device's copy (offline too). */
  availability: planAvailabilitySchema,
});
export type GigPlan = z.infer<typeof gigPlanSchema>;

/** An edit to a gig's pick list or crew. */
export const planEditSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('add_asset'), gigId: uuid, assetId: uuid, confirmOverbooking: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('add_case'), gigId: uuid, caseId: uuid, confirmOverbooking: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('add_quantity'), gigId: uuid, category: z.string().trim().min(1, 'name a category').max(80), quantity }),
  z.strictObject({ kind: z.literal('set_quantity'), lineId: uuid, quantity }),
  z.strictObject({ kind: z.literal('set_line_notes'), lineId: uuid, notes }),
  z.strictObject({ kind: z.literal('remove_line'), lineId: uuid }),
  z.strictObject({ kind: z.literal('copy_plan'), gigId: uuid, fromGigId: uuid }),
  z.strictObject({ kind: z.literal('assign'), gigId: uuid, staffId: uuid, role }),
  z.strictObject({ kind: z.literal('set_role'), assignmentId: uuid, role }),
  z.strictObject({ kind: z.literal('unassign'), assignmentId: uuid }),
]);
export type PlanEdit = z.infer<typeof planEditSchema>;

/** An edit to a gig itself, or a new gig. */
export const gigEditSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('create'),
    parentGigId: uuid.nullable(),
    name,
    venue: z.string().max(200).nullable().optional(),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
  }),
  z.strictObject({
    kind: z.literal('update'),
    gigId: uuid,
    fields: z
      .strictObject({
        name: name.optional(),
        venue: z.string().max(200, 'the venue is longer than 200 characters').nullable().optional(),
        notes: z.string().max(10_000, 'the notes are longer than 10000 characters').nullable().optional(),
        timeZone: z.string().max(64).nullable().optional(),
      })
      .refine((f) => Object.keys(f).length > 0, 'change at least one field'),
  }),
  z.strictObject({ kind: z.literal('times'), gigId: uuid, startsAt: instant, endsAt: instant }),
  z.strictObject({ kind: z.literal('move'), gigId: uuid, parentGigId: uuid.nullable() }),
  z.strictObject({ kind: z.literal('delete'), gigId: uuid }),
]);
export type GigEdit = z.infer<typeof gigEditSchema>;

/** What an edit queued, and what the planner should know about it (an overbooking, lines skipped). */
export const editResultSchema = z.object({ queued: z.array(queuedOpSchema), warnings: z.array(z.string()) });
export type EditResult = z.infer<typeof editResultSchema>;

/** What is out past its gig's end and return buffer, per gig (the station's home lists it). */
export const overdueReturnSchema = z.object({
  gigId: uuid,
  /** "Main Stage Day 2 · GIG-0042". */
  gig: z.string(),
  /** When it was due back (the gig's end plus the return buffer), in the venue's time. */
  dueBack: z.string(),
  /** "Shure SM58 · MIC-7001", "12 × XLR cable 10 m". */
  items: z.array(z.string()),
});
export type OverdueReturn = z.infer<typeof overdueReturnSchema>;
