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
    placeIds: [],
    place: null,
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
      places: new Map(),
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

describe('filtering by place', () => {
  const WH = '00000000-0000-4000-8000-0000000000b1';
  const SHELF = '00000000-0000-4000-8000-0000000000b2';
  const OTHER = '00000000-0000-4000-8000-0000000000b3';
  const placed = new AssetIndex(
    [
      asset('AMP-1', 'Amp', 'Audio', { placeIds: [SHELF, WH], place: 'Shelf A03 (WH1-A03)' }),
      asset('AMP-2', 'Amp', 'Audio', { placeIds: [WH], place: 'Main Warehouse (WH1)' }),
      asset('AMP-3', 'Amp', 'Audio', { placeIds: [OTHER], place: 'Dock Store (WH2)' }),
      asset('AMP-4', 'Amp', 'Audio', { status: 'checked_out', gigId: GIG }),
    ],
    () => 'Main Stage',
  );

  it('finds what is at a place or anywhere inside it, and counts each place', () => {
    expect(serials(placed.query({ ...none, place: WH }, 'serial'))).toEqual(['AMP-1', 'AMP-2']);
    expect(serials(placed.query({ ...none, place: SHELF }, 'serial'))).toEqual(['AMP-1']);
    expect(placed.facets().places.get(WH)).toBe(2);
    expect(placed.facets().places.get(OTHER)).toBe(1);
    // The row says the shelf; the location filter still groups the warehouse as one.
    expect(placed.entries.map((e) => e.locationLabel)).toEqual([
      'Shelf A03 (WH1-A03)',
      'Main Warehouse (WH1)',
      'Dock Store (WH2)',
      'Main Stage',
    ]);
    expect(placed.facets().locations[0]).toEqual([WAREHOUSE, 'Warehouse', 3]);
  });

  it('finds by the place’s code or name in the search', () => {
    expect(serials(placed.query({ ...none, query: 'wh1-a03' }, 'serial'))).toEqual(['AMP-1']);
    expect(serials(placed.query({ ...none, query: 'dock store' }, 'serial'))).toEqual(['AMP-3']);
  });
});
