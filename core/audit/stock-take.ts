/**
 * A stock-take on this device (issue 21): the audit it is counting, the place being counted now,
 * and every scan judged at once from the device's copy (core/audit/judge.ts), queued as an
 * `audits.scan` op and tallied on screen — found, wrong place, out to a gig, unknown — with what
 * is still to find. Offline all the way; the server judges each scan again and its report is the
 * record. Kept in the device's settings, so a restarted station or reloaded phone carries on.
 */
import { z } from 'zod';
import { StationError } from '../errors';
import type { CacheIndex, TableOf } from '../store/cache-index';
import type { Setting } from '../store/settings';
import { parseBarcode } from '../scan/barcode';
import type { ScanEvent } from '../scanner/types';
import type { NewOp, QueuedOp } from '../sync/model';
import { opAllowed, roleWords, type MemberRole } from '../sync/roles';
import { LOCATION_KINDS, type Location } from '../sync/rows';
import type { Feedback } from '../scan/workflow';
import { isInside, judgeAuditScan, type AuditScanKind } from './judge';
import { stockTakeLineSchema, type StockTakeState } from './state';
import { KIND_WORDS } from './report-schema';

/** How many of the latest scans the screen lists (the tally counts all of them). */
const RECENT = 30;
/** Every how many scans the tally is written to the device's settings (each write is the whole tally). */
const TALLY_EVERY = 20;
/** How many things still to find the screen lists (the total is given too). */
const TO_FIND = 200;

const placeViewSchema = z.object({ id: z.uuid(), kind: z.enum(LOCATION_KINDS), code: z.string(), name: z.string() });

/** The Stock-take screen's view: the audit, its tally, the latest scans and what is still to find. */
export const stockTakeViewSchema = z.object({
  auditId: z.uuid(),
  root: placeViewSchema,
  place: placeViewSchema,
  category: z.string().nullable(),
  startedAt: z.iso.datetime(),
  counts: z.object({
    found: z.number().int(),
    wrong_place: z.number().int(),
    out_to_gig: z.number().int(),
    unknown: z.number().int(),
    expected: z.number().int(),
  }),
  recent: z.array(stockTakeLineSchema),
  toFind: z.array(z.object({ id: z.uuid(), code: z.string(), name: z.string(), where: z.string() })),
  toFindTotal: z.number().int(),
  /** Unknown codes not claimed yet (a station may claim each for a new item). */
  unclaimed: z.array(z.string()),
  /** Whether this sign-in may claim a label (stations, managers, admins) and move what was found on close. */
  canClaim: z.boolean(),
  canAdjust: z.boolean(),
});
export type StockTakeView = z.infer<typeof stockTakeViewSchema>;

/** A place to audit, as the Stock-take screen's picker lists it: warehouses, then their zones and shelves. */
export const auditPlaceSchema = placeViewSchema.extend({ depth: z.number().int(), warehouse: z.string() });
export type AuditPlace = z.infer<typeof auditPlaceSchema>;

/** A stock-take another device started and this one may join (online: public.open_audits). */
export const openAuditSchema = z.object({
  id: z.uuid(),
  location_id: z.uuid(),
  place: z.string(),
  category: z.string().nullable(),
  started_at: z.string(),
  started_by: z.string().nullable(),
  scans: z.number().int(),
});
export type OpenAudit = z.infer<typeof openAuditSchema>;

export const claimInputSchema = z.strictObject({
  code: z.string().min(1).max(64),
  name: z.string().trim().min(1, 'give the new item a name').max(200, 'the name is longer than 200 characters'),
  category: z.string().trim().min(1, 'give the new item a category').max(80, 'the category is longer than 80 characters'),
});

export interface StockTakeDeps {
  index: Pick<CacheIndex, 'table'>;
  enqueue: (op: NewOp) => Promise<QueuedOp>;
  saved: Setting<StockTakeState>;
  newId: () => string;
  now: () => number;
  /** The signed-in member's one organization and role, as last known (null: not known, or several). */
  member: () => Promise<{ orgId: string; role: MemberRole } | null>;
  /** The same code again within this window is a scanner's double read, not a second count. */
  duplicateWindowMs: number;
  /** Whether this device keeps the whole company (a partial copy would judge real items unknown and miss what is expected). */
  wholeCopy: () => Promise<boolean>;
}

/** The largest count of a bulk item at one place the server takes (audit_scans.quantity). */
const MAX_COUNT = 10_000_000;

/** Why a stock-take count cannot be used, or null: a whole number from 0 (none here: a count corrected) to MAX_COUNT. */
export function countProblem(quantity: number | string): string | null {
  const text = String(quantity).trim();
  if (!/^\d+$/.test(text)) return `a count is a whole number of units, not ${text.slice(0, 20) || 'nothing'}`;
  return Number(text) > MAX_COUNT ? `a count of ${text} is over ${MAX_COUNT.toLocaleString('en')}` : null;
}

const PARTIAL_COPY = "a stock-take needs this device to keep the whole company's data: Settings → What this device keeps";

const KIND_FEEDBACK: Record<AuditScanKind, Feedback['kind']> = {
  found: 'ok',
  wrong_place: 'warning',
  out_to_gig: 'warning',
  unknown: 'warning',
};

function placeView(place: Location): z.infer<typeof placeViewSchema> {
  return { id: place.id, kind: place.kind, code: place.code, name: place.name };
}

function placeText(place: Location | null | undefined): string | null {
  return place === null || place === undefined || place.deletedAt !== null ? null : `${place.name} (${place.code})`;
}

export class StockTakes {
  private state: StockTakeState | null | undefined;
  /** A bulk item scanned without a count, waiting for one (the keypad or CMD:QTY:n). */
  private awaiting: { id: string; code: string; name: string } | null = null;
  /** A count scanned (CMD:QTY:n) before its bulk item. */
  private heldQuantity: number | null = null;
  private lastScan: { code: string; at: number } | null = null;
  /** Scans tallied in memory since the state was last written. */
  private unsaved = 0;

  constructor(private readonly deps: StockTakeDeps) {}

  private async current(): Promise<StockTakeState | null> {
    this.state ??= await this.deps.saved.get();
    return this.state;
  }

  private async save(state: StockTakeState | null): Promise<void> {
    this.state = state;
    this.unsaved = 0;
    if (state === null) await this.deps.saved.clear();
    else await this.deps.saved.set(state);
  }

  /**
   * A scan's tally: kept in memory at once, written to the device's settings every TALLY_EVERY
   * scans (or now, when `now`). The scan's op is queued durably before this; the tally is what the
   * screen shows, and a restart loses at most the last few scans' ticks (the server's report has them).
   */
  private async tally(state: StockTakeState, now = false): Promise<void> {
    this.unsaved += 1;
    if (now || this.unsaved >= TALLY_EVERY) await this.save(state);
    else this.state = state;
  }

  private async role(): Promise<MemberRole | null> {
    return (await this.deps.member())?.role ?? null;
  }

  /** Every place this device knows (warehouses, zones, shelves, bins), each under its parent, for the pickers. */
  async places(): Promise<AuditPlace[]> {
    const locations = await this.deps.index.table('locations');
    const live = [...locations.byId.values()].filter((l) => l.deletedAt === null);
    const children = new Map<string | null, Location[]>();
    for (const place of live) {
      const siblings = children.get(place.parentLocationId) ?? [];
      siblings.push(place);
      children.set(place.parentLocationId, siblings);
    }
    const out: AuditPlace[] = [];
    const walk = (parent: string | null, depth: number, warehouse: string): void => {
      const here = (children.get(parent) ?? []).sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));
      for (const place of here) {
        const name = depth === 0 ? place.name : warehouse;
        out.push({ ...placeView(place), depth, warehouse: name });
        if (depth < 8) walk(place.id, depth + 1, name);
      }
    };
    walk(null, 0, '');
    return out;
  }

  /** Starts a stock-take of a place (by id, or by the code on its label), queued at once, offline too. */
  async start(input: {
    placeId?: string | undefined;
    code?: string | undefined;
    category?: string | null | undefined;
  }): Promise<StockTakeView> {
    const role = await this.role();
    if (role !== null && !opAllowed(role, 'audits', 'start'))
      throw new StationError('forbidden', `signed in as ${roleWords(role)}: this role cannot take stock`);
    const locations = await this.deps.index.table('locations');
    const place =
      input.placeId !== undefined
        ? locations.get(input.placeId)
        : input.code === undefined
          ? null
          : locations.first('code', input.code.trim().toUpperCase());
    if (place === null || place.deletedAt !== null)
      throw new StationError(
        'not_found',
        input.code === undefined ? 'that place is not on this device' : `${input.code} is not a place's code`,
      );
    const category = input.category?.trim() ?? '';
    if (category.length > 80) throw new StationError('invalid_arguments', 'the category is longer than 80 characters');
    if ((await this.current()) !== null) throw new StationError('conflict', 'a stock-take is already open here: close it first');
    if (!(await this.deps.wholeCopy())) throw new StationError('conflict', PARTIAL_COPY);
    const auditId = this.deps.newId();
    await this.deps.enqueue({
      table: 'audits',
      action: 'start',
      payload: { id: auditId, location_id: place.id, ...(category === '' ? {} : { category }) },
    });
    return this.begin(auditId, place, category === '' ? null : category);
  }

  /** Joins a stock-take another device started (its id and place from public.open_audits). */
  async join(audit: { id: string; locationId: string; category: string | null }): Promise<StockTakeView> {
    const place = (await this.deps.index.table('locations')).get(audit.locationId);
    if (place === null || place.deletedAt !== null)
      throw new StationError('not_found', 'the place of that stock-take is not on this device yet: sync first');
    const open = await this.current();
    if (open !== null && open.auditId !== audit.id) throw new StationError('conflict', 'a stock-take is already open here: close it first');
    if (!(await this.deps.wholeCopy())) throw new StationError('conflict', PARTIAL_COPY);
    if (open !== null) return this.shown();
    return this.begin(audit.id, place, audit.category);
  }

  private async begin(auditId: string, place: Location, category: string | null): Promise<StockTakeView> {
    this.awaiting = null;
    this.heldQuantity = null;
    await this.save({
      auditId,
      rootId: place.id,
      placeId: place.id,
      category,
      startedAt: this.deps.now(),
      seen: {},
      unknown: [],
      recent: [],
    });
    return this.shown();
  }

  private async shown(): Promise<StockTakeView> {
    const view = await this.view();
    if (view === null) throw new StationError('not_found', 'the place of this stock-take was removed');
    return view;
  }

  /** Null when no stock-take is open on this device. */
  async view(): Promise<StockTakeView | null> {
    const state = await this.current();
    if (state === null) return null;
    const [locations, assets, cases, bulk] = await Promise.all([
      this.deps.index.table('locations'),
      this.deps.index.table('assets'),
      this.deps.index.table('cases'),
      this.deps.index.table('bulk_items'),
    ]);
    const root = locations.get(state.rootId);
    const place = locations.get(state.placeId) ?? root;
    if (root === null || place === null) {
      // The place was removed (elsewhere) since: the stock-take cannot go on here.
      await this.save(null);
      return null;
    }
    const unclaimed = state.unknown.filter((code) => assets.first('barcode', code) === null && assets.first('serial', code) === null);
    // A label claimed since is no longer unknown (the server's report leaves it out too).
    const counts = { found: 0, wrong_place: 0, out_to_gig: 0, unknown: unclaimed.length, expected: 0 };
    for (const kind of Object.values(state.seen)) if (kind !== 'unknown') counts[kind] += 1;
    const toFind = this.toFind(state, { locations, assets, cases, bulk });
    counts.expected = toFind.expected;
    const role = await this.role();
    return {
      auditId: state.auditId,
      root: placeView(root),
      place: placeView(place),
      category: state.category,
      startedAt: new Date(state.startedAt).toISOString(),
      counts,
      recent: [...state.recent].reverse(),
      toFind: toFind.lines.slice(0, TO_FIND),
      toFindTotal: toFind.lines.length,
      unclaimed,
      canClaim: role !== null && opAllowed(role, 'assets', 'claim'),
      // Crew adjust only where their company allows it, which this device does not know: not offered.
      canAdjust: role !== null && role !== 'crew',
    };
  }

  /** What the server will expect in the place (app.audit_report's rule) and this device has not seen. */
  private toFind(
    state: StockTakeState,
    t: {
      locations: TableOf<'locations'>;
      assets: TableOf<'assets'>;
      cases: TableOf<'cases'>;
      bulk: TableOf<'bulk_items'>;
    },
  ): { expected: number; lines: StockTakeView['toFind'] } {
    const inside = (at: string | null): boolean => at !== null && isInside(t.locations, at, state.rootId);
    const where = (at: string | null): string => placeText(at === null ? null : t.locations.get(at)) ?? 'no shelf';
    const lines: StockTakeView['toFind'] = [];
    let expected = 0;
    // In a case scanned here, at any depth (the server counts a case's contents with it).
    const seenCase = (caseId: string | null): boolean => {
      for (let at = caseId, depth = 0; at !== null && depth < 16; depth += 1) {
        if (state.seen[at] !== undefined) return true;
        at = t.cases.get(at)?.parentCaseId ?? null;
      }
      return false;
    };
    for (const asset of t.assets.byId.values()) {
      if (asset.deletedAt !== null || asset.status === 'checked_out' || asset.status === 'retired' || !inside(asset.locationId)) continue;
      if (state.category !== null && asset.category !== state.category) continue;
      expected += 1;
      if (state.seen[asset.id] === undefined && !seenCase(asset.caseId))
        lines.push({ id: asset.id, code: asset.barcode ?? asset.serialNumber, name: asset.name, where: where(asset.locationId) });
    }
    if (state.category === null)
      for (const box of t.cases.byId.values()) {
        if (box.deletedAt !== null || !inside(box.locationId)) continue;
        if (t.assets.find('caseId', box.id).some((a) => a.status === 'checked_out')) continue;
        expected += 1;
        if (!seenCase(box.id)) lines.push({ id: box.id, code: box.barcode, name: box.name ?? box.barcode, where: where(box.locationId) });
      }
    for (const item of t.bulk.byId.values()) {
      // Stock that is all out is not expected on its shelf.
      if (item.inWarehouse === 0 || !inside(item.locationId) || (state.category !== null && item.category !== state.category)) continue;
      expected += 1;
      if (state.seen[item.id] === undefined)
        lines.push({ id: item.id, code: item.barcode ?? item.name, name: item.name, where: where(item.locationId) });
    }
    lines.sort((a, b) => a.where.localeCompare(b.where, 'en', { numeric: true }) || a.code.localeCompare(b.code, 'en', { numeric: true }));
    return { expected, lines };
  }

  /** One scan while the Stock-take screen holds the scans: judged, queued and tallied. */
  async scan(event: ScanEvent, typed?: number): Promise<Feedback> {
    const state = await this.current();
    const answer = (kind: Feedback['kind'], message: string, code: string, queued: string[] = [], awaiting?: 'quantity'): Feedback => ({
      kind,
      message,
      code,
      scan: event,
      queued,
      ...(awaiting === undefined ? {} : { awaiting }),
    });
    const parsed = parseBarcode(event.code);
    if (parsed.kind === 'empty') return answer('error', 'empty scan', '');
    if (state === null) {
      // With none open, a place's label starts one: the operator walks up to a shelf and scans it.
      const code = parsed.kind === 'code' ? parsed.code : '';
      const spot = code === '' ? null : (await this.deps.index.table('locations')).first('code', code);
      if (spot === null || spot.deletedAt !== null)
        return answer('error', "no stock-take is open: scan a shelf's, zone's or warehouse's label to start one", code);
      try {
        const view = await this.start({ placeId: spot.id });
        return answer('ok', `Stock-take of ${view.root.name} (${view.root.code}) started`, code);
      } catch (error) {
        return answer('error', error instanceof Error ? error.message : String(error), code);
      }
    }
    if (parsed.kind === 'command') return answer('warning', `CMD:${parsed.command} does nothing in a stock-take`, `CMD:${parsed.command}`);
    if (parsed.kind === 'quantity') {
      const why = countProblem(parsed.text);
      if (why !== null) return answer('error', why, `CMD:QTY:${parsed.text}`);
      const quantity = Number(parsed.text);
      if (this.awaiting !== null) {
        const waiting = this.awaiting;
        this.awaiting = null;
        return this.count(state, event, { id: waiting.id, code: waiting.code, name: waiting.name }, quantity);
      }
      this.heldQuantity = quantity;
      return answer('ok', `${quantity} held for the next bulk item`, `CMD:QTY:${parsed.text}`);
    }
    const code = parsed.code;
    // Anything but a count drops a bulk item still waiting for one.
    this.awaiting = null;
    const previous = this.lastScan;
    this.lastScan = { code, at: event.receivedAt };
    if (typed === undefined && previous?.code === code && event.receivedAt - previous.at < this.deps.duplicateWindowMs)
      return answer('warning', `${code} scanned again — counted once`, code);
    const judged = await judgeAuditScan(this.deps.index, state.placeId, code);
    if (judged.kind === 'place') {
      if (!isInside(await this.deps.index.table('locations'), judged.place.id, state.rootId)) {
        const root = (await this.deps.index.table('locations')).get(state.rootId);
        return answer('warning', `${placeText(judged.place)} is not in this stock-take of ${placeText(root) ?? 'its place'}`, code);
      }
      this.awaiting = null;
      await this.save({ ...state, placeId: judged.place.id });
      return answer('ok', `Counting ${placeText(judged.place)}`, code);
    }
    if (judged.what === 'bulk' && judged.id !== null) {
      const quantity = typed ?? this.heldQuantity;
      this.heldQuantity = null;
      if (quantity === null) {
        this.awaiting = { id: judged.id, code, name: judged.name };
        return answer('ok', `${judged.name}: how many are here?`, code, [], 'quantity');
      }
      const why = countProblem(quantity);
      if (why !== null) return answer('error', why, code);
      return this.count(state, event, { id: judged.id, code, name: judged.name }, quantity);
    }
    if (typed !== undefined || this.heldQuantity !== null) {
      this.heldQuantity = null;
      return answer(
        'error',
        `a count is for bulk stock: ${judged.what === 'code' ? `unknown code ${code}` : `${judged.name} is counted one by one`}`,
        code,
      );
    }
    const op = await this.deps.enqueue({
      table: 'audits',
      action: 'scan',
      payload: { id: state.auditId, code, location_id: state.placeId },
    });
    const detail =
      judged.kind === 'wrong_place'
        ? `belongs ${judged.belongs === null ? 'on no shelf yet' : `on ${placeText(judged.belongs) ?? 'a removed place'}`}`
        : judged.kind === 'out_to_gig'
          ? 'should be out to a gig'
          : judged.kind === 'unknown'
            ? 'not in the system: a label to claim'
            : null;
    const seen = { ...state.seen };
    if (judged.id !== null) seen[judged.id] = judged.kind;
    const unknown = judged.kind === 'unknown' ? [...state.unknown.filter((c) => c !== code), code] : state.unknown;
    // An unknown label is written at once: it is claimed from this list, after a restart too.
    await this.tally(
      {
        ...state,
        seen,
        unknown,
        recent: [...state.recent, { code, kind: judged.kind, name: judged.name, detail, at: event.receivedAt }].slice(-RECENT),
      },
      judged.kind === 'unknown',
    );
    const words = KIND_WORDS[judged.kind];
    return answer(
      KIND_FEEDBACK[judged.kind],
      `${words}: ${judged.kind === 'unknown' ? code : judged.name}${detail === null ? '' : ` — ${detail}`}`,
      code,
      [op.id],
    );
  }

  /** A bulk item's count here (the latest count of it at a place is the one the report takes). */
  private async count(
    state: StockTakeState,
    event: ScanEvent,
    item: { id: string; code: string; name: string },
    quantity: number,
  ): Promise<Feedback> {
    const op = await this.deps.enqueue({
      table: 'audits',
      action: 'scan',
      payload: { id: state.auditId, code: item.code, location_id: state.placeId, quantity },
    });
    const [locations, bulk] = await Promise.all([this.deps.index.table('locations'), this.deps.index.table('bulk_items')]);
    const row = bulk.get(item.id);
    const kind: AuditScanKind = row !== null && isInside(locations, row.locationId, state.placeId) ? 'found' : 'wrong_place';
    const detail = `${quantity} counted on ${placeText(locations.get(state.placeId)) ?? 'this place'}`;
    await this.tally({
      ...state,
      seen: { ...state.seen, [item.id]: kind },
      recent: [...state.recent, { code: item.code, kind, name: item.name, detail, at: event.receivedAt }].slice(-RECENT),
    });
    return { kind: 'ok', message: `${item.name}: ${detail}`, code: item.code, scan: event, queued: [op.id] };
  }

  /** A pre-printed label scanned in this stock-take becomes a new item on the shelf being counted, then is counted there. */
  async claim(input: z.infer<typeof claimInputSchema>, event: ScanEvent): Promise<Feedback> {
    const state = await this.current();
    if (state === null) throw new StationError('conflict', 'no stock-take is open: start one first');
    const member = await this.deps.member();
    if (member === null)
      throw new StationError('forbidden', 'labels are claimed once this device has learnt your role (sign in while online)');
    if (!opAllowed(member.role, 'assets', 'claim'))
      throw new StationError('forbidden', `signed in as ${roleWords(member.role)}: a label is claimed at a station or by a manager`);
    const code = input.code.trim().toUpperCase();
    const assets = await this.deps.index.table('assets');
    if (assets.first('barcode', code) !== null || assets.first('serial', code) !== null)
      throw new StationError('conflict', `${code} is already an item's code`);
    // Only a label this stock-take found unknown: not a command, a place, or a code never scanned.
    if (!state.unknown.includes(code)) throw new StationError('invalid_arguments', `scan ${code} in this stock-take before claiming it`);
    // A count held for a bulk item is not for the new item.
    this.awaiting = null;
    this.heldQuantity = null;
    await this.deps.enqueue({
      table: 'assets',
      action: 'claim',
      payload: {
        id: this.deps.newId(),
        org_id: member.orgId,
        code,
        name: input.name,
        category: input.category,
        location_id: state.placeId,
      },
    });
    // Counted where it was found: the server judges this scan after the claim (queued after it).
    this.lastScan = null;
    return this.scan({ ...event, code });
  }

  /** Closes the stock-take (moving what was found in the wrong place, when asked and allowed); returns its id for the report. */
  async close(adjust: boolean): Promise<{ auditId: string }> {
    const state = await this.current();
    if (state === null) throw new StationError('conflict', 'no stock-take is open here');
    const role = await this.role();
    if (adjust && (role === null || role === 'crew'))
      throw new StationError('forbidden', 'crew may count but not move what the count found: close without moving, or ask a manager');
    await this.deps.enqueue({ table: 'audits', action: 'close', payload: { id: state.auditId, adjust } });
    this.awaiting = null;
    this.heldQuantity = null;
    await this.save(null);
    return { auditId: state.auditId };
  }

  /** Leaves the stock-take on this device without closing it (others may still be counting). */
  async leave(): Promise<void> {
    this.awaiting = null;
    this.heldQuantity = null;
    await this.save(null);
  }
}
