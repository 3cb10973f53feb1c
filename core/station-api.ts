/**
 * The only surface the renderer sees. Every implementation (Electron preload, the browser
 * host's WebSocket, the PWA) satisfies this type, and every host validates arguments and
 * results against `stationApiSchema` before trusting them.
 */

import { syncScopeSchema } from './sync/scope';
import { auditReportSchema } from './audit/report-schema';
import { caseSheetSchema, labelListSchema, labelQuerySchema } from './labels/sources';
import { placeEditSchema } from './places/places';
import { auditPlaceSchema, claimInputSchema, openAuditSchema, stockTakeViewSchema } from './audit/stock-take';
import { copyStateSchema } from './sync/verify';
import { z } from 'zod';
import { deviceInputSchema, scanEventSchema, type ScanEvent } from './scanner/types';
import { MAX_CODE_BYTES, scannerConfigSchema, scannerStatusSchema } from './scanner/config';
import { conflictViewSchema } from './sync/conflict-choices';
import { conflictSchema, queuedOpSchema, quarantinedOpSchema } from './sync/model';
import { gigSchema, staffProfileSchema } from './sync/rows';
import { editResultSchema, gigEditSchema, gigPlanSchema, overdueReturnSchema, planEditSchema } from './planning/plan-api';
import {
  GIG_STATUSES,
  assetHistorySchema,
  movementsExportSchema,
  assetListItemSchema,
  gigListItemSchema,
  myGigSchema,
  pickListSchema,
  saveSettingsInputSchema,
  setGigStatusInputSchema,
  signInInputSchema,
  stationSettingsSchema,
  type CacheChanged,
} from './station-views';

export const stationInfoSchema = z.object({
  appName: z.string(),
  appVersion: z.string(),
  host: z.enum(['electron', 'browser', 'pwa']),
  platform: z.string(),
  backendUrl: z.url().nullable(),
  startedAt: z.iso.datetime(),
});
export type StationInfo = z.infer<typeof stationInfoSchema>;

export const pingInputSchema = z.strictObject({
  message: z.string().max(256, 'message is longer than 256 characters'),
});
export type PingInput = z.infer<typeof pingInputSchema>;

export const pingResultSchema = z.object({
  message: z.string(),
  receivedAt: z.iso.datetime(),
});
export type PingResult = z.infer<typeof pingResultSchema>;

export const syncStatusSchema = z.object({
  depth: z.number().int(),
  pending: z.number().int(),
  syncing: z.number().int(),
  failed: z.number().int(),
  held: z.number().int(),
  conflicts: z.number().int(),
  quarantined: z.number().int(),
  oldestPendingAt: z.number().nullable(),
  online: z.boolean(),
  draining: z.boolean(),
  pulling: z.boolean(),
  /** Changes arrive as they are committed (a Realtime poke starts a pull), not only by the poll. */
  live: z.boolean(),
  /** What this device keeps (core/sync/scope.ts), as the last pull asked for it. */
  scope: syncScopeSchema,
  lastSuccessAt: z.number().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.number().nullable(),
  copy: copyStateSchema,
});
export type SyncStatusView = z.infer<typeof syncStatusSchema>;

// Shapes defined where they are produced (the queue's in model.ts, scanners' in scanner/config.ts),
// re-exported because the API carries them as they are.
export { conflictSchema, quarantinedOpSchema, scannerStatusSchema };

/** A quarantined op as the Sync screen lists it: with what it was, in words (quarantineLabel). */
export const quarantineEntrySchema = quarantinedOpSchema.extend({ label: z.string() });

/** A conflict as the Conflicts screen lists it: with the words and choices of core/sync/conflict-choices.ts. */
export const conflictEntrySchema = conflictSchema.extend({ view: conflictViewSchema });

/** What the Gigs screen offers for a gig's status: only what the signed-in role may do (core/sync/roles.ts). */
export const gigActionsSchema = z.object({ statuses: z.array(z.enum(GIG_STATUSES)), note: z.string().nullable() });

export const resolveConflictsInputSchema = z.strictObject({
  ids: z.array(z.uuid()).min(1, 'name at least one conflict').max(1000, 'resolve at most 1000 conflicts at once'),
  choice: z.enum(['keep_local', 'use_server']),
});

const opRefSchema = z.strictObject({ id: z.uuid() });

export { scanEventSchema };
export type ScanEventView = ScanEvent;

export const feedbackSchema = z.object({
  kind: z.enum(['ok', 'warning', 'error']),
  message: z.string(),
  code: z.string(),
  scan: scanEventSchema,
  queued: z.array(z.uuid()),
  /** Set when the scan waits for more: a bulk item scanned without a quantity asks for one (the keypad opens). */
  awaiting: z.literal('quantity').optional(),
});
export type FeedbackView = z.infer<typeof feedbackSchema>;

/** An op the server refused after it was queued (the engine's OpRefusal): Recent scans marks the scan that queued it. */
export const opRefusalSchema = z.object({
  opId: z.uuid(),
  kind: z.enum(['conflict', 'rejected']),
  code: z.string(),
  message: z.string(),
});
export type OpRefusalView = z.infer<typeof opRefusalSchema>;

export { deviceInputSchema };
export type DeviceInputView = z.infer<typeof deviceInputSchema>;

export const scanStateSchema = z.object({
  mode: z.enum(['check_out', 'check_in']),
  gig: gigSchema.nullable(),
  operator: staffProfileSchema.nullable(),
  condition: z.enum(['ok', 'damaged', 'missing_parts']),
  progress: z.object({ gigId: z.string(), planned: z.number(), scanned: z.number(), missing: z.number(), extra: z.number() }).nullable(),
});

export type ScanStateView = z.infer<typeof scanStateSchema>;

export const discoveredScannersSchema = z.object({
  serial: z.array(
    z.object({
      path: z.string(),
      manufacturer: z.string().optional(),
      vendorId: z.number().optional(),
      productId: z.number().optional(),
      serialNumber: z.string().optional(),
      /** The /dev/serial/by-id link, stable across re-enumeration (Linux). */
      byIdPath: z.string().optional(),
    }),
  ),
  hid: z.array(
    z.object({
      vendorId: z.number(),
      productId: z.number(),
      serialNumber: z.string().optional(),
      product: z.string().optional(),
      path: z.string().optional(),
      usagePage: z.number().optional(),
    }),
  ),
  hidUnavailable: z.string().nullable(),
});

/** What support needs to help with a station or phone: versions, queue state, settings without secrets, recent log. */
export const diagnosticsSchema = z.object({
  generatedAt: z.iso.datetime(),
  info: stationInfoSchema,
  sync: syncStatusSchema,
  settings: z.object({ stationName: z.string(), backendUrl: z.string().nullable(), signedInAs: z.string().nullable() }),
  scanners: z.array(scannerStatusSchema),
  log: z.array(z.string()),
});

/** The station's warehouse, by id and in words ("Dock Store (WH2)"). */
export const stationWarehouseSchema = z.object({ warehouseId: z.uuid().nullable(), name: z.string().nullable() });

export const stationApiSchema = {
  getInfo: { args: z.tuple([]), result: stationInfoSchema },
  ping: { args: z.tuple([pingInputSchema]), result: pingResultSchema },
  getSyncStatus: { args: z.tuple([]), result: syncStatusSchema },
  syncNow: { args: z.tuple([]), result: syncStatusSchema },
  /** Pulls, then checks the copy against the server's counts and checksums (core/sync/verify.ts). */
  verifyCopy: { args: z.tuple([]), result: syncStatusSchema },
  /** Fetches again every table the last check found different, then checks again. */
  repairCopy: { args: z.tuple([]), result: syncStatusSchema },
  /** What this device keeps: saved, then the copy is checked against it and the difference fetched or dropped. */
  setSyncScope: { args: z.tuple([syncScopeSchema]), result: syncStatusSchema },
  listQueue: { args: z.tuple([z.strictObject({ limit: z.number().int().min(1).max(1000) })]), result: z.array(queuedOpSchema) },
  listConflicts: { args: z.tuple([]), result: z.array(conflictEntrySchema) },
  resolveConflicts: { args: z.tuple([resolveConflictsInputSchema]), result: z.object({ resolved: z.number().int() }) },
  listQuarantine: { args: z.tuple([]), result: z.array(quarantineEntrySchema) },
  /** What queued ops are, in words with the station's names (the Sync screen asks for the rows it shows). */
  labelOps: {
    args: z.tuple([z.strictObject({ ids: z.array(z.uuid()).max(200, 'label at most 200 ops at once') })]),
    result: z.array(z.object({ id: z.uuid(), label: z.string() })),
  },
  retryQuarantined: { args: z.tuple([opRefSchema]), result: syncStatusSchema },
  discardQuarantined: { args: z.tuple([opRefSchema]), result: syncStatusSchema },
  listScanners: { args: z.tuple([]), result: z.array(scannerStatusSchema) },
  /** The saved scanner settings, for editing (saveScanners replaces them as a whole). */
  getScannerConfigs: { args: z.tuple([]), result: z.array(scannerConfigSchema) },
  discoverScanners: { args: z.tuple([]), result: discoveredScannersSchema },
  saveScanners: {
    args: z.tuple([z.strictObject({ scanners: z.array(scannerConfigSchema).max(32, 'a station takes at most 32 scanners') })]),
    result: z.array(scannerStatusSchema),
  },
  /** A scan the renderer detected itself (keyboard wedge, camera). */
  submitScan: {
    args: z.tuple([
      z.strictObject({
        code: z.string().min(1).max(MAX_CODE_BYTES),
        deviceId: z.string().min(1).max(100),
        /** With CMD:DAMAGED / CMD:MISSING-PARTS from the screen: what is wrong, kept with the next item checked in. */
        note: z.string().max(500, 'the note is longer than 500 characters').optional(),
      }),
    ]),
    result: feedbackSchema,
  },
  /**
   * While the Scanners screen is open, scans are test scans: shown and described, never acted on.
   * A lease the screen renews; `seconds: 0` ends it (a closed window cannot leave it on).
   */
  setScannerTest: {
    args: z.tuple([z.strictObject({ seconds: z.number().int().min(0).max(30) })]),
    result: z.object({ testing: z.boolean() }),
  },
  /**
   * While the Plan screen is open, scans add the item or case to that gig's pick list instead of
   * moving it. A lease the screen renews; a null gig or `seconds: 0` ends it.
   */
  setPlanScan: {
    args: z.tuple([z.strictObject({ gigId: z.uuid().nullable(), seconds: z.number().int().min(0).max(30) })]),
    result: z.object({ gigId: z.uuid().nullable() }),
  },
  getScanState: { args: z.tuple([]), result: scanStateSchema },
  /** Warehouses, zones and shelves this device knows, each after its parent: what a stock-take may count. */
  listPlaces: { args: z.tuple([]), result: z.array(auditPlaceSchema) },
  /** The stock-take open on this device (null: none), with its tally and what is still to find. */
  getStockTake: { args: z.tuple([]), result: stockTakeViewSchema.nullable() },
  /** Starts a stock-take of a place (its id, or the code on its label), offline too. */
  startStockTake: {
    args: z.tuple([
      z
        .strictObject({
          placeId: z.uuid().optional(),
          code: z.string().min(1).max(64).optional(),
          category: z.string().max(80, 'the category is longer than 80 characters').nullable().optional(),
        })
        .refine((input) => (input.placeId === undefined) !== (input.code === undefined), 'name the place by its id or its code'),
    ]),
    result: stockTakeViewSchema,
  },
  /** Stock-takes other devices started and this one may join (online). */
  listOpenStockTakes: { args: z.tuple([]), result: z.array(openAuditSchema) },
  joinStockTake: { args: z.tuple([z.strictObject({ auditId: z.uuid() })]), result: stockTakeViewSchema },
  /**
   * While the Stock-take screen is open, scans are counted in the open stock-take. A lease the
   * screen renews; `seconds: 0` ends it (a closed window cannot leave it on).
   */
  setStockTakeScan: {
    args: z.tuple([z.strictObject({ seconds: z.number().int().min(0).max(30) })]),
    result: z.object({ auditing: z.boolean() }),
  },
  /** A code typed (or a bulk count keyed) on the Stock-take screen: counted in the open stock-take, never checked in or out. */
  submitStockTakeScan: {
    args: z.tuple([
      z.strictObject({
        code: z.string().min(1).max(MAX_CODE_BYTES),
        deviceId: z.string().min(1).max(100),
        quantity: z.number().int().min(0).max(10_000_000).optional(),
      }),
    ]),
    result: feedbackSchema,
  },
  /** An unknown code scanned in the stock-take becomes a new item on the shelf counted (stations, managers). */
  claimLabel: {
    args: z.tuple([claimInputSchema.extend({ deviceId: z.string().min(1).max(100) })]),
    result: feedbackSchema,
  },
  /** Closes the open stock-take; `adjust` moves what was found in the wrong place to where it was found. */
  closeStockTake: { args: z.tuple([z.strictObject({ adjust: z.boolean() })]), result: z.object({ auditId: z.uuid() }) },
  /** Leaves the open stock-take on this device without closing it (other devices may still count). */
  leaveStockTake: { args: z.tuple([]), result: z.object({ left: z.literal(true) }) },
  /** A stock-take's report from the server: frozen at close, merged from every device (online). */
  getAuditReport: { args: z.tuple([z.strictObject({ auditId: z.uuid() })]), result: auditReportSchema },
  /** Sets up a warehouse or a place in one, renames one, or removes an empty one (admins, managers); checked against this device's copy first. */
  editPlace: { args: z.tuple([placeEditSchema]), result: queuedOpSchema },
  /** What the signed-in person may do here, as last known: set up places (admins, managers), claim pre-printed labels (stations too). */
  getRights: { args: z.tuple([]), result: z.object({ editPlaces: z.boolean(), claimLabels: z.boolean() }) },
  /** A pre-printed label scanned and not known: a new item with its code (in this station's warehouse, if it has one). */
  claimCode: {
    args: z.tuple([claimInputSchema]),
    result: queuedOpSchema,
  },
  /** The warehouse this station stands in (null: none set): what it checks in from another warehouse stays here. */
  getStationWarehouse: { args: z.tuple([]), result: stationWarehouseSchema },
  setStationWarehouse: { args: z.tuple([z.strictObject({ warehouseId: z.uuid().nullable() })]), result: stationWarehouseSchema },
  /** Labels to print, from this device's copy: places under a place, items and cases (at a place or by words), badges. */
  listLabels: { args: z.tuple([labelQuerySchema]), result: labelListSchema },
  /** A case's contents sheet: its lines and the reference printed on it. */
  getCaseSheet: { args: z.tuple([z.strictObject({ caseId: z.uuid() })]), result: caseSheetSchema },
  /** The sheet with this reference was printed or saved: the Labels screen says when the contents change since. */
  markSheetPrinted: {
    args: z.tuple([
      z.strictObject({ caseId: z.uuid(), reference: z.string().regex(/^[0-9A-F]{8}$/, 'a contents reference is 8 hex digits') }),
    ]),
    result: z.object({ caseId: z.uuid(), reference: z.string() }),
  },
  listGigs: { args: z.tuple([]), result: z.array(gigListItemSchema) },
  listAssets: { args: z.tuple([]), result: z.array(assetListItemSchema) },
  /** The signed-in person's assigned gigs, soonest first (the crew's schedule). */
  listMyGigs: { args: z.tuple([]), result: z.array(myGigSchema) },
  /** Check-out: the pick list line by line; check-in: what is still out to the gig. Over its sets too. */
  getPickList: {
    args: z.tuple([z.strictObject({ gigId: z.uuid(), mode: z.enum(['check_out', 'check_in']).optional() })]),
    result: pickListSchema,
  },
  getAssetHistory: { args: z.tuple([z.strictObject({ assetId: z.uuid() })]), result: assetHistorySchema },
  /** The status changes the signed-in role may make to a gig (none for a station), or why none. */
  /** A gig's and its sets' movements (who, device, scan time, condition, note) as CSV; online only. */
  exportGigMovements: { args: z.tuple([z.strictObject({ gigId: z.uuid() })]), result: movementsExportSchema },
  getGigActions: { args: z.tuple([z.strictObject({ gigId: z.uuid() })]), result: gigActionsSchema },
  /** Queues a status change decided on the cached row's version (a conflict if the server moved on). */
  setGigStatus: { args: z.tuple([setGigStatusInputSchema]), result: queuedOpSchema },
  /** A gig's plan: its details, pick list and crew, with what the signed-in role may change (core/planning). */
  getGigPlan: { args: z.tuple([z.strictObject({ gigId: z.uuid() })]), result: gigPlanSchema },
  /** Everything out past its gig's end and return buffer, by gig, most overdue first (the station's home). */
  listOverdueReturns: { args: z.tuple([]), result: z.array(overdueReturnSchema) },
  /** Queues a pick list or crew edit, checked against this device's copy first (refused in words, nothing queued). */
  editPlan: { args: z.tuple([planEditSchema]), result: editResultSchema },
  /** Queues a new gig or an edit of one: details last-write-wins, times and moves version-checked. */
  editGig: { args: z.tuple([gigEditSchema]), result: editResultSchema },
  getSettings: { args: z.tuple([]), result: stationSettingsSchema },
  saveSettings: { args: z.tuple([saveSettingsInputSchema]), result: stationSettingsSchema },
  signIn: { args: z.tuple([signInInputSchema]), result: stationSettingsSchema },
  signOut: { args: z.tuple([]), result: stationSettingsSchema },
  /** For "Export diagnostics": no keys, tokens or passwords (the log is redacted when written). */
  getDiagnostics: { args: z.tuple([]), result: diagnosticsSchema },
} as const;

export type StationMethod = keyof typeof stationApiSchema;
export const stationMethods = Object.keys(stationApiSchema) as StationMethod[];

export type StationArgs<M extends StationMethod> = z.infer<(typeof stationApiSchema)[M]['args']>;
export type StationReturn<M extends StationMethod> = z.infer<(typeof stationApiSchema)[M]['result']>;

/** The renderer-facing API: one async method per entry of the schema map, plus events. */
export type StationMethods = {
  [M in StationMethod]: (...args: StationArgs<M>) => Promise<StationReturn<M>>;
};

/** Pushed from the host whenever the queue or connectivity changes; returns an unsubscribe. */
export interface StationEvents {
  onSyncStatus(listener: (status: SyncStatusView) => void): () => void;
  /** Every raw scan from every device (the scanner test page shows them). */
  onScan(listener: (scan: ScanEventView) => void): () => void;
  onScanFeedback(listener: (feedback: FeedbackView) => void): () => void;
  /** Raw input from serial and HID scanners: frames and rejections with their reason. */
  onScannerInput(listener: (input: DeviceInputView) => void): () => void;
  /** The caches changed (a pull, a scan, a settled op): lists on screen reload what they show. */
  onCacheChanged(listener: (change: CacheChanged) => void): () => void;
  /** An op the server refused after it was queued (a conflict or a quarantine). */
  onOpRefused(listener: (refusal: OpRefusalView) => void): () => void;
}

export type StationApi = StationMethods & StationEvents;

/** Each event's name on the wire and its IPC channel. */
export const STATION_EVENTS = {
  syncStatus: 'station:event:syncStatus',
  scan: 'station:event:scan',
  scanFeedback: 'station:event:scanFeedback',
  scannerInput: 'station:event:scannerInput',
  cacheChanged: 'station:event:cacheChanged',
  opRefused: 'station:event:opRefused',
} as const;
export type StationEventName = keyof typeof STATION_EVENTS;
export const stationEventNames = Object.keys(STATION_EVENTS) as StationEventName[];

/** What each event carries. */
export interface StationEventValues {
  syncStatus: SyncStatusView;
  scan: ScanEventView;
  scanFeedback: FeedbackView;
  scannerInput: DeviceInputView;
  cacheChanged: CacheChanged;
  opRefused: OpRefusalView;
}

/** The StationEvents methods over a per-event subscribe function (preload and WebSocket client). */
export function stationEventsVia(
  subscribe: <E extends StationEventName>(event: E, listener: (value: StationEventValues[E]) => void) => () => void,
): StationEvents {
  return {
    onSyncStatus: (listener) => subscribe('syncStatus', listener),
    onScan: (listener) => subscribe('scan', listener),
    onScanFeedback: (listener) => subscribe('scanFeedback', listener),
    onScannerInput: (listener) => subscribe('scannerInput', listener),
    onCacheChanged: (listener) => subscribe('cacheChanged', listener),
    onOpRefused: (listener) => subscribe('opRefused', listener),
  };
}

/**
 * Every StationApi method as a call through `invoke` (one per method, each on its own channel):
 * what the Electron preload and the WebSocket client both expose.
 */
export function stationMethodsVia(invoke: (method: StationMethod, ...args: unknown[]) => Promise<unknown>): StationMethods {
  return Object.fromEntries(stationMethods.map((method) => [method, (...args: unknown[]) => invoke(method, ...args)])) as StationMethods;
}

/** The IPC channel that carries one method. One channel per method, never a generic bridge. */
export function channelFor(method: StationMethod): `station:${StationMethod}` {
  return `station:${method}`;
}

export function isStationMethod(name: string): name is StationMethod {
  return Object.hasOwn(stationApiSchema, name);
}
