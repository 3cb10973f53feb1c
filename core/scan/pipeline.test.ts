import { describe, expect, it } from 'vitest';
import type { ScanCatalog } from './catalog';
import { ScanPipeline } from './pipeline';
import type { Feedback } from './workflow';

// An empty catalog: every code is unknown, and the workflow answers with feedback, never an op.
const empty: ScanCatalog = {
  findAsset: () => Promise.resolve(null),
  findAssetById: () => Promise.resolve(null),
  findCase: () => Promise.resolve(null),
  findCaseById: () => Promise.resolve(null),
  findGig: () => Promise.resolve(null),
  findStaff: () => Promise.resolve(null),
  caseContents: () => Promise.resolve([]),
  pickList: () => Promise.resolve([]),
  assetsOutTo: () => Promise.resolve([]),
  findStaffByEmail: () => Promise.resolve(null),
  findBulkItem: () => Promise.resolve(null),
  findLocation: () => Promise.resolve(null),
  findLocationById: () => Promise.resolve(null),
  bulkItemsOutTo: () => Promise.resolve([]),
};

describe('ScanPipeline listeners', () => {
  it('a broken scan listener (a closed window, say) is reported; the scan is still decided and its feedback heard', async () => {
    const reported: unknown[] = [];
    const pipeline = new ScanPipeline(
      { catalog: empty, enqueue: () => Promise.reject(new Error('no ops expected')), duplicateWindowMs: 1500 },
      (error) => reported.push(error),
    );
    const feedback: Feedback[] = [];
    pipeline.onScan(() => {
      throw new Error('window gone');
    });
    pipeline.onFeedback((f) => feedback.push(f));
    const answer = await pipeline.process({ deviceId: 'kbd', code: 'NOPE-1', receivedAt: 0 }, 'any');
    expect(feedback).toEqual([answer]);
    expect(reported).toEqual([new Error('window gone')]);
  });
});

describe('plan scans (issue 19)', () => {
  const mic = {
    id: '00000000-0000-4000-8000-000000000101',
    serialNumber: 'MIC-7001',
    barcode: null,
    name: 'Shure SM58',
    category: 'Audio',
    status: 'available' as const,
    currentGigId: null,
    caseId: null,
    notes: null,
    homeLocationId: null,
    locationId: null,
    version: 1,
    deletedAt: null,
  };
  const catalog: ScanCatalog = { ...empty, findAsset: (code) => Promise.resolve(code.toUpperCase() === 'MIC-7001' ? mic : null) };
  const GIG = '00000000-0000-4000-8000-0000000000a1';
  const scan = (code: string) => ({ deviceId: 'kbd', code, receivedAt: 0 });

  it('adds what is scanned to the gig while the lease runs, moves nothing, and scans act again once it ends', async () => {
    let now = 1_000;
    const added: unknown[] = [];
    const moved: unknown[] = [];
    const pipeline = new ScanPipeline(
      {
        catalog,
        enqueue: (op) => {
          moved.push(op);
          return Promise.reject(new Error('no gig selected'));
        },
        duplicateWindowMs: 1500,
      },
      () => undefined,
      {
        now: () => now,
        add: (edit) => {
          added.push(edit);
          return Promise.resolve({ queued: [], warnings: [] });
        },
      },
    );
    expect(pipeline.planFor(GIG, 5)).toBe(GIG);
    expect(await pipeline.process(scan('mic-7001'), 'any')).toMatchObject({
      kind: 'ok',
      message: 'added Shure SM58 · MIC-7001 to the pick list',
    });
    expect(await pipeline.process(scan('CMD:CHECK-IN'), 'any')).toMatchObject({ kind: 'warning' });
    expect(await pipeline.process(scan('NOPE-9'), 'any')).toMatchObject({ kind: 'error', message: 'NOPE-9 is not a known barcode' });
    expect(added).toEqual([{ kind: 'add_asset', gigId: GIG, assetId: mic.id }]);
    // The screen closed without ending it: five seconds later scans are scans again.
    now += 5_000;
    const after = await pipeline.process(scan('MIC-7001'), 'any');
    expect(after.message).not.toContain('pick list');
    expect(added).toHaveLength(1);
    expect(pipeline.planFor(GIG, 0)).toBeNull();
    expect(moved).toEqual([]);
  });

  it('says a refusal in the planner’s words', async () => {
    const pipeline = new ScanPipeline(
      { catalog, enqueue: () => Promise.reject(new Error('unused')), duplicateWindowMs: 1500 },
      () => undefined,
      {
        now: () => 0,
        add: () => Promise.reject(new Error('Shure SM58 · MIC-7001 is already on the pick list of Headliner')),
      },
    );
    pipeline.planFor(GIG, 30);
    expect(await pipeline.process(scan('MIC-7001'), 'any')).toMatchObject({
      kind: 'error',
      message: 'Shure SM58 · MIC-7001 is already on the pick list of Headliner',
    });
  });
});
