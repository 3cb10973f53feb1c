import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random';
import { CacheIndex } from '../../core/store/cache-index';
import { CacheScanCatalog } from '../../core/store/catalog';
import { ScanSession } from '../../core/scan/workflow';
import type { ScanEvent } from '../../core/scanner/types';
import { SyncEngine } from '../../core/sync/engine';
import type { Row } from '../../core/sync/model';
import { rebase } from '../../core/sync/optimistic';
import { onInvalidRow } from '../../core/sync/rows';
import type { SyncTransport } from '../../core/sync/transport';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { SqliteQueueStore } from '../sync/sqlite-queue-store';

// The scan workflow offline, over a real station database: the engine never reaches a server.
const dir = mkdtempSync(join(tmpdir(), 'workflow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const offline: SyncTransport = {
  push: () => Promise.reject(new Error('offline')),
  pull: () => Promise.reject(new Error('offline')),
  refreshSession: () => Promise.resolve(false),
};

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const GIG = id(1);
const OTHER_GIG = id(2);
const CLOSED_GIG = id(3);
const CASE = id(10);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  barcode: `40000000${String(n).padStart(5, '0')}`,
  name: `Item ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  version: 1,
  ...extra,
});

let store: SqliteQueueStore;
let catalog: CacheScanCatalog;
let session: ScanSession;
let time = 0;
let n = 0;

beforeEach(async () => {
  store = new SqliteQueueStore({ path: join(dir, `w-${(n += 1)}.sqlite`), newId: randomUUID });
  const engine = new SyncEngine({ store, transport: offline, clock: new FakeClock(), random: seededRandom(1), newId: randomUUID });
  await store.applyPull(
    {
      changes: {
        gigs: [
          { id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 },
          { id: OTHER_GIG, code: 'GIG-000002', name: 'Side Stage', status: 'confirmed', version: 1 },
          { id: CLOSED_GIG, code: 'GIG-000003', name: 'Last Year', status: 'completed', version: 1 },
        ],
        assets: [
          asset(1, 'SPK-1'),
          asset(2, 'SPK-2'),
          asset(3, 'SPK-3', { status: 'checked_out', current_gig_id: OTHER_GIG }),
          asset(4, 'SPK-4', { status: 'quarantined' }),
          asset(5, 'CBL-5', { category: 'Cable' }),
          asset(6, 'CBL-6', { category: 'Cable' }),
          asset(7, 'IN-CASE-7', { case_id: CASE }),
          asset(8, 'IN-CASE-8', { case_id: CASE }),
          asset(9, 'SPK-9'),
        ],
        cases: [{ id: CASE, barcode: 'CASE-000010', name: 'Drum case', parent_case_id: null, version: 1 }],
        kit_assignments: [
          { id: id(20), gig_id: GIG, asset_id: id(101), case_id: null, category: null, quantity: null },
          { id: id(21), gig_id: GIG, asset_id: id(102), case_id: null, category: null, quantity: null },
          { id: id(22), gig_id: GIG, asset_id: null, case_id: CASE, category: null, quantity: null },
          { id: id(23), gig_id: GIG, asset_id: null, case_id: null, category: 'Cable', quantity: 1 },
        ],
        staff_profiles: [{ id: id(30), display_name: 'Noor Berg', badge_code: 'B-NOR-00001' }],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
  catalog = new CacheScanCatalog(new CacheIndex(store));
  session = new ScanSession({ catalog, enqueue: (op) => engine.enqueue(op), duplicateWindowMs: 1500 });
});

const scan = (code: string, gapMs = 2000): Promise<ReturnType<ScanSession['handle']> extends Promise<infer F> ? F : never> =>
  session.handle({ deviceId: 'serial:1', code, receivedAt: (time += gapMs) } satisfies ScanEvent);

describe('scan workflow', () => {
  it('answers an unknown barcode with an error and queues nothing', async () => {
    expect(await scan('NOPE-1')).toMatchObject({ kind: 'error', message: 'unknown barcode NOPE-1', queued: [] });
    expect((await store.stats()).depth).toBe(0);
  });

  it('selects a gig’s pick list and reports planned / scanned / missing / extra', async () => {
    expect(await scan('GIG-000001')).toMatchObject({ kind: 'ok', message: 'picking for Main Stage: 0/5' });
    expect((await session.state()).progress).toEqual({ gigId: GIG, planned: 5, scanned: 0, missing: 5, extra: 0 });
  });

  it('queues a check-out durably before answering, and counts it', async () => {
    await scan('GIG-000001');
    const feedback = await scan('spk-1');
    expect(feedback).toMatchObject({ kind: 'ok', message: 'SPK-1 Item 1 → Main Stage' });
    const [op] = await store.listQueue(5);
    expect(feedback.queued).toEqual([op?.id]);
    expect(op).toMatchObject({ table: 'assets', action: 'check_out', payload: { id: id(101), gig_id: GIG }, baseVersion: 1 });
    expect((await session.state()).progress).toMatchObject({ scanned: 1, missing: 4 });
  });

  it('normalises AIM prefixes, whitespace and case', async () => {
    await scan('GIG-000001');
    expect(await scan(']C1 spk-2 ')).toMatchObject({ kind: 'ok', code: 'SPK-2' });
    expect(await scan(']E04000000000009')).toMatchObject({
      code: '4000000000009',
      message: 'SPK-9 Item 9: checked out — not on this gig’s pick list (Undo last takes it back)',
    });
  });

  it('refuses check-out without a gig, to a closed gig, and of items out elsewhere or quarantined', async () => {
    expect(await scan('SPK-1')).toMatchObject({ kind: 'error', message: 'scan a gig before checking items out' });
    expect(await scan('GIG-000003')).toMatchObject({ kind: 'error', message: 'Last Year is completed' });
    await scan('GIG-000001');
    expect(await scan('SPK-3')).toMatchObject({ kind: 'error', message: 'SPK-3 is checked out to another gig', queued: [] });
    expect(await scan('SPK-4')).toMatchObject({ kind: 'error', message: 'SPK-4 is quarantined', queued: [] });
    expect((await store.stats()).depth).toBe(0);
  });

  it('warns about items not on the pick list and over-allocated bulk items, but queues them', async () => {
    await scan('GIG-000001');
    expect(await scan('SPK-9')).toMatchObject({
      kind: 'warning',
      message: 'SPK-9 Item 9: checked out — not on this gig’s pick list (Undo last takes it back)',
    });
    expect(await scan('CBL-5')).toMatchObject({ kind: 'ok' });
    expect(await scan('CBL-6')).toMatchObject({ kind: 'warning', message: 'CBL-6 Item 6: over-allocated: Cable planned 1, this is 2' });
    expect((await store.stats()).depth).toBe(3);
    expect((await session.state()).progress).toMatchObject({ planned: 5, scanned: 1, extra: 2 });
  });

  it('checks a case out with its contents', async () => {
    await scan('GIG-000001');
    const feedback = await scan('CASE-000010');
    expect(feedback).toMatchObject({ kind: 'ok', message: 'case CASE-000010 (2 items) → Main Stage' });
    expect((await store.listQueue(5)).map((op) => [op.table, op.action])).toEqual([['cases', 'check_out']]);
    expect((await session.state()).progress).toMatchObject({ scanned: 2, missing: 3 });
  });

  it('treats the same code within the window as a duplicate: a warning, queued once', async () => {
    await scan('GIG-000001');
    await scan('SPK-1');
    expect(await scan('SPK-1', 300)).toMatchObject({ kind: 'warning', message: 'SPK-1 scanned again — counted once', queued: [] });
    expect(await scan('SPK-1', 5000)).toMatchObject({ kind: 'warning', message: 'SPK-1 is already out to this gig' });
    expect((await store.stats()).depth).toBe(1);
  });

  it('takes the same code again at once after a command: out by mistake, Check-in, back in', async () => {
    // A double read cannot straddle a deliberate command: an operator who scans an item, presses
    // Check-in (or Damaged) and scans it again within a second means it.
    await scan('GIG-000001');
    expect(await scan('SPK-9')).toMatchObject({ kind: 'warning', queued: [expect.any(String)] });
    await scan('CMD:CHECK-IN', 200);
    expect(await scan('SPK-9', 300)).toMatchObject({ kind: 'ok', message: 'SPK-9 in' });
    await scan('CMD:DAMAGED', 200);
    expect(await scan('SPK-9', 300)).toMatchObject({ kind: 'warning', message: 'SPK-9 in, damaged → quarantine' });
    // A gig scanned between is a deliberate act too.
    await scan('CMD:CHECK-OUT', 2000);
    expect(await scan('SPK-1', 2000)).toMatchObject({ kind: 'ok', message: 'SPK-1 Item 1 → Main Stage' });
    await scan('GIG-000002', 200);
    expect(await scan('SPK-1', 300)).toMatchObject({ kind: 'error', message: 'SPK-1 is checked out to another gig' });
    // Without one, it stays a double read.
    expect(await scan('SPK-1', 300)).toMatchObject({ kind: 'warning', message: 'SPK-1 scanned again — counted once', queued: [] });
    expect((await store.stats()).depth).toBe(4);
  });

  it('undoes the last scan with a compensating op', async () => {
    await scan('GIG-000001');
    await scan('SPK-1');
    const undo = await scan('CMD:UNDO');
    expect(undo).toMatchObject({ kind: 'ok', message: 'undone: SPK-1' });
    expect((await store.listQueue(5)).map((op) => op.action)).toEqual(['check_out', 'check_in']);
    expect(await scan('CMD:UNDO')).toMatchObject({ kind: 'warning', message: 'nothing to undo' });
  });

  it('checks items in without choosing a gig; damaged ones go to quarantine', async () => {
    expect(await scan('CMD:CHECK-IN')).toMatchObject({ kind: 'ok' });
    expect(await scan('SPK-3')).toMatchObject({ kind: 'ok', message: 'SPK-3 in' });
    expect(await scan('SPK-1')).toMatchObject({
      kind: 'warning',
      message: 'SPK-1 is already in (scan a shelf to put it there)',
      queued: [],
    });
    await scan('CMD:DAMAGED');
    expect(await scan('SPK-2')).toMatchObject({ kind: 'warning', message: 'SPK-2 in, damaged → quarantine' });
    expect((await store.listQueue(5)).map((op) => op.payload['condition'])).toEqual(['ok', 'damaged']);
    expect(await store.getCached('assets', id(102))).toMatchObject({ status: 'quarantined' });
  });

  it('follows the scanner’s role: an "in" scanner checks in while the session picks', async () => {
    await scan('GIG-000001');
    const feedback = await session.handle({ deviceId: 'returns', code: 'SPK-3', receivedAt: (time += 2000) }, 'in');
    expect(feedback).toMatchObject({ kind: 'ok', message: 'SPK-3 in' });
    expect(await scan('SPK-1')).toMatchObject({ kind: 'ok', message: 'SPK-1 Item 1 → Main Stage' });
  });

  it('knows the operator by badge and warns at DONE about what is missing', async () => {
    expect(await scan('B-NOR-00001')).toMatchObject({ kind: 'ok', message: 'operator: Noor Berg' });
    await scan('GIG-000001');
    await scan('SPK-1');
    expect(await scan('CMD:DONE')).toMatchObject({ kind: 'warning', message: 'done — 4 planned item(s) not scanned' });
    expect((await session.state()).gig).toBeNull();
  });

  it('reads typed rows: the session holds camelCase gig and operator, as the Scan screen receives them', async () => {
    await scan('B-NOR-00001');
    await scan('GIG-000001');
    const state = await session.state();
    expect(state.gig).toMatchObject({ id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', parentGigId: null });
    expect(state.operator).toMatchObject({ id: id(30), displayName: 'Noor Berg', badgeCode: 'B-NOR-00001' });
    expect(await catalog.findAsset('in-case-7')).toMatchObject({ serialNumber: 'IN-CASE-7', caseId: CASE, currentGigId: null });
    expect(await catalog.pickList(GIG)).toContainEqual(expect.objectContaining({ category: 'Cable', quantity: 1, assetId: null }));
  });

  it('treats a cached row that fails its table’s schema as absent and reports it, never a crash', async () => {
    const reports: string[] = [];
    const previous = onInvalidRow((message) => reports.push(message));
    try {
      await store.applyPull(
        {
          changes: {
            // A status the server never sends, and an asset with no serial: damaged cache entries.
            assets: [asset(40, 'BAD-40', { status: 'flying' }), { ...asset(41, 'BAD-41'), serial_number: 41 }],
            gigs: [{ id: id(4), code: 'GIG-000004', name: 'No version', status: 'confirmed' }],
          },
          tombstones: [],
          cursor: '1:2',
          has_more: false,
        },
        rebase,
      );
      expect(await scan('BAD-40')).toMatchObject({ kind: 'error', message: 'unknown barcode BAD-40', queued: [] });
      expect(await scan('GIG-000004')).toMatchObject({ kind: 'error', message: 'unknown barcode GIG-000004', queued: [] });
      expect(await catalog.findAssetById(id(141))).toBeNull();
      expect((await store.stats()).depth).toBe(0);
      // Each damaged row is reported once, when the scan first reads its table (the catalog decodes rows once):
      // the first scan looks the code up as a gig before as an asset.
      expect(reports).toEqual([
        expect.stringMatching(new RegExp(`^cached gigs row ${id(4)} is unreadable .*\\(version\\)$`)),
        expect.stringMatching(new RegExp(`^cached assets row ${id(140)} is unreadable and is treated as absent: .*\\(status\\)$`)),
        expect.stringMatching(new RegExp(`^cached assets row ${id(141)} is unreadable .*\\(serial_number\\)$`)),
      ]);
      // The rest of the cache still answers.
      await scan('GIG-000001');
      expect(await scan('SPK-1')).toMatchObject({ kind: 'ok', message: 'SPK-1 Item 1 → Main Stage' });
    } finally {
      onInvalidRow(previous);
    }
  });
});
