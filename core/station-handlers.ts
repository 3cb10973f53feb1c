import type { StationHandlers } from './dispatch';
import { StationError } from './errors';
import type { ScannerConfig } from './scanner/config';
import type { StationArgs, StationInfo, StationReturn } from './station-api';
import { buildMyGigs } from './views/my-gigs';
import {
  GIG_STATUS_TRANSITIONS,
  type AssetListItem,
  type GigListItem,
  type GigMovement,
  type Movement,
  type PickListView,
  type StationSettings,
} from './station-views';
import type { SyncEngine } from './sync/engine';
import type { QueuedOp } from './sync/model';
import { conflictView, type ConflictContext } from './sync/conflict-choices';
import type { Conflict } from './sync/model';
import { opLabel, quarantineLabel, type CachedLookup } from './sync/quarantine-words';
import { gigStatusChoices, opAllowed, roleIn, roleWords, type KnownRoles } from './sync/roles';
import type { QueueStore } from './sync/queue-store';
import { decodeRow } from './sync/rows';
import type { Planning } from './planning/planning';
import type { ScanPipeline } from './scan/pipeline';
import type { AuditReport } from './audit/report-schema';
import type { OpenAudit, StockTakes } from './audit/stock-take';
import type { LabelSources } from './labels/sources';
import type { PlaceEdit } from './places/places';
import type { PlanTables } from './store/views';
import { deviceWords } from './views/device-words';
import { movementsCsv, movementsFileName } from './views/movements-csv';

/** Which backend, the session, and the server-side reads the screens need. */
export interface StationBackend {
  readonly url: string | null;
  settings(): Promise<StationSettings>;
  setStationName(name: string): Promise<void>;
  configure(next: { url: string; anonKey: string }): Promise<void>;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  assetHistory(assetId: string): Promise<{ movements: Movement[] } | { unavailable: string }>;
  /** A gig's and its sets' movements, oldest first; throws a StationError offline or for an unknown gig. */
  gigMovements(gigId: string): Promise<GigMovement[]>;
  /** The signed-in person's roles as last known (offline too); null when never learnt. */
  knownRoles(): Promise<KnownRoles | null>;
  /** A stock-take's report from the server (StationError offline or for an unknown audit). */
  auditReport(auditId: string): Promise<AuditReport>;
  /** The stock-takes open in the signed-in person's companies (StationError offline). */
  openAudits(): Promise<OpenAudit[]>;
}

/** The screens' lists, read from the station's caches. */
export interface StationViews {
  listGigs(): Promise<GigListItem[]>;
  listAssets(): Promise<AssetListItem[]>;
  /** Gig assignments of the staff profile with this email. */
  myAssignments(email: string): Promise<{ gigId: string; role: string }[]>;
  pickList(gigId: string, mode?: PickListView['mode']): Promise<PickListView>;
  /** Queued ops on the asset or on the case it is in. */
  queuedFor(assetId: string, caseId: string | null): Promise<QueuedOp[]>;
  /** The cached rows planning reads (core/planning). */
  planTables(): Promise<PlanTables>;
}

/** Scanners and the scan session (a phone has no serial or HID devices: empty lists). */
export interface StationScanning {
  list(): StationReturn<'listScanners'>;
  configs(): Promise<ScannerConfig[]>;
  discover(): Promise<StationReturn<'discoverScanners'>>;
  save(configs: ScannerConfig[]): Promise<StationReturn<'saveScanners'>>;
  submit(input: StationArgs<'submitScan'>[0]): Promise<StationReturn<'submitScan'>>;
  /** Scans become test scans for `seconds` (0 ends it). */
  setTest(seconds: number): StationReturn<'setScannerTest'>;
  state(): Promise<StationReturn<'getScanState'>>;
}

export interface StationHandlerContext {
  appVersion: string;
  host: StationInfo['host'];
  platform: string;
  startedAt: Date;
  now: () => Date;
  /** Gig plans: read and edited (core/planning). */
  planning: Planning;
  /** Scans add to this gig's pick list for `seconds` (null or 0 ends it); the gig planned now. */
  planScan: (gigId: string | null, seconds: number) => string | null;
  /** The stock-take open on this device (core/audit/stock-take.ts). */
  stockTakes: StockTakes;
  /** Scans go to the open stock-take for `seconds` (0 ends it); whether they do now. */
  auditScan: (seconds: number) => boolean;
  /** Sets up the places (core/places/places.ts). */
  editPlace: (edit: PlaceEdit) => Promise<QueuedOp>;
  rights: () => Promise<StationReturn<'getRights'>>;
  /** Claims a pre-printed label for a new item (core/places/places.ts claimCode). */
  claimCode: (input: StationArgs<'claimCode'>[0]) => Promise<QueuedOp>;
  /** What labels are printed from (core/labels/sources.ts). */
  labels: LabelSources;
  /** The open stock-take's scans in turn with every other scan (core/scan/pipeline.ts). */
  stockTakeTurns: Pick<ScanPipeline, 'claimLabel' | 'stockTakeScan' | 'serially'>;
  sync: { engine: SyncEngine; store: QueueStore };
  scanning: StationScanning;
  backend: StationBackend;
  views: StationViews;
  /** The host's recent log lines (the station's rotating log; none in the PWA). */
  recentLog?: (count: number) => string[];
}

/**
 * StationApi's implementation over the station's services, wherever they run: Electron's main
 * process and the browser host (SQLite, devices) or the crew PWA's page (IndexedDB, no devices).
 */
export function createStationHandlers(context: StationHandlerContext): StationHandlers {
  const { engine, store } = context.sync;
  const { scanning, backend, views, planning, stockTakes, stockTakeTurns: turns } = context;
  const info = (): StationInfo => ({
    appName: 'GigManager Station',
    appVersion: context.appVersion,
    host: context.host,
    platform: context.platform,
    backendUrl: backend.url,
    startedAt: context.startedAt.toISOString(),
  });
  const lookup: CachedLookup = (table, id) => store.getCached(table, id);
  /** The signed-in role in an organization, as last known. */
  const roleFor = async (orgId: unknown) => roleIn(await backend.knownRoles(), (await backend.settings()).signedInAs, orgId);
  /** The station's warehouse as saved, in words (a warehouse removed since reads as none). */
  const stationWarehouse = async (): Promise<StationReturn<'getStationWarehouse'>> => {
    const id = await store.settings.stationWarehouse.get();
    const place = id === null ? undefined : (await stockTakes.places()).find((p) => p.id === id && p.kind === 'warehouse');
    return place === undefined ? { warehouseId: null, name: null } : { warehouseId: place.id, name: `${place.name} (${place.code})` };
  };
  /** This device as deviceWords names it ("this station (Dock door A)"). */
  const ownDevice = async (): Promise<{ id: string; name: string }> => ({
    id: await store.deviceId(),
    name: (await backend.settings()).stationName,
  });
  /** What conflictView needs, read once per list: the role, the clock, and (online) the server's history. */
  const conflictContext = async (): Promise<(conflict: Conflict) => ConflictContext> => {
    const known = await backend.knownRoles();
    const { signedInAs } = await backend.settings();
    const online = (await engine.status()).online;
    const own = await ownDevice();
    const now = context.now().getTime();
    return (conflict) => ({
      lookup,
      role: roleIn(known, signedInAs, conflict.serverRow?.['org_id']),
      now,
      lastMovement: online
        ? async (assetId) => {
            const history = await backend.assetHistory(assetId);
            const last = 'movements' in history ? history.movements[0] : undefined;
            return last === undefined
              ? null
              : { at: Date.parse(last.occurred_at), staffName: last.staff_name, device: deviceWords(last.device_id, own) };
          }
        : undefined,
    });
  };
  return {
    getInfo: () => Promise.resolve(info()),
    getDiagnostics: async () => {
      const settings = await backend.settings();
      return {
        generatedAt: context.now().toISOString(),
        info: info(),
        sync: await engine.status(),
        // The anon key is left out with the session: a bundle gets mailed around.
        settings: { stationName: settings.stationName, backendUrl: settings.backendUrl, signedInAs: settings.signedInAs },
        scanners: scanning.list(),
        log: context.recentLog?.(500) ?? [],
      };
    },
    ping: (input) => Promise.resolve({ message: input.message, receivedAt: context.now().toISOString() }),
    getSyncStatus: () => engine.status(),
    syncNow: async () => {
      await engine.syncNow();
      return engine.status();
    },
    verifyCopy: async () => {
      // Verified or not, the status says so; a check that could not come to an answer says why.
      const outcome = await engine.verifyNow();
      const status = await engine.status();
      if (outcome === 'moved')
        throw new StationError('conflict', 'the server kept changing while this copy was checked; it is checked again within minutes');
      if (outcome === 'unsupported')
        throw new StationError('handler_failed', 'this server cannot check a copy (sync_verify is missing): update the backend');
      if (outcome === 'failed' || outcome === 'not_checked')
        throw new StationError('offline', `the check did not reach the server: ${status.lastError ?? 'no answer'}`);
      return status;
    },
    repairCopy: async () => {
      await engine.repair();
      return engine.status();
    },
    setSyncScope: async (scope) => {
      await store.settings.syncScope.set(scope);
      // Offline the scope is kept and the copy follows it at the next pull; the status says where it stands.
      await engine.rescope();
      return engine.status();
    },
    listQueue: ({ limit }) => store.listQueue(limit),
    listConflicts: async () => {
      const conflicts = await store.conflicts();
      const context = await conflictContext();
      return Promise.all(conflicts.map(async (conflict) => ({ ...conflict, view: await conflictView(conflict, context(conflict)) })));
    },
    resolveConflicts: async ({ ids, choice }) => {
      if (choice === 'keep_local') {
        // A choice the server would refuse is refused here, before anything is resolved: a
        // Select all → Keep Local must not quarantine the ones that cannot work.
        const wanted = new Set(ids);
        const context = await conflictContext();
        for (const conflict of (await store.conflicts()).filter((c) => wanted.has(c.id))) {
          const view = await conflictView(conflict, context(conflict));
          if (!view.choices.keep_local.allowed)
            throw new StationError(
              'conflict',
              `${view.title}: ${view.choices.keep_local.text.replace(/^Keep local: not offered — /, 'Keep Local is not offered: ')}`,
            );
        }
      }
      await engine.resolveConflicts(ids, choice);
      return { resolved: ids.length };
    },
    listQuarantine: async () =>
      Promise.all(
        (await store.quarantined()).map(async (entry) => ({
          ...entry,
          label: await quarantineLabel(entry, (table, id) => store.getCached(table, id)),
        })),
      ),
    labelOps: async ({ ids }) => {
      const wanted = new Set(ids);
      const ops = (await store.listQueue(1000)).filter((op) => wanted.has(op.id));
      return Promise.all(ops.map(async (op) => ({ id: op.id, label: await opLabel(op, lookup) })));
    },
    retryQuarantined: async ({ id }) => {
      await engine.retryQuarantined(id);
      return engine.status();
    },
    discardQuarantined: async ({ id }) => {
      await engine.discardQuarantined(id);
      return engine.status();
    },
    listScanners: () => Promise.resolve(scanning.list()),
    getScannerConfigs: () => scanning.configs(),
    discoverScanners: () => scanning.discover(),
    saveScanners: ({ scanners }) => scanning.save(scanners),
    submitScan: (input) => scanning.submit(input),
    setScannerTest: ({ seconds }) => Promise.resolve(scanning.setTest(seconds)),
    getScanState: () => scanning.state(),
    listGigs: () => views.listGigs(),
    listAssets: () => views.listAssets(),
    listMyGigs: async () => {
      const { signedInAs } = await backend.settings();
      return signedInAs === null ? [] : buildMyGigs(await views.listGigs(), await views.myAssignments(signedInAs));
    },
    getPickList: ({ gigId, mode }) => views.pickList(gigId, mode),
    getAssetHistory: async ({ assetId }) => {
      const asset = decodeRow('assets', await store.getCached('assets', assetId));
      if (asset === null) throw new StationError('not_found', `no asset ${assetId} on this station`);
      const pending = (await views.queuedFor(assetId, asset.caseId)).map((op) => ({
        id: op.id,
        action: `${op.table}.${op.action}`,
        timestamp: op.timestamp,
        gigId: typeof op.payload['gig_id'] === 'string' ? op.payload['gig_id'] : null,
        status: op.status,
      }));
      const server = await backend.assetHistory(assetId);
      const own = await ownDevice();
      return 'movements' in server
        ? { movements: server.movements.map((m) => ({ ...m, device: deviceWords(m.device_id, own) })), unavailable: null, pending }
        : { movements: null, unavailable: server.unavailable, pending };
    },
    exportGigMovements: async ({ gigId }) => {
      const gig = decodeRow('gigs', await store.getCached('gigs', gigId));
      if (gig === null) throw new StationError('not_found', `no gig ${gigId} on this station`);
      const rows = await backend.gigMovements(gigId);
      return { fileName: movementsFileName(gig, context.now().getTime()), csv: movementsCsv(rows, await ownDevice()), rows: rows.length };
    },
    getGigActions: async ({ gigId }) => {
      const raw = await store.getCached('gigs', gigId);
      const gig = decodeRow('gigs', raw);
      if (gig === null) throw new StationError('not_found', `no gig ${gigId} on this station`);
      return gigStatusChoices(gig.status, await roleFor(raw?.['org_id']));
    },
    setGigStatus: async ({ gigId, status }) => {
      const raw = await store.getCached('gigs', gigId);
      const gig = decodeRow('gigs', raw);
      if (gig === null) throw new StationError('not_found', `no gig ${gigId} on this station`);
      const role = await roleFor(raw?.['org_id']);
      if (role !== null && !opAllowed(role, 'gigs', 'set_status'))
        throw new StationError('forbidden', `signed in as ${roleWords(role)}: a gig's status is changed by a manager or an admin`);
      if (gig.status === status) throw new StationError('conflict', `${gig.name} is already ${status}`);
      if (!GIG_STATUS_TRANSITIONS[gig.status].includes(status))
        throw new StationError('conflict', `a gig cannot go from ${gig.status} to ${status}`);
      return engine.enqueue({ table: 'gigs', action: 'set_status', payload: { id: gigId, to: status }, base_version: gig.version });
    },
    getGigPlan: ({ gigId }) => planning.plan(gigId),
    listOverdueReturns: () => planning.overdue(),
    editPlan: (edit) => planning.editPlan(edit),
    editGig: (edit) => planning.editGig(edit),
    setPlanScan: ({ gigId, seconds }) => Promise.resolve({ gigId: context.planScan(gigId, seconds) }),
    listPlaces: () => stockTakes.places(),
    getStockTake: () => stockTakes.view(),
    startStockTake: (input) => turns.serially(() => stockTakes.start(input)),
    listOpenStockTakes: () => backend.openAudits(),
    joinStockTake: async ({ auditId }) => {
      const audit = (await backend.openAudits()).find((a) => a.id === auditId);
      if (audit === undefined) throw new StationError('not_found', 'that stock-take is not open (it may have been closed)');
      return turns.serially(() => stockTakes.join({ id: audit.id, locationId: audit.location_id, category: audit.category }));
    },
    setStockTakeScan: ({ seconds }) => Promise.resolve({ auditing: context.auditScan(seconds) }),
    submitStockTakeScan: ({ code, deviceId, quantity }) =>
      turns.stockTakeScan({ code, deviceId, receivedAt: context.now().getTime() }, quantity),
    claimLabel: ({ deviceId, ...input }) => turns.claimLabel(input, { code: input.code, deviceId, receivedAt: context.now().getTime() }),
    closeStockTake: ({ adjust }) => turns.serially(() => stockTakes.close(adjust)),
    leaveStockTake: async () => {
      await turns.serially(() => stockTakes.leave());
      return { left: true as const };
    },
    getAuditReport: ({ auditId }) => backend.auditReport(auditId),
    editPlace: (edit) => context.editPlace(edit),
    getRights: () => context.rights(),
    claimCode: (input) => context.claimCode(input),
    getStationWarehouse: () => stationWarehouse(),
    setStationWarehouse: async ({ warehouseId }) => {
      if (warehouseId === null) await store.settings.stationWarehouse.clear();
      else {
        const place = (await stockTakes.places()).find((p) => p.id === warehouseId);
        if (place?.kind !== 'warehouse') throw new StationError('not_found', 'that warehouse is not on this station (sync first)');
        await store.settings.stationWarehouse.set(warehouseId);
      }
      return stationWarehouse();
    },
    listLabels: (query) => context.labels.list(query),
    getCaseSheet: ({ caseId }) => context.labels.sheet(caseId),
    markSheetPrinted: async ({ caseId, reference }) => {
      await context.labels.printedSheet(caseId, reference);
      return { caseId, reference };
    },
    getSettings: () => backend.settings(),
    saveSettings: async ({ stationName, backend: next }) => {
      if (next !== undefined) {
        await backend.configure(next);
        void engine.syncNow();
      }
      if (stationName !== undefined) await backend.setStationName(stationName);
      return backend.settings();
    },
    signIn: async ({ email, password }) => {
      await backend.signIn(email, password);
      void engine.syncNow();
      return backend.settings();
    },
    signOut: async () => {
      await backend.signOut();
      return backend.settings();
    },
  };
}
