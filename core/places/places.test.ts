import { beforeEach, describe, expect, it } from 'vitest';
import { CacheIndex } from '../store/cache-index';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import type { Row } from '../sync/model';
import { placeRow } from '../store/place-rows.test-helper';
import { rebase } from '../sync/optimistic';
import type { MemberRole } from '../sync/roles';
import { claimCode, editPlace, type PlaceEdit } from './places';

// Setting up places (issue 21): checked against the device's copy by the server's rules first, so
// a mistake is said at once and nothing is queued.
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ORG = id(9);
const WH = id(1);
const SHELF = id(2);
const BIN = id(3);
const place = (placeId: string, kind: string, code: string, name: string, parent: string | null): Row =>
  placeRow(placeId, kind, code, name, parent, parent === null ? placeId : WH);

let queue: Queue;
let role: MemberRole = 'manager';
let whole = true;
let ids = 0;
const edit = (change: PlaceEdit): ReturnType<typeof editPlace> =>
  editPlace(
    {
      index: new CacheIndex(queue),
      enqueue: (op) => queue.enqueue(op, { id: id(800 + (ids += 1)), now: 1000 }),
      newId: () => id(700 + (ids += 1)),
      member: () => Promise.resolve({ orgId: ORG, role }),
      wholeCopy: () => Promise.resolve(whole),
    },
    change,
  );
const queued = async (): Promise<unknown[]> => (await queue.listQueue(100)).map((op) => [`${op.table}.${op.action}`, op.payload]);

beforeEach(async () => {
  role = 'manager';
  whole = true;
  queue = new Queue(new MemoryStorage(), { newId: () => id(900 + (ids += 1)), clock: () => 1000, devicePrefix: 'test-' });
  await queue.applyPull(
    {
      changes: {
        locations: [
          place(WH, 'warehouse', 'WH1', 'Main Warehouse', null),
          place(SHELF, 'shelf', 'WH1-A01', 'Shelf A01', WH),
          place(BIN, 'bin', 'WH1-A01-1', 'Bin 1', SHELF),
        ],
        assets: [
          { id: id(100), serial_number: 'MIC-1', name: 'Shure SM58', category: 'Audio', status: 'available', version: 1, location_id: BIN },
        ],
        staff_profiles: [{ id: id(50), display_name: 'Mika Moreau', badge_code: 'B-MIKA-01', email: null }],
      },
      tombstones: [],
      cursor: '1:1',
      has_more: false,
    },
    rebase,
  );
});

describe('setting up places', () => {
  it('queues a warehouse with the company, and a shelf in a place, with the code in capitals', async () => {
    await edit({ action: 'create', kind: 'warehouse', parentId: null, code: 'wh2', name: 'Dock Store' });
    await edit({ action: 'create', kind: 'shelf', parentId: WH, code: 'wh1-a02', name: 'Shelf A02' });
    await edit({ action: 'update', id: SHELF, name: 'Shelf A1' });
    // On this device's lists at once, offline: a place to put a shelf in, its code taken.
    const index = new CacheIndex(queue);
    const dock = (await index.table('locations')).first('code', 'WH2');
    expect(dock).toMatchObject({ kind: 'warehouse', name: 'Dock Store' });
    expect(dock?.warehouseId).toBe(dock?.id);
    expect((await index.table('locations')).first('code', 'WH1-A02')?.warehouseId).toBe(WH);
    await expect(edit({ action: 'create', kind: 'zone', parentId: dock?.id ?? '', code: 'wh1-a02', name: 'Zone A' })).rejects.toThrow(
      /already on Shelf A02/,
    );
    await edit({ action: 'create', kind: 'zone', parentId: dock?.id ?? '', code: 'wh2-a', name: 'Zone A' });
    expect(await queued()).toMatchObject([
      ['locations.create', { kind: 'warehouse', org_id: ORG, code: 'WH2', name: 'Dock Store' }],
      ['locations.create', { kind: 'shelf', parent_location_id: WH, code: 'WH1-A02', name: 'Shelf A02' }],
      ['locations.update', { id: SHELF, fields: { name: 'Shelf A1' } }],
      ['locations.create', { kind: 'zone', code: 'WH2-A' }],
    ]);
  });

  it('refuses in words, queueing nothing: crew and stations, a taken code, a bad name, a place in a bin, a place not empty', async () => {
    const refused: [MemberRole, PlaceEdit, RegExp][] = [
      ['crew', { action: 'create', kind: 'shelf', parentId: WH, code: 'X-1', name: 'X' }, /set up by a manager or an admin/],
      ['station', { action: 'delete', id: BIN }, /set up by a manager or an admin/],
      [
        'manager',
        { action: 'create', kind: 'shelf', parentId: WH, code: 'wh1-a01', name: 'Again' },
        /code WH1-A01 is already on Shelf A01 \(WH1-A01\)/,
      ],
      ['manager', { action: 'create', kind: 'shelf', parentId: WH, code: 'mic-1', name: 'X' }, /already on the item Shure SM58/],
      ['manager', { action: 'create', kind: 'shelf', parentId: WH, code: 'B-MIKA-01', name: 'X' }, /already on Mika Moreau's badge/],
      ['manager', { action: 'create', kind: 'shelf', parentId: WH, code: 'BAD CODE', name: 'X' }, /letters, digits and/],
      ['manager', { action: 'create', kind: 'shelf', parentId: WH, code: 'X-2', name: 'Shelf\u202eevil' }, /a name is one line of text/],
      ['manager', { action: 'create', kind: 'bin', parentId: BIN, code: 'X-3', name: 'Bin in a bin' }, /a bin holds things, not places/],
      ['manager', { action: 'delete', id: SHELF }, /still holds or is home to 1 thing or place: move them first/],
      ['manager', { action: 'delete', id: BIN }, /still holds or is home to 1 thing or place/],
      ['manager', { action: 'update', id: SHELF }, /change the name or the code/],
      ['manager', { action: 'delete', id: id(77) }, /not on this device/],
    ];
    whole = false;
    await expect(edit({ action: 'create', kind: 'shelf', parentId: WH, code: 'X-9', name: 'X' })).rejects.toThrow(/keeps only some/);
    whole = true;
    for (const [who, change, words] of refused) {
      role = who;
      await expect(edit(change), JSON.stringify(change)).rejects.toThrow(words);
    }
    expect(await queued()).toEqual([]);
  });
});

describe('claiming a pre-printed label on its first scan', () => {
  const claim = (code: string, standsIn: string | null = null): ReturnType<typeof claimCode> =>
    claimCode(
      {
        index: new CacheIndex(queue),
        enqueue: (op) => queue.enqueue(op, { id: id(800 + (ids += 1)), now: 1000 }),
        newId: () => id(700 + (ids += 1)),
        member: () => Promise.resolve({ orgId: ORG, role }),
        wholeCopy: () => Promise.resolve(whole),
        stationWarehouse: () => Promise.resolve(standsIn),
      },
      { code, name: 'DI box', category: 'Audio' },
    );

  it('queues a new item with the code, in the station’s warehouse when it has one', async () => {
    role = 'station';
    await claim('pre-0001', WH);
    await claim('PRE-0002');
    expect(await queued()).toMatchObject([
      ['assets.claim', { org_id: ORG, code: 'PRE-0001', name: 'DI box', category: 'Audio', location_id: WH }],
      ['assets.claim', { code: 'PRE-0002' }],
    ]);
  });

  it('refuses crew, a code already on something and one a label cannot carry, queueing nothing', async () => {
    role = 'crew';
    await expect(claim('PRE-0003')).rejects.toMatchObject({ code: 'forbidden' });
    role = 'station';
    await expect(claim('mic-1')).rejects.toThrow(/already on the item Shure SM58/);
    await expect(claim('WH1-A01')).rejects.toThrow(/already on Shelf A01/);
    await expect(claim('CMD:QTY:5')).rejects.toThrow(/letters, digits and/);
    expect(await queued()).toEqual([]);
  });
});
