/**
 * The station's sync vocabulary: queued operations (the seed's SyncOperation, grown up), what the
 * server answers for each, and the pages pulls return. Everything read back from storage or the
 * network goes through these schemas.
 */

import type { CopyState } from './verify';
import { z } from 'zod';
import { actionsOf, versionedActionsOf } from './ops';

export const OP_TABLES = ['gigs', 'assets', 'cases', 'bulk_items', 'kit_assignments', 'gig_staff', 'locations', 'audits'] as const;
export type OpTable = (typeof OP_TABLES)[number];

/** Each table's actions: the ops defined in ops.ts (one definition per op). */
export const ACTIONS: Record<OpTable, readonly string[]> = {
  gigs: actionsOf('gigs'),
  assets: actionsOf('assets'),
  cases: actionsOf('cases'),
  bulk_items: actionsOf('bulk_items'),
  kit_assignments: actionsOf('kit_assignments'),
  gig_staff: actionsOf('gig_staff'),
  locations: actionsOf('locations'),
  audits: actionsOf('audits'),
};

/** Ops whose server check needs the row's version (critical fields), from ops.ts. */
export const NEEDS_BASE_VERSION: Record<OpTable, readonly string[]> = {
  gigs: versionedActionsOf('gigs'),
  assets: versionedActionsOf('assets'),
  cases: versionedActionsOf('cases'),
  bulk_items: versionedActionsOf('bulk_items'),
  kit_assignments: versionedActionsOf('kit_assignments'),
  gig_staff: versionedActionsOf('gig_staff'),
  locations: versionedActionsOf('locations'),
  audits: versionedActionsOf('audits'),
};

export const MAX_PAYLOAD_BYTES = 16 * 1024;

const uuid = z.uuid();

export const newOpSchema = z
  .strictObject({
    table: z.enum(OP_TABLES),
    action: z.string(),
    payload: z.record(z.string(), z.unknown()),
    base_version: z.number().int().positive().nullable().optional(),
  })
  .superRefine((op, ctx) => {
    if (!ACTIONS[op.table].includes(op.action)) {
      ctx.addIssue({
        code: 'custom',
        path: ['action'],
        message: `unknown action "${op.action}" for ${op.table}; expected one of ${ACTIONS[op.table].join(', ')}`,
      });
    }
    if (!uuid.safeParse(op.payload['id']).success) {
      ctx.addIssue({ code: 'custom', path: ['payload', 'id'], message: 'payload.id must be the UUID of the row the op acts on' });
    }
    const size = new TextEncoder().encode(JSON.stringify(op.payload)).length;
    if (size > MAX_PAYLOAD_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['payload'], message: `payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES}` });
    }
    if (NEEDS_BASE_VERSION[op.table].includes(op.action) && (op.base_version === undefined || op.base_version === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_version'],
        message: `${op.table}.${op.action} needs base_version (the row version it was decided on)`,
      });
    }
  });
export type NewOp = z.infer<typeof newOpSchema>;

export const OP_STATUSES = ['pending', 'syncing', 'failed'] as const;
export type OpStatus = (typeof OP_STATUSES)[number];

export const queuedOpSchema = z.object({
  id: uuid,
  seq: z.number().int().nonnegative(),
  timestamp: z.number().int(),
  table: z.enum(OP_TABLES),
  action: z.string(),
  payload: z.record(z.string(), z.unknown()),
  baseVersion: z.number().int().nullable(),
  status: z.enum(OP_STATUSES),
  retryCount: z.number().int().nonnegative(),
  nextAttemptAt: z.number().int(),
  lastError: z.string().nullable(),
});
export type QueuedOp = z.infer<typeof queuedOpSchema>;

export function entityKey(op: { table: string; payload: Record<string, unknown> }): string {
  return `${op.table}:${String(op.payload['id'])}`;
}

export type Row = Record<string, unknown> & { id: string };
export const rowSchema = z.looseObject({ id: uuid });

export const pushResultSchema = z.object({
  op_id: uuid.nullable(),
  status: z.enum(['applied', 'conflict', 'rejected', 'retry']),
  table: z.string().nullable(),
  entity_id: uuid.nullable(),
  code: z.string().optional(),
  message: z.string().optional(),
  row: rowSchema.nullable().optional(),
  changed_fields: z.array(z.string()).optional(),
  base_version: z.number().int().optional(),
});
export type PushResult = z.infer<typeof pushResultSchema>;
export const pushResponseSchema = z.object({ results: z.array(pushResultSchema) });

export const CACHED_TABLES = [
  'gigs',
  'assets',
  'cases',
  'kit_assignments',
  'gig_staff',
  'staff_profiles',
  'bulk_items',
  'locations',
] as const;
export type CachedTable = (typeof CACHED_TABLES)[number];

/** Whether a table's rows are held on the device (locations and audits are not, yet: their ops are only queued). */
export function isCachedTable(table: string): table is CachedTable {
  return (CACHED_TABLES as readonly string[]).includes(table);
}

export const pullPageSchema = z.object({
  changes: z.partialRecord(z.enum(CACHED_TABLES), z.array(rowSchema)),
  tombstones: z.array(z.object({ table: z.enum(CACHED_TABLES), id: uuid, deleted_at: z.string().nullable().optional() })),
  cursor: z.string().regex(/^\d+:\d+$/),
  has_more: z.boolean(),
});
export type PullPage = z.infer<typeof pullPageSchema>;

/**
 * One page of pull_snapshot (a new device's first sync, migration 20261206000100): live rows of
 * one table in key order, the key to ask for the rest (null on its last page), and a pull cursor
 * every commit below which the page holds (core/sync/snapshot.ts).
 */
export const snapshotPageSchema = z.object({
  table: z.enum(CACHED_TABLES),
  rows: z.array(rowSchema),
  next: z.string().min(1).nullable(),
  cursor: z.string().regex(/^\d+:\d+$/),
});
export type SnapshotPage = z.infer<typeof snapshotPageSchema>;

/** An op the server refused because the row moved on, with the server's row (the Conflicts screen). */
export const conflictSchema = z.object({
  id: uuid,
  op: queuedOpSchema,
  serverRow: rowSchema.nullable(),
  changedFields: z.array(z.string()),
  message: z.string(),
  detectedAt: z.number(),
});
export type Conflict = z.infer<typeof conflictSchema>;

export const quarantinedOpSchema = z.object({
  id: uuid,
  op: queuedOpSchema,
  code: z.string(),
  message: z.string(),
  quarantinedAt: z.number(),
});
export type QuarantinedOp = z.infer<typeof quarantinedOpSchema>;

export type ConflictChoice = 'keep_local' | 'use_server';

/** What the queue looks like right now (the Sync screen reads this). */
export interface QueueStats {
  depth: number;
  pending: number;
  syncing: number;
  failed: number;
  held: number;
  conflicts: number;
  quarantined: number;
  oldestPendingAt: number | null;
  /** How current and how complete the local copy is (core/sync/verify.ts). */
  copy: CopyState;
}
