/**
 * What the station's screens read from its caches: compact list items (the lists hold 5k gigs
 * and 20k+ assets, so only the columns the screens use travel), an asset's history and the
 * station's settings.
 */

import { z } from 'zod';

export const GIG_STATUSES = ['draft', 'confirmed', 'in_progress', 'completed', 'cancelled'] as const;
export type GigStatus = (typeof GIG_STATUSES)[number];
/** The server's allowed status changes (app.gig_status_transition_allowed): the UI offers only these. */
export const GIG_STATUS_TRANSITIONS: Record<GigStatus, readonly GigStatus[]> = {
  draft: ['confirmed', 'cancelled'],
  confirmed: ['draft', 'in_progress', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  cancelled: ['draft'],
};
export const ASSET_STATUSES = ['available', 'checked_out', 'in_maintenance', 'quarantined', 'lost', 'retired'] as const;

export const gigListItemSchema = z.object({
  id: z.uuid(),
  parentId: z.uuid().nullable(),
  code: z.string(),
  name: z.string(),
  status: z.enum(GIG_STATUSES),
  startsAt: z.string().nullable(),
  venue: z.string().nullable(),
  /** The venue's zone its times are shown in (null: the device's). */
  timeZone: z.string().nullable(),
  version: z.number().int(),
  /** Assets out to this gig itself (queued check-outs included); the screens roll them up. */
  assetsOut: z.number().int().nonnegative(),
  /** Planned items on this gig's own pick list. */
  planned: z.number().int().nonnegative(),
});
export type GigListItem = z.infer<typeof gigListItemSchema>;

export const myGigSchema = gigListItemSchema.extend({ role: z.string(), path: z.array(z.string()) });
export type MyGig = z.infer<typeof myGigSchema>;

const count = z.number().int().nonnegative();

/** Planned / scanned / still missing / beyond the plan: the one count definition (core/views/counts.ts). */
export const pickCountsSchema = z.object({ planned: count, scanned: count, missing: count, extra: count });

/** One serialized item on a list: a case's content, an extra, an item expected back. */
export const pickItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Serial number (or barcode): what is printed on it. */
  code: z.string(),
  /** On the pick list: out to this gig (scanned). Expected returns: came back (returned). */
  done: z.boolean(),
  /** Where it is now, in words ("in the warehouse", "out to Main Stage Day 2", "in maintenance"). */
  where: z.string(),
});
export type PickItem = z.infer<typeof pickItemSchema>;

/**
 * One line of a pick list (check-out) or of what is expected back (check-in): a named asset, a
 * case with its contents, or a bulk line counted in units. `planned` is what the line asks for
 * (check-in: what went out), `scanned` what is done (out to the gig; check-in: returned), and
 * `where` says where a missing asset or bulk stock is now.
 */
export const pickLineSchema = z.object({
  key: z.string(),
  kind: z.enum(['asset', 'case', 'bulk']),
  name: z.string(),
  code: z.string(),
  /** Bulk lines: the unit counted ("pcs", "m"); null for assets and cases. */
  unit: z.string().nullable(),
  planned: count,
  scanned: count,
  missing: count,
  where: z.string().nullable(),
  contents: z.array(pickItemSchema),
});
export type PickLineView = z.infer<typeof pickLineSchema>;

/** One gig's part of a pick list: the gig itself, or one set of a festival day or stage. */
export const pickGroupSchema = z.object({
  gigId: z.string(),
  name: z.string(),
  startsAt: z.string().nullable(),
  timeZone: z.string().nullable(),
  lines: z.array(pickLineSchema),
  /** Out to this gig although on no line of its list (or beyond a bulk line's quantity). */
  extras: z.array(pickItemSchema.extend({ units: count })),
  counts: pickCountsSchema,
});
export type PickGroup = z.infer<typeof pickGroupSchema>;

/**
 * A gig's pick list as the Scan screen shows it: groups (one per set when the gig has sets, the
 * gig's own lines first) and totals that are the groups' counts added up — the numbers the Gigs
 * screen and the server's roll-up (get_gig_hierarchy) show for the same gig.
 */
export const pickListSchema = z.object({
  gigId: z.string(),
  mode: z.enum(['check_out', 'check_in']),
  groups: z.array(pickGroupSchema),
  totals: pickCountsSchema,
});
export type PickListView = z.infer<typeof pickListSchema>;

export const assetListItemSchema = z.object({
  id: z.uuid(),
  serial: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  category: z.string(),
  status: z.string(),
  gigId: z.uuid().nullable(),
  caseId: z.uuid().nullable(),
  /** Where it is (issue 21): its place and every place above it, nearest first (empty while out or on no shelf). */
  placeIds: z.array(z.uuid()),
  /** Its place in words, "Shelf A03 (WH1-A03)". */
  place: z.string().nullable(),
});
export type AssetListItem = z.infer<typeof assetListItemSchema>;

export const movementSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  occurred_at: z.string(),
  gig_id: z.uuid().nullable(),
  gig_name: z.string().nullable(),
  gig_code: z.string().nullable(),
  from_gig_id: z.uuid().nullable(),
  from_gig_name: z.string().nullable(),
  condition: z.string().nullable(),
  staff_name: z.string().nullable(),
  device_id: z.string().nullable(),
  /** What is wrong, kept with a damaged / missing-parts check-in (a server before notes sends none). */
  note: z.string().nullable().default(null),
});
export type Movement = z.infer<typeof movementSchema>;

/** One row of a gig's movements export (public.get_gig_movements): an item or a bulk quantity, out or back. */
export const gigMovementSchema = z.object({
  occurred_at: z.string(),
  recorded_at: z.string(),
  kind: z.string(),
  item_kind: z.enum(['asset', 'bulk']),
  item_name: z.string(),
  item_code: z.string(),
  quantity: z.number().int(),
  unit: z.string().nullable(),
  gig_id: z.uuid(),
  gig_name: z.string(),
  gig_code: z.string().nullable(),
  staff_name: z.string().nullable(),
  device_id: z.string().nullable(),
  condition: z.string().nullable(),
  note: z.string().nullable(),
});
export type GigMovement = z.infer<typeof gigMovementSchema>;

/** A gig's movements as a CSV file to save. */
export const movementsExportSchema = z.object({ fileName: z.string(), csv: z.string(), rows: z.number().int() });
export type MovementsExport = z.infer<typeof movementsExportSchema>;

export const assetHistorySchema = z.object({
  /** null when the server could not be asked (offline, signed out): `unavailable` says why. */
  movements: z
    .array(movementSchema.extend({ /** Where it was scanned, in words (core/views/device-words.ts). */ device: z.string().nullable() }))
    .nullable(),
  unavailable: z.string().nullable(),
  /** This station's queued, not yet synced, ops on the asset (or on its case). */
  pending: z.array(z.object({ id: z.uuid(), action: z.string(), timestamp: z.number(), gigId: z.string().nullable(), status: z.string() })),
});
export type AssetHistory = z.infer<typeof assetHistorySchema>;

export const stationSettingsSchema = z.object({
  stationName: z.string(),
  backendUrl: z.string().nullable(),
  anonKey: z.string().nullable(),
  signedInAs: z.string().nullable(),
});
export type StationSettings = z.infer<typeof stationSettingsSchema>;

export const saveSettingsInputSchema = z.strictObject({
  stationName: z.string().trim().min(1, 'station name must not be empty').max(60, 'station name is longer than 60 characters').optional(),
  backend: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'backend URL must be an http(s) address' }),
      anonKey: z.string().trim().min(20, 'the anon key looks too short — copy it from the project settings').max(2000),
    })
    .optional(),
});

export const signInInputSchema = z.strictObject({
  email: z.email('enter an email address'),
  password: z.string().min(1, 'enter the password').max(200),
});

export const setGigStatusInputSchema = z.strictObject({
  gigId: z.uuid(),
  status: z.enum(GIG_STATUSES),
});

export const CACHE_TOPICS = ['gigs', 'assets', 'other'] as const;
export const cacheChangedSchema = z.object({ topics: z.array(z.enum(CACHE_TOPICS)) });
export type CacheChanged = z.infer<typeof cacheChangedSchema>;
