import { describe, expect, it } from 'vitest';
import type { Asset, KitAssignment } from '../sync/rows';
import { buildPickList } from './pick-list';

const GIG = 'g1';
const asset = (id: string, extra: Partial<Asset> = {}): Asset => ({
  id,
  serialNumber: id.toUpperCase(),
  barcode: null,
  name: 'Item',
  category: 'Audio',
  status: 'available',
  currentGigId: null,
  caseId: null,
  notes: null,
  version: 1,
  deletedAt: null,
  ...extra,
});
const line = (id: string, extra: Partial<KitAssignment>): KitAssignment => ({
  id,
  gigId: GIG,
  assetId: null,
  caseId: null,
  category: null,
  quantity: null,
  ...extra,
});

describe('pick list', () => {
  it('counts named assets, case contents and bulk lines as the scan workflow does', () => {
    const a1 = asset('a1', { currentGigId: GIG });
    const a2 = asset('a2');
    const c1 = asset('c1', { currentGigId: GIG, caseId: 'k1' });
    const c2 = asset('c2', { caseId: 'k1' });
    const x1 = asset('x1', { currentGigId: GIG, category: 'Cable' });
    const x2 = asset('x2', { currentGigId: GIG, category: 'Cable' });
    const x3 = asset('x3', { currentGigId: GIG, category: 'Cable' });
    const elsewhere = asset('e1', { currentGigId: 'other', category: 'Cable' });
    const lines = buildPickList(GIG, {
      kit: [
        line('l1', { assetId: 'a1' }),
        line('l2', { assetId: 'a2' }),
        line('l3', { caseId: 'k1' }),
        line('l4', { category: 'Cable', quantity: 2 }),
        line('l5', { category: 'Cable', quantity: 4 }),
        line('l6', { assetId: 'gone' }),
      ],
      assetsById: new Map([a1, a2, c1, c2, x1, x2, x3].map((a) => [a.id, a])),
      casesById: new Map([['k1', { id: 'k1', barcode: 'CASE-1', name: null, parentCaseId: null, version: 1, deletedAt: null }]]),
      caseContents: (id) => (id === 'k1' ? [c1, c2] : []),
      outToGig: [a1, c1, x1, x2, x3, elsewhere],
    });
    expect(lines).toEqual([
      { kind: 'asset', label: 'A1 Item', planned: 1, out: 1 },
      { kind: 'asset', label: 'A2 Item', planned: 1, out: 0 },
      { kind: 'case', label: 'case CASE-1', planned: 2, out: 1 },
      { kind: 'asset', label: 'asset not on this device', planned: 1, out: 0 },
      { kind: 'bulk', label: 'Cable × 2', planned: 2, out: 2 },
      { kind: 'bulk', label: 'Cable × 4', planned: 4, out: 1 },
    ]);
  });
});
