import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PushResult, Row } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import type { SyncTransport } from '../../core/sync/transport';
import { stationHarness, type StationHarness } from '../helpers/station-harness';

// Issue 18 (outside tester's defect 3): a bulk quantity op the server answered with a conflict
// (insufficient_stock / more_than_out, as app.op_bulk_write answers it) reaches the Conflicts
// screen in words, and resolveConflicts refuses a Keep Local the server would refuse again —
// through the same dispatcher the station's IPC and WebSocket hosts use, on a real SQLite file.
const dir = mkdtempSync(join(tmpdir(), 'bulk-conflict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const XLR = '00000000-0000-4000-8000-0000000000b1';
const DAY2 = '00000000-0000-4000-8000-0000000000f1';
const SIDE = '00000000-0000-4000-8000-0000000000f2';
const ORG = '00000000-0000-4000-8000-00000000000e';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/i;

const bulkRow = (inWarehouse: number, outTo: Record<string, number>): Row => ({
  id: XLR,
  org_id: ORG,
  category: 'XLR cable 10m',
  name: 'XLR cable 10m',
  barcode: 'BULK-XLR10',
  unit: 'pcs',
  consumable: false,
  in_warehouse: inWarehouse,
  out_to: outTo,
  version: 7,
  updated_at: '2026-11-25T08:32:00Z',
});

/** The server's answer to each bulk op: a conflict carrying the row as it is now. */
let serverRow: Row = bulkRow(3, { [SIDE]: 37 });
const transport: SyncTransport = {
  push: (_device, ops) =>
    Promise.resolve(
      ops.map((op): PushResult => ({
        op_id: op.id,
        status: 'conflict',
        table: op.table,
        entity_id: String(op.payload['id']),
        row: serverRow,
        changed_fields: [op.action === 'check_out' ? 'in_warehouse' : 'out_to'],
        message: 'only 3 pcs of XLR cable 10m in the warehouse, 10 asked',
      })),
    ),
  pull: () => Promise.resolve({ changes: {}, tombstones: [], cursor: '1:1', has_more: false }),
  refreshSession: () => Promise.resolve(true),
};

let harness: StationHarness | null = null;
let n = 0;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

const station = async (): Promise<StationHarness> => {
  const h = stationHarness({ dir, name: `s-${(n += 1)}`, transport });
  harness = h;
  await h.store.applyPull(
    {
      changes: {
        gigs: [
          { id: DAY2, code: 'GIG-D2', name: 'Main Stage Day 2', status: 'confirmed', version: 4 },
          { id: SIDE, code: 'GIG-SS', name: 'Side Stage', status: 'confirmed', version: 1 },
        ],
        bulk_items: [bulkRow(40, { [DAY2]: 8 })],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
  return h;
};

const call = (h: StationHarness, method: string, ...args: unknown[]) => h.dispatch({ method, args, trustedSender: true });

interface Listed {
  id: string;
  view: { title: string; choices: { keep_local: { allowed: boolean; text: string } } };
}
const conflicts = async (h: StationHarness): Promise<Listed[]> => {
  const answer = await call(h, 'listConflicts');
  if (!answer.ok) throw new Error(JSON.stringify(answer));
  return answer.value as Listed[];
};

describe('resolving a bulk quantity conflict', () => {
  it('refuses Keep Local for a check-out of 10 when the server holds 3, and Use Server clears it', async () => {
    serverRow = bulkRow(3, { [SIDE]: 37 });
    const h = await station();
    await h.engine.enqueue({ table: 'bulk_items', action: 'check_out', payload: { id: XLR, gig_id: DAY2, quantity: 10 } });
    await h.engine.drain();
    const [entry] = await conflicts(h);
    expect(entry?.view.title).toBe('XLR cable 10m · BULK-XLR10');
    expect(entry?.view.choices.keep_local.allowed).toBe(false);
    expect(JSON.stringify(entry?.view)).not.toMatch(UUID);

    const refused = await call(h, 'resolveConflicts', { ids: [entry?.id], choice: 'keep_local' });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: expect.stringContaining(
          'XLR cable 10m · BULK-XLR10: Keep Local is not offered: the server has only 3 pcs of XLR cable 10m in the warehouse',
        ) as unknown,
      },
    });
    expect((refused as { error: { message: string } }).error.message).not.toMatch(UUID);
    // Refused before anything was resolved: the conflict is still there, nothing was re-queued.
    expect(await conflicts(h)).toHaveLength(1);
    expect(await h.store.listQueue(10)).toEqual([]);

    expect(await call(h, 'resolveConflicts', { ids: [entry?.id], choice: 'use_server' })).toMatchObject({ ok: true });
    expect(await conflicts(h)).toEqual([]);
  });

  it('refuses Keep Local for a check-in of 5 when 2 are out, and offers it (re-queued) when 6 are', async () => {
    serverRow = bulkRow(38, { [DAY2]: 2 });
    const h = await station();
    await h.engine.enqueue({ table: 'bulk_items', action: 'check_in', payload: { id: XLR, gig_id: DAY2, quantity: 5 } });
    await h.engine.drain();
    const [short] = await conflicts(h);
    expect(await call(h, 'resolveConflicts', { ids: [short?.id], choice: 'keep_local' })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining('only 2 pcs of XLR cable 10m out to Main Stage Day 2') as unknown },
    });
    await call(h, 'resolveConflicts', { ids: [short?.id], choice: 'use_server' });

    // The same answer, but the server row now holds enough out to the gig: Keep Local can work.
    serverRow = bulkRow(34, { [DAY2]: 6 });
    await h.engine.enqueue({ table: 'bulk_items', action: 'check_in', payload: { id: XLR, gig_id: DAY2, quantity: 5 } });
    await h.engine.drain();
    const [enough] = await conflicts(h);
    expect(enough?.view.choices.keep_local).toEqual({
      allowed: true,
      text: 'Keep local: send the check-in again — 5 pcs of XLR cable 10m come back from Main Stage Day 2 (the server counts 6 pcs out to it).',
    });
    expect(await call(h, 'resolveConflicts', { ids: [enough?.id], choice: 'keep_local' })).toMatchObject({ ok: true });
    expect(await conflicts(h)).toEqual([]);
    expect((await h.store.listQueue(10)).map((op) => [op.table, op.action, op.payload['quantity']])).toEqual([
      ['bulk_items', 'check_in', 5],
    ]);
  });
});
