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
  version: z.number().int(),
  /** Assets out to this gig itself (queued check-outs included); the screens roll them up. */
  assetsOut: z.number().int().nonnegative(),
  /** Planned items on this gig's own pick list. */
  planned: z.number().int().nonnegative(),
});
export type GigListItem = z.infer<typeof gigListItemSchema>;

export const myGigSchema = gigListItemSchema.extend({ role: z.string(), path: z.array(z.string()) });
export type MyGig = z.infer<typeof myGigSchema>;

export const pickLineSchema = z.object({
  kind: z.enum(['asset', 'case', 'bulk']),
  label: z.string(),
  planned: z.number().int().nonnegative(),
  out: z.number().int().nonnegative(),
});

export const assetListItemSchema = z.object({
  id: z.uuid(),
  serial: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  category: z.string(),
  status: z.string(),
  gigId: z.uuid().nullable(),
  caseId: z.uuid().nullable(),
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
});
export type Movement = z.infer<typeof movementSchema>;

export const assetHistorySchema = z.object({
  /** null when the server could not be asked (offline, signed out): `unavailable` says why. */
  movements: z.array(movementSchema).nullable(),
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
