/**
 * The synced tables' rows as the core reads them: one zod schema per table, in camelCase
 * (`asset.serialNumber`), each field named after its column (`serial_number`). The caches keep
 * the server's rows as they came (snake_case JSON, see model.ts's rowSchema); a row is decoded
 * here once, where it leaves a store (the cache index, a cached-row read), and the rest of the
 * core reads typed fields. A row that does not fit its table's schema is treated as absent and
 * reported (never a crash): a damaged cache entry must not stop a scan.
 *
 * Columns the server always sends but a row built on this device may lack (an optimistic new gig
 * has no code yet; test and older cache rows carry fewer columns) are nullable with a default of
 * null. Only columns the core reads are declared: the rest of a row stays in the cache.
 */
import { z } from 'zod';
import { ASSET_STATUSES, GIG_STATUSES } from '../station-views';
import type { CachedTable } from './model';

const uuid = z.uuid();
const text = z.string();
/** A nullable column: absent reads as null. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

export const gigSchema = z.object({
  id: uuid,
  parentGigId: maybe(uuid),
  code: maybe(text),
  name: text,
  status: z.enum(GIG_STATUSES),
  startsAt: maybe(text),
  endsAt: maybe(text),
  venue: maybe(text),
  /** The venue's IANA zone ("Europe/Lisbon"): its times are shown in it; null → the device's zone. */
  timeZone: maybe(text),
  notes: maybe(text),
  version: z.number().int(),
  deletedAt: maybe(text),
});
export type Gig = z.infer<typeof gigSchema>;

export const assetSchema = z.object({
  id: uuid,
  serialNumber: text,
  barcode: maybe(text),
  name: text,
  category: text,
  status: z.enum(ASSET_STATUSES),
  currentGigId: maybe(uuid),
  caseId: maybe(uuid),
  notes: maybe(text),
  /** Where it is put back (issue 21): a shelf or bin of a warehouse. */
  homeLocationId: maybe(uuid),
  /** Where it is now: none while it is out to a gig (or never put on a shelf). */
  locationId: maybe(uuid),
  version: z.number().int(),
  deletedAt: maybe(text),
});
export type Asset = z.infer<typeof assetSchema>;
export type AssetStatus = Asset['status'];

export const caseSchema = z.object({
  id: uuid,
  barcode: text,
  name: maybe(text),
  parentCaseId: maybe(uuid),
  homeLocationId: maybe(uuid),
  locationId: maybe(uuid),
  version: z.number().int(),
  deletedAt: maybe(text),
});
export type Case = z.infer<typeof caseSchema>;

/** One line of a gig's plan: exactly one of a named asset, a case, or a category × quantity. */
export const kitAssignmentSchema = z.object({
  id: uuid,
  gigId: uuid,
  assetId: maybe(uuid),
  caseId: maybe(uuid),
  category: maybe(text),
  quantity: maybe(z.number().int()),
  notes: maybe(text),
  /** When a planner confirmed this line although another gig holds the item at the same time. */
  overbookingConfirmedAt: maybe(text),
});
export type KitAssignment = z.infer<typeof kitAssignmentSchema>;

export const gigStaffSchema = z.object({
  id: uuid,
  gigId: uuid,
  staffId: uuid,
  role: text,
});
export type GigStaff = z.infer<typeof gigStaffSchema>;

export const staffProfileSchema = z.object({
  id: uuid,
  displayName: text,
  badgeCode: text,
  email: maybe(text),
});
export type StaffProfile = z.infer<typeof staffProfileSchema>;

/**
 * A bulk (unserialized) item: a product counted in units, found by its category/shelf barcode,
 * matched to a pick list's bulk line by category. `outTo` is the server's view of where its units
 * are: gig id → units out there now (the rest are in the warehouse). A consumable is not expected
 * back.
 */
export const bulkItemSchema = z.object({
  id: uuid,
  category: text,
  name: text,
  barcode: text,
  unit: text.default('pcs'),
  consumable: z.boolean().default(false),
  inWarehouse: z.number().int().nonnegative(),
  outTo: z
    .record(uuid, z.number().int().positive())
    .nullable()
    .transform((v) => v ?? {})
    .default({}),
  homeLocationId: maybe(uuid),
  locationId: maybe(uuid),
  version: z.number().int(),
});
export type BulkItem = z.infer<typeof bulkItemSchema>;

export const LOCATION_KINDS = ['warehouse', 'zone', 'shelf', 'bin'] as const;
/** Each kind of place in words ("Shelf"), for lists and labels. */
export const LOCATION_KIND_WORDS: Record<(typeof LOCATION_KINDS)[number], string> = {
  warehouse: 'Warehouse',
  zone: 'Zone',
  shelf: 'Shelf',
  bin: 'Bin',
};

/**
 * A place of a company (issue 21): a warehouse, or a zone, shelf or bin in one, with a code on its
 * label. `warehouseId` is the warehouse it is in (its own id for a warehouse).
 */
export const locationSchema = z.object({
  id: uuid,
  kind: z.enum(LOCATION_KINDS),
  parentLocationId: maybe(uuid),
  warehouseId: uuid,
  code: text,
  name: text,
  version: z.number().int(),
  deletedAt: maybe(text),
});
export type Location = z.infer<typeof locationSchema>;

/** Each cached table's schema: the key is the table's name on the server and in the caches. */
export const ROW_SCHEMAS = {
  gigs: gigSchema,
  assets: assetSchema,
  cases: caseSchema,
  kit_assignments: kitAssignmentSchema,
  gig_staff: gigStaffSchema,
  staff_profiles: staffProfileSchema,
  bulk_items: bulkItemSchema,
  locations: locationSchema,
} as const satisfies Record<CachedTable, z.ZodObject>;
export type RowOf<T extends CachedTable> = z.infer<(typeof ROW_SCHEMAS)[T]>;

/** `serialNumber` → `serial_number`: the column a field is read from. */
const column = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Per table, [field, column] pairs, computed once (a scan decodes several rows). */
const COLUMNS: Record<string, readonly (readonly [string, string])[]> = Object.fromEntries(
  Object.entries(ROW_SCHEMAS).map(([table, schema]) => [table, Object.keys(schema.shape).map((field) => [field, column(field)] as const)]),
);

/**
 * Where rows that fail their schema are reported: the host's console by default (the station's
 * log captures it; core is built without DOM or Node types, hence the narrow cast).
 */
let report: (message: string) => void = (message) => (globalThis as { console?: { warn(text: string): void } }).console?.warn(message);

/** Routes reports of rows that fail their schema (returns the previous reporter, for tests). */
export function onInvalidRow(reporter: (message: string) => void): (message: string) => void {
  const previous = report;
  report = reporter;
  return previous;
}

/**
 * A cached row, typed: null when there is none or when it does not fit its table's schema (then
 * reported with the table, the row's id and the first problem).
 */
export function decodeRow<T extends CachedTable>(table: T, raw: unknown): RowOf<T> | null {
  if (raw === null || raw === undefined) return null;
  const record = raw as Record<string, unknown>;
  const renamed: Record<string, unknown> = {};
  if (typeof raw === 'object') for (const [field, col] of COLUMNS[table] ?? []) renamed[field] = record[col];
  const parsed = ROW_SCHEMAS[table].safeParse(renamed);
  if (parsed.success) return parsed.data as RowOf<T>;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` (${column(issue.path.map(String).join('.'))})`;
  const id = typeof raw === 'object' && typeof record['id'] === 'string' ? record['id'] : '?';
  report(`cached ${table} row ${id.slice(0, 64)} is unreadable and is treated as absent: ${issue?.message ?? 'invalid'}${where}`);
  return null;
}

/** Decodes a list of cached rows, leaving out (and reporting) those that fail their schema. */
export function decodeRows<T extends CachedTable>(table: T, raws: readonly unknown[]): RowOf<T>[] {
  const out: RowOf<T>[] = [];
  for (const raw of raws) {
    const row = decodeRow(table, raw);
    if (row !== null) out.push(row);
  }
  return out;
}
