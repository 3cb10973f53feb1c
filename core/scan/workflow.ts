import type { z } from 'zod';
import type { ScanEvent } from '../scanner/types';
import type { feedbackSchema, scanStateSchema } from '../station-api';
import type { SavedScanSession, Setting } from '../store/settings';
import type { NewOp, QueuedOp } from '../sync/model';
import type { Asset, BulkItem, Case, Gig, Location, StaffProfile } from '../sync/rows';
import { bulkOutTo, countPickList } from '../views/counts';
import { caseName, itemName } from '../planning/names';
import { parseBarcode, quantityProblem, type Command } from './barcode';
import type { ScanCatalog } from './catalog';

/**
 * The warehouse scan workflow. A scan resolves against the station's caches (so it works
 * offline), becomes an op that is durably queued *before* the operator hears anything, and ends
 * in feedback with a kind for colour and sound. The server stays the judge: what it refuses
 * later shows up in the conflict and quarantine views, not as a blocking dialog here.
 */
/** What the operator hears about a scan (its shape is station-api's feedbackSchema). */
export type Feedback = z.infer<typeof feedbackSchema>;
export type FeedbackKind = Feedback['kind'];
/** The session as the Scan screen shows it (station-api's scanStateSchema). */
export type SessionState = z.infer<typeof scanStateSchema>;
export type Mode = SessionState['mode'];
export type Condition = SessionState['condition'];
export type Progress = NonNullable<SessionState['progress']>;

export interface WorkflowDeps {
  catalog: ScanCatalog;
  enqueue: (op: NewOp) => Promise<QueuedOp>;
  /** Same code again within this window, with no command, gig or badge between: a warning (a double read), not a second op. */
  duplicateWindowMs: number;
  /** Where the gig and mode are kept across a reload or restart (none: the session starts blank). */
  remember?: Setting<SavedScanSession>;
  /**
   * The signed-in member's email (a crew member's phone): with no badge scanned, the staff
   * profile with this email in the cached staff profiles is the operator every op names.
   */
  signedInEmail?: () => Promise<string | null> | string | null;
  /** True while the signed-in member may only name themselves (crew: core/sync/roles.ts scansAsThemselves). */
  scansAsThemselves?: () => Promise<boolean> | boolean;
  /** The warehouse this station stands in (a location id), if set: what it checks in from another warehouse stays here. */
  stationWarehouse?: () => Promise<string | null>;
}

/** Adds to a gig's pick list (core/planning): the ops it queued, or a StationError with words. */
export type PlanAdder = (
  edit:
    | { kind: 'add_asset'; gigId: string; assetId: string }
    | { kind: 'add_case'; gigId: string; caseId: string }
    | { kind: 'add_quantity'; gigId: string; category: string; quantity: number },
) => Promise<{ queued: QueuedOp[]; warnings: string[] }>;

/** What the screen adds to a scan: a quantity typed on the keypad (bulk items), a note for a condition. */
export interface ScanInput {
  quantity?: number;
  /** What is wrong (at most 500 characters), kept with a damaged / missing-parts check-in. */
  note?: string;
}

export const MAX_NOTE_LENGTH = 500;

/** A terminal escape sequence (ESC [ … final byte), dropped whole so no "[31m" is left behind. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]/g;
/** Line breaks (U+2028/U+2029 too) and tabs: a note is one line, so each run of them becomes a space. */
const BREAKS = /[\t\n\v\f\r\u2028\u2029]+/g;
/** Every other control character: C0, DEL and C1, and bidi embeddings, overrides and isolates (the server refuses them). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A condition's note as it is kept: one line of text, as the server takes it (it refuses any
 * control character, invalid_field). Tabs and line breaks (a pasted paragraph) become a space;
 * terminal escapes and other control characters (a NUL, a bell, an ESC pasted from a terminal or
 * sent by a scanner) are stripped — the operator cannot see them to remove them. Trimmed; the
 * length limit applies to what is kept.
 */
export function cleanNote(note: string): string {
  return note.replace(BREAKS, ' ').replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').trim();
}

type Found =
  | { kind: 'gig'; row: Gig }
  | { kind: 'staff'; row: StaffProfile }
  | { kind: 'case'; row: Case }
  | { kind: 'asset'; row: Asset }
  | { kind: 'bulk'; row: BulkItem }
  | { kind: 'location'; row: Location };

/** What a shelf's label scanned next puts away: the thing just checked in, by that scanner. */
interface PutAwayTarget {
  table: 'assets' | 'cases';
  id: string;
  name: string;
  /** Only the scanner that checked it in puts it away (two benches on one station share the session). */
  deviceId: string;
  at: number;
}

/** How long after its check-in a shelf's label still puts a thing away. */
const PUT_AWAY_WINDOW_MS = 5 * 60_000;

/** A condition given to one item of a case that is still out: sent with the case's check-in. */
interface ItemCondition {
  asset_id: string;
  condition: Exclude<Condition, 'ok'>;
  note?: string;
}

interface Accepted {
  code: string;
  undo: NewOp[];
  /** The case this scan sent out: undoing it forgets the case's contents as sent. */
  sentCase?: string;
}

/** Said plainly when an item went out although no line of the gig's list (or its sets') asks for it. */
export const NOT_ON_LIST = 'checked out — not on this gig’s pick list (Undo last takes it back)';
/** How many levels of sets below the session's gig are picked with it (a damaged parent chain must not loop). */
const MAX_SET_DEPTH = 8;

const UNAVAILABLE: Partial<Record<Asset['status'], string>> = {
  quarantined: 'is quarantined',
  lost: 'is marked lost',
  retired: 'is retired',
  in_maintenance: 'is in maintenance',
};

export class ScanSession {
  private mode: Mode = 'check_out';
  private gig: Gig | null = null;
  private operator: StaffProfile | null = null;
  private condition: Condition = 'ok';
  /** What is wrong, given on the screen with the condition: kept with the next item checked in (from any scanner). */
  private conditionNote: string | null = null;
  private readonly recent = new Map<string, number>();
  /** The scan just before (any kind), for a command read twice. */
  private lastScan: { code: string; at: number } | null = null;
  private readonly history: Accepted[] = [];
  /** Case contents sent out in this session: the caches learn them only from the server. */
  private readonly sentInCases = new Map<string, Set<string>>();
  /** A quantity scanned (CMD:QTY:n) before its bulk item. */
  private pendingQuantity: number | null = null;
  /** The thing checked in by the last scan: a shelf's label scanned next puts it there (issue 21). */
  private readonly putAwayTargets = new Map<string, PutAwayTarget>();
  /** A bulk item scanned without a quantity: the next CMD:QTY:n (or typed quantity) moves it. */
  private awaitingQuantity: { item: BulkItem; mode: Mode } | null = null;
  /** Per case still out: items scanned with a condition, sent with the case's check-in (the rest come back OK). */
  private readonly itemConditions = new Map<string, ItemCondition[]>();
  /** The saved gig and mode, read once before the first scan or state; then what was last written. */
  private restored: Promise<void> | null = null;
  private saved: SavedScanSession | null = null;

  constructor(private readonly deps: WorkflowDeps) {}

  /**
   * The gig and mode a previous session left (a gig that closed or vanished meanwhile is not
   * brought back). Remembering is a convenience: a store that cannot be read starts a blank
   * session rather than stopping scans.
   */
  private restore(): Promise<void> {
    this.restored ??= (async () => {
      const saved = await this.deps.remember?.get().catch(() => null);
      if (saved == null) return;
      this.saved = saved;
      this.mode = saved.mode;
      const gig = saved.gigCode === null ? null : await this.deps.catalog.findGig(saved.gigCode);
      this.gig = gig === null || gig.status === 'completed' || gig.status === 'cancelled' ? null : gig;
    })();
    return this.restored;
  }

  /** Keeps the gig and mode when a scan changed them (rarely: a gig, a mode command, Done). */
  private async remember(): Promise<void> {
    const now: SavedScanSession = { gigCode: this.gig?.code ?? null, mode: this.mode };
    if (this.deps.remember === undefined || (this.saved?.gigCode === now.gigCode && this.saved.mode === now.mode)) return;
    this.saved = now;
    // The scan is decided and its op queued: a failed write costs only the next reload's memory of it.
    await this.deps.remember.set(now).catch(() => undefined);
  }

  async state(): Promise<SessionState> {
    await this.restore();
    return {
      mode: this.mode,
      gig: this.gig,
      operator: await this.currentOperator(),
      condition: this.condition,
      progress: await this.progress(),
    };
  }

  /** Who moves things now: the badge scanned, else the signed-in member's staff profile (a phone). */
  private async currentOperator(): Promise<StaffProfile | null> {
    if (this.operator !== null) return this.operator;
    const email = (await this.deps.signedInEmail?.()) ?? null;
    return email === null || email === '' ? null : this.deps.catalog.findStaffByEmail(email);
  }

  /** Every op the workflow queues names its operator (the server checks it is one of the organization's staff). */
  private async enqueue(op: NewOp): Promise<QueuedOp> {
    const operator = await this.currentOperator();
    return this.deps.enqueue(operator === null ? op : { ...op, payload: { ...op.payload, staff_id: operator.id } });
  }

  /**
   * `role` is the scanner's: a dock-door scanner set to "out" always checks out, a returns-bench
   * scanner set to "in" always checks in; "any" follows the session's mode.
   */
  async handle(scan: ScanEvent, role: 'out' | 'in' | 'any' = 'any', input: ScanInput = {}): Promise<Feedback> {
    await this.restore();
    const feedback = await this.decide(scan, role, input);
    await this.remember();
    return feedback;
  }

  private async decide(scan: ScanEvent, role: 'out' | 'in' | 'any', input: ScanInput): Promise<Feedback> {
    const mode: Mode = role === 'in' ? 'check_in' : role === 'out' ? 'check_out' : this.mode;
    const parsed = parseBarcode(scan.code);
    if (parsed.kind === 'empty') return this.feedback('error', 'empty scan', '', scan);
    const note = input.note === undefined ? undefined : cleanNote(input.note);
    if (note !== undefined && note.length > MAX_NOTE_LENGTH) {
      return this.feedback('error', `the note is ${note.length} characters; at most ${MAX_NOTE_LENGTH}`, '', scan);
    }
    const code = parsed.kind === 'command' ? `CMD:${parsed.command}` : parsed.kind === 'quantity' ? `CMD:QTY:${parsed.text}` : parsed.code;
    // A scanner reads a command sheet's code twice as readily as an item's: UNDO or CMD:QTY:n read
    // again at once, with nothing between, is a double read — not a second undo, nor a count held
    // for the next bulk item. (Other commands are the same when repeated.)
    const previous = this.lastScan;
    this.lastScan = { code, at: scan.receivedAt };
    const reread = previous?.code === code && scan.receivedAt - previous.at < this.deps.duplicateWindowMs;
    if (reread && (parsed.kind === 'quantity' || (parsed.kind === 'command' && parsed.command === 'UNDO'))) {
      return this.feedback('warning', `${code} scanned again — counted once`, code, scan);
    }
    if (parsed.kind === 'quantity') return this.quantity(parsed.text, scan);
    const typed = input.quantity;
    // A scan carrying a quantity (held or typed) is a new count, never the same scan twice:
    // "5 of these, then 3 more" scans the same shelf code twice within a second.
    const carriesQuantity = typed !== undefined || this.pendingQuantity !== null;
    const last = this.recent.get(code);
    this.recent.set(code, scan.receivedAt);
    if (parsed.kind === 'code' && !carriesQuantity && last !== undefined && scan.receivedAt - last < this.deps.duplicateWindowMs) {
      return this.dropping(this.feedback('warning', `${code} scanned again — counted once`, code, scan));
    }
    // Only the same scanner's next scan, within minutes of the check-in, can put it away (each
    // scanner has its own: two benches on one station check in and put away side by side).
    const held = this.putAwayTargets.get(scan.deviceId);
    this.putAwayTargets.delete(scan.deviceId);
    const putAway = held !== undefined && scan.receivedAt - held.at < PUT_AWAY_WINDOW_MS ? held : null;
    // A command, a gig or a badge is a deliberate act between two scans, never a double read: the
    // same item scanned right after it is meant (out by mistake, Check-in, scanned back in).
    if (parsed.kind === 'command') {
      this.recent.clear();
      return this.command(parsed.command, code, scan, note);
    }

    const found = await this.resolve(code);
    if (found?.kind === 'gig' || found?.kind === 'staff') this.recent.clear();
    if (found?.kind === 'bulk') return this.bulkScan(found.row, typed, mode, code, scan);
    if (found?.kind === 'location') return this.dropping(await this.putAway(found.row, putAway, mode, code, scan));
    if (found === null || found.kind === 'asset' || found.kind === 'case') {
      const quantity = typed ?? this.pendingQuantity;
      if (quantity !== null) {
        // A quantity is for bulk items only: nothing is queued, and the held quantity is dropped.
        this.pendingQuantity = null;
        this.recent.delete(code);
        const what = found === null ? `unknown barcode ${code}` : `${code} is counted one by one, not by quantity`;
        return this.dropping(this.feedback('error', `quantity ${quantity} needs a bulk item: ${what}`, code, scan));
      }
    }
    // A gig or a badge changes what the next scans mean: a quantity held (or typed) with it is
    // dropped, and so is a bulk item still waiting for one — said, not silent.
    const typedDropped = typed === undefined ? null : `quantity ${typed} dropped`;
    const also = (feedback: Feedback): Feedback => this.dropping(feedback, typedDropped);
    switch (found?.kind) {
      case 'gig':
        return also(await this.selectGig(found.row, code, scan));
      case 'staff':
        if ((await this.deps.scansAsThemselves?.()) === true) {
          this.recent.delete(code);
          return also(
            this.feedback('warning', `a crew member scans as themselves: ${found.row.displayName}'s badge was not taken`, code, scan),
          );
        }
        this.operator = found.row;
        return also(this.feedback('ok', `operator: ${found.row.displayName}`, code, scan));
      case 'case':
        return also(mode === 'check_out' ? await this.checkOutCase(found.row, code, scan) : await this.checkInCase(found.row, code, scan));
      case 'asset':
        return also(
          mode === 'check_out' ? await this.checkOutAsset(found.row, code, scan) : await this.checkInAsset(found.row, code, scan, note),
        );
      case undefined:
        this.recent.delete(code);
        return also(this.feedback('error', `unknown barcode ${code}`, code, scan));
    }
  }

  /**
   * A bulk item's shelf code: moved by the quantity typed with it or held before it, else it
   * waits for one (the next CMD:QTY:n or the keypad). A bad quantity moves nothing and the item
   * keeps waiting; another bulk item still waiting is dropped, saying so.
   */
  private async bulkScan(item: BulkItem, typed: number | undefined, mode: Mode, code: string, scan: ScanEvent): Promise<Feedback> {
    const quantity = typed ?? this.pendingQuantity;
    this.pendingQuantity = null;
    if (this.awaitingQuantity?.item.id === item.id) this.awaitingQuantity = null;
    const problem = quantity === null ? null : quantityProblem(quantity);
    if (quantity === null || problem !== null) {
      this.recent.delete(code);
      const asked =
        problem === null
          ? this.feedback('warning', `${bulkName(item)}: scan CMD:QTY:<n> or type how many`, code, scan)
          : this.feedback('error', `${problem} — nothing was moved`, code, scan);
      const feedback = this.dropping(asked);
      this.awaitingQuantity = { item, mode };
      return { ...feedback, awaiting: 'quantity' };
    }
    return this.dropping(await this.moveBulk(item, quantity, mode, code, scan));
  }

  /**
   * Drops a quantity held for the next bulk item and a bulk item waiting for its quantity, and
   * says so on `feedback` (an OK becomes a warning: something the operator meant did not happen).
   * Every scan that is not what they were waiting for goes through here, so neither outlives it.
   */
  private dropping(feedback: Feedback, ...more: (string | null)[]): Feedback {
    const words = [...more.filter((word): word is string => word !== null), ...this.dropHeld()];
    if (words.length === 0) return feedback;
    return { ...feedback, kind: feedback.kind === 'ok' ? 'warning' : feedback.kind, message: `${feedback.message} — ${words.join('; ')}` };
  }

  /**
   * What a scan would mean, with no effect at all: no gig selected, nothing queued, no duplicate
   * window (the Scanners screen's test area).
   */
  async describe(scan: ScanEvent): Promise<Feedback> {
    const parsed = parseBarcode(scan.code);
    if (parsed.kind === 'empty') return this.feedback('error', 'test scan: empty', '', scan);
    if (parsed.kind === 'command')
      return this.feedback('ok', `test scan: command ${parsed.command.toLowerCase()} — nothing was changed`, `CMD:${parsed.command}`, scan);
    if (parsed.kind === 'quantity') {
      const problem = quantityProblem(parsed.text);
      return this.feedback(
        problem === null ? 'ok' : 'warning',
        `test scan: ${problem ?? `quantity ${parsed.text}`} — nothing was changed`,
        `CMD:QTY:${parsed.text}`,
        scan,
      );
    }
    const found = await this.resolve(parsed.code);
    if (found === null) return this.feedback('warning', `test scan: ${parsed.code} is not a known barcode`, parsed.code, scan);
    const what =
      found.kind === 'staff'
        ? `operator ${found.row.displayName}`
        : found.kind === 'case'
          ? `case ${found.row.name ?? found.row.barcode}`
          : found.kind === 'bulk'
            ? `bulk item ${found.row.name} (${found.row.inWarehouse} ${found.row.unit} in the warehouse)`
            : found.kind === 'location'
              ? `the place ${found.row.name}`
              : `${found.kind} ${found.row.name}`;
    return this.feedback('ok', `test scan: ${parsed.code} is ${what} — nothing was changed`, parsed.code, scan);
  }

  /**
   * A plan scan (the Plan screen is open on `gigId`): an item or a case is added to the gig's pick
   * list, a shelf code with a typed quantity adds that many of its category. Nothing moves and the
   * session (gig, mode, operator) is left as it was; what cannot be added is said in words.
   */
  async addToPlan(scan: ScanEvent, gigId: string, add: PlanAdder, input: ScanInput = {}): Promise<Feedback> {
    const parsed = parseBarcode(scan.code);
    if (parsed.kind === 'empty') return this.feedback('error', 'empty scan', '', scan);
    if (parsed.kind !== 'code')
      return this.feedback(
        'warning',
        'planning: scan an item, a case or a shelf code to add it — commands do nothing here',
        scan.code,
        scan,
      );
    const found = await this.resolve(parsed.code);
    if (found === null) return this.feedback('error', `${parsed.code} is not a known barcode`, parsed.code, scan);
    let edit: Parameters<PlanAdder>[0];
    let what: string;
    if (found.kind === 'asset') {
      edit = { kind: 'add_asset', gigId, assetId: found.row.id };
      what = itemName(found.row);
    } else if (found.kind === 'case') {
      edit = { kind: 'add_case', gigId, caseId: found.row.id };
      what = caseName(found.row);
    } else if (found.kind === 'bulk') {
      if (input.quantity === undefined)
        return this.feedback(
          'warning',
          `${found.row.name}: type how many on the keypad with the code to plan a quantity`,
          parsed.code,
          scan,
        );
      edit = { kind: 'add_quantity', gigId, category: found.row.category, quantity: input.quantity };
      what = `${input.quantity} × ${found.row.name}`;
    } else {
      const noun =
        found.kind === 'gig'
          ? `the gig ${found.row.name}`
          : found.kind === 'location'
            ? `the place ${found.row.name}`
            : `${found.row.displayName}'s badge`;
      return this.feedback('warning', `planning: ${parsed.code} is ${noun} — scan an item or a case to add it`, parsed.code, scan);
    }
    try {
      const { queued, warnings } = await add(edit);
      const message = `added ${what} to the pick list${warnings.length > 0 ? ` — ${warnings.join('; ')}` : ''}`;
      return this.feedback(warnings.length > 0 ? 'warning' : 'ok', message, parsed.code, scan, queued);
    } catch (error) {
      return this.feedback('error', error instanceof Error ? error.message : String(error), parsed.code, scan);
    }
  }

  /** One lookup order for every use: gig, operator badge, case, asset, bulk item. */
  private async resolve(code: string): Promise<Found | null> {
    const gig = await this.deps.catalog.findGig(code);
    if (gig !== null) return { kind: 'gig', row: gig };
    const staff = await this.deps.catalog.findStaff(code);
    if (staff !== null) return { kind: 'staff', row: staff };
    const box = await this.deps.catalog.findCase(code);
    if (box !== null) return { kind: 'case', row: box };
    const asset = await this.deps.catalog.findAsset(code);
    if (asset !== null) return { kind: 'asset', row: asset };
    const bulk = await this.deps.catalog.findBulkItem(code);
    if (bulk !== null) return { kind: 'bulk', row: bulk };
    const place = await this.deps.catalog.findLocation(code);
    return place === null ? null : { kind: 'location', row: place };
  }

  /** CMD:QTY:n: moves the bulk item scanned just before, or is held for the next bulk item. */
  private async quantity(text: string, scan: ScanEvent): Promise<Feedback> {
    const code = `CMD:QTY:${text}`;
    const problem = quantityProblem(text);
    if (problem !== null) {
      // A quantity held before is dropped too (the operator meant neither); an item waiting keeps waiting.
      const held = this.pendingQuantity;
      this.pendingQuantity = null;
      const dropped = held === null ? '' : `; quantity ${held} dropped`;
      return this.feedback('error', `${problem} — nothing was moved${dropped}`, code, scan);
    }
    const quantity = Number(text);
    const waiting = this.awaitingQuantity;
    this.awaitingQuantity = null;
    if (waiting !== null) {
      const item = (await this.deps.catalog.findBulkItem(waiting.item.barcode)) ?? waiting.item;
      return this.moveBulk(item, quantity, waiting.mode, code, scan);
    }
    this.pendingQuantity = quantity;
    return this.feedback('ok', `quantity ${quantity}: scan the bulk item`, code, scan);
  }

  /** N units of a bulk item out to the session's gig, or back from the gig holding them. */
  private async moveBulk(item: BulkItem, quantity: number, mode: Mode, code: string, scan: ScanEvent): Promise<Feedback> {
    const problem = quantityProblem(quantity);
    if (problem !== null) return this.feedback('error', `${problem} — nothing was moved`, code, scan);
    const name = bulkName(item);
    if (mode === 'check_out') {
      if (this.gig === null) return this.feedback('error', 'scan a gig before checking items out', code, scan);
      // Picking for a festival day or stage: the units go out to the set with a line of their kind.
      const gig = await this.targetFor(await this.pickedGigs(), [], item.category);
      // The server judges the quantity; the station says what it believes (before this op's own effect).
      const warning =
        item.inWarehouse < quantity
          ? `this station counts ${item.inWarehouse} ${item.unit} in the warehouse; the server decides`
          : await this.bulkPlanWarning(item, quantity, gig.id);
      const op = await this.enqueue({ table: 'bulk_items', action: 'check_out', payload: { id: item.id, gig_id: gig.id, quantity } });
      this.history.push({ code, undo: [{ table: 'bulk_items', action: 'check_in', payload: { id: item.id, gig_id: gig.id, quantity } }] });
      const message = `${quantity} × ${name} → ${gig.name}`;
      return warning === null
        ? this.feedback('ok', message, code, scan, [op])
        : this.feedback('warning', `${message}: ${warning}`, code, scan, [op]);
    }
    const holders = Object.keys(item.outTo);
    const gigId = this.gig !== null && holders.includes(this.gig.id) ? this.gig.id : holders.length === 1 ? (holders[0] ?? null) : null;
    if (gigId === null) {
      const where = holders.length === 0 ? 'none are out' : `they are out to ${holders.length} gigs: scan the gig first`;
      return this.feedback('error', `${name} cannot come back: ${where}`, code, scan);
    }
    const op = await this.enqueue({ table: 'bulk_items', action: 'check_in', payload: { id: item.id, gig_id: gigId, quantity } });
    this.history.push({ code, undo: [{ table: 'bulk_items', action: 'check_out', payload: { id: item.id, gig_id: gigId, quantity } }] });
    const out = item.outTo[gigId] ?? 0;
    const message = `${quantity} × ${name} in${item.consumable ? ' (unused, back to stock)' : ''}`;
    return out < quantity
      ? this.feedback('warning', `${message}: this station counts ${out} out to that gig; the server decides`, code, scan, [op])
      : this.feedback('ok', message, code, scan, [op]);
  }

  /**
   * Checked in at a station of another warehouse than the thing's home: it stays in this station's
   * warehouse (a transfer, put away there; its home is unchanged) instead of being recorded back
   * home where it is not. Null when the station has no warehouse, or the home is in this one.
   */
  private async keepHere(table: 'assets' | 'cases', id: string, homeId: string | null): Promise<{ op: QueuedOp; words: string } | null> {
    const here = (await this.deps.stationWarehouse?.()) ?? null;
    if (here === null || homeId === null) return null;
    const [warehouse, home] = await Promise.all([this.deps.catalog.findLocationById(here), this.deps.catalog.findLocationById(homeId)]);
    if (warehouse === null || home === null || home.warehouseId === warehouse.id) return null;
    const homeWarehouse = await this.deps.catalog.findLocationById(home.warehouseId);
    const op = await this.enqueue({ table, action: 'put_away', payload: { id, location_id: warehouse.id } });
    return { op, words: `kept at ${warehouse.name} (${warehouse.code}); its home is in ${homeWarehouse?.name ?? 'another warehouse'}` };
  }

  /**
   * A place's label: right after a check-in it puts what came back on that shelf (its home stays;
   * without a shelf scanned it goes back home, the server's rule). Anywhere else it says how.
   */
  private async putAway(place: Location, target: PutAwayTarget | null, mode: Mode, code: string, scan: ScanEvent): Promise<Feedback> {
    const words = `${place.name} (${place.code})`;
    if (mode !== 'check_in' || target === null)
      return this.feedback(
        'warning',
        `${words} is a place: check an item in, then scan its shelf to put it there${mode === 'check_in' ? '' : ' (or take stock on the Stock-take screen)'}`,
        code,
        scan,
      );
    const row =
      target.table === 'assets' ? await this.deps.catalog.findAssetById(target.id) : await this.deps.catalog.findCaseById(target.id);
    // Where it was: its place, else its home (a case's place is known once the server answers its check-in).
    const before = row?.locationId ?? row?.homeLocationId ?? null;
    const op = await this.enqueue({ table: target.table, action: 'put_away', payload: { id: target.id, location_id: place.id } });
    // UNDO puts it back where it was — never the scan before it (with no place known, it undoes nothing).
    this.history.push({
      code,
      undo: before === null ? [] : [{ table: target.table, action: 'put_away', payload: { id: target.id, location_id: before } }],
    });
    return this.feedback('ok', `${target.name} put away on ${words}`, code, scan, [op]);
  }

  /** A bulk check-out beyond the gig's bulk lines of that category, or with none. */
  private async bulkPlanWarning(item: BulkItem, quantity: number, gigId: string): Promise<string | null> {
    const plan = await this.plan(gigId);
    if (plan.specific.size === 0 && plan.bulk.size === 0) return null;
    const quota = plan.bulk.get(item.category);
    if (quota === undefined) return NOT_ON_LIST;
    const already = (await this.deps.catalog.bulkItemsOutTo(gigId))
      .filter((other) => other.category === item.category)
      .reduce((n, other) => n + (other.outTo[gigId] ?? 0), 0);
    return already + quantity > quota ? `over-allocated: ${item.category} planned ${quota}, this makes ${already + quantity}` : null;
  }

  private feedback(kind: FeedbackKind, message: string, code: string, scan: ScanEvent, queued: QueuedOp[] = []): Feedback {
    return { kind, message, code, scan, queued: queued.map((op) => op.id) };
  }

  /** The next check-in's condition and its note (none for OK; a blank note is none). */
  private setCondition(condition: Condition, note?: string): void {
    this.condition = condition;
    const trimmed = note?.trim() ?? '';
    this.conditionNote = condition === 'ok' || trimmed === '' ? null : trimmed;
  }

  /** Forgets a held quantity and a bulk item waiting for one: what was dropped, in words. */
  private dropHeld(): string[] {
    const words: string[] = [];
    if (this.pendingQuantity !== null) words.push(`quantity ${this.pendingQuantity} dropped`);
    if (this.awaitingQuantity !== null)
      words.push(`${bulkName(this.awaitingQuantity.item)} dropped: it was waiting for a quantity, nothing moved`);
    this.pendingQuantity = null;
    this.awaitingQuantity = null;
    return words;
  }

  /**
   * A command changes what the next scans mean (mode, condition, Done) or takes the last one back:
   * a quantity held or a bulk item waiting for one does not outlive it, and the feedback says so.
   */
  private async command(command: Command, code: string, scan: ScanEvent, note?: string): Promise<Feedback> {
    if (command === 'UNDO' && (this.pendingQuantity !== null || this.awaitingQuantity !== null)) {
      // The last scan was the quantity or the item waiting for one: undoing it drops just that.
      return this.feedback('ok', `undone: ${this.dropHeld().join('; ')}`, code, scan);
    }
    return this.dropping(await this.runCommand(command, code, scan, note));
  }

  private async runCommand(command: Command, code: string, scan: ScanEvent, note?: string): Promise<Feedback> {
    switch (command) {
      case 'CHECK-OUT':
        this.mode = 'check_out';
        return this.feedback('ok', this.gig === null ? 'check-out: scan a gig' : `check-out to ${this.gig.name}`, code, scan);
      case 'CHECK-IN':
        this.mode = 'check_in';
        this.setCondition('ok');
        return this.feedback('ok', 'check-in: scan items', code, scan);
      case 'OK':
      case 'DAMAGED':
      case 'MISSING-PARTS':
        this.setCondition(command === 'OK' ? 'ok' : command === 'DAMAGED' ? 'damaged' : 'missing_parts', note);
        return this.feedback(
          'ok',
          `next check-in: ${this.condition.replace('_', ' ')}${this.conditionNote === null ? '' : ` — ${this.conditionNote}`}`,
          code,
          scan,
        );
      case 'DONE': {
        const progress = await this.progress();
        this.gig = null;
        const marked = [...this.itemConditions.values()].reduce((n, items) => n + items.length, 0);
        if (marked > 0) {
          this.itemConditions.clear();
          return this.feedback(
            'warning',
            `done — ${marked} item(s) marked with a condition were not checked in: their case was not scanned`,
            code,
            scan,
          );
        }
        if (progress !== null && progress.missing > 0) {
          return this.feedback('warning', `done — ${progress.missing} planned item(s) not scanned`, code, scan);
        }
        return this.feedback('ok', 'done', code, scan);
      }
      case 'UNDO': {
        const last = this.history.pop();
        if (last === undefined) return this.feedback('warning', 'nothing to undo', code, scan);
        const queued: QueuedOp[] = [];
        for (const op of last.undo) queued.push(await this.enqueue(op));
        this.recent.delete(last.code);
        if (last.sentCase !== undefined) {
          const contents = await this.deps.catalog.caseContents(last.sentCase);
          for (const sent of this.sentInCases.values()) for (const item of contents) sent.delete(item.id);
        }
        return this.feedback('ok', `undone: ${last.code}`, code, scan, queued);
      }
    }
  }

  private async selectGig(gig: Gig, code: string, scan: ScanEvent): Promise<Feedback> {
    if (gig.status === 'completed' || gig.status === 'cancelled') {
      return this.feedback('error', `${gig.name} is ${gig.status}`, code, scan);
    }
    this.gig = gig;
    this.mode = 'check_out';
    const progress = await this.progress();
    return this.feedback('ok', `picking for ${gig.name}: ${progress?.scanned ?? 0}/${progress?.planned ?? 0}`, code, scan);
  }

  private unavailable(asset: Asset, picked: ReadonlySet<string> = new Set(this.gig === null ? [] : [this.gig.id])): string | null {
    if (asset.status === 'checked_out' && (asset.currentGigId === null || !picked.has(asset.currentGigId))) {
      return `${asset.serialNumber} is checked out to another gig`;
    }
    const reason = UNAVAILABLE[asset.status];
    return reason === undefined ? null : `${asset.serialNumber} ${reason}`;
  }

  private async checkOutAsset(asset: Asset, code: string, scan: ScanEvent): Promise<Feedback> {
    const gig = this.gig;
    if (gig === null) return this.feedback('error', 'scan a gig before checking items out', code, scan);
    const picked = await this.pickedGigs();
    const pickedIds = new Set(picked.map((g) => g.id));
    if (asset.status === 'checked_out' && asset.currentGigId !== null && pickedIds.has(asset.currentGigId)) {
      const there = picked.find((g) => g.id === asset.currentGigId);
      return this.feedback(
        'warning',
        `${asset.serialNumber} is already out to ${there === undefined || there.id === gig.id ? 'this gig' : there.name}`,
        code,
        scan,
      );
    }
    const blocked = this.unavailable(asset, pickedIds);
    if (blocked !== null) return this.feedback('error', blocked, code, scan);

    // Picking for a festival day or stage: the item goes out to the set whose list asks for it.
    const target = await this.targetFor(picked, [asset], asset.category);
    const warning = await this.planWarning([asset], target.id, picked);
    const op = await this.enqueue({
      table: 'assets',
      action: 'check_out',
      payload: { id: asset.id, gig_id: target.id },
      base_version: asset.version,
    });
    this.history.push({ code, undo: [{ table: 'assets', action: 'check_in', payload: { id: asset.id, condition: 'ok' } }] });
    const name = `${asset.serialNumber} ${asset.name}`;
    return warning === null
      ? this.feedback('ok', `${name} → ${target.name}`, code, scan, [op])
      : this.feedback('warning', `${name}: ${warning}`, code, scan, [op]);
  }

  private async checkOutCase(box: Case, code: string, scan: ScanEvent): Promise<Feedback> {
    const gig = this.gig;
    if (gig === null) return this.feedback('error', 'scan a gig before checking items out', code, scan);
    const contents = await this.deps.catalog.caseContents(box.id);
    const picked = await this.pickedGigs();
    const blocked = contents.map((a) => this.unavailable(a, new Set(picked.map((g) => g.id)))).filter((r): r is string => r !== null);
    if (blocked.length > 0) return this.feedback('error', `case ${box.barcode} cannot go out: ${blocked.join('; ')}`, code, scan);
    const target = await this.targetFor(picked, contents, null);
    const warning = await this.planWarning(contents, target.id, picked);
    const op = await this.enqueue({
      table: 'cases',
      action: 'check_out',
      payload: { id: box.id, gig_id: target.id },
      base_version: box.version,
    });
    const sent = this.sentInCases.get(target.id) ?? new Set<string>();
    for (const item of contents) sent.add(item.id);
    this.sentInCases.set(target.id, sent);
    this.history.push({ code, undo: [{ table: 'cases', action: 'check_in', payload: { id: box.id, condition: 'ok' } }], sentCase: box.id });
    const message = `case ${box.barcode} (${contents.length} items) → ${target.name}`;
    return warning === null
      ? this.feedback('ok', message, code, scan, [op])
      : this.feedback('warning', `${message}: ${warning}`, code, scan, [op]);
  }

  private async checkInAsset(asset: Asset, code: string, scan: ScanEvent, note?: string): Promise<Feedback> {
    const serial = asset.serialNumber;
    if (asset.status === 'retired') return this.feedback('error', `${serial} is retired`, code, scan);
    if (asset.status === 'available' && this.condition === 'ok') {
      // Re-shelving: an item already in, then a shelf's label, moves it there (an item of a case goes with its case).
      if (asset.caseId === null)
        this.putAwayTargets.set(scan.deviceId, {
          table: 'assets',
          id: asset.id,
          name: serial,
          deviceId: scan.deviceId,
          at: scan.receivedAt,
        });
      return this.feedback('warning', `${serial} is already in (scan a shelf to put it there)`, code, scan);
    }
    const condition = this.condition;
    const given = note?.trim() === '' ? undefined : note?.trim();
    const remark = given ?? this.conditionNote ?? undefined;
    // An item of a case that is still out, scanned for a condition: it comes back with its case
    // (one movement per item: this one with its condition, the rest OK).
    if (condition !== 'ok' && asset.caseId !== null && asset.status === 'checked_out') {
      const box = await this.deps.catalog.findCaseById(asset.caseId);
      if (box !== null) {
        const marked = (this.itemConditions.get(box.id) ?? []).filter((item) => item.asset_id !== asset.id);
        marked.push({ asset_id: asset.id, condition, ...(remark === undefined ? {} : { note: remark }) });
        this.itemConditions.set(box.id, marked);
        this.setCondition('ok');
        return this.feedback(
          'warning',
          `${serial} marked ${condition.replace('_', ' ')} — scan case ${box.barcode} to check it in with the rest OK`,
          code,
          scan,
        );
      }
    }
    const fromGig = asset.currentGigId;
    const op = await this.enqueue({
      table: 'assets',
      action: 'check_in',
      payload: { id: asset.id, condition, ...(remark === undefined || condition === 'ok' ? {} : { note: remark }) },
    });
    if (fromGig !== null) {
      this.history.push({
        code,
        undo: [{ table: 'assets', action: 'check_out', payload: { id: asset.id, gig_id: fromGig }, base_version: asset.version + 1 }],
      });
    }
    this.setCondition('ok');
    // A damaged or incomplete item goes to quarantine or maintenance, not onto a shelf.
    // An item of a case goes where its case goes.
    if (condition === 'ok' && asset.caseId === null)
      this.putAwayTargets.set(scan.deviceId, { table: 'assets', id: asset.id, name: serial, deviceId: scan.deviceId, at: scan.receivedAt });
    // An item of a case checked in alone stays with its case's record; only whole things are transferred.
    const kept = asset.caseId === null ? await this.keepHere('assets', asset.id, asset.homeLocationId) : null;
    const also = kept === null ? '' : ` — ${kept.words}`;
    const ops = kept === null ? [op] : [op, kept.op];
    if (condition === 'damaged') return this.feedback('warning', `${serial} in, damaged → quarantine${also}`, code, scan, ops);
    if (condition === 'missing_parts') return this.feedback('warning', `${serial} in, missing parts → maintenance${also}`, code, scan, ops);
    return this.feedback(kept === null ? 'ok' : 'warning', `${serial} in${also}`, code, scan, ops);
  }

  private async checkInCase(box: Case, code: string, scan: ScanEvent): Promise<Feedback> {
    const items = this.itemConditions.get(box.id) ?? [];
    const condition = this.condition;
    const op = await this.enqueue({
      table: 'cases',
      action: 'check_in',
      payload: { id: box.id, condition, ...(items.length === 0 ? {} : { items }) },
    });
    this.itemConditions.delete(box.id);
    this.setCondition('ok');
    // A case with items marked damaged or missing parts: those go to quarantine or maintenance, not onto a shelf with it.
    if (items.length === 0 && condition === 'ok')
      this.putAwayTargets.set(scan.deviceId, {
        table: 'cases',
        id: box.id,
        name: `case ${box.barcode}`,
        deviceId: scan.deviceId,
        at: scan.receivedAt,
      });
    const kept = await this.keepHere('cases', box.id, box.homeLocationId);
    const also = kept === null ? '' : ` — ${kept.words}`;
    const ops = kept === null ? [op] : [op, kept.op];
    if (items.length === 0) return this.feedback(kept === null ? 'ok' : 'warning', `case ${box.barcode} in${also}`, code, scan, ops);
    const words = items.map((item) => item.condition.replace('_', ' ')).join(', ');
    return this.feedback('warning', `case ${box.barcode} in: ${items.length} item(s) ${words}, the rest OK${also}`, code, scan, ops);
  }

  /**
   * Wrong-gig and over-allocation warnings for items about to go out to `gigId`. A gig with no
   * list at all warns of nothing, unless a set picked with it has one.
   */
  private async planWarning(items: Asset[], gigId: string, picked: readonly Gig[]): Promise<string | null> {
    const plan = await this.plan(gigId);
    if (plan.specific.size === 0 && plan.bulk.size === 0) return (await this.anyPlan(picked)) ? NOT_ON_LIST : null;
    const out = await this.outTo(gigId);
    for (const item of items) {
      if (plan.specific.has(item.id)) continue;
      const category = item.category;
      const quota = plan.bulk.get(category);
      if (quota === undefined) return NOT_ON_LIST;
      const used = out.filter((a) => !plan.specific.has(a.id) && a.category === category).length;
      if (used + 1 > quota) return `over-allocated: ${category} planned ${quota}, this is ${used + 1}`;
    }
    return null;
  }

  /** What is out to the gig: the caches, plus case contents this session sent out. */
  private async outTo(gigId: string): Promise<Asset[]> {
    const cached = await this.deps.catalog.assetsOutTo(gigId);
    const ids = new Set(cached.map((a) => a.id));
    const extra: Asset[] = [];
    for (const id of this.sentInCases.get(gigId) ?? []) {
      if (ids.has(id)) continue;
      const asset = await this.deps.catalog.findAssetById(id);
      if (asset !== null) extra.push(asset);
    }
    return [...cached, ...extra];
  }

  private async plan(gigId: string): Promise<{ specific: Set<string>; bulk: Map<string, number> }> {
    const specific = new Set<string>();
    const bulk = new Map<string, number>();
    for (const line of await this.deps.catalog.pickList(gigId)) {
      if (line.assetId !== null) specific.add(line.assetId);
      else if (line.caseId !== null) for (const a of await this.deps.catalog.caseContents(line.caseId)) specific.add(a.id);
      else if (line.category !== null) bulk.set(line.category, (bulk.get(line.category) ?? 0) + (line.quantity ?? 0));
    }
    return { specific, bulk };
  }

  /** The session's gig and its sets, counted together as the Scan screen's pick list and the server's roll-up do. */
  private async progress(): Promise<Progress | null> {
    if (this.gig === null) return null;
    const total = { planned: 0, scanned: 0, missing: 0, extra: 0 };
    for (const gig of await this.pickedGigs()) {
      const counts = await this.counts(gig.id);
      total.planned += counts.planned;
      total.scanned += counts.scanned;
      total.missing += counts.missing;
      total.extra += counts.extra;
    }
    return { gigId: this.gig.id, ...total };
  }

  /** The session's gig and the sets below it, depth first (a festival day or stage is picked in one pass). */
  private async pickedGigs(): Promise<Gig[]> {
    if (this.gig === null) return [];
    const picked = [this.gig];
    const seen = new Set([this.gig.id]);
    const childGigs = this.deps.catalog.childGigs?.bind(this.deps.catalog);
    if (childGigs === undefined) return picked;
    const walk = async (gig: Gig, depth: number): Promise<void> => {
      if (depth >= MAX_SET_DEPTH) return;
      for (const child of await childGigs(gig.id)) {
        if (seen.has(child.id) || child.deletedAt !== null) continue;
        seen.add(child.id);
        picked.push(child);
        await walk(child, depth + 1);
      }
    };
    await walk(this.gig, 0);
    return picked;
  }

  /**
   * Which of the picked gigs items go out to: the first whose list names them (by themselves or
   * in a case), else the first with a bulk line of their category, else the session's gig.
   */
  private async targetFor(picked: readonly Gig[], items: readonly Asset[], category: string | null): Promise<Gig> {
    const root = picked[0];
    if (root === undefined) throw new Error('no gig picked for');
    if (picked.length === 1) return root;
    let byCategory: Gig | null = null;
    for (const gig of picked) {
      const plan = await this.plan(gig.id);
      if (items.some((item) => plan.specific.has(item.id))) return gig;
      if (byCategory === null && category !== null && plan.bulk.has(category)) byCategory = gig;
    }
    return byCategory ?? root;
  }

  private async anyPlan(picked: readonly Gig[]): Promise<boolean> {
    for (const gig of picked) if ((await this.deps.catalog.pickList(gig.id)).length > 0) return true;
    return false;
  }

  /** The gig's counts by the one definition (core/views/counts.ts), over the caches and this session's case contents sent out. */
  private async counts(gigId: string): Promise<ReturnType<typeof countPickList>> {
    const catalog = this.deps.catalog;
    const lines = await catalog.pickList(gigId);
    const assets = new Map<string, Asset>();
    const contents = new Map<string, Asset[]>();
    for (const line of lines) {
      if (line.assetId !== null) {
        const asset = await catalog.findAssetById(line.assetId);
        if (asset !== null) assets.set(asset.id, asset);
      }
      if (line.caseId !== null && !contents.has(line.caseId)) contents.set(line.caseId, await catalog.caseContents(line.caseId));
    }
    return countPickList({
      lines,
      asset: (id) => assets.get(id) ?? null,
      caseContents: (id) => contents.get(id) ?? [],
      outAssets: await this.outTo(gigId),
      bulkOut: bulkOutTo(gigId, await catalog.bulkItemsOutTo(gigId)),
    });
  }
}

/** "XLR cable 10m · BULK-XLR10". */
function bulkName(item: BulkItem): string {
  return `${item.name} · ${item.barcode}`;
}
