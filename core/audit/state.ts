/**
 * What a device keeps of the stock-take it is in (core/store/settings.ts `stockTake`): the audit,
 * the place counted now, and its own scans' tally. The service is core/audit/stock-take.ts.
 */
import { z } from 'zod';
import type { AuditScanKind } from './judge';

export const AUDIT_SCAN_KINDS = ['found', 'wrong_place', 'out_to_gig', 'unknown'] as const satisfies readonly AuditScanKind[];

export const stockTakeLineSchema = z.object({
  code: z.string(),
  kind: z.enum(AUDIT_SCAN_KINDS),
  name: z.string(),
  /** "belongs on Shelf A03 (WH1-A03)", "out to Harbour Festival", "5 counted on Shelf B01 (WH1-B01)". */
  detail: z.string().nullable(),
  at: z.number(),
});
export type StockTakeLine = z.infer<typeof stockTakeLineSchema>;

/** What the device keeps of the stock-take it is in. */
export const stockTakeStateSchema = z.object({
  auditId: z.uuid(),
  rootId: z.uuid(),
  placeId: z.uuid(),
  category: z.string().nullable(),
  startedAt: z.number(),
  /** Every thing judged here, by its id: its latest judgment (a thing scanned twice counts once). */
  seen: z.record(z.string(), z.enum(AUDIT_SCAN_KINDS)),
  /** Unknown codes scanned here (labels to claim), latest last. */
  unknown: z.array(z.string()),
  recent: z.array(stockTakeLineSchema),
});
export type StockTakeState = z.infer<typeof stockTakeStateSchema>;
