import type { z } from 'zod';
import type { ScanEvent } from '../scanner/types';
import type { feedbackSchema, scanStateSchema } from '../station-api';
import type { SavedScanSession, Setting } from '../store/settings';
import type { NewOp, QueuedOp } from '../sync/model';
import type { Asset, Case, Gig, StaffProfile } from '../sync/rows';
import { parseBarcode, type Command } from './barcode';
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
  /** Same code again within this window: a warning, not a second op. */
  duplicateWindowMs: number;
  /** Where the gig and mode are kept across a reload or restart (none: the session starts blank). */
  remember?: Setting<SavedScanSession>;
}

type Found = { kind: 'gig'; row: Gig } | { kind: 'staff'; row: StaffProfile } | { kind: 'case'; row: Case } | { kind: 'asset'; row: Asset };

interface Accepted {
  code: string;
  undo: NewOp[];
  /** The case this scan sent out: undoing it forgets the case's contents as sent. */
  sentCase?: string;
}

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
  private readonly recent = new Map<string, number>();
  private readonly history: Accepted[] = [];
  /** Case contents sent out in this session: the caches learn them only from the server. */
  private readonly sentInCases = new Map<string, Set<string>>();
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
    return { mode: this.mode, gig: this.gig, operator: this.operator, condition: this.condition, progress: await this.progress() };
  }

  /**
   * `role` is the scanner's: a dock-door scanner set to "out" always checks out, a returns-bench
   * scanner set to "in" always checks in; "any" follows the session's mode.
   */
  async handle(scan: ScanEvent, role: 'out' | 'in' | 'any' = 'any'): Promise<Feedback> {
    await this.restore();
    const feedback = await this.decide(scan, role);
    await this.remember();
    return feedback;
  }

  private async decide(scan: ScanEvent, role: 'out' | 'in' | 'any'): Promise<Feedback> {
    const mode: Mode = role === 'in' ? 'check_in' : role === 'out' ? 'check_out' : this.mode;
    const parsed = parseBarcode(scan.code);
    if (parsed.kind === 'empty') return this.feedback('error', 'empty scan', '', scan);
    const code = parsed.kind === 'command' ? `CMD:${parsed.command}` : parsed.code;
    const last = this.recent.get(code);
    this.recent.set(code, scan.receivedAt);
    if (parsed.kind === 'code' && last !== undefined && scan.receivedAt - last < this.deps.duplicateWindowMs) {
      return this.feedback('warning', `${code} scanned again — counted once`, code, scan);
    }
    if (parsed.kind === 'command') return this.command(parsed.command, code, scan);

    const found = await this.resolve(code);
    switch (found?.kind) {
      case 'gig':
        return this.selectGig(found.row, code, scan);
      case 'staff':
        this.operator = found.row;
        return this.feedback('ok', `operator: ${found.row.displayName}`, code, scan);
      case 'case':
        return mode === 'check_out' ? this.checkOutCase(found.row, code, scan) : this.checkInCase(found.row, code, scan);
      case 'asset':
        return mode === 'check_out' ? this.checkOutAsset(found.row, code, scan) : this.checkInAsset(found.row, code, scan);
      case undefined:
        this.recent.delete(code);
        return this.feedback('error', `unknown barcode ${code}`, code, scan);
    }
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
    const found = await this.resolve(parsed.code);
    if (found === null) return this.feedback('warning', `test scan: ${parsed.code} is not a known barcode`, parsed.code, scan);
    const what =
      found.kind === 'staff'
        ? `operator ${found.row.displayName}`
        : found.kind === 'case'
          ? `case ${found.row.name ?? found.row.barcode}`
          : `${found.kind} ${found.row.name}`;
    return this.feedback('ok', `test scan: ${parsed.code} is ${what} — nothing was changed`, parsed.code, scan);
  }

  /** One lookup order for every use: gig, operator badge, case, asset. */
  private async resolve(code: string): Promise<Found | null> {
    const gig = await this.deps.catalog.findGig(code);
    if (gig !== null) return { kind: 'gig', row: gig };
    const staff = await this.deps.catalog.findStaff(code);
    if (staff !== null) return { kind: 'staff', row: staff };
    const box = await this.deps.catalog.findCase(code);
    if (box !== null) return { kind: 'case', row: box };
    const asset = await this.deps.catalog.findAsset(code);
    return asset === null ? null : { kind: 'asset', row: asset };
  }

  private feedback(kind: FeedbackKind, message: string, code: string, scan: ScanEvent, queued: QueuedOp[] = []): Feedback {
    return { kind, message, code, scan, queued: queued.map((op) => op.id) };
  }

  private async command(command: Command, code: string, scan: ScanEvent): Promise<Feedback> {
    switch (command) {
      case 'CHECK-OUT':
        this.mode = 'check_out';
        return this.feedback('ok', this.gig === null ? 'check-out: scan a gig' : `check-out to ${this.gig.name}`, code, scan);
      case 'CHECK-IN':
        this.mode = 'check_in';
        this.condition = 'ok';
        return this.feedback('ok', 'check-in: scan items', code, scan);
      case 'OK':
      case 'DAMAGED':
      case 'MISSING-PARTS':
        this.condition = command === 'OK' ? 'ok' : command === 'DAMAGED' ? 'damaged' : 'missing_parts';
        return this.feedback('ok', `next check-in: ${this.condition.replace('_', ' ')}`, code, scan);
      case 'DONE': {
        const progress = await this.progress();
        this.gig = null;
        if (progress !== null && progress.missing > 0) {
          return this.feedback('warning', `done — ${progress.missing} planned item(s) not scanned`, code, scan);
        }
        return this.feedback('ok', 'done', code, scan);
      }
      case 'UNDO': {
        const last = this.history.pop();
        if (last === undefined) return this.feedback('warning', 'nothing to undo', code, scan);
        const queued: QueuedOp[] = [];
        for (const op of last.undo) queued.push(await this.deps.enqueue(op));
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

  private unavailable(asset: Asset): string | null {
    if (asset.status === 'checked_out' && asset.currentGigId !== this.gig?.id) {
      return `${asset.serialNumber} is checked out to another gig`;
    }
    const reason = UNAVAILABLE[asset.status];
    return reason === undefined ? null : `${asset.serialNumber} ${reason}`;
  }

  private async checkOutAsset(asset: Asset, code: string, scan: ScanEvent): Promise<Feedback> {
    const gig = this.gig;
    if (gig === null) return this.feedback('error', 'scan a gig before checking items out', code, scan);
    if (asset.status === 'checked_out' && asset.currentGigId === gig.id) {
      return this.feedback('warning', `${asset.serialNumber} is already out to this gig`, code, scan);
    }
    const blocked = this.unavailable(asset);
    if (blocked !== null) return this.feedback('error', blocked, code, scan);

    const warning = await this.planWarning([asset], gig.id);
    const op = await this.deps.enqueue({
      table: 'assets',
      action: 'check_out',
      payload: { id: asset.id, gig_id: gig.id },
      base_version: asset.version,
    });
    this.history.push({ code, undo: [{ table: 'assets', action: 'check_in', payload: { id: asset.id, condition: 'ok' } }] });
    const name = `${asset.serialNumber} ${asset.name}`;
    return warning === null
      ? this.feedback('ok', `${name} → ${gig.name}`, code, scan, [op])
      : this.feedback('warning', `${name}: ${warning}`, code, scan, [op]);
  }

  private async checkOutCase(box: Case, code: string, scan: ScanEvent): Promise<Feedback> {
    const gig = this.gig;
    if (gig === null) return this.feedback('error', 'scan a gig before checking items out', code, scan);
    const contents = await this.deps.catalog.caseContents(box.id);
    const blocked = contents.map((a) => this.unavailable(a)).filter((r): r is string => r !== null);
    if (blocked.length > 0) return this.feedback('error', `case ${box.barcode} cannot go out: ${blocked.join('; ')}`, code, scan);
    const warning = await this.planWarning(contents, gig.id);
    const op = await this.deps.enqueue({
      table: 'cases',
      action: 'check_out',
      payload: { id: box.id, gig_id: gig.id },
      base_version: box.version,
    });
    const sent = this.sentInCases.get(gig.id) ?? new Set<string>();
    for (const item of contents) sent.add(item.id);
    this.sentInCases.set(gig.id, sent);
    this.history.push({ code, undo: [{ table: 'cases', action: 'check_in', payload: { id: box.id, condition: 'ok' } }], sentCase: box.id });
    const message = `case ${box.barcode} (${contents.length} items) → ${gig.name}`;
    return warning === null
      ? this.feedback('ok', message, code, scan, [op])
      : this.feedback('warning', `${message}: ${warning}`, code, scan, [op]);
  }

  private async checkInAsset(asset: Asset, code: string, scan: ScanEvent): Promise<Feedback> {
    const serial = asset.serialNumber;
    if (asset.status === 'retired') return this.feedback('error', `${serial} is retired`, code, scan);
    if (asset.status === 'available' && this.condition === 'ok') {
      return this.feedback('warning', `${serial} is already in`, code, scan);
    }
    const fromGig = asset.currentGigId;
    const op = await this.deps.enqueue({ table: 'assets', action: 'check_in', payload: { id: asset.id, condition: this.condition } });
    if (fromGig !== null) {
      this.history.push({
        code,
        undo: [{ table: 'assets', action: 'check_out', payload: { id: asset.id, gig_id: fromGig }, base_version: asset.version + 1 }],
      });
    }
    const condition = this.condition;
    this.condition = 'ok';
    if (condition === 'damaged') return this.feedback('warning', `${serial} in, damaged → quarantine`, code, scan, [op]);
    if (condition === 'missing_parts') return this.feedback('warning', `${serial} in, missing parts → maintenance`, code, scan, [op]);
    return this.feedback('ok', `${serial} in`, code, scan, [op]);
  }

  private async checkInCase(box: Case, code: string, scan: ScanEvent): Promise<Feedback> {
    const op = await this.deps.enqueue({ table: 'cases', action: 'check_in', payload: { id: box.id, condition: this.condition } });
    this.condition = 'ok';
    return this.feedback('ok', `case ${box.barcode} in`, code, scan, [op]);
  }

  /** Wrong-gig and over-allocation warnings for items about to go out to `gigId`. */
  private async planWarning(items: Asset[], gigId: string): Promise<string | null> {
    const plan = await this.plan(gigId);
    if (plan.specific.size === 0 && plan.bulk.size === 0) return null;
    const out = await this.outTo(gigId);
    for (const item of items) {
      if (plan.specific.has(item.id)) continue;
      const category = item.category;
      const quota = plan.bulk.get(category);
      if (quota === undefined) return 'not on this gig’s pick list';
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

  private async progress(): Promise<Progress | null> {
    if (this.gig === null) return null;
    const { specific, bulk } = await this.plan(this.gig.id);
    const out = await this.outTo(this.gig.id);
    const outIds = new Set(out.map((a) => a.id));
    let scanned = [...specific].filter((id) => outIds.has(id)).length;
    let extra = 0;
    const usedBulk = new Map<string, number>();
    for (const asset of out) {
      if (specific.has(asset.id)) continue;
      const category = asset.category;
      const used = usedBulk.get(category) ?? 0;
      if (used < (bulk.get(category) ?? 0)) {
        usedBulk.set(category, used + 1);
        scanned += 1;
      } else {
        extra += 1;
      }
    }
    const plannedBulk = [...bulk.values()].reduce((a, b) => a + b, 0);
    const planned = specific.size + plannedBulk;
    return { gigId: this.gig.id, planned, scanned, missing: planned - scanned, extra };
  }
}
