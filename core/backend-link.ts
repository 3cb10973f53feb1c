import { createClient, REALTIME_SUBSCRIBE_STATES, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { StationError, errorMessage } from './errors';
import { Observers } from './observers';
import type { StationBackend } from './station-handlers';
import type { SavedBackend, SessionStorage, Settings } from './store/settings';
import { gigMovementSchema, movementSchema, type GigMovement, type Movement, type StationSettings } from './station-views';
import type { QueueStats } from './sync/model';
import { MEMBER_ROLES, type KnownRoles } from './sync/roles';
import { supabaseTransport } from './sync/supabase-transport';
import { auditReportSchema, type AuditReport } from './audit/report-schema';
import { openAuditSchema, type OpenAudit } from './audit/stock-take';

/** What went wrong reading a stock-take's answer from the server, in words. */
function auditWords(what: string): ServerWords {
  return {
    offline: `${what} come from the server: connect and try again`,
    notFound: 'the server has no such stock-take for this account',
    unauthorized: `sign in again to read ${what}`,
    refused: `the server refused ${what}`,
  };
}

/** Words for a read-only RPC's failures: offline, PT404, 401, and any other refusal (followed by the server's message). */
interface ServerWords {
  offline: string;
  notFound: string;
  unauthorized: string;
  refused: string;
  timeoutMs?: number;
}
import { TransportError, type SyncTransport } from './sync/transport';

/** What the link keeps in the station's store: settings, the session, and a reset for a new backend. */
export interface BackendStore {
  /** The saved backend and the station's name, each in its typed home (core/store/settings.ts). */
  readonly settings: Pick<Settings, 'backend' | 'stationName' | 'memberRoles' | 'syncScope'>;
  /** Where supabase-js keeps the signed-in session, so a restart stays signed in. */
  readonly session: SessionStorage;
  stats(): Promise<QueueStats>;
  /** Another backend's data must not linger: empty the caches and forget the pull cursor. */
  resetForNewBackend(): Promise<void>;
}

export interface BackendLinkOptions {
  /** The saved backend as read from the store (null when none, or when it no longer reads). */
  saved: BackendConfig | null;
  /** The launch default (environment, build configuration); a saved backend wins. */
  launchDefault: BackendConfig | null;
  defaultStationName: string;
  /**
   * Refresh the session on a timer (default). A service worker's short-lived link does not: it
   * refreshes when a request needs it, and leaves no timer behind when it is done.
   */
  autoRefreshToken?: boolean;
  /** The host's clock (when the roles were read); the system's by default. */
  now?: () => number;
}

export type BackendConfig = SavedBackend;

/**
 * What happens to the session, for services that follow it (the crew app's push subscription).
 * `signing-out` and `switching-backend` are awaited while the old session still exists (and, for
 * a switch, only once it is allowed); `signed-in` is told after the sign-in succeeded.
 */
export type SessionChange =
  { kind: 'signed-in' } | { kind: 'signing-out' } | { kind: 'switching-backend'; from: string | null; to: string };

/**
 * What the server's Realtime channels tell (migration 20261207000100): a commit in one of the
 * member's companies (`poke`: pull now), and whether every one of them is joined (`live`).
 */
export type LiveEvent = { kind: 'poke' } | { kind: 'live'; live: boolean };

/** A browser's push subscription as the backend stores it (keys base64url). */
export interface PushSubscriptionRecord {
  endpoint: string;
  p256dh: string;
  auth: string;
  userAgent: string | null;
}

/** Work that belongs to the current backend and would be lost by a switch: queued, in conflict or quarantined. */
export function unsyncedCount(stats: Pick<QueueStats, 'depth' | 'conflicts' | 'quarantined'>): number {
  return stats.depth + stats.conflicts + stats.quarantined;
}

const hours = z.number().int().min(0).max(720);
const membershipsSchema = z.array(
  z.object({
    org_id: z.uuid(),
    role: z.enum(MEMBER_ROLES),
    // Availability's prep and return buffers (absent from a server before migration 20261204000600).
    prep_buffer_hours: hours.optional(),
    return_buffer_hours: hours.optional(),
  }),
);
/** Roles read longer ago than this are read again when asked for (in the background). */
const ROLES_FRESH_MS = 10 * 60_000;

/** The platform's timers (Node, a page, a worker), for rejoining a closed channel later. */
const timers = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };

/** The companies a member's channels are for, as one comparable key. */
function orgKey(roles: KnownRoles): string {
  return roles.roles
    .map((r) => r.orgId)
    .sort()
    .join(' ');
}

const vapidKeySchema = z.object({ vapid_public_key: z.string().regex(/^[A-Za-z0-9_-]{86,88}={0,2}$/) });

/**
 * The station's link to its Supabase project: which backend (a saved setting wins over the
 * launch default), the signed-in session, and a sync transport that always goes through the
 * current client — so switching backend or account needs no new engine.
 */
export class BackendLink implements StationBackend {
  private config: BackendConfig | null;
  private client: SupabaseClient | null = null;
  private inner: Required<SyncTransport> | null = null;
  /** A backend switch is under way (configure): sync requests wait for the new one. */
  private switching = false;
  /** Session changes (Settings, invite links and sign-in alike); a listener that fails is reported, never blocks. */
  readonly changes = new Observers<SessionChange>();
  /** Pokes and whether they arrive, while the host listens (listen / unlisten). */
  readonly live = new Observers<LiveEvent>();
  private listening = false;
  /** The channels joined for the current session, on the client that owns them. */
  private channels: { client: SupabaseClient; channel: RealtimeChannel }[] = [];
  private readonly joined = new Set<RealtimeChannel>();
  /** The companies listened to (sorted ids), to listen again only when they change. */
  private listenedOrgs = '';
  private toldLive = false;
  /** Bumped whenever the channels are dropped: a channel's late status from before is ignored. */
  private generation = 0;
  private rejoinTimer: unknown = null;
  private rejoins = 0;

  constructor(
    private readonly store: BackendStore,
    private readonly options: BackendLinkOptions,
  ) {
    this.config = options.saved ?? options.launchDefault;
    this.connect();
  }

  private connect(): void {
    if (this.config === null) {
      this.client = null;
      this.inner = null;
      return;
    }
    this.client = createClient(this.config.url, this.config.anonKey, {
      auth: {
        storage: this.store.session,
        persistSession: true,
        autoRefreshToken: this.options.autoRefreshToken ?? true,
        detectSessionInUrl: false,
      },
    });
    this.inner = supabaseTransport(this.client, { timeoutMs: 15_000 });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  get url(): string | null {
    return this.config?.url ?? null;
  }

  readonly transport: SyncTransport = {
    push: (deviceId, ops, options) => this.current().push(deviceId, ops, options),
    pull: (cursor, limit, scope) => this.current().pull(cursor, limit, scope),
    snapshot: (table, after, limit, scope) => this.current().snapshot(table, after, limit, scope),
    verify: (cursor, scope) => this.current().verify(cursor, scope),
    refreshSession: () => this.current().refreshSession(),
  };

  private current(): Required<SyncTransport> {
    if (this.switching) throw new TransportError('network', 'switching backend: sync resumes once it is connected');
    if (this.inner === null) throw new TransportError('network', 'no backend configured: set one in Settings');
    return this.inner;
  }

  async settings(): Promise<StationSettings> {
    const session = this.client === null ? null : (await this.client.auth.getSession()).data.session;
    return {
      stationName: (await this.store.settings.stationName.get()) ?? this.options.defaultStationName,
      backendUrl: this.config?.url ?? null,
      anonKey: this.config?.anonKey ?? null,
      signedInAs: session?.user.email ?? null,
    };
  }

  async setStationName(name: string): Promise<void> {
    await this.store.settings.stationName.set(name);
  }

  /**
   * Points the station at another project. Queued work belongs to the old one, so the switch is
   * refused while anything is queued, in conflict or quarantined; the caches and the pull cursor
   * are the old project's and are dropped, and so is its session.
   */
  async configure(next: BackendConfig): Promise<void> {
    if (this.config?.url === next.url && this.config.anonKey === next.anonKey) return;
    const unsent = unsyncedCount(await this.store.stats());
    if (unsent > 0) {
      throw new StationError(
        'conflict',
        `${unsent} op(s) for ${this.config?.url ?? 'the current backend'} are not synced yet (queued, in conflict or quarantined); sync or discard them before switching backend`,
      );
    }
    // From here until the new backend is connected no sync request starts: one started now would
    // bring the old backend's rows into the new backend's copy (the engine waits for those in flight).
    this.switching = true;
    try {
      // First: a poke now would start a pull the switch refuses (the device would look offline).
      await this.dropChannels(true);
      await this.changes.emitAndWait({ kind: 'switching-backend', from: this.config?.url ?? null, to: next.url });
      // The old backend's session goes with its client and its caches either way (reset below); a
      // local sign-out that fails leaves nothing the new backend could use.
      await this.client?.auth.signOut({ scope: 'local' }).catch(() => undefined);
      await this.store.resetForNewBackend();
      await this.store.settings.memberRoles.clear();
      // The scope names the old backend's gigs.
      await this.store.settings.syncScope.clear();
      await this.store.settings.backend.set(next);
      this.config = next;
      this.connect();
    } finally {
      this.switching = false;
    }
    this.relistenQuietly();
  }

  async signIn(email: string, password: string): Promise<void> {
    if (this.client === null) throw new StationError('not_configured', 'no backend configured: set one in Settings first');
    const { error } = await this.client.auth.signInWithPassword({ email, password });
    if (error !== null) throw new StationError('unauthorized', `sign-in failed: ${error.message}`);
    // The screens offer what this role may do; a station that cannot read it now learns it later.
    await this.refreshRoles().catch(() => undefined);
    this.changes.emit({ kind: 'signed-in' });
    this.relistenQuietly();
  }

  async signOut(): Promise<void> {
    await this.changes.emitAndWait({ kind: 'signing-out' });
    await this.dropChannels(true);
    await this.client?.auth.signOut({ scope: 'local' });
    await this.store.settings.memberRoles.clear();
  }

  /**
   * The signed-in person's roles as last read from the server (null: never read, or someone
   * else's). Read again in the background when older than ROLES_FRESH_MS: a role changed by an
   * admin reaches the screens without a new sign-in; offline, the last known role applies.
   */
  async knownRoles(): Promise<KnownRoles | null> {
    const known = await this.store.settings.memberRoles.get();
    if (known === null || this.now() - known.readAt > ROLES_FRESH_MS) {
      const refreshed = this.refreshRoles().catch(() => null);
      // Never read: wait for the server once (bounded by the request's timeout).
      if (known === null) return refreshed;
    }
    return known;
  }

  /** Reads the signed-in person's memberships from the server and keeps them (and listens to a company joined or left). */
  async refreshRoles(): Promise<KnownRoles | null> {
    const known = await this.readRoles();
    if (known !== null && this.listening && orgKey(known) !== this.listenedOrgs) this.relistenQuietly();
    return known;
  }

  private async readRoles(): Promise<KnownRoles | null> {
    if (this.client === null) return null;
    const session = (await this.client.auth.getSession()).data.session;
    if (session?.user.email === undefined) return null;
    // public.my_memberships: the caller's own (clients hold no table privileges).
    const answer = await this.client.rpc('my_memberships').abortSignal(AbortSignal.timeout(5000));
    const data: unknown = answer.data;
    const { error } = answer;
    if (error !== null) throw new Error(`the roles could not be read: ${error.message}`);
    const parsed = membershipsSchema.safeParse(data);
    if (!parsed.success) throw new Error('the server answered the roles in an unexpected shape');
    const known: KnownRoles = {
      email: session.user.email,
      roles: parsed.data.map((m) => ({
        orgId: m.org_id,
        role: m.role,
        ...(m.prep_buffer_hours === undefined || m.return_buffer_hours === undefined
          ? {}
          : { buffers: { prepHours: m.prep_buffer_hours, returnHours: m.return_buffer_hours } }),
      })),
      readAt: this.now(),
    };
    await this.store.settings.memberRoles.set(known);
    return known;
  }

  /**
   * Joins the private Realtime channel of each of the signed-in member's companies (again after a
   * sign-in, a switch, or a change of companies) and tells `live` what it hears. The channels
   * rejoin by themselves after the network or the service comes back (supabase-js).
   */
  async listen(): Promise<void> {
    this.listening = true;
    await this.relisten();
  }

  async unlisten(): Promise<void> {
    this.listening = false;
    await this.dropChannels(true);
  }

  private relistenQuietly(): void {
    // Offline or signed out, nothing is joined and the poll goes on; the next sign-in or role read tries again.
    if (this.listening) void this.relisten().catch(() => undefined);
  }

  private async relisten(): Promise<void> {
    // The generation is this call's from before anything is awaited: a later relisten, sign-out or
    // switch bumps it, and this one stops at its next step (two at once joined every channel twice).
    const leaving = this.dropChannels(false);
    const generation = this.generation;
    await leaving;
    const client = this.client;
    if (!this.listening || client === null || generation !== this.generation) return;
    const session = (await client.auth.getSession()).data.session;
    if (session === null) return;
    const stored = await this.store.settings.memberRoles.get();
    const email = session.user.email?.toLowerCase();
    const roles = stored !== null && stored.email.toLowerCase() === email ? stored : await this.readRoles().catch(() => null);
    if (roles === null || generation !== this.generation || client !== this.client) return;
    // Private channels join with the member's JWT (else with the anon key, which RLS refuses).
    await client.realtime.setAuth().catch(() => undefined);
    if (generation !== this.generation) return;
    this.listenedOrgs = orgKey(roles);
    for (const orgId of new Set(roles.roles.map((r) => r.orgId))) {
      const channel = client
        .channel(`org:${orgId}`, { config: { private: true } })
        .on('broadcast', { event: 'changed' }, () => {
          if (generation === this.generation) this.live.emit({ kind: 'poke' });
        })
        .subscribe((status) => {
          if (generation !== this.generation) return;
          if (status === REALTIME_SUBSCRIBE_STATES.SUBSCRIBED) {
            this.joined.add(channel);
            this.rejoins = 0;
          } else this.joined.delete(channel);
          this.tellLive();
          // Realtime closes a channel (a token expired or refused at refresh, a passing failure of
          // the service) and supabase-js does not join a closed channel again: this link does, spaced.
          if (status === REALTIME_SUBSCRIBE_STATES.CLOSED) this.rejoinLater(generation);
        });
      this.channels.push({ client, channel });
    }
  }

  private rejoinLater(generation: number): void {
    if (this.rejoinTimer !== null) return;
    const wait = Math.min(60_000, 2000 * 2 ** this.rejoins);
    this.rejoins += 1;
    this.rejoinTimer = timers.setTimeout(() => {
      this.rejoinTimer = null;
      if (generation === this.generation) this.relistenQuietly();
    }, wait);
  }

  /** Leaves every channel (and, when the host stops or the backend changes, closes the socket too). */
  private dropChannels(disconnect: boolean): Promise<void> {
    this.generation += 1;
    if (this.rejoinTimer !== null) timers.clearTimeout(this.rejoinTimer);
    this.rejoinTimer = null;
    this.listenedOrgs = '';
    const channels = this.channels.splice(0);
    this.joined.clear();
    this.tellLive();
    const clients = new Set(channels.map((c) => c.client));
    return (async () => {
      await Promise.all(channels.map(({ client, channel }) => client.removeChannel(channel).catch(() => undefined)));
      // Left alone, supabase-js closes an idle socket only after two heartbeats (50 s), reconnecting meanwhile.
      if (disconnect) for (const client of clients) await Promise.resolve(client.realtime.disconnect()).catch(() => undefined);
    })();
  }

  private tellLive(): void {
    const live = this.channels.length > 0 && this.joined.size === this.channels.length;
    if (live === this.toldLive) return;
    this.toldLive = live;
    this.live.emit({ kind: 'live', live });
  }

  /** The VAPID public key the project's notify-staff function signs pushes with. */
  async vapidPublicKey(): Promise<string> {
    if (this.client === null) throw new StationError('not_configured', 'no backend configured: set one in Settings first');
    const answer = await this.client.functions.invoke<unknown>('notify-staff', { method: 'GET', timeout: 10_000 });
    const error: unknown = answer.error;
    const data: unknown = answer.data;
    if (error !== null)
      throw new Error(`the backend's notification key could not be fetched: ${error instanceof Error ? error.message : 'no answer'}`);
    const parsed = vapidKeySchema.safeParse(data);
    if (!parsed.success) throw new Error('the backend answered an unexpected notification key');
    return parsed.data.vapid_public_key;
  }

  /** Saves this browser's push subscription for the signed-in member (it follows whoever signs in here). */
  async savePushSubscription(subscription: PushSubscriptionRecord): Promise<void> {
    if (this.client === null) throw new StationError('not_configured', 'no backend configured: set one in Settings first');
    const { error } = await this.client.rpc('save_push_subscription', {
      endpoint: subscription.endpoint,
      p256dh: subscription.p256dh,
      auth: subscription.auth,
      user_agent: subscription.userAgent,
    });
    if (error !== null) throw new Error(`notifications could not be turned on: ${error.message}`);
  }

  async deletePushSubscription(endpoint: string): Promise<void> {
    if (this.client === null) throw new StationError('not_configured', 'no backend configured: set one in Settings first');
    const { error } = await this.client.rpc('delete_push_subscription', { endpoint });
    if (error !== null) throw new Error(`the server still has this device's subscription: ${error.message}`);
  }

  /**
   * Every movement of a gig and the gigs under it, oldest first (the export's rows). The history
   * lives on the server: offline, unknown gig and refusals are StationErrors the screen words.
   */
  async gigMovements(gigId: string): Promise<GigMovement[]> {
    // The server's largest page, asked for whole: its default (20,000) cut a residency's export
    // short without a word. A full page may be cut too, so it is refused rather than saved as complete.
    const limit = 100_000;
    const data = await this.serverAnswer(
      'get_gig_movements',
      { p_gig_id: gigId, p_limit: limit },
      {
        offline: 'the movements come from the server: connect and try again',
        notFound: 'the server has no such gig for this account',
        unauthorized: 'sign in again to export movements',
        refused: 'the server refused the export',
        timeoutMs: 30_000,
      },
    );
    const parsed = z.array(gigMovementSchema).safeParse(data);
    if (!parsed.success) throw new Error('the server answered the export in an unexpected shape');
    if (parsed.data.length >= limit)
      throw new StationError(
        'conflict',
        `${limit.toLocaleString('en')} movements or more: too many for one file, export its sets one at a time`,
      );
    return parsed.data;
  }

  /**
   * A stock-take's report (public.audit_report: frozen at close, merged from every device). Online
   * only: offline, another company's or an unknown audit, and refusals are StationErrors in words.
   */
  async auditReport(auditId: string): Promise<AuditReport> {
    const data = await this.serverAnswer('audit_report', { audit_id: auditId }, auditWords('the stock-take report'));
    const parsed = auditReportSchema.safeParse(data);
    if (!parsed.success) throw new Error('the server answered the stock-take report in an unexpected shape');
    return parsed.data;
  }

  /** The stock-takes still open in the signed-in person's companies (a second device joins one). */
  async openAudits(): Promise<OpenAudit[]> {
    const parsed = z.array(openAuditSchema).safeParse(await this.serverAnswer('open_audits', {}, auditWords('the open stock-takes')));
    if (!parsed.success) throw new Error('the server answered the open stock-takes in an unexpected shape');
    return parsed.data;
  }

  /** One read-only RPC's answer, or a StationError in `words`. */
  private async serverAnswer(fn: string, args: Record<string, unknown>, words: ServerWords): Promise<unknown> {
    if (this.client === null) throw new StationError('not_configured', 'no backend configured: set one in Settings first');
    const response = await this.client
      .rpc(fn, args)
      .abortSignal(AbortSignal.timeout(words.timeoutMs ?? 15_000))
      .then(
        (r) => r,
        (error: unknown) => ({ data: null, error: { message: errorMessage(error), code: '' }, status: 0 }),
      );
    if (response.error === null) return response.data;
    if (response.status === 0) throw new StationError('offline', words.offline);
    if (response.error.code === 'PT404') throw new StationError('not_found', words.notFound);
    if (response.status === 401) throw new StationError('unauthorized', words.unauthorized);
    throw new Error(`${words.refused}: ${response.error.message}`);
  }

  /** The asset's movements from the server, or why they could not be fetched. */
  async assetHistory(assetId: string): Promise<{ movements: Movement[] } | { unavailable: string }> {
    if (this.client === null) return { unavailable: 'no backend configured' };
    const response = await this.client
      .rpc('get_asset_history', { p_asset_id: assetId })
      .abortSignal(AbortSignal.timeout(5000))
      .then(
        (r) => r,
        (error: unknown) => ({ data: null, error: { message: errorMessage(error) }, status: 0 }),
      );
    if (response.error !== null) {
      return {
        unavailable: response.status === 0 ? 'offline: the history comes from the server' : `the server refused: ${response.error.message}`,
      };
    }
    const parsed = z.array(movementSchema).safeParse(response.data);
    return parsed.success ? { movements: parsed.data } : { unavailable: 'the server answered in an unexpected shape' };
  }
}
