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
