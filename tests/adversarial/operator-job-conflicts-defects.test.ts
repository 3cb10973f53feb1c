import { describe, expect, it } from 'vitest';
import { conflictView, type ConflictContext } from '../../core/sync/conflict-choices';
import type { Conflict, QueuedOp, Row } from '../../core/sync/model';
import type { CachedLookup } from '../../core/sync/quarantine-words';

// Outside tester, issue 18 (conflicts in words, offer only what can work): a bulk quantity op the
// server answered with a conflict (insufficient_stock / more_than_out, as op_bulk_write returns
// it: the bulk item's row with out_to, changed_fields in_warehouse / out_to). The conflict card
// must name the item in words and not offer a Keep Local the server would refuse again.
const XLR = '00000000-0000-4000-8000-0000000000b1';
const DAY2 = '00000000-0000-4000-8000-0000000000f1';
const OTHER = '00000000-0000-4000-8000-0000000000f2';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/i;
const now = Date.UTC(2027, 5, 12, 15, 0);

const bulkRow = (inWarehouse: number, outTo: Record<string, number>): Row => ({
  id: XLR,
  org_id: '00000000-0000-4000-8000-00000000000e',
  category: 'XLR cable 10m',
  name: 'XLR cable 10m',
  barcode: 'BULK-XLR10',
  unit: 'pcs',
  consumable: false,
  in_warehouse: inWarehouse,
  out_to: outTo,
  version: 7,
  updated_at: '2027-06-12T14:32:00Z',
});
const rows = new Map<string, Row>([
  [`bulk_items:${XLR}`, bulkRow(40, {})],
  [`gigs:${DAY2}`, { id: DAY2, name: 'Main Stage Day 2', code: 'GIG-D2', status: 'confirmed', version: 4 }],
  [`gigs:${OTHER}`, { id: OTHER, name: 'Side Stage', code: 'GIG-SS', status: 'confirmed', version: 1 }],
]);
const lookup: CachedLookup = (table, key) => Promise.resolve(rows.get(`${table}:${key}`) ?? null);
const context: ConflictContext = { lookup, role: 'station', now, timeZone: 'UTC' };

const op = (action: 'check_out' | 'check_in', quantity: number): QueuedOp => ({
  id: '00000000-0000-4000-8000-000000000001',
  seq: 1,
  timestamp: now - 60_000,
  table: 'bulk_items',
  action,
  payload: { id: XLR, gig_id: DAY2, quantity },
  baseVersion: null,
  status: 'syncing',
  retryCount: 0,
  nextAttemptAt: 0,
  lastError: null,
});
const conflict = (queued: QueuedOp, serverRow: Row, changed: string[], message: string): Conflict => ({
  id: '00000000-0000-4000-8000-0000000000cc',
  op: queued,
  serverRow,
  changedFields: changed,
  message,
  detectedAt: now,
});

describe('a bulk quantity conflict in the operator’s words', () => {
  it('check-out of 10 when the warehouse now holds 3: named in words, Keep Local (re-send 10) not offered', async () => {
    const view = await conflictView(
      conflict(
        op('check_out', 10),
        bulkRow(3, { [OTHER]: 37 }),
        ['in_warehouse'],
        'only 3 pcs of XLR cable 10m in the warehouse, 10 asked',
      ),
      context,
    );
    expect(JSON.stringify(view)).not.toMatch(UUID);
    expect(view.title).toMatch(/XLR cable 10m/);
    // Re-sending "10 out" is judged again against 3 in the warehouse: the server refuses it.
    expect(view.choices.keep_local.allowed).toBe(false);
    expect(view.choices.use_server.allowed).toBe(true);
  });

  it('check-in of 5 when 2 are out to the gig: no UUID on the card (out_to in words), Keep Local not offered', async () => {
    const view = await conflictView(
      conflict(
        op('check_in', 5),
        bulkRow(38, { [DAY2]: 2 }),
        ['out_to'],
        'only 2 pcs of XLR cable 10m are out to Main Stage Day 2, 5 returned',
      ),
      context,
    );
    expect(JSON.stringify(view)).not.toMatch(UUID);
    expect(view.choices.keep_local.allowed).toBe(false);
  });
});
