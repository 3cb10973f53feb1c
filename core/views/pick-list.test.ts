import { describe, expect, it } from 'vitest';
import type { Row } from '../sync/model';
import { buildPickList } from './pick-list';

const GIG = 'g1';
const asset = (id: string, extra: Record<string, unknown> = {}): Row => ({
  id,
  serial_number: id.toUpperCase(),
  name: 'Item',
  category: 'Audio',
  current_gig_id: null,
  ...extra,
});

describe('pick list', () => {
  it('counts named assets, case contents and bulk lines as the scan workflow does', () => {
    const a1 = asset('a1', { current_gig_id: GIG });
    const a2 = asset('a2');
    const c1 = asset('c1', { current_gig_id: GIG, case_id: 'k1' });
    const c2 = asset('c2', { case_id: 'k1' });
    const x1 = asset('x1', { current_gig_id: GIG, category: 'Cable' });
    const x2 = asset('x2', { current_gig_id: GIG, category: 'Cable' });
    const x3 = asset('x3', { current_gig_id: GIG, category: 'Cable' });
    const elsewhere = asset('e1', { current_gig_id: 'other', category: 'Cable' });
    const lines = buildPickList(GIG, {
      kit: [
        { id: 'l1', asset_id: 'a1' },
        { id: 'l2', asset_id: 'a2' },
        { id: 'l3', case_id: 'k1' },
        { id: 'l4', category: 'Cable', quantity: 2 },
        { id: 'l5', category: 'Cable', quantity: 4 },
        { id: 'l6', asset_id: 'gone' },
      ],
      assetsById: new Map([a1, a2, c1, c2, x1, x2, x3].map((a) => [a.id, a])),
      casesById: new Map([['k1', { id: 'k1', barcode: 'CASE-1' }]]),
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
