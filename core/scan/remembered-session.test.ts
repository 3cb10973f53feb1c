import { describe, expect, it } from 'vitest';
import type { Gig } from '../sync/rows';
import type { SavedScanSession, Setting } from '../store/settings';
import type { ScanCatalog } from './catalog';
import { ScanPipeline } from './pipeline';

// The scan session's gig and mode outlive the page (a phone reloads, a station restarts): kept in
// the store's typed settings, read back by the next session before its first scan or state.
const gig = (code: string, name: string, status: Gig['status'] = 'confirmed'): Gig => ({
  id: `00000000-0000-4000-8000-${code.replace(/\D/g, '').padStart(12, '0')}`,
  parentGigId: null,
  code,
  name,
  status,
  startsAt: null,
  endsAt: null,
  venue: null,
  timeZone: null,
  notes: null,
  version: 1,
  deletedAt: null,
});
const GIGS = [gig('GIG-000001', 'Main Stage'), gig('GIG-000002', 'Side Stage'), gig('GIG-000003', 'Last Year', 'completed')];

const catalog: ScanCatalog = {
  findAsset: () => Promise.resolve(null),
  findAssetById: () => Promise.resolve(null),
  findCase: () => Promise.resolve(null),
  findCaseById: () => Promise.resolve(null),
  findGig: (code) => Promise.resolve(GIGS.find((g) => g.code === code.toUpperCase()) ?? null),
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

/** A setting kept in memory, counting writes (a scan that changes neither gig nor mode writes nothing). */
function memorySetting(
  initial: SavedScanSession | null = null,
): Setting<SavedScanSession> & { writes: number; value: SavedScanSession | null } {
  return {
    value: initial,
    writes: 0,
    get() {
      return Promise.resolve(this.value);
    },
    set(value) {
      this.value = value;
      this.writes += 1;
      return Promise.resolve();
    },
    clear() {
      this.value = null;
      return Promise.resolve();
    },
  };
}

let time = 0;
const pipeline = (remember: Setting<SavedScanSession>): ScanPipeline =>
  new ScanPipeline({ catalog, enqueue: () => Promise.reject(new Error('no ops expected')), duplicateWindowMs: 1500, remember });
const scan = (p: ScanPipeline, code: string) => p.process({ deviceId: 'screen', code, receivedAt: (time += 10_000) }, 'any');

describe('the scan session across a reload', () => {
  it('comes back with its gig and mode', async () => {
    const kept = memorySetting();
    const before = pipeline(kept);
    await scan(before, 'GIG-000002');
    await scan(before, 'CMD:CHECK-IN');
    expect(kept.value).toEqual({ gigCode: 'GIG-000002', mode: 'check_in' });

    const after = pipeline(kept);
    const state = await after.state();
    expect(state.gig?.name).toBe('Side Stage');
    expect(state.mode).toBe('check_in');
  });

  it('writes only when the gig or mode changes, and forgets the gig on Done', async () => {
    const kept = memorySetting();
    const p = pipeline(kept);
    await scan(p, 'GIG-000001');
    await scan(p, 'NOT-A-CODE');
    await scan(p, 'CMD:CHECK-OUT');
    expect(kept.writes).toBe(1);
    await scan(p, 'CMD:DONE');
    expect(kept.value).toEqual({ gigCode: null, mode: 'check_out' });
    expect((await pipeline(kept).state()).gig).toBeNull();
  });

  it('does not bring back a gig that closed meanwhile or no longer exists; the mode still returns', async () => {
    for (const code of ['GIG-000003', 'GIG-999999']) {
      const p = pipeline(memorySetting({ gigCode: code, mode: 'check_in' }));
      const state = await p.state();
      expect(state.gig).toBeNull();
      expect(state.mode).toBe('check_in');
    }
  });

  it('a scan that arrives before the saved session was read is decided on it (not on a blank session)', async () => {
    const kept = memorySetting({ gigCode: 'GIG-000001', mode: 'check_out' });
    const p = pipeline(kept);
    const feedback = await scan(p, 'CMD:CHECK-OUT');
    expect(feedback.message).toBe('check-out to Main Stage');
  });

  it('a store that cannot be read or written does not stop scanning', async () => {
    const broken: Setting<SavedScanSession> = {
      get: () => Promise.reject(new Error('disk gone')),
      set: () => Promise.reject(new Error('disk full')),
      clear: () => Promise.resolve(),
    };
    const p = pipeline(broken);
    expect((await scan(p, 'GIG-000001')).kind).toBe('ok');
    expect((await p.state()).gig?.name).toBe('Main Stage');
  });
});
