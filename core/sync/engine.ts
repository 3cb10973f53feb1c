import type { z } from 'zod';
import { Observers } from '../observers';
import type { Random } from '../random';
import type { syncStatusSchema } from '../station-api';
import { backoffDelay, type BackoffPolicy } from './backoff';
import {
  entityKey,
  newOpSchema,
  type ConflictChoice,
  type NewOp,
  type PullPage,
  type PushResult,
  type QueuedOp,
  type SnapshotPage,
} from './model';
import { rebase } from './optimistic';
import { QueueStoreError, type Outcome, type QueueStore } from './queue-store';
import { DEFAULT_REQUEST_TIMING, RequestTimer, type RequestTiming } from './request-timer';
import { advanceSnapshot, earlierCursor, type SnapshotProgress, type SnapshotStep } from './snapshot';
import { WHOLE_ORGANIZATION, type SyncScope } from './scope';
import { mismatches } from './verify';
import { toWire, TransportError, type SyncTransport } from './transport';
import { errorMessage } from '../errors';

/** Time as the engine sees it: injected so tests are deterministic. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The queue's stats and the link's state (station-api's syncStatusSchema is its one definition). */
export type SyncStatus = z.infer<typeof syncStatusSchema>;

/**
 * What a check of the copy came to: verified or mismatch (stored with the copy), moved (the
 * server committed after the device's cursor: pull and ask again), failed (no answer),
 * unsupported (an older server), not_checked (the pull before it did not complete).
 */
export type CheckOutcome = 'verified' | 'mismatch' | 'moved' | 'failed' | 'unsupported' | 'not_checked';

export interface SyncEngineOptions {
  store: QueueStore;
  transport: SyncTransport;
  clock: Clock;
  random: Random;
  newId: () => string;
  batchSize?: number;
  pullLimit?: number;
  /** Rows per page of a new device's first sync (pull_snapshot allows up to 10,000). */
  snapshotLimit?: number;
  /** How often a complete pull is followed by a verification of the copy (core/sync/verify.ts). */
  verifyEveryMs?: number;
  /** Per-op backoff: how long an op waits after its batch failed for good (or the server asked). */
  backoff?: BackoffPolicy;
  /** Retries of one batch inside a drain, after a transient failure (see BatchRetryPolicy). */
  batchRetry?: BatchRetryPolicy;
  /** How often to pull, and to retry pushes when idle or after failures (the timers). */
  pollMs?: number;
  /**
   * How often to pull while live pokes arrive (setLive): the poll is then only the safety net for
   * a poke lost on the way (default 60 s, never more often than pollMs).
   */
  livePollMs?: number;
  /**
   * The least time between the starts of two pulls a poke asks for (default 250 ms): at ten
   * commits a second elsewhere, a device pulls four times a second, not ten, each pull fetching
   * what the pokes meanwhile announced. 500 devices pull 2,000 times a second instead of 5,000.
   */
  pokeGapMs?: number;
  /** What this device keeps (the stored setting; the whole organization by default). */
  scope?: () => Promise<SyncScope>;
  /** The least time between two checks of a scoped copy that pulls brought rows to (default 10 s: a check reads the whole copy). */
  scopedCheckGapMs?: number;
  /** Batches making progress at once (default 2). */
  concurrency?: number;
  /**
   * Batches claimed at once, counting those whose answer is overdue or that wait out a retry
   * (default 3 × concurrency): the bound on what hedging may start beside them.
   */
  maxBatches?: number;
  /** How long to wait for a push's answer (see RequestTimer); maxMs is the configured timeout. */
  timing?: Partial<RequestTiming>;
  /**
   * Runs a drain (and crash recovery) so that only one engine sharing this store does it at a
   * time: the PWA's tabs and its service worker pass a Web Lock. Engines that share a store must
   * pass one (each drain first takes back ops left in flight); one engine alone needs none.
   */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Where a status listener that throws is reported (the others still hear the status). */
  onListenerError?: (error: unknown) => void;
}

/**
 * A batch that failed on the way (no answer, a reset, a timeout, a 5xx, a garbled answer) is sent
 * again after a short jittered backoff, right away inside the same drain: the server dedupes by op
 * id, so a replay of a batch it already committed returns the original answers. After `attempts`
 * failures in a row the network is taken to be down: the batch goes back with the per-op backoff
 * and the timers take over.
 */
export interface BatchRetryPolicy extends BackoffPolicy {
  attempts: number;
}

/** Failures worth retrying at once: the request may simply not have made it (or back). */
const TRANSIENT: readonly string[] = ['network', 'timeout', 'server', 'protocol'];
/** Failures that say the server cannot be reached (rather than that it answered badly). */
const UNREACHABLE: readonly string[] = ['network', 'timeout'];
/** The tables whose rows decide which assets, cases and staff profiles a scope holds. */
const MEMBERSHIP_TABLES: readonly string[] = ['kit_assignments', 'gig_staff', 'cases'];

/**
 * One drain's shared state. When one sender finds the network down, the others stop too.
 * `active` batches make progress; a batch whose answer is overdue or that waits out a retry is
 * stalled, and no longer counts, so another may start beside it (hedging), up to `claimed` ≤
 * maxBatches. The stalled batch keeps its ops (in flight: nothing else of their entity chains
 * is sent) until its own answer or retry settles them.
 */
interface DrainRun {
  down: boolean;
  active: number;
  claimed: number;
  /** Starts another sender (it claims only if there is room). */
  spawn: () => void;
  /**
   * The platform says offline: the timer's probe sends one op, not a batch, until a request gets
   * through — on a phone, claiming and putting back 200 ops every poll stalled scans for a second.
   */
  probing: boolean;
}

/** The engine's two timer-driven loops. */
type Loop = 'push' | 'pull';

/**
 * An op the server refused after it was queued: a conflict (the row moved on) or a rejection
 * (quarantined with the server's code). Whoever shows the scan that queued it (Recent scans) marks
 * it refused; the Conflicts and Sync screens hold the op itself.
 */
export interface OpRefusal {
  opId: string;
  kind: 'conflict' | 'rejected';
  /** The server's code (`conflict` for a conflict). */
  code: string;
  /** The server's words. */
  message: string;
}

/** One claimed batch, as the drain's accounting sees it. */
interface Slot {
  stalled: boolean;
}

/**
 * The server's code for an op it cannot read (push_changes answers it for an op that is not an
 * object or has no id); the engine gives it to an op whose request the server refused as unreadable.
 */
const UNREADABLE_OP = 'invalid_op';

/**
 * A refusal of the whole request for a value the server could not read: a PostgreSQL data
 * exception (SQLSTATE class 22 — 22P05, a \u0000 jsonb cannot hold; 22P02, a malformed value)
 * raised while the arguments were read, before push_changes ran. One op's doing, so the batch is
 * split to find it. 22023 is push_changes' own refusal of the request (device id, ops not a
 * list), the same for every op: not split.
 */
function unreadable(error: unknown): error is TransportError {
  const code = error instanceof TransportError ? (error.server?.code ?? '') : '';
  return error instanceof TransportError && error.kind === 'refused' && error.status === 400 && code.startsWith('22') && code !== '22023';
}

/** "the server cannot read this change: unsupported Unicode escape sequence (\u0000 cannot be converted to text.)" */
function unreadableWords(error: TransportError): string {
  const said = error.message.replace(/^push_changes: /, '');
  const details = error.server?.details;
  return `the server cannot read this change: ${said}${details === undefined || details === '' ? '' : ` (${details})`}`;
}

/** How often statuses are read from the store while ops are enqueued one after another (see emitSoon). */
const STATUS_EVERY_MS = 250;
/** While enqueues stream in, the stored figures are read again this long after the last one… */
const STATUS_SETTLE_MS = 1000;
/** …and at least this often during an unbroken stream. */
const STATUS_READ_AT_LEAST_MS = 5000;

export class InvalidOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOpError';
  }
}

/**
 * Pushes the durable queue and pulls changes, each on its own: a stuck push never holds up a
 * pull. Drains on enqueue, on a timer, and when connectivity comes back. Connectivity is a
 * judgement from two signals — what the platform says and what the last request did — because
 * neither alone is right (captive portals, flaky OS reports).
 */
export class SyncEngine {
  private readonly store: QueueStore;
  private readonly transport: SyncTransport;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly newId: () => string;
  private readonly batchSize: number;
  private readonly pullLimit: number;
  private readonly snapshotLimit: number;
  private readonly verifyEveryMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly batchRetry: BatchRetryPolicy;
  private readonly pollMs: number;
  private readonly livePollMs: number;
  /** Pokes arrive (the server's Realtime channel is joined): the poll slows to livePollMs. */
  private live = false;
  /** Poked while a pull ran: it may have begun before the poked commit, so one more follows it. */
  private pullAgain = false;
  private readonly pokeGapMs: number;
  /** When the last pull began (the poke gap counts from it). */
  private lastPullAt = Number.NEGATIVE_INFINITY;
  private readonly scopeOf: () => Promise<SyncScope>;
  private readonly scopedCheckGapMs: number;
  /** The scope the pull or repair in flight asks for (read once as it starts). */
  private scope: SyncScope = WHOLE_ORGANIZATION;
  /** The scope changed: the next check's differences are repaired at once, whatever the scope. */
  private repairAfterCheck = false;
  /** A pull brought rows of a scoped copy: check it (at most every scopedCheckGapMs). */
  private scopedCheckDue = false;
  /** When a check last asked the server (the spacing of scoped checks counts from it). */
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  private readonly concurrency: number;
  private readonly maxBatches: number;
  private readonly timer: RequestTimer;
  private readonly exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  private readonly listeners: Observers<SyncStatus>;
  private draining: Promise<void> | null = null;
  /** Asked to drain while a drain was running: it goes round once more before it ends. */
  private drainAgain = false;
  private pulling: Promise<void> | null = null;
  /** The copy is verified after the next complete pull, due or not (start, "Check now", a repair). */
  private verifyWanted = true;
  /** When the next check is due (null: by the stored check's age): spaced after a check, and backing off while the server keeps moving on. */
  private nextVerifyAt: number | null = null;
  private movedStreak = 0;
  /** What this server lacks (an older backend answers PGRST202): the first sync replays the log, the copy goes unchecked. */
  private snapshotUnsupported = false;
  private verifyUnsupported = false;
  private repairing: Promise<void> | null = null;
  /** What the last check came to (verifyNow tells its caller). */
  private lastCheck: CheckOutcome = 'not_checked';
  private readonly timers: Record<Loop, unknown> = { push: null, pull: null };
  /** When the pull timer fires (null: none set). */
  private pullDueAt: number | null = null;
  private running = false;
  private platformOnline = true;
  private reachable = true;
  private lastSuccessAt: number | null = null;
  /**
   * Each loop's last failure, cleared when that loop succeeds again: an error that is past leaves
   * the Sync screen, and a pull that works does not hide a push that still fails.
   */
  private readonly errors: Record<Loop, { message: string; at: number } | null> = { push: null, pull: null };
  private readonly refusals: Observers<OpRefusal>;
  /** Statuses after enqueues are spaced (see emitSoon). */
  private statusTimer: unknown = null;
  private statusAgain = false;
  /** The last status told (read or counted on from a read): what the next enqueue counts on from. */
  private told: SyncStatus | null = null;
  /**
   * When what was told was true, as a count of status events (reads begun, enqueues counted): a
   * read that an enqueue or a later read overtook would tell an older queue ("0 to sync" while a
   * scan waits to be sent), so it is dropped; a read is always scheduled after an enqueue.
   */
  private statusEvents = 0;
  private toldAsOf = 0;
  /** The read of the stored figures that follows enqueues (see emitSoon), and since when it waits. */
  private settleTimer: unknown = null;
  private settleSince: number | null = null;

  constructor(options: SyncEngineOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random;
    this.newId = options.newId;
    this.batchSize = options.batchSize ?? 200;
    this.pullLimit = options.pullLimit ?? 500;
    this.snapshotLimit = options.snapshotLimit ?? 5000;
    this.verifyEveryMs = options.verifyEveryMs ?? 10 * 60_000;
    this.backoff = options.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    this.batchRetry = options.batchRetry ?? { baseMs: 250, maxMs: 8000, attempts: 8 };
    this.pollMs = options.pollMs ?? 15_000;
    this.livePollMs = Math.max(this.pollMs, options.livePollMs ?? 60_000);
    this.pokeGapMs = options.pokeGapMs ?? 250;
    this.scopeOf = options.scope ?? (() => Promise.resolve(WHOLE_ORGANIZATION));
    this.scopedCheckGapMs = options.scopedCheckGapMs ?? 10_000;
    this.concurrency = options.concurrency ?? 2;
    this.maxBatches = Math.max(this.concurrency, options.maxBatches ?? 3 * this.concurrency);
    this.timer = new RequestTimer({ ...DEFAULT_REQUEST_TIMING, ...options.timing });
    this.exclusive = options.exclusive ?? ((work) => work());
    this.listeners = new Observers(options.onListenerError);
    this.refusals = new Observers(options.onListenerError);
  }

  /**
   * Resets ops a crash left in flight, then drains and pulls until stopped, each on its own
   * timer: a pull never waits for a drain, nor a drain for a pull.
   */
  async start(): Promise<void> {
    // Under the lock: another engine's batch in flight is not a crash to recover from.
    await this.exclusive(() => this.store.recoverInFlight());
    this.scope = await this.scopeOf();
    this.running = true;
    this.schedulePush(0);
    this.schedulePull(0);
  }

  stop(): void {
    this.running = false;
    if (this.statusTimer !== null) this.clock.clearTimeout(this.statusTimer);
    this.statusTimer = null;
    this.statusAgain = false;
    if (this.settleTimer !== null) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = null;
    this.settleSince = null;
    for (const loop of ['push', 'pull'] as const) {
      const pending = this.timers[loop];
      if (pending !== null) this.clock.clearTimeout(pending);
      this.timers[loop] = null;
    }
    this.pullDueAt = null;
  }

  /** Validates and durably queues an op, then tries to send it. */
  async enqueue(input: unknown): Promise<QueuedOp> {
    const parsed = newOpSchema.safeParse(input);
    if (!parsed.success) throw new InvalidOpError(describe(parsed.error));
    const op = await this.store.enqueue(parsed.data satisfies NewOp, { id: this.newId(), now: this.clock.now() });
    // Not awaited: the op is durable, and the scan's feedback need not wait for a status read.
    this.emitSoon(op);
    // Offline by the platform's word, the op waits for the timer's probe or the platform's "online".
    if (this.platformOnline) this.schedulePush(0);
    return op;
  }

  /** The platform's own online/offline signal (browser events, OS network state). */
  setPlatformOnline(online: boolean): void {
    const cameBack = online && !this.platformOnline;
    this.platformOnline = online;
    if (cameBack && this.running) {
      this.reachable = true;
      this.schedulePush(0);
      this.schedulePull(0);
    }
    void this.emit();
  }

  /**
   * Pushes until the queue has nothing ready or the network is clearly down (single flight: a
   * call during a drain makes that drain go round once more, so nothing queued meanwhile waits).
   */
  drain(): Promise<void> {
    if (this.draining !== null) {
      this.drainAgain = true;
      return this.draining;
    }
    // Holding the exclusive section, no other drain is mid-flight: an op still marked in flight was
    // left by a context that closed or crashed (a tab shut mid-push), and goes back to pending.
    this.draining = this.exclusive(async () => {
      await this.store.recoverInFlight();
      let down: boolean;
      do {
        this.drainAgain = false;
        down = await this.drainLoop();
      } while (this.drainAgain && !down);
    }).finally(() => {
      this.draining = null;
      void this.emit();
    });
    return this.draining;
  }

  /** Pulls until the server has nothing newer (single flight), then verifies the copy when it is due. */
  pull(): Promise<void> {
    this.pulling ??= this.inPullFlight(this.pullLoop());
    return this.pulling;
  }

  /** A pull or a repair as the one in flight: when it ends, a poke that came meanwhile pulls again. */
  private inPullFlight(run: Promise<void>): Promise<void> {
    this.lastPullAt = this.clock.now();
    return run.finally(() => {
      this.pulling = null;
      void this.emit();
      if (this.pullAgain) {
        this.pullAgain = false;
        this.pullAfterGap();
      }
    });
  }

  /**
   * The server says something changed (a Realtime poke): pull now, or pokeGapMs after the last
   * pull began. Pokes that come while a pull runs make one more pull after it, however many they are.
   */
  poke(): void {
    if (!this.running) return;
    if (this.pulling !== null) this.pullAgain = true;
    else this.pullAfterGap();
  }

  /** A poked pull: now, or once pokeGapMs have passed since the last one began. */
  private pullAfterGap(): void {
    this.schedulePull(Math.max(0, this.lastPullAt + this.pokeGapMs - this.clock.now()));
  }

  /**
   * Whether pokes arrive. Joined: pull now (pokes sent while the channel was down are lost) and
   * then poll at livePollMs; lost: back to pollMs from now.
   */
  setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    if (live) this.poke();
    // A pull a poke already set sooner stays where it is.
    else if (this.pullDueAt === null || this.pullDueAt > this.clock.now() + this.pollMs) this.schedulePull(this.pollMs);
    void this.emit();
  }

  /**
   * Before the store is reset for another backend: waits for the pull or repair in flight (new
   * requests are refused by the backend link meanwhile), then forgets what it learned of the old
   * server, so the new one is asked for snapshots and checks afresh.
   */
  async forNewBackend(): Promise<void> {
    while (this.pulling !== null || this.repairing !== null) {
      await Promise.allSettled([this.pulling, this.repairing]);
    }
    this.snapshotUnsupported = false;
    this.verifyUnsupported = false;
    this.nextVerifyAt = null;
    this.movedStreak = 0;
    this.verifyWanted = true;
  }

  /** Verifies the copy after the next pull, whenever the last verification was (the Sync screen's "Verify now"). */
  async verifyNow(): Promise<CheckOutcome> {
    // Asked for by someone waiting: a server that moved on meanwhile is pulled and asked again, a few times.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      this.verifyWanted = true;
      this.lastCheck = 'not_checked';
      // A pull in flight may have passed its verification already: one more after it.
      await this.pulling?.catch(() => undefined);
      await this.pull();
      const outcome = this.checkOutcome();
      if (outcome !== 'moved') return outcome;
    }
    return 'moved';
  }

  /**
   * The device's scope changed (saved in the settings by the caller): a pull with the old scope
   * ends first, then the copy is checked against the new one and the tables that differ are
   * fetched again (rows that left the scope go, unless queued ops still refer to them).
   */
  async rescope(): Promise<void> {
    // Not complete for the new scope until checked (offline, the Sync screen must not say "verified").
    await this.store.forgetVerification();
    while (this.pulling !== null) await this.pulling.catch(() => undefined);
    this.scope = await this.scopeOf();
    this.verifyWanted = true;
    this.repairAfterCheck = true;
    await this.pull();
  }

  /** Read through a method: the pull in between changed it, which narrowing cannot see. */
  private checkOutcome(): CheckOutcome {
    return this.lastCheck;
  }

  /**
   * Re-reads every table the last verification found different (pull_snapshot pages), drops the
   * rows the server no longer has, then pulls and verifies again. In the pull's single flight;
   * a second call while one runs gets the same repair.
   */
  repair(): Promise<void> {
    const snapshot = this.transport.snapshot?.bind(this.transport);
    if (snapshot === undefined || this.snapshotUnsupported)
      return Promise.reject(
        new TransportError('unsupported', 'this server cannot send a table again (pull_snapshot is missing): update the backend'),
      );
    this.repairing ??= (async () => {
      while (this.pulling !== null) await this.pulling.catch(() => undefined);
      this.pulling = this.inPullFlight(this.repairLoop(snapshot));
      await this.pulling;
    })().finally(() => {
      this.repairing = null;
    });
    return this.repairing;
  }

  /**
   * Both, independently: one failing does not stop the other. An operator pressing "Sync now"
   * (or a backend that is back) should not wait out backoffs grown while it was away.
   */
  async syncNow(): Promise<void> {
    await this.store.retryNow();
    this.reachable = true;
    await this.attempt();
  }

  /** A drain and a pull, as the timer and triggers run them: backoffs stand. */
  private async attempt(): Promise<void> {
    await Promise.allSettled([this.drain(), this.pull()]);
  }

  async resolveConflict(id: string, choice: ConflictChoice): Promise<void> {
    await this.store.resolveConflict(id, choice, { newOpId: this.newId(), now: this.clock.now() });
    await this.emit();
    this.schedulePush(0);
  }

  async resolveConflicts(ids: string[], choice: ConflictChoice): Promise<void> {
    for (const id of ids) await this.store.resolveConflict(id, choice, { newOpId: this.newId(), now: this.clock.now() });
    await this.emit();
    this.schedulePush(0);
  }

  async retryQuarantined(id: string): Promise<void> {
    await this.store.retryQuarantined(id, { newOpId: this.newId(), now: this.clock.now() });
    await this.emit();
    this.schedulePush(0);
  }

  async discardQuarantined(id: string): Promise<void> {
    await this.store.discardQuarantined(id);
    await this.emit();
  }

  async status(): Promise<SyncStatus> {
    return { ...(await this.store.stats()), ...this.link() };
  }

  /** The status's fields the engine itself holds (the rest are the queue's stats). */
  private link(): Omit<SyncStatus, keyof Awaited<ReturnType<QueueStore['stats']>>> {
    const { push, pull } = this.errors;
    const last = push === null ? pull : pull === null || push.at >= pull.at ? push : pull;
    return {
      online: this.platformOnline && this.reachable,
      draining: this.draining !== null,
      pulling: this.pulling !== null,
      live: this.live,
      scope: this.scope,
      lastSuccessAt: this.lastSuccessAt,
      lastError: last?.message ?? null,
      lastErrorAt: last?.at ?? null,
    };
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Ops the server refused (conflict or rejection), as each answer is settled. */
  onRefused(listener: (refusal: OpRefusal) => void): () => void {
    return this.refusals.add(listener);
  }

  /**
   * The status after an enqueue. When the last status told was read from the store, one more
   * pending op is counted on from it, with no read: on a phone each read of the stored figures
   * took as long as a scan, and a burst of scans stalled behind them. The figures are read again
   * once enqueues pause (STATUS_SETTLE_MS), at least every STATUS_READ_AT_LEAST_MS meanwhile, so
   * whatever else changed them (another tab, the service worker) is told too. Without a status to
   * count on from (none told yet; an op held behind a conflict may add to `held`), it is read: at
   * once, then at most once per STATUS_EVERY_MS while ops stream in, the last state always told.
   */
  private emitSoon(op: QueuedOp): void {
    if (this.listeners.size === 0) return;
    const told = this.told;
    if (told !== null && told.held === 0) {
      this.toldAsOf = this.statusEvents += 1;
      this.tell({
        ...told,
        ...this.link(),
        depth: told.depth + 1,
        pending: told.pending + 1,
        oldestPendingAt: told.oldestPendingAt ?? op.timestamp,
      });
      this.readWhenSettled();
      return;
    }
    this.readSpaced();
  }

  /** A read of the stored figures once enqueues pause (see emitSoon). */
  private readWhenSettled(): void {
    const now = this.clock.now();
    this.settleSince ??= now;
    if (this.settleTimer !== null) this.clock.clearTimeout(this.settleTimer);
    const wait = Math.max(0, Math.min(STATUS_SETTLE_MS, this.settleSince + STATUS_READ_AT_LEAST_MS - now));
    this.settleTimer = this.clock.setTimeout(() => {
      this.settleTimer = null;
      this.settleSince = null;
      this.readSpaced();
    }, wait);
  }

  /** A read of the stored figures now, then at most once per STATUS_EVERY_MS, the last one always made. */
  private readSpaced(): void {
    if (this.statusTimer !== null) {
      this.statusAgain = true;
      return;
    }
    // A status that cannot be read now is read again on the next change; the op is queued either way.
    this.emit().catch(() => undefined);
    this.statusTimer = this.clock.setTimeout(() => {
      this.statusTimer = null;
      if (!this.statusAgain) return;
      this.statusAgain = false;
      this.readSpaced();
    }, STATUS_EVERY_MS);
  }

  private async emit(): Promise<void> {
    if (this.listeners.size === 0) return;
    const asOf = (this.statusEvents += 1);
    const status = await this.status();
    if (asOf < this.toldAsOf) return;
    this.toldAsOf = asOf;
    this.tell(status);
  }

  /** Reads the status and tells every subscriber: another context (a tab, the service worker) changed the queue. */
  refreshStatus(): Promise<void> {
    return this.emit();
  }

  private tell(status: SyncStatus): void {
    this.told = status;
    this.listeners.emit(status);
  }

  /** The push loop: drain now (or in `ms`), then again every poll period. */
  private schedulePush(ms: number): void {
    // Offline by the platform's word: still probe on the timer, in case the word is wrong.
    this.schedule('push', ms);
  }

  /** The pull timer: pull now (or in `ms`), then every poll period, whatever pushes are doing. */
  private schedulePull(ms: number): void {
    this.schedule('pull', ms);
  }

  /** One loop's timer: run it in `ms`, then every poll period; each loop has its own timer. */
  private schedule(loop: Loop, ms: number): void {
    if (!this.running) return;
    const pending = this.timers[loop];
    if (pending !== null) this.clock.clearTimeout(pending);
    if (loop === 'pull') this.pullDueAt = this.clock.now() + ms;
    this.timers[loop] = this.clock.setTimeout(() => {
      this.timers[loop] = null;
      if (loop === 'pull') this.pullDueAt = null;
      // A failure the loop did not record itself (the store failing, say) becomes lastError, which
      // the Sync screen shows; the poll loop goes on either way.
      void (loop === 'push' ? this.drain() : this.pull())
        .catch((error: unknown) => this.failed(loop, errorMessage(error), false))
        .then(() => {
          if (this.timers[loop] === null) this.schedule(loop, loop === 'pull' && this.live ? this.livePollMs : this.pollMs);
        });
    }, ms);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private succeeded(loop: Loop): void {
    const cameBack = !this.reachable;
    this.reachable = true;
    this.lastSuccessAt = this.clock.now();
    this.errors[loop] = null;
    // The server answers again: what backed off while it was away goes now, not minutes later.
    // A failure here is shown as lastError; the ops stay queued with their backoff and the poll loop sends them.
    if (cameBack)
      void this.store
        .retryNow()
        .then(() => this.drain())
        .catch((error: unknown) => this.failed('push', errorMessage(error), false));
  }

  private failed(loop: Loop, message: string, unreachable: boolean): void {
    if (unreachable) this.reachable = false;
    this.errors[loop] = { message, at: this.clock.now() };
  }

  /**
   * Up to `concurrency` batches making progress at once, and more beside those that stall (see
   * DrainRun), never more than `maxBatches` claimed. They never share an entity: claiming marks
   * ops in flight, and an entity with an op in flight sends nothing else. Resolves true when the
   * network was found down.
   */
  private async drainLoop(): Promise<boolean> {
    const deviceId = await this.store.deviceId();
    const senders: Promise<void>[] = [];
    const run: DrainRun = {
      down: false,
      active: 0,
      claimed: 0,
      spawn: () => senders.push(this.sendBatches(deviceId, run)),
      probing: !this.platformOnline,
    };
    for (let i = 0; i < this.concurrency; i += 1) run.spawn();
    // Senders started while waiting are waited for too; the first failure is reported after all end.
    const failures: Error[] = [];
    for (let i = 0; i < senders.length; i += 1) {
      await senders[i]?.catch((error: unknown) => {
        failures.push(error instanceof Error ? error : new Error(JSON.stringify(error)));
        run.down = true;
      });
    }
    const [failure] = failures;
    if (failure !== undefined) throw failure;
    return run.down;
  }

  private roomFor(run: DrainRun): boolean {
    return !run.down && run.active < this.concurrency && run.claimed < this.maxBatches;
  }

  /**
   * A batch stops making progress: another sender may start beside it while most requests are
   * answered (a network that fails throughout gets no more requests than it already has).
   */
  private stall(run: DrainRun, slot: Slot): void {
    if (slot.stalled) return;
    slot.stalled = true;
    run.active -= 1;
    if (this.timer.flaky() && this.roomFor(run)) run.spawn();
  }

  private resume(run: DrainRun, slot: Slot): void {
    if (!slot.stalled) return;
    slot.stalled = false;
    run.active += 1;
  }

  /**
   * Claims and sends batches until nothing is ready (or others are making enough progress). A
   * batch that failed on the way is retried here (see BatchRetryPolicy); an op the server asked
   * to retry backs off on its own while the rest of the queue goes on.
   */
  private async sendBatches(deviceId: string, run: DrainRun): Promise<void> {
    while (this.roomFor(run)) {
      const slot: Slot = { stalled: false };
      run.active += 1;
      run.claimed += 1;
      try {
        const batch = await this.store.claimBatch(this.clock.now(), run.probing ? 1 : this.batchSize);
        if (batch.length === 0) return;
        await this.emit();
        if (!(await this.sendAndSettle(deviceId, batch, run, slot))) return;
      } finally {
        if (!slot.stalled) run.active -= 1;
        run.claimed -= 1;
      }
    }
  }

  /**
   * Sends a claimed batch and settles its answers; false once it went back to the queue. A batch
   * the server refused whole for a value it cannot read (see unreadable) is sent again in halves,
   * down to the op that fails, which is quarantined with the server's words: one poison op (a NUL
   * in a note) never stalls the ops queued with it.
   */
  private async sendAndSettle(
    deviceId: string,
    claimed: QueuedOp[],
    run: DrainRun,
    slot: Slot,
    refused = new Set<string>(),
  ): Promise<boolean> {
    // An item whose op did not apply in an earlier half: its later ops wait behind that op, as the
    // server holds them when they come in one request.
    const waiting = refused.size === 0 ? [] : claimed.filter((op) => refused.has(entityKey(op)));
    if (waiting.length > 0)
      await this.store.settle(
        waiting.map((op) => this.retry(op, 'waiting for an earlier op on the same item', false, 0)),
        this.clock.now(),
      );
    const batch = waiting.length > 0 ? claimed.filter((op) => !refused.has(entityKey(op))) : claimed;
    if (batch.length === 0) return true;
    const answer = await this.pushBatch(deviceId, batch, run, slot);
    if (answer === null) return false;
    run.probing = false;
    this.succeeded('push');
    let outcomes: Outcome[];
    if (!(answer instanceof TransportError)) outcomes = this.outcomes(batch, answer);
    else if (batch.length === 1 && batch[0] !== undefined)
      outcomes = [{ kind: 'rejected', op: batch[0], code: UNREADABLE_OP, message: unreadableWords(answer) }];
    else {
      const half = Math.ceil(batch.length / 2);
      if (await this.sendAndSettle(deviceId, batch.slice(0, half), run, slot, refused))
        return this.sendAndSettle(deviceId, batch.slice(half), run, slot, refused);
      // The first half went back (the network went, the session ended): the second goes back too, not tried, to go with it later.
      const why = this.errors.push?.message ?? 'not sent yet';
      await this.store.settle(
        batch.slice(half).map((op) => this.retry(op, why, false, 0)),
        this.clock.now(),
      );
      return false;
    }
    for (const outcome of outcomes) if (outcome.kind !== 'applied') refused.add(entityKey(outcome.op));
    await this.settle(outcomes);
    return true;
  }

  /** Stores the server's answers and tells listeners of each refusal. */
  private async settle(outcomes: Outcome[]): Promise<void> {
    await this.store.settle(outcomes, this.clock.now());
    for (const outcome of outcomes) {
      if (outcome.kind === 'conflict')
        this.refusals.emit({ opId: outcome.op.id, kind: 'conflict', code: 'conflict', message: outcome.message });
      if (outcome.kind === 'rejected')
        this.refusals.emit({ opId: outcome.op.id, kind: 'rejected', code: outcome.code, message: outcome.message });
    }
    await this.emit();
  }

  /**
   * Sends one claimed batch, retrying transient failures; null once the batch went back to the
   * queue, the refusal itself when the server could not read the batch (see unreadable).
   */
  private async pushBatch(deviceId: string, batch: QueuedOp[], run: DrainRun, slot: Slot): Promise<PushResult[] | TransportError | null> {
    let refreshed = false;
    let failures = 0;
    let abandoned = false;
    for (;;) {
      try {
        return await this.send(deviceId, batch, run, slot, failures === 0);
      } catch (error) {
        if (error instanceof TransportError && error.kind === 'unauthorized' && !refreshed) {
          refreshed = true;
          if (await this.transport.refreshSession().catch(() => false)) continue;
          // A 401 is the session's problem, not the ops': they go back untouched.
          await this.store.settle(
            batch.map((op) => this.retry(op, 'session expired', false, 0)),
            this.clock.now(),
          );
          this.failed('push', 'signed out: sign in again to sync', false);
          run.down = true;
          return null;
        }
        if (unreadable(error)) return error;
        const message = errorMessage(error);
        const kind = error instanceof TransportError ? error.kind : 'network';
        failures += 1;
        if (kind === 'timeout') abandoned = true;
        // A request given up on may still be running on the server: a re-send that collides with
        // it there (the op ids' unique key, 409) says nothing about the ops; the next one replays.
        const collided = abandoned && error instanceof TransportError && error.kind === 'refused' && error.status === 409;
        const transient = TRANSIENT.includes(kind) || collided;
        const down = transient && (failures >= this.batchRetry.attempts || !this.platformOnline || run.down);
        if (!transient || down) {
          if (down) run.down = true;
          this.failed('push', message, UNREACHABLE.includes(kind));
          await this.store.settle(
            batch.map((op) => this.retry(op, message, true)),
            this.clock.now(),
          );
          return null;
        }
        // Reachability is judged when the batch is given up on, not at every blip.
        this.failed('push', message, false);
        // After a timeout the wait has been taken (and the next one is longer): send again at once.
        if (kind === 'timeout') continue;
        this.stall(run, slot);
        // Most requests answered: this batch was unlucky, not the network down; no need to wait longer each time.
        await this.sleep(backoffDelay(this.batchRetry, this.timer.flaky() ? 0 : failures - 1, this.random));
        this.resume(run, slot);
      }
    }
  }

  /**
   * One request, given up on (aborted) when its answer is later than the learnt timeout; once
   * it is overdue (later than the answers usually are), the batch stalls so another may start.
   * Only a first sending's answer is timed (see RequestTimer).
   */
  private send(deviceId: string, batch: QueuedOp[], run: DrainRun, slot: Slot, first: boolean): Promise<PushResult[]> {
    const controller = new AbortController();
    const sentAt = this.clock.now();
    const timeoutMs = this.timer.timeoutMs();
    const hedgeMs = this.timer.hedgeMs();
    return new Promise<PushResult[]>((resolve, reject) => {
      let open = true;
      const close = (): boolean => {
        if (!open) return false;
        open = false;
        if (hedge !== null) this.clock.clearTimeout(hedge);
        this.clock.clearTimeout(deadline);
        this.resume(run, slot);
        return true;
      };
      const hedge = hedgeMs !== null && hedgeMs < timeoutMs ? this.clock.setTimeout(() => open && this.stall(run, slot), hedgeMs) : null;
      const deadline = this.clock.setTimeout(() => {
        if (!close()) return;
        this.timer.failed(true);
        controller.abort();
        reject(new TransportError('timeout', `push_changes: no answer within ${timeoutMs} ms; sending again`));
      }, timeoutMs);
      let request: Promise<PushResult[]>;
      try {
        request = this.transport.push(deviceId, batch.map(toWire), { signal: controller.signal });
      } catch (error) {
        request = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      request.then(
        (results) => {
          if (!close()) return;
          this.timer.answered(first ? this.clock.now() - sentAt : null);
          resolve(results);
        },
        (error: unknown) => {
          if (!close()) return;
          // Failures on the way judge the network; a refusal or a 401 is an answer.
          const kind = error instanceof TransportError ? error.kind : 'network';
          if (TRANSIENT.includes(kind)) this.timer.failed(kind === 'timeout');
          else this.timer.answered(null);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private outcomes(batch: QueuedOp[], results: PushResult[]): Outcome[] {
    return batch.map((op, index) => {
      const result = results[index];
      if (result?.op_id !== op.id) {
        return this.retry(op, `the server's answer did not match op ${op.id}`, true);
      }
      switch (result.status) {
        case 'applied':
          return { kind: 'applied', op, row: result.row ?? null };
        case 'conflict':
          return {
            kind: 'conflict',
            op,
            serverRow: result.row ?? null,
            changedFields: result.changed_fields ?? [],
            message: result.message ?? 'changed on the server',
          };
        case 'rejected':
          return { kind: 'rejected', op, code: result.code ?? 'rejected', message: result.message ?? 'refused by the server' };
        case 'retry':
          return result.code === 'held'
            ? this.retry(op, 'waiting for an earlier op on the same item', false, 0)
            : this.retry(op, result.message ?? 'the server asked to retry', true);
      }
    });
  }

  private retry(op: QueuedOp, error: string, failure: boolean, delayMs?: number): Outcome {
    const attempt = failure ? op.retryCount : 0;
    const wait = delayMs ?? backoffDelay(this.backoff, attempt, this.random);
    return { kind: 'retry', op, error, nextAttemptAt: this.clock.now() + wait, failure };
  }

  /**
   * A new device's first sync (core/sync/snapshot.ts), resumed where the stored progress stands:
   * the next page is asked for while the last one is written. True once the last page is applied
   * (the pull cursor is set); false when it stopped on an error, recorded as the pull's.
   */
  private async firstSync(snapshot: NonNullable<SyncTransport['snapshot']>): Promise<boolean> {
    const ask = (place: SnapshotProgress): Promise<SnapshotPage> => {
      const asking = snapshot(place.table, place.after, this.snapshotLimit, this.scope);
      // Awaited below, or dropped when the place moved: never an unhandled rejection.
      asking.catch(() => undefined);
      return asking;
    };
    let place = await this.store.snapshotProgress();
    let asking = ask(place);
    let refreshed = false;
    for (;;) {
      let page: SnapshotPage;
      try {
        page = await asking;
      } catch (error) {
        if (error instanceof TransportError && error.kind === 'unauthorized' && !refreshed) {
          refreshed = true;
          if (await this.transport.refreshSession().catch(() => false)) {
            asking = ask(place);
            continue;
          }
        }
        if (error instanceof TransportError && error.kind === 'unsupported') {
          // An older backend: the log from the start brings the same rows, only slower.
          this.snapshotUnsupported = true;
          return true;
        }
        this.failed('pull', errorMessage(error), error instanceof TransportError && UNREACHABLE.includes(error.kind));
        return false;
      }
      refreshed = false;
      this.succeeded('pull');
      const expected = advanceSnapshot(place, page);
      const prefetched = expected.done ? null : { place: expected.progress, page: ask(expected.progress) };
      let step: SnapshotStep;
      try {
        step = await this.store.applySnapshot(place, page, rebase);
      } catch (error) {
        // Another engine on this store (a tab and the service worker) applied that place first:
        // go on from where the store stands. Any other failure throws to pull()'s catch.
        if (!(error instanceof QueueStoreError && error.code === 'stale')) throw error;
        if ((await this.store.cursor()) !== null) return true;
        const now = await this.store.snapshotProgress();
        // Refused where nothing moved on: the page itself is wrong (another table than asked). Not asked again in a loop.
        if (now.table === place.table && now.after === place.after) throw error;
        place = now;
        asking = ask(place);
        continue;
      }
      if (step.done) return true;
      place = step.progress;
      asking =
        prefetched !== null && prefetched.place.table === place.table && prefetched.place.after === place.after
          ? prefetched.page
          : ask(place);
    }
  }

  /** A pull with the scope as stored now, the check of the copy when due, and a repair when one is wanted. */
  private async pullLoop(): Promise<void> {
    this.scope = await this.scopeOf();
    this.lastCheck = 'not_checked';
    const changed = await this.pullToEnd();
    if (changed === null) return;
    // A scoped copy gains rows through other rows (an asset planned for the tour has no change of
    // its own): it is checked after a pull that brought rows of the scope, at most every
    // scopedCheckGapMs (a row leaving the scope comes as a tombstone and needs no check).
    if (changed && this.scope.kind !== 'org') this.scopedCheckDue = true;
    if (this.scopedCheckDue && this.clock.now() - this.lastCheckAt >= this.scopedCheckGapMs) this.verifyWanted = true;
    await this.verifyIfDue();
    await this.repairIfWanted();
  }

  /**
   * What a check found different is fetched again at once on a scoped device (its tables are
   * small) and after a change of scope; the whole organization's copy waits for the operator's
   * Repair (the Sync screen). Once per pull: a copy still different waits for the next.
   */
  private async repairIfWanted(): Promise<void> {
    const afterRescope = this.repairAfterCheck;
    // The first check that answers after a change of scope decides; later ones are ordinary.
    if (this.lastCheck === 'verified' || this.lastCheck === 'mismatch') this.repairAfterCheck = false;
    const snapshot = this.transport.snapshot?.bind(this.transport);
    if (this.lastCheck !== 'mismatch' || snapshot === undefined || this.snapshotUnsupported) return;
    if (this.scope.kind === 'org' && !afterRescope) return;
    await this.repairTables(snapshot);
    this.verifyWanted = true;
    if ((await this.pullToEnd()) !== null) await this.verifyIfDue();
  }

  /** Whether a scoped page drops a plan line, crew line or case this device holds. */
  private async dropsMembership(page: PullPage): Promise<boolean> {
    if (this.scope.kind === 'org') return false;
    for (const gone of page.tombstones) {
      if (!MEMBERSHIP_TABLES.includes(gone.table)) continue;
      if ((await this.store.getCached(gone.table, gone.id)) !== null) return true;
    }
    return false;
  }

  /** Pulls until the server has nothing newer: whether any page brought a row or a tombstone, or null when it stopped on an error. */
  private async pullToEnd(): Promise<boolean | null> {
    // A new device reads the tables as they are now first, then pulls what changed meanwhile.
    const snapshot = this.transport.snapshot?.bind(this.transport);
    let changed = false;
    if (snapshot !== undefined && !this.snapshotUnsupported && (await this.store.cursor()) === null) {
      if (!(await this.firstSync(snapshot))) return null;
      changed = true;
    }
    let refreshed = false;
    // A cursor the server refuses (one side restored from an older backup) is forgotten, once per
    // pull: the next page is asked from the start, and the full pull re-sends every current row
    // and tombstone. The stored cursor moves only with the first page applied, so a pull from the
    // start that fails on the way leaves it as it was and the next pull asks the same way.
    let restarted = false;
    let fromStart = false;
    for (;;) {
      let page;
      try {
        page = await this.transport.pull(fromStart ? null : await this.store.cursor(), this.pullLimit, this.scope);
      } catch (error) {
        const message = errorMessage(error);
        // One refresh per 401, as for pushes: a token refused again right after is not retried forever.
        if (error instanceof TransportError && error.kind === 'unauthorized' && !refreshed) {
          refreshed = true;
          if (await this.transport.refreshSession().catch(() => false)) continue;
        }
        if (error instanceof TransportError && error.kind === 'cursor_refused' && !restarted) {
          restarted = true;
          fromStart = true;
          continue;
        }
        this.failed('pull', message, error instanceof TransportError && ['network', 'timeout'].includes(error.kind));
        return null;
      }
      refreshed = false;
      this.succeeded('pull');
      // A scoped copy may gain or lose rows through these: rows of the scope, or a plan line, crew
      // line or case it holds that is gone (its asset or profile may leave with it).
      changed ||= Object.values(page.changes).some((rows) => rows.length > 0) || (await this.dropsMembership(page));
      await this.store.applyPull(page, rebase);
      fromStart = false;
      if (!page.has_more) return changed;
    }
  }

  /**
   * After a complete pull: verifies the copy when asked to, or when the last check is
   * verifyEveryMs old. A copy found different is not re-read on every poll (Repair or Check now
   * does that); an answer that the server moved on is retried after 15 s, doubling up to
   * verifyEveryMs, so a busy station does not read its whole copy every 15 s.
   */
  private async verifyIfDue(): Promise<void> {
    const verify = this.transport.verify?.bind(this.transport);
    if (verify === undefined || this.verifyUnsupported) {
      this.lastCheck = 'unsupported';
      return;
    }
    const now = this.clock.now();
    const { copy } = await this.store.stats();
    const due =
      this.verifyWanted ||
      (this.nextVerifyAt !== null ? now >= this.nextVerifyAt : copy.verifiedAt === null || now - copy.verifiedAt >= this.verifyEveryMs);
    if (!due) return;
    this.verifyWanted = false;
    const cursor = await this.store.cursor();
    if (cursor === null) return;
    const retryLater = (): void => {
      this.movedStreak += 1;
      this.nextVerifyAt = this.clock.now() + Math.min(this.verifyEveryMs, 15_000 * 2 ** (this.movedStreak - 1));
    };
    // The local side first: a commit after it moves the server past the cursor, which the server
    // then says instead of counting (a push answered meanwhile cannot make the copy look wrong).
    this.lastCheckAt = this.clock.now();
    this.scopedCheckDue = false;
    const local = await this.store.localChecksums();
    let answer;
    try {
      answer = await verify(cursor, this.scope);
    } catch (error) {
      if (error instanceof TransportError && error.kind === 'unsupported') {
        this.verifyUnsupported = true;
        this.lastCheck = 'unsupported';
        return;
      }
      retryLater();
      this.lastCheck = 'failed';
      this.failed('pull', errorMessage(error), error instanceof TransportError && UNREACHABLE.includes(error.kind));
      return;
    }
    if (answer.moved) {
      this.lastCheck = 'moved';
      return retryLater();
    }
    const found = mismatches(local, answer.tables);
    this.lastCheck = found.length === 0 ? 'verified' : 'mismatch';
    await this.store.recordVerification(answer.tables, found);
    this.movedStreak = 0;
    this.nextVerifyAt = this.clock.now() + this.verifyEveryMs;
  }

  private async repairLoop(snapshot: NonNullable<SyncTransport['snapshot']>): Promise<void> {
    this.scope = await this.scopeOf();
    try {
      await this.repairTables(snapshot);
    } catch (error) {
      // Shown on the Sync screen as the pull's failure too, not only to the one who pressed Repair.
      this.failed('pull', errorMessage(error), error instanceof TransportError && UNREACHABLE.includes(error.kind));
      throw error;
    }
    this.verifyWanted = true;
    await this.pullLoop();
  }

  private async repairTables(snapshot: NonNullable<SyncTransport['snapshot']>): Promise<void> {
    const { copy } = await this.store.stats();
    for (const { table } of copy.mismatched) {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let after: string | null = null;
      do {
        const page = await snapshot(table, after, this.snapshotLimit, this.scope);
        this.succeeded('pull');
        await this.store.applyRepairPage(page, rebase);
        for (const row of page.rows) seen.add(row.id);
        cursor = cursor === null ? page.cursor : earlierCursor(cursor, page.cursor);
        after = page.next;
      } while (after !== null);
      await this.store.finishRepair(table, seen, cursor);
    }
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'op'}: ${issue.message}`).join('; ');
}
