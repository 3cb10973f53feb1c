import { beforeEach, describe, expect, it } from 'vitest';
import { ScanSession, type ScanInput } from '../../core/scan/workflow';
import type { ScanEvent } from '../../core/scanner/types';
import { CacheIndex } from '../../core/store/cache-index';
import { CacheScanCatalog } from '../../core/store/catalog';
import { MemoryStorage } from '../../core/store/memory-storage';
import { Queue } from '../../core/store/queue';
import type { Row } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';

// Outside tester, issue 18 (quantities): CMD:QTY:n and typed quantities as an operator with a
// scanner, a laminated sheet of quantity codes and a hurry produces them. Every bad quantity gets
// a specific reason and queues nothing; a good one moves exactly what was said, once.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const XLR = id(40);

let ids = 0;
let now = 1_000_000;
let queue: Queue;
let session: ScanSession;

beforeEach(async () => {
  queue = new Queue(new MemoryStorage(), {
    newId: () => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`,
    clock: () => now,
    devicePrefix: 'test-',
  });
  const rows: Record<string, Row[]> = {
    gigs: [
      { id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 },
      { id: id(2), code: 'GIG-000002', name: 'Side Stage', status: 'confirmed', version: 1 },
    ],
    assets: [
      {
        id: id(101),
        serial_number: 'SPK-1',
        name: 'Speaker',
        category: 'Audio',
        status: 'available',
        current_gig_id: null,
        case_id: null,
        version: 1,
      },
    ],
    cases: [],
    kit_assignments: [{ id: id(23), gig_id: GIG, asset_id: null, case_id: null, category: 'XLR cable 10m', quantity: 20 }],
    staff_profiles: [{ id: id(30), display_name: 'Noor Berg', badge_code: 'B-NOR-00001', email: 'noor@example.test' }],
    bulk_items: [
      {
        id: XLR,
        category: 'XLR cable 10m',
        name: 'XLR cable 10m',
        barcode: 'BULK-XLR10',
        unit: 'pcs',
        consumable: false,
        in_warehouse: 60,
        out_to: {},
        version: 1,
      },
    ],
  };
  await queue.applyPull({ changes: rows, tombstones: [], cursor: '1:1', has_more: false }, rebase);
  session = new ScanSession({
    catalog: new CacheScanCatalog(new CacheIndex(queue)),
    enqueue: (op) => queue.enqueue(op, { id: `00000000-0000-4000-b000-${String((ids += 1)).padStart(12, '0')}`, now }),
    duplicateWindowMs: 1500,
  });
});

/** A scan `gapMs` after the previous one (an operator with a quantity sheet scans about once a second). */
const scan = (code: string, input: ScanInput = {}, gapMs = 2_000): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'serial:1', code, receivedAt: (now += gapMs) } satisfies ScanEvent, 'any', input);

const queued = async (): Promise<{ table: string; action: string; quantity: unknown; gig: unknown }[]> =>
  (await queue.listQueue(50)).map((op) => ({
    table: op.table,
    action: op.action,
    quantity: op.payload['quantity'],
    gig: op.payload['gig_id'],
  }));

describe('CMD:QTY edge cases: a specific reason, nothing queued', () => {
  const bad: [string, RegExp][] = [
    ['CMD:QTY:0', /0 moves nothing/],
    ['CMD:QTY:-1', /negative/],
    ['CMD:QTY:-0', /moves nothing/],
    ['CMD:QTY:1.5', /1\.5 is not a whole number/],
    ['CMD:QTY:100001', /over 100000/],
    ['CMD:QTY:99999999999999999999999', /over 100000/],
    ['CMD:QTY:', /needs a number/],
    ['CMD:QTY', /needs a number/],
    ['CMD:QTY:abc', /ABC is not a number/],
    ['CMD:QTY:1e3', /not a number/],
    ['CMD:QTY:0x10', /not a number/],
    ['CMD:QTY:5:5', /not a number/],
  ];
  for (const [code, reason] of bad) {
    it(`${JSON.stringify(code)} is refused in words, and the bulk item after it still asks how many`, async () => {
      await scan('GIG-000001');
      const answer = await scan(code);
      expect(answer.kind).toBe('error');
      expect(answer.message).toMatch(reason);
      expect(answer.message).toMatch(/nothing was moved/);
      expect(answer.queued).toEqual([]);
      // The bad quantity is not held for the next bulk item.
      expect(await scan('BULK-XLR10')).toMatchObject({ kind: 'warning', queued: [] });
      expect(await queued()).toEqual([]);
    });
  }

  it('a bad quantity after a good one drops both: the bulk item asks again', async () => {
    await scan('GIG-000001');
    expect(await scan('CMD:QTY:5')).toMatchObject({ kind: 'ok' });
    expect(await scan('CMD:QTY:0')).toMatchObject({ kind: 'error' });
    expect(await scan('BULK-XLR10')).toMatchObject({ kind: 'warning', queued: [] });
    expect(await queued()).toEqual([]);
  });

  it('lower case, whitespace, a tab and a CR/LF from the scanner still read CMD:QTY:5', async () => {
    await scan('GIG-000001');
    for (const code of ['cmd:qty:5', ' CMD:QTY:5 ', '\tCmd:Qty:5\r\n', 'GM:QTY:5']) {
      expect(await scan(code)).toMatchObject({ kind: 'ok', message: 'quantity 5: scan the bulk item' });
      expect(await scan('BULK-XLR10')).toMatchObject({ queued: [expect.any(String)] });
    }
    expect((await queued()).map((op) => op.quantity)).toEqual([5, 5, 5, 5]);
  });

  it('two quantities in a row: the later one is what moves, once', async () => {
    await scan('GIG-000001');
    await scan('CMD:QTY:5');
    expect(await scan('CMD:QTY:7')).toMatchObject({ kind: 'ok', message: 'quantity 7: scan the bulk item' });
    await scan('BULK-XLR10');
    expect(await queued()).toEqual([{ table: 'bulk_items', action: 'check_out', quantity: 7, gig: GIG }]);
  });

  it('a quantity then a serialized asset: refused, nothing queued, and the quantity is not kept for later', async () => {
    await scan('GIG-000001');
    await scan('CMD:QTY:5');
    expect(await scan('SPK-1')).toMatchObject({ kind: 'error', queued: [] });
    expect(await scan('BULK-XLR10')).toMatchObject({ kind: 'warning', queued: [] });
    expect(await queued()).toEqual([]);
  });

  it('bad typed quantities (keypad): refused in words, nothing queued', async () => {
    await scan('GIG-000001');
    for (const quantity of [0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 100_001]) {
      const answer = await scan('BULK-XLR10', { quantity });
      expect(answer.kind, `typed ${quantity}`).toBe('error');
      expect(answer.message).toMatch(/quantity/);
      expect(answer.queued).toEqual([]);
    }
    expect(await queued()).toEqual([]);
  });

  it('a typed quantity on the item scanned awaiting one moves it once (the keypad flow)', async () => {
    await scan('GIG-000001');
    expect(await scan('BULK-XLR10')).toMatchObject({ kind: 'warning', queued: [] });
    expect(await scan('BULK-XLR10', { quantity: 12 }, 400)).toMatchObject({ kind: 'ok', queued: [expect.any(String)] });
    expect(await queued()).toEqual([{ table: 'bulk_items', action: 'check_out', quantity: 12, gig: GIG }]);
  });
});

// Found by the outside tester and fixed with these probes: a quantity or a bulk item waiting for one
// lasts one scan, and a bulk scan that carries a quantity is never a duplicate.
describe('quantities and the rest of the session', () => {
  it('a bulk item scanned in check-out, then CMD:CHECK-IN, then CMD:QTY:5 does not check 5 units OUT', async () => {
    await scan('GIG-000001');
    expect(await scan('BULK-XLR10')).toMatchObject({ kind: 'warning' });
    // The mode changes; the bulk item waiting for its quantity is dropped, and the operator is told.
    expect(await scan('CMD:CHECK-IN')).toMatchObject({
      kind: 'warning',
      message: 'check-in: scan items — XLR cable 10m · BULK-XLR10 dropped: it was waiting for a quantity, nothing moved',
    });
    await scan('CMD:QTY:5');
    // The session is in check-in now: whatever the quantity does, it must not send units out.
    expect((await queued()).filter((op) => op.action === 'check_out')).toEqual([]);
    expect(await queued()).toEqual([]);
  });

  it('"5 of these, then 3 more": CMD:QTY:5, item, CMD:QTY:3, item a second later moves 5 and 3', async () => {
    await scan('GIG-000001');
    await scan('CMD:QTY:5');
    await scan('BULK-XLR10', {}, 700);
    await scan('CMD:QTY:3', {}, 700);
    const second = await scan('BULK-XLR10', {}, 700);
    // Each bulk scan carries its own quantity: it is not the same scan twice.
    expect(second.queued).toHaveLength(1);
    expect((await queued()).map((op) => op.quantity)).toEqual([5, 3]);
    // Nothing is held afterwards: the next bulk scan asks for its quantity.
    expect(await scan('BULK-XLR10')).toMatchObject({ awaiting: 'quantity', queued: [] });
    expect(await queued()).toHaveLength(2);
  });

  it('a quantity held, then a gig scanned: the reason is not "counted one by one" (a gig is not counted)', async () => {
    await scan('GIG-000001');
    await scan('CMD:QTY:5');
    const answer = await scan('GIG-000002');
    expect(answer.queued).toEqual([]);
    expect(answer.message).not.toMatch(/counted one by one/);
    // The gig is selected, and the quantity is dropped in plain words.
    expect(answer).toMatchObject({ kind: 'warning', message: 'picking for Side Stage: 0/0 — quantity 5 dropped' });
    expect((await session.state()).gig?.code).toBe('GIG-000002');
    expect(await scan('BULK-XLR10')).toMatchObject({ awaiting: 'quantity', queued: [] });
  });
});
