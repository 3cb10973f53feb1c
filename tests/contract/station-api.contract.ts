import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stationError, type StationErrorData } from '../../core/errors';
import { stationInfoSchema, type FeedbackView, type StationApi, type SyncStatusView } from '../../core/station-api';
import type { CacheChanged } from '../../core/station-views';
import type { Row } from '../../core/sync/model';
import type { StationHarness } from '../helpers/station-harness';

/**
 * What every StationApi transport must do the same way, run against each one's real host side
 * (IPC registration + preload bridge, browser host + WebSocket client) over the same handlers.
 * Each test gets a fresh station: a real SQLite database, no backend, a fake clock.
 */
export interface ConnectedStation {
  api: StationApi;
  harness: StationHarness;
  close(): Promise<void>;
}

/** The harness's clock: getInfo's startedAt, ping's receivedAt and op timestamps. */
const NOW = '2026-11-25T09:00:00.000Z';

const GIG_TOUR = '00000000-0000-4000-8000-000000000a01';
const GIG_LEEDS = '00000000-0000-4000-8000-000000000a02';
const GIG_DONE = '00000000-0000-4000-8000-000000000a03';
const GIG_GONE = '00000000-0000-4000-8000-000000000a04';
const ASSET_OUT = '00000000-0000-4000-8000-000000000b01';
const ASSET_HOME = '00000000-0000-4000-8000-000000000b02';
const ASSET_GONE = '00000000-0000-4000-8000-000000000b03';
const CASE = '00000000-0000-4000-8000-000000000c01';

const gigs: Row[] = [
  {
    id: GIG_TOUR,
    parent_gig_id: null,
    code: 'GIG-000001',
    name: 'Autumn tour',
    status: 'confirmed',
    starts_at: '2026-12-01T18:00:00Z',
    venue: 'Arena',
    version: 4,
  },
  {
    id: GIG_LEEDS,
    parent_gig_id: GIG_TOUR,
    code: 'GIG-000002',
    name: 'Autumn tour: Leeds',
    status: 'draft',
    starts_at: '2026-12-02T18:00:00Z',
    venue: 'Leeds Hall',
    time_zone: 'Europe/London',
    version: 2,
  },
  {
    id: GIG_DONE,
    parent_gig_id: null,
    code: 'GIG-000003',
    name: 'Spring gala',
    status: 'completed',
    starts_at: '2026-04-01T18:00:00Z',
    venue: null,
    version: 7,
  },
  {
    id: GIG_GONE,
    parent_gig_id: null,
    code: 'GIG-000004',
    name: 'Cancelled and deleted',
    status: 'cancelled',
    starts_at: '2026-05-01T18:00:00Z',
    venue: null,
    version: 1,
  },
];
const assets: Row[] = [
  {
    id: ASSET_OUT,
    serial_number: 'SN-0001',
    barcode: 'A-0001',
    name: 'Moving head',
    category: 'lighting',
    status: 'checked_out',
    current_gig_id: GIG_TOUR,
    case_id: CASE,
    version: 3,
  },
  {
    id: ASSET_HOME,
    serial_number: 'SN-0002',
    barcode: null,
    name: 'Stage box',
    category: 'audio',
    status: 'available',
    current_gig_id: null,
    case_id: null,
    version: 1,
  },
  {
    id: ASSET_GONE,
    serial_number: 'SN-0003',
    barcode: 'A-0003',
    name: 'Scrapped hazer',
    category: 'effects',
    status: 'retired',
    current_gig_id: null,
    case_id: null,
    version: 5,
  },
];
const kitAssignments: Row[] = [
  { id: '00000000-0000-4000-8000-000000000d01', gig_id: GIG_LEEDS, asset_id: ASSET_HOME, quantity: 3 },
  { id: '00000000-0000-4000-8000-000000000d02', gig_id: GIG_LEEDS, asset_id: ASSET_OUT },
];

/** Two pulls, as a sync would bring them: everything, then tombstones for one gig and one asset. */
async function fillCaches(harness: StationHarness): Promise<void> {
  await harness.store.applyPull(
    { changes: { gigs, assets, kit_assignments: kitAssignments }, tombstones: [], cursor: '1:1', has_more: false },
    (row) => row,
  );
  await harness.store.applyPull(
    {
      changes: {},
      tombstones: [
        { table: 'gigs', id: GIG_GONE },
        { table: 'assets', id: ASSET_GONE },
      ],
      cursor: '1:2',
      has_more: false,
    },
    (row) => row,
  );
}

/** The next event a subscription delivers that matches, or a failure naming what never came. */
function nextEvent<T>(
  name: string,
  subscribe: (listener: (value: T) => void) => () => void,
  matches: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${name} event within 5 s`));
    }, 5000);
    const off = subscribe((value) => {
      if (!matches(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/**
 * How a failed call arrives on the calling side, read as the page reads any rejection: code and
 * words must survive the transport (over Electron's contextBridge an Error keeps only its message).
 */
async function failureOf(call: Promise<unknown>): Promise<StationErrorData> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => stationError(reason).toData(),
  );
}

export function stationApiContract(name: string, connect: () => Promise<ConnectedStation>): void {
  describe(`StationApi contract: ${name}`, () => {
    let station: ConnectedStation;
    let api: StationApi;
    let harness: StationHarness;
    beforeEach(async () => {
      station = await connect();
      ({ api, harness } = station);
    });
    afterEach(() => station.close());

    it('getInfo describes the station that answers', async () => {
      const info = await api.getInfo();
      expect(stationInfoSchema.strict().parse(info)).toEqual({
        appName: 'GigManager Station',
        appVersion: '0.1.0',
        host: 'browser',
        platform: `${process.platform}-${process.arch}`,
        backendUrl: null,
        startedAt: NOW,
      });
    });

    it('ping comes back with the message and the station’s time', async () => {
      expect(await api.ping({ message: 'soundcheck ✓' })).toEqual({ message: 'soundcheck ✓', receivedAt: NOW });
    });

    it.each([
      [
        'ping with a 300-character message',
        (s: StationApi) => s.ping({ message: 'x'.repeat(300) }),
        'ping: 0.message: message is longer than 256 characters',
      ],
      [
        'setGigStatus with a gig id that is not a UUID',
        (s: StationApi) => s.setGigStatus({ gigId: 'GIG-000001', status: 'confirmed' }),
        'setGigStatus: 0.gigId: Invalid UUID',
      ],
      [
        'signIn with a bad email',
        (s: StationApi) => s.signIn({ email: 'station at northlight', password: 'x' }),
        'signIn: 0.email: enter an email address',
      ],
      [
        'saveSettings with an empty station name',
        (s: StationApi) => s.saveSettings({ stationName: '' }),
        'saveSettings: 0.stationName: station name must not be empty',
      ],
    ])('refuses %s as invalid_arguments, with the field and the reason', async (_label, call, message) => {
      expect(await failureOf(call(api))).toEqual({ code: 'invalid_arguments', message });
    });

    it('listGigs and listAssets return exactly what the caches hold, tombstoned rows gone', async () => {
      await fillCaches(harness);
      expect(await api.listGigs()).toEqual([
        {
          id: GIG_DONE,
          parentId: null,
          code: 'GIG-000003',
          name: 'Spring gala',
          status: 'completed',
          startsAt: '2026-04-01T18:00:00Z',
          venue: null,
          timeZone: null,
          version: 7,
          assetsOut: 0,
          planned: 0,
        },
        {
          id: GIG_TOUR,
          parentId: null,
          code: 'GIG-000001',
          name: 'Autumn tour',
          status: 'confirmed',
          startsAt: '2026-12-01T18:00:00Z',
          venue: 'Arena',
          timeZone: null,
          version: 4,
          assetsOut: 1,
          planned: 0,
        },
        {
          id: GIG_LEEDS,
          parentId: GIG_TOUR,
          code: 'GIG-000002',
          name: 'Autumn tour: Leeds',
          status: 'draft',
          startsAt: '2026-12-02T18:00:00Z',
          venue: 'Leeds Hall',
          timeZone: 'Europe/London',
          version: 2,
          assetsOut: 0,
          // One count definition (core/views/counts.ts): an asset line counts 1, whatever quantity it carries.
          planned: 2,
        },
      ]);
      const listed = await api.listAssets();
      expect([...listed].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        {
          id: ASSET_OUT,
          serial: 'SN-0001',
          barcode: 'A-0001',
          name: 'Moving head',
          category: 'lighting',
          status: 'checked_out',
          gigId: GIG_TOUR,
          caseId: CASE,
          placeIds: [],
          place: null,
        },
        {
          id: ASSET_HOME,
          serial: 'SN-0002',
          barcode: null,
          name: 'Stage box',
          category: 'audio',
          status: 'available',
          gigId: null,
          caseId: null,
          placeIds: [],
          place: null,
        },
      ]);
    });

    it('setGigStatus queues gigs.set_status on the cached version and announces the gigs cache change', async () => {
      const filled = nextEvent<CacheChanged>('cacheChanged', (listener) => api.onCacheChanged(listener));
      await fillCaches(harness);
      await filled;
      // Subscribed after the fill's event arrived: whatever comes now is the status change's.
      const changed = nextEvent<CacheChanged>('cacheChanged', (listener) => api.onCacheChanged(listener));
      const op = await api.setGigStatus({ gigId: GIG_LEEDS, status: 'confirmed' });
      expect(op).toMatchObject({
        table: 'gigs',
        action: 'set_status',
        payload: { id: GIG_LEEDS, to: 'confirmed' },
        baseVersion: 2,
        status: 'pending',
        timestamp: Date.parse(NOW),
      });
      expect((await changed).topics).toContain('gigs');
      expect(await api.listQueue({ limit: 10 })).toEqual([op]);
      expect((await api.listGigs()).find((g) => g.id === GIG_LEEDS)).toMatchObject({ status: 'confirmed' });
    });

    it('refuses a transition the server would refuse (completed → draft) and queues nothing', async () => {
      await fillCaches(harness);
      expect(await failureOf(api.setGigStatus({ gigId: GIG_DONE, status: 'draft' }))).toEqual({
        code: 'conflict',
        message: 'a gig cannot go from completed to draft',
      });
      expect(await api.listQueue({ limit: 10 })).toEqual([]);
      expect((await api.getSyncStatus()).depth).toBe(0);
      expect((await api.listGigs()).find((g) => g.id === GIG_DONE)).toMatchObject({ status: 'completed', version: 7 });
    });

    it.each([
      [
        'getAssetHistory of an asset the station does not hold',
        (s: StationApi) => s.getAssetHistory({ assetId: ASSET_GONE }),
        'not_found',
        `no asset ${ASSET_GONE} on this station`,
      ],
      [
        'exportGigMovements of a gig the station does not hold',
        (s: StationApi) => s.exportGigMovements({ gigId: GIG_GONE }),
        'not_found',
        `no gig ${GIG_GONE} on this station`,
      ],
      [
        'exportGigMovements with no backend configured (the movements live on the server)',
        (s: StationApi) => s.exportGigMovements({ gigId: GIG_TOUR }),
        'not_configured',
        'no backend configured: set one in Settings first',
      ],
      [
        'setGigStatus of a gig the station does not hold',
        (s: StationApi) => s.setGigStatus({ gigId: GIG_GONE, status: 'confirmed' }),
        'not_found',
        `no gig ${GIG_GONE} on this station`,
      ],
      [
        'setGigStatus to the status the gig has',
        (s: StationApi) => s.setGigStatus({ gigId: GIG_TOUR, status: 'confirmed' }),
        'conflict',
        'Autumn tour is already confirmed',
      ],
      [
        'resolveConflicts of a conflict that is not there',
        (s: StationApi) => s.resolveConflicts({ ids: [GIG_TOUR], choice: 'keep_local' }),
        'not_found',
        `no conflict ${GIG_TOUR}`,
      ],
      [
        'signIn with no backend set',
        (s: StationApi) => s.signIn({ email: 'crew@example.com', password: 'x' }),
        'not_configured',
        'no backend configured: set one in Settings first',
      ],
    ])('a handler’s typed error arrives whole: %s', async (_label, call, code, message) => {
      await fillCaches(harness);
      expect(await failureOf(call(api))).toEqual({ code, message });
      expect(await api.listQueue({ limit: 10 })).toEqual([]);
    });

    it('submitScan of an unknown code answers with error feedback and pushes the same feedback as an event', async () => {
      const pushed = nextEvent<FeedbackView>('scanFeedback', (listener) => api.onScanFeedback(listener));
      const feedback = await api.submitScan({ code: 'NO-SUCH-CODE', deviceId: 'wedge' });
      expect(feedback).toMatchObject({
        kind: 'error',
        message: 'unknown barcode NO-SUCH-CODE',
        queued: [],
        scan: { deviceId: 'wedge', code: 'NO-SUCH-CODE' },
      });
      expect(await pushed).toEqual(feedback);
      expect(await api.listQueue({ limit: 10 })).toEqual([]);
    });

    it('getAssetHistory without a backend says why movements are missing and lists the asset’s and its case’s queued ops', async () => {
      await fillCaches(harness);
      const onAsset = await harness.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET_OUT } });
      const onCase = await harness.engine.enqueue({ table: 'cases', action: 'check_in', payload: { id: CASE } });
      await harness.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET_HOME } });
      expect(await api.getAssetHistory({ assetId: ASSET_OUT })).toEqual({
        movements: null,
        unavailable: 'no backend configured',
        pending: [
          { id: onAsset.id, action: 'assets.check_in', timestamp: Date.parse(NOW), gigId: null, status: 'pending' },
          { id: onCase.id, action: 'cases.check_in', timestamp: Date.parse(NOW), gigId: null, status: 'pending' },
        ],
      });
    });

    it('saveSettings changes the station name and getSettings reads it back', async () => {
      expect(await api.getSettings()).toEqual({ stationName: 'test-station', backendUrl: null, anonKey: null, signedInAs: null });
      const saved = await api.saveSettings({ stationName: '  Dock door 1 ' });
      expect(saved).toEqual({ stationName: 'Dock door 1', backendUrl: null, anonKey: null, signedInAs: null });
      expect(await api.getSettings()).toEqual(saved);
    });

    it('refuses to switch backend while an op is queued, and changes nothing', async () => {
      await harness.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET_HOME } });
      const before = await api.getSettings();
      expect(
        await failureOf(api.saveSettings({ stationName: 'Dock door 2', backend: { url: 'http://127.0.0.1:9', anonKey: 'a'.repeat(40) } })),
      ).toEqual({
        code: 'conflict',
        message: expect.stringMatching(/^1 op\(s\) for the current backend are not synced yet/) as unknown,
      });
      expect(await api.getSettings()).toEqual(before);
      expect(await api.listQueue({ limit: 10 })).toMatchObject([{ table: 'assets', payload: { id: ASSET_HOME } }]);
    });

    it('onSyncStatus delivers the queue’s new depth after an enqueue', async () => {
      const status = nextEvent<SyncStatusView>(
        'syncStatus',
        (listener) => api.onSyncStatus(listener),
        (s) => s.depth === 1,
      );
      await harness.engine.enqueue({ table: 'assets', action: 'check_in', payload: { id: ASSET_HOME } });
      expect(await status).toMatchObject({ depth: 1, pending: 1, conflicts: 0, quarantined: 0 });
    });
  });
}
