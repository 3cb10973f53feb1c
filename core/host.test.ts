import { describe, expect, it, vi } from 'vitest';
import type { SessionChange } from './backend-link';
import { createDispatcher } from './dispatch';
import { composeHost, type HostScanning } from './host';
import { seededRandom } from './random';
import type { ScanCatalog } from './scan/catalog';
import type { ScanPipeline } from './scan/pipeline';
import type { StationEventName, StationEventValues } from './station-api';
import type { StationViews } from './station-handlers';
import { MemoryStorage } from './store/memory-storage';
import { Queue } from './store/queue';
import { CacheIndex } from './store/cache-index';
import type { Clock } from './sync/engine';
import type { PullPage } from './sync/model';
import type { SyncTransport } from './sync/transport';

// The host composed once (core/host.ts), here over the in-memory store: what the station and the
// crew PWA each build from their platform parts.

/** Time that moves only when told to. */
class StepClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private ids = 0;
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.ids += 1;
    this.timers.set(this.ids, { at: this.current + ms, fn });
    return this.ids;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    this.current += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.current) continue;
      this.timers.delete(id);
      timer.fn();
    }
  }
}

const offline: SyncTransport = {
  push: () => Promise.reject(new Error('offline')),
  pull: () => Promise.reject(new Error('offline')),
  refreshSession: () => Promise.resolve(false),
};

const nothing: ScanCatalog = {
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

const noViews: StationViews = {
  listGigs: () => Promise.resolve([]),
  listAssets: () => Promise.resolve([]),
  myAssignments: () => Promise.resolve([]),
  pickList: (gigId) => Promise.resolve({ gigId, mode: 'check_out', groups: [], totals: { planned: 0, scanned: 0, missing: 0, extra: 0 } }),
  queuedFor: () => Promise.resolve([]),
  planTables: () => Promise.reject(new Error('no plans on this host')),
};

/** A host without devices, as the phone has. */
class NoDevices implements HostScanning {
  stopped = false;
  constructor(private readonly pipeline: ScanPipeline) {}
  list(): [] {
    return [];
  }
  configs(): Promise<[]> {
    return Promise.resolve([]);
  }
  discover(): Promise<{ serial: []; hid: []; hidUnavailable: string }> {
    return Promise.resolve({ serial: [], hid: [], hidUnavailable: 'none here' });
  }
  save(): Promise<never> {
    return Promise.reject(new Error('no devices'));
  }
  submit(input: { code: string; deviceId: string }): ReturnType<ScanPipeline['process']> {
    return this.pipeline.process({ ...input, receivedAt: 0 }, 'any');
  }
  setTest(): { testing: false } {
    return { testing: false };
  }
  state(): ReturnType<ScanPipeline['state']> {
    return this.pipeline.state();
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

let ids = 0;
const newId = (): string => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`;
const GIG = '00000000-0000-4000-8000-000000000001';
const OLD = { url: 'http://127.0.0.1:9/old', anonKey: 'old-key' };
const NEW = { url: 'https://new-project.supabase.co', anonKey: 'new-anon-key-of-the-new-project' };

function host(transport: SyncTransport = offline) {
  const clock = new StepClock(Date.UTC(2026, 10, 25, 9));
  const store = new Queue(new MemoryStorage(), { newId, clock: () => clock.now(), devicePrefix: 'test-' });
  const logged: string[] = [];
  let devices: NoDevices | null = null;
  const composed = composeHost({
    store,
    backend: { saved: OLD, launchDefault: null, defaultStationName: 'test', autoRefreshToken: false },
    transport,
    clock,
    random: seededRandom(1),
    newId,
    log: (line) => logged.push(line),
    catalog: nothing,
    index: new CacheIndex(store),
    views: noViews,
    scanning: (pipeline) => (devices = new NoDevices(pipeline)),
  });
  const heard: { event: StationEventName; value: unknown }[] = [];
  const emit = <E extends StationEventName>(event: E, value: StationEventValues[E]): void => void heard.push({ event, value });
  const unsubscribe = composed.subscribe(emit);
  const dispatch = createDispatcher(composed.handlers({ appVersion: '9.9.9', host: 'pwa', platform: 'test' }));
  return { clock, store, composed, heard, unsubscribe, dispatch, logged, devices: () => devices };
}

describe('composeHost', () => {
  it('answers StationApi with the platform’s name and the injected clock’s time', async () => {
    const { dispatch, clock } = host();
    clock.advance(5000);
    const info = await dispatch({ method: 'getInfo', args: [], trustedSender: true });
    expect(info).toMatchObject({ ok: true, value: { appVersion: '9.9.9', host: 'pwa', platform: 'test', backendUrl: OLD.url } });
    const ping = await dispatch({ method: 'ping', args: [{ message: 'hi' }], trustedSender: true });
    expect(ping).toMatchObject({ ok: true, value: { receivedAt: new Date(clock.now()).toISOString() } });
  });

  it('fans a scan, its feedback and a coalesced cache change out to the subscriber', async () => {
    const { dispatch, heard, store, clock } = host();
    const answer = await dispatch({ method: 'submitScan', args: [{ code: 'NOPE-1', deviceId: 'camera' }], trustedSender: true });
    expect(answer.ok).toBe(true);
    expect(heard.map((h) => h.event)).toEqual(['scan', 'scanFeedback']);
    expect(heard[0]?.value).toMatchObject({ code: 'NOPE-1', deviceId: 'camera' });

    heard.length = 0;
    const row = { id: GIG, code: 'GIG-000001', name: 'Main Stage', status: 'confirmed', version: 1 };
    await store.applyPull({ changes: { gigs: [row] }, tombstones: [], cursor: '1:1', has_more: false }, (server) => server);
    await store.applyPull({ changes: { gigs: [{ ...row, version: 2 }] }, tombstones: [], cursor: '1:2', has_more: false }, (s) => s);
    expect(heard.filter((h) => h.event === 'cacheChanged')).toEqual([]);
    clock.advance(150);
    // Two pulls, one reload, and only the gig screens.
    expect(heard.filter((h) => h.event === 'cacheChanged')).toEqual([{ event: 'cacheChanged', value: { topics: ['gigs'] } }]);
  });

  it('tells session followers of a backend switch while the old backend is current, before its data goes', async () => {
    const { composed, dispatch } = host();
    const seen: string[] = [];
    composed.onSessionChange(async (change: SessionChange) => {
      await Promise.resolve();
      seen.push(`${change.kind} at ${composed.backend.url ?? 'none'}`);
    });
    const saved = await dispatch({ method: 'saveSettings', args: [{ backend: NEW }], trustedSender: true });
    expect(saved).toMatchObject({ ok: true, value: { backendUrl: NEW.url } });
    expect(seen).toEqual([`switching-backend at ${OLD.url}`]);
    await dispatch({ method: 'signOut', args: [], trustedSender: true });
    expect(seen).toEqual([`switching-backend at ${OLD.url}`, `signing-out at ${NEW.url}`]);
  });

  it('a pull of the old backend answered during a backend switch leaves none of its rows or cursor in the new copy', async () => {
    let answer: (page: PullPage) => void = () => undefined;
    const page = new Promise<PullPage>((resolve) => (answer = resolve));
    let asked = 0;
    const late: SyncTransport = {
      ...offline,
      // The old backend's one late answer; the new backend (after the switch) is not reachable.
      pull: () => {
        asked += 1;
        return asked === 1 ? page : Promise.reject(new Error('offline'));
      },
    };
    const { composed, dispatch, store } = host(late);
    const pulling = composed.engine.pull();
    const switching = dispatch({ method: 'saveSettings', args: [{ backend: NEW }], trustedSender: true });
    // The old backend answers only now, while the switch waits for it.
    await vi.waitFor(() => expect(asked).toBe(1));
    answer({ changes: { gigs: [{ id: GIG, name: 'Old backend gig', version: 1 }] }, tombstones: [], cursor: '7:1', has_more: false });
    await pulling;
    expect(await switching).toMatchObject({ ok: true, value: { backendUrl: NEW.url } });
    expect(await store.getCached('gigs', GIG)).toBeNull();
    expect(await store.cursor()).toBeNull();
  });

  it('reports a failing sync status listener in the host’s log, and the others still hear', async () => {
    const { composed, heard, logged } = host();
    composed.engine.subscribe(() => {
      throw new Error('screen gone');
    });
    await composed.engine.syncNow();
    expect(heard.some((h) => h.event === 'syncStatus')).toBe(true);
    expect(logged).toContain('a sync status listener failed: screen gone');
  });

  it('stops the engine, the platform’s scanning and the store; the subscriber hears nothing after unsubscribing', async () => {
    const { composed, unsubscribe, heard, dispatch, devices } = host();
    unsubscribe();
    await dispatch({ method: 'submitScan', args: [{ code: 'NOPE-2', deviceId: 'camera' }], trustedSender: true });
    expect(heard).toEqual([]);
    await composed.stop();
    expect(devices()?.stopped).toBe(true);
    expect(composed.scanning).toBe(devices());
  });
});
