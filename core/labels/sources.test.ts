import { beforeEach, describe, expect, it } from 'vitest';
import { CacheIndex } from '../store/cache-index';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import type { Row } from '../sync/model';
import { placeRow } from '../store/place-rows.test-helper';
import { rebase } from '../sync/optimistic';
import { LabelSources } from './sources';

// What the Labels screen prints (issue 21), from the device's copy; and a case's contents sheet
// that says when the contents changed since it was printed.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const WH = id(1);
const SHELF_A = id(2);
const SHELF_B = id(3);
const CASE = id(10);
const INNER = id(11);
const place = (placeId: string, kind: string, code: string, name: string, parent: string | null): Row =>
  placeRow(placeId, kind, code, name, parent, parent === null ? placeId : WH);
const asset = (n: number, serial: string, extra: Record<string, unknown> = {}): Row => ({
  id: id(100 + n),
  serial_number: serial,
  name: `Shure SM58 ${n}`,
  category: 'Audio',
  status: 'available',
  current_gig_id: null,
  case_id: null,
  location_id: SHELF_A,
  version: 1,
  ...extra,
});

let queue: Queue;
let labels: LabelSources;
const pull = (changes: Record<string, Row[]>): Promise<void> =>
  queue.applyPull({ changes, tombstones: [], cursor: '1:1', has_more: false }, rebase);

beforeEach(async () => {
  let ids = 0;
  queue = new Queue(new MemoryStorage(), { newId: () => id(900 + (ids += 1)), clock: () => 1000, devicePrefix: 'test-' });
  await pull({
    locations: [
      place(WH, 'warehouse', 'WH1', 'Main Warehouse', null),
      place(SHELF_A, 'shelf', 'WH1-A01', 'Shelf A01', WH),
      place(SHELF_B, 'shelf', 'WH1-B01', 'Shelf B01', WH),
    ],
    assets: [
      asset(1, 'MIC-1'),
      asset(2, 'MIC-2', { location_id: SHELF_B, category: 'Lighting', name: 'Par 64' }),
      asset(3, 'MIC-3', { case_id: CASE }),
      asset(4, 'DI-4', { case_id: INNER, name: 'DI box' }),
    ],
    cases: [
      { id: CASE, barcode: 'CASE-1', name: 'Mic case', version: 1, location_id: SHELF_A },
      { id: INNER, barcode: 'CASE-2', name: 'DI pouch', parent_case_id: CASE, version: 1, location_id: SHELF_A },
    ],
    staff_profiles: [{ id: id(50), display_name: 'Mika Moreau', badge_code: 'B-MIKA-01', email: null }],
  });
  labels = new LabelSources(new CacheIndex(queue), queue.settings.printedSheets);
});

describe('labels from the copy', () => {
  it('lists a place and the places in it, items by place or words, and badges', async () => {
    expect((await labels.list({ kind: 'places', placeId: WH })).labels.map((l) => [l.code, l.detail])).toEqual([
      ['WH1', 'Warehouse'],
      ['WH1-A01', 'Shelf · Main Warehouse'],
      ['WH1-B01', 'Shelf · Main Warehouse'],
    ]);
    expect((await labels.list({ kind: 'items', placeId: SHELF_B })).labels.map((l) => l.code)).toEqual(['MIC-2']);
    expect((await labels.list({ kind: 'items', words: 'par' })).labels.map((l) => l.title)).toEqual(['Par 64']);
    expect((await labels.list({ kind: 'badges' })).labels).toEqual([
      { id: id(50), code: 'B-MIKA-01', title: 'Mika Moreau', detail: 'Operator badge' },
    ]);
  });

  it('says when a case’s contents changed since its sheet was printed', async () => {
    const sheet = await labels.sheet(CASE);
    expect(sheet.lines).toEqual([
      { code: 'MIC-3', name: 'Shure SM58 3', category: 'Audio' },
      { code: 'DI-4', name: 'DI box', category: 'Audio', inside: 'CASE-2' },
    ]);
    const state = async (): Promise<string | undefined> =>
      (await labels.list({ kind: 'cases', words: 'CASE-1' })).labels.find((l) => l.code === 'CASE-1')?.sheet;
    expect(await state()).toBe('never');
    await labels.printedSheet(CASE, sheet.reference);
    expect(await state()).toBe('current');
    // An item moved into the case: the sheet in the lid no longer tells the truth.
    await pull({ assets: [asset(1, 'MIC-1', { case_id: CASE })] });
    expect(await state()).toBe('changed');
    expect((await labels.sheet(CASE)).reference).not.toBe(sheet.reference);
  });

  it('refuses an unknown place, badges at a place and an unknown case in words', async () => {
    await expect(labels.list({ kind: 'items', placeId: id(77) })).rejects.toMatchObject({ code: 'not_found' });
    await expect(labels.list({ kind: 'badges', placeId: WH })).rejects.toMatchObject({ code: 'invalid_arguments' });
    await expect(labels.sheet(id(78))).rejects.toMatchObject({ code: 'not_found', message: 'that case is not on this device' });
  });
});
