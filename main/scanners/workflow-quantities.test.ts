import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { ScanSession, type ScanInput } from '../../core/scan/workflow';
import { scansAsThemselves } from '../../core/sync/roles';
import type { ScanEvent } from '../../core/scanner/types';
import { CacheIndex } from '../../core/store/cache-index';
import { CacheScanCatalog } from '../../core/store/catalog';
import { SyncEngine } from '../../core/sync/engine';
import type { Row } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import type { SyncTransport } from '../../core/sync/transport';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { SqliteQueueStore } from '../sync/sqlite-queue-store';

// Issue 18: bulk items by quantity (CMD:QTY:n before or after the item's code, or a typed
// quantity), the operator on every op (badge, else the signed-in member's staff profile), and
// conditions per item of a case — over a real station database, offline.
const dir = mkdtempSync(join(tmpdir(), 'workflow-qty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const offline: SyncTransport = {
  push: () => Promise.reject(new Error('offline')),
  pull: () => Promise.reject(new Error('offline')),
  refreshSession: () => Promise.resolve(false),
};

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const OTHER_GIG = id(2);
const CASE = id(10);
const XLR = id(40);
const TAPE = id(41);
const NOOR = id(30);
const CREW = id(31);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  name: `Item ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  version: 1,
  ...extra,
});

let store: SqliteQueueStore;
let session: ScanSession;
let engine: SyncEngine;
let signedIn: string | null = null;
let time = 0;
let n = 0;

beforeEach(async () => {
  signedIn = null;
  store = new SqliteQueueStore({ path: join(dir, `q-${(n += 1)}.sqlite`), newId: randomUUID });
  engine = new SyncEngine({ store, transport: offline, clock: new FakeClock(), random: seededRandom(1), newId: randomUUID });
  await store.applyPull(
    {
      changes: {
        gigs: [
          { id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 },
          { id: OTHER_GIG, code: 'GIG-000002', name: 'Side Stage', status: 'confirmed', version: 1 },
        ],
        assets: [
          asset(1, 'SPK-1'),
          asset(7, 'IN-CASE-7', { case_id: CASE, status: 'checked_out', current_gig_id: GIG }),
          asset(8, 'IN-CASE-8', { case_id: CASE, status: 'checked_out', current_gig_id: GIG }),
        ],
        cases: [{ id: CASE, barcode: 'CASE-000010', name: 'Drum case', parent_case_id: null, version: 1 }],
        kit_assignments: [
          { id: id(20), gig_id: GIG, asset_id: id(101), case_id: null, category: null, quantity: null },
          { id: id(22), gig_id: GIG, asset_id: null, case_id: CASE, category: null, quantity: null },
          { id: id(23), gig_id: GIG, asset_id: null, case_id: null, category: 'XLR cable 10m', quantity: 20 },
        ],
        staff_profiles: [
          { id: NOOR, display_name: 'Noor Berg', badge_code: 'B-NOR-00001', email: 'noor@northlight.test' },
          { id: CREW, display_name: 'Mika Moreau', badge_code: 'B-MIK-00002', email: 'crew@northlight.test' },
        ],
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
          {
            id: TAPE,
            category: 'Gaffer tape',
            name: 'Gaffer tape',
            barcode: 'BULK-TAPE',
            unit: 'rolls',
            consumable: true,
            in_warehouse: 30,
            out_to: { [OTHER_GIG]: 4 },
            version: 1,
          },
        ],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
  session = new ScanSession({
    catalog: new CacheScanCatalog(new CacheIndex(store)),
    enqueue: (op) => engine.enqueue(op),
    duplicateWindowMs: 1500,
    signedInEmail: () => signedIn,
  });
});

const scan = (code: string, input: ScanInput = {}): ReturnType<ScanSession['handle']> =>
  session.handle({ deviceId: 'serial:1', code, receivedAt: (time += 2000) } satisfies ScanEvent, 'any', input);

const queue = async (): Promise<{ table: string; action: string; payload: Record<string, unknown> }[]> =>
  (await store.listQueue(50)).map((op) => ({ table: op.table, action: op.action, payload: op.payload }));

describe('bulk items by quantity', () => {
  it('CMD:QTY after the item code queues N units out, counted on the pick list at once', async () => {
    await scan('GIG-000001');
    // The drum case's two items are out already (1 asset + 2 in the case + 20 cables planned).
    expect((await session.state()).progress).toEqual({ gigId: GIG, planned: 23, scanned: 2, missing: 21, extra: 0 });
    expect(await scan('BULK-XLR10')).toMatchObject({
      kind: 'warning',
      message: 'XLR cable 10m · BULK-XLR10: scan CMD:QTY:<n> or type how many',
      queued: [],
      awaiting: 'quantity',
    });
    expect(await queue()).toEqual([]);
    const feedback = await scan('CMD:QTY:12');
    expect(feedback).toMatchObject({ kind: 'ok', message: '12 × XLR cable 10m · BULK-XLR10 → Main Stage' });
    expect(feedback.awaiting).toBeUndefined();
    expect(feedback.queued).toHaveLength(1);
    expect(await queue()).toEqual([{ table: 'bulk_items', action: 'check_out', payload: { id: XLR, gig_id: GIG, quantity: 12 } }]);
    expect((await session.state()).progress).toEqual({ gigId: GIG, planned: 23, scanned: 14, missing: 9, extra: 0 });
  });

  it('CMD:QTY before the item code, or a typed quantity, queues the same op; units over the line are extra', async () => {
    await scan('GIG-000001');
    expect(await scan('CMD:QTY:15')).toMatchObject({ kind: 'ok', message: 'quantity 15: scan the bulk item', queued: [] });
    expect(await scan('bulk-xlr10')).toMatchObject({ kind: 'ok', message: '15 × XLR cable 10m · BULK-XLR10 → Main Stage' });
    expect(await scan('BULK-XLR10', { quantity: 8 })).toMatchObject({
      kind: 'warning',
      message: '8 × XLR cable 10m · BULK-XLR10 → Main Stage: over-allocated: XLR cable 10m planned 20, this makes 23',
    });
    expect((await queue()).map((op) => op.payload['quantity'])).toEqual([15, 8]);
    expect((await session.state()).progress).toMatchObject({ scanned: 22, missing: 1, extra: 3 });
  });

  it.each([
    ['CMD:QTY:0', 'quantity 0 moves nothing — nothing was moved'],
    ['CMD:QTY:-3', 'quantity -3 is negative: give how many units move — nothing was moved'],
    ['CMD:QTY:1.5', 'quantity 1.5 is not a whole number — nothing was moved'],
    ['CMD:QTY:100001', 'quantity 100001 is over 100000 — nothing was moved'],
    ['CMD:QTY:', 'a quantity needs a number: scan CMD:QTY:10 or type how many — nothing was moved'],
    ['CMD:QTY:TEN', 'quantity TEN is not a number — nothing was moved'],
  ])('attack: %s is refused in words and queues nothing, before or after the item', async (code, message) => {
    await scan('GIG-000001');
    expect(await scan(code)).toMatchObject({ kind: 'error', message, queued: [] });
    await scan('BULK-XLR10');
    expect(await scan(code)).toMatchObject({ kind: 'error', message, queued: [] });
    expect(await queue()).toEqual([]);
  });

  it.each([
    [0, 'quantity 0 moves nothing — nothing was moved'],
    [-2, 'quantity -2 is negative: give how many units move — nothing was moved'],
    [2.5, 'quantity 2.5 is not a whole number — nothing was moved'],
    [100001, 'quantity 100001 is over 100000 — nothing was moved'],
  ])('attack: a typed quantity of %s is refused in words and queues nothing', async (quantity, message) => {
    await scan('GIG-000001');
    expect(await scan('BULK-XLR10', { quantity })).toMatchObject({ kind: 'error', message, queued: [] });
    expect(await queue()).toEqual([]);
  });

  it('attack: a quantity with no bulk item after it (an asset, an unknown code) is refused and queues nothing', async () => {
    await scan('GIG-000001');
    await scan('CMD:QTY:10');
    expect(await scan('SPK-1')).toMatchObject({
      kind: 'error',
      message: 'quantity 10 needs a bulk item: SPK-1 is counted one by one, not by quantity',
      queued: [],
    });
    expect(await scan('SPK-1', { quantity: 3 })).toMatchObject({ kind: 'error', queued: [] });
    expect(await scan('NOPE-9', { quantity: 3 })).toMatchObject({
      kind: 'error',
      message: 'quantity 3 needs a bulk item: unknown barcode NOPE-9',
    });
    expect(await queue()).toEqual([]);
  });

  it('check-in brings units back from the gig holding them; a consumable comes back as unused stock; undo reverses', async () => {
    await scan('CMD:CHECK-IN');
    expect(await scan('BULK-TAPE', { quantity: 3 })).toMatchObject({
      kind: 'ok',
      message: '3 × Gaffer tape · BULK-TAPE in (unused, back to stock)',
    });
    expect(await scan('BULK-XLR10', { quantity: 3 })).toMatchObject({
      kind: 'error',
      message: 'XLR cable 10m · BULK-XLR10 cannot come back: none are out',
      queued: [],
    });
    expect(await scan('CMD:UNDO')).toMatchObject({ kind: 'ok' });
    expect(await queue()).toEqual([
      { table: 'bulk_items', action: 'check_in', payload: { id: TAPE, gig_id: OTHER_GIG, quantity: 3 } },
      { table: 'bulk_items', action: 'check_out', payload: { id: TAPE, gig_id: OTHER_GIG, quantity: 3 } },
    ]);
  });
});

describe('who did it', () => {
  it('every op names the badge-scanned operator', async () => {
    await scan('GIG-000001');
    await scan('B-NOR-00001');
    await scan('SPK-1');
    await scan('BULK-XLR10', { quantity: 2 });
    expect((await queue()).map((op) => op.payload['staff_id'])).toEqual([NOOR, NOOR]);
  });

  it('on a phone without a badge, the signed-in member’s staff profile (by email) is the operator', async () => {
    signedIn = 'Crew@Northlight.test';
    expect((await session.state()).operator).toMatchObject({ id: CREW, displayName: 'Mika Moreau' });
    await scan('GIG-000001');
    await scan('SPK-1');
    expect((await queue())[0]?.payload['staff_id']).toBe(CREW);
    await scan('B-NOR-00001');
    await scan('BULK-XLR10', { quantity: 1 });
    expect((await queue())[1]?.payload['staff_id']).toBe(NOOR);
  });

  it('a crew member’s phone scans as themselves: a badge is not taken, every op names the crew member (the server refuses another name)', async () => {
    signedIn = 'crew@northlight.test';
    const crewOnly = new ScanSession({
      catalog: new CacheScanCatalog(new CacheIndex(store)),
      enqueue: (op) => engine.enqueue(op),
      duplicateWindowMs: 1500,
      signedInEmail: () => signedIn,
      scansAsThemselves: () => scansAsThemselves({ email: signedIn ?? '', roles: [{ orgId: id(900), role: 'crew' }], readAt: 0 }),
    });
    const scanAs = (code: string, input: ScanInput = {}): ReturnType<ScanSession['handle']> =>
      crewOnly.handle({ deviceId: 'camera', code, receivedAt: (time += 2000) } satisfies ScanEvent, 'any', input);
    await scanAs('GIG-000001');
    expect(await scanAs('B-NOR-00001')).toMatchObject({
      kind: 'warning',
      message: "a crew member scans as themselves: Noor Berg's badge was not taken",
      queued: [],
    });
    await scanAs('SPK-1');
    expect((await queue()).map((op) => op.payload['staff_id'])).toEqual([CREW]);
    // A manager (or a station) may name whoever's badge is scanned: the server accepts it.
    expect(scansAsThemselves({ email: 'm@x', roles: [{ orgId: id(900), role: 'manager' }], readAt: 0 })).toBe(false);
    expect(
      scansAsThemselves({
        email: 'm@x',
        roles: [
          { orgId: id(900), role: 'crew' },
          { orgId: id(901), role: 'station' },
        ],
        readAt: 0,
      }),
    ).toBe(false);
    expect(scansAsThemselves(null)).toBe(false);
  });

  it('no badge and nobody signed in: the op names no operator (the server records the caller’s own profile, if any)', async () => {
    await scan('GIG-000001');
    await scan('SPK-1');
    expect((await queue())[0]?.payload).not.toHaveProperty('staff_id');
  });
});

describe('conditions per item of a case', () => {
  it('an item scanned for a condition (with a note) comes back with its case; the rest come back OK', async () => {
    await scan('CMD:CHECK-IN');
    await scan('CMD:DAMAGED');
    expect(await scan('IN-CASE-7', { note: 'cracked XLR socket' })).toMatchObject({
      kind: 'warning',
      message: 'IN-CASE-7 marked damaged — scan case CASE-000010 to check it in with the rest OK',
      queued: [],
    });
    expect((await session.state()).condition).toBe('ok');
    expect(await scan('CASE-000010')).toMatchObject({ kind: 'warning', message: 'case CASE-000010 in: 1 item(s) damaged, the rest OK' });
    expect(await queue()).toEqual([
      {
        table: 'cases',
        action: 'check_in',
        payload: { id: CASE, condition: 'ok', items: [{ asset_id: id(107), condition: 'damaged', note: 'cracked XLR socket' }] },
      },
    ]);
  });

  it('attack: a note over 500 characters is refused and queues nothing', async () => {
    await scan('CMD:CHECK-IN');
    await scan('CMD:DAMAGED');
    expect(await scan('SPK-1', { note: 'x'.repeat(501) })).toMatchObject({
      kind: 'error',
      message: 'the note is 501 characters; at most 500',
    });
    expect(await queue()).toEqual([]);
  });

  it('Done with an item marked but its case not scanned says so', async () => {
    await scan('GIG-000001');
    await scan('CMD:CHECK-IN');
    await scan('CMD:MISSING-PARTS');
    await scan('IN-CASE-8');
    expect(await scan('CMD:DONE')).toMatchObject({
      kind: 'warning',
      message: 'done — 1 item(s) marked with a condition were not checked in: their case was not scanned',
    });
  });
});
