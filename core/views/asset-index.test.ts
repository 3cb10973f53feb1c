import { describe, expect, it } from 'vitest';
import type { AssetListItem } from '../station-views';
import { AssetIndex, WAREHOUSE } from './asset-index';

const GIG = '00000000-0000-4000-8000-00000000000a';
let n = 0;
function asset(serial: string, name: string, category: string, extra: Partial<AssetListItem> = {}): AssetListItem {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    serial,
    barcode: null,
    name,
    category,
    status: 'available',
    gigId: null,
    caseId: null,
    ...extra,
  };
}

const assets = [
  asset('SPK-0002', 'Line array top', 'Audio'),
  asset('MIC-0100', 'Vocal mic', 'Audio', { barcode: '4006381333931', status: 'checked_out', gigId: GIG }),
  asset('LED-0007', 'LED wash', 'Lighting', { status: 'in_maintenance' }),
  asset('spk-0001', 'Subwoofer', 'Audio', { status: 'checked_out', gigId: GIG }),
];
const index = new AssetIndex(assets, (id) => (id === GIG ? 'Main Stage' : undefined));
const none = { query: '', status: null, category: null, location: null };
const serials = (entries: { asset: AssetListItem }[]): string[] => entries.map((e) => e.asset.serial);

describe('asset index', () => {
  it('searches serial, barcode, name and category, case-insensitively', () => {
    expect(serials(index.query({ ...none, query: 'spk' }, 'serial'))).toEqual(['spk-0001', 'SPK-0002']);
    expect(serials(index.query({ ...none, query: '333931' }, 'serial'))).toEqual(['MIC-0100']);
    expect(serials(index.query({ ...none, query: 'WASH' }, 'serial'))).toEqual(['LED-0007']);
    expect(serials(index.query({ ...none, query: 'lighting' }, 'serial'))).toEqual(['LED-0007']);
    expect(index.query({ ...none, query: 'zzz' }, 'serial')).toEqual([]);
  });

  it('filters by status, category and location, combined with the search', () => {
    expect(serials(index.query({ ...none, status: 'checked_out' }, 'serial'))).toEqual(['MIC-0100', 'spk-0001']);
    expect(serials(index.query({ ...none, category: 'Audio', location: WAREHOUSE }, 'serial'))).toEqual(['SPK-0002']);
    expect(serials(index.query({ ...none, location: GIG, query: 'sub' }, 'serial'))).toEqual(['spk-0001']);
  });

  it('sorts by each column, ties by serial', () => {
    expect(serials(index.query(none, 'name'))).toEqual(['LED-0007', 'SPK-0002', 'spk-0001', 'MIC-0100']);
    expect(serials(index.query(none, 'location'))).toEqual(['MIC-0100', 'spk-0001', 'LED-0007', 'SPK-0002']);
    expect(serials(index.query(none, 'status'))).toEqual(['SPK-0002', 'MIC-0100', 'spk-0001', 'LED-0007']);
  });

  it('labels locations and counts facets', () => {
    expect(index.entries.map((e) => e.locationLabel)).toEqual(['Warehouse', 'Main Stage', 'Warehouse', 'Main Stage']);
    expect(index.facets()).toEqual({
      statuses: [
        ['available', 1],
        ['checked_out', 2],
        ['in_maintenance', 1],
      ],
      categories: [
        ['Audio', 3],
        ['Lighting', 1],
      ],
      locations: [
        [WAREHOUSE, 'Warehouse', 2],
        [GIG, 'Main Stage', 2],
      ],
    });
  });
});
