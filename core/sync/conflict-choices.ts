/**
 * A conflict in the operator's language, and what each choice will do — decided once, per op
 * kind, here. The Conflicts screen shows what this returns; the resolve handler refuses a choice
 * this says the server would refuse (a Select all → Keep Local must not quarantine anything).
 *
 * Keep Local re-sends the op decided on the server's version (core/store/queue.ts requeued), so
 * the server then judges it against the row it holds now: the same verdicts as push_changes
 * (app.check_out_verdict, app.gig_status_transition_allowed, app.op_allowed) are read here off
 * the server row the conflict carries. Use Server drops the op: it always works.
 *
 * Nothing here shows an id: rows are named from the station's caches ("Shure SM58 · MIC-1042",
 * "Main Stage Day 2"), a row the station does not hold is "a gig not on this station".
 */
import { z } from 'zod';
import { GIG_STATUSES, type GigStatus } from '../station-views';
import type { Conflict, Row } from './model';
import { opDefinition } from './ops';
import { assetWords, caseWords, gigWords, opLabel, type CachedLookup } from './quarantine-words';
import { opAllowed, roleWords, transitionAllowed, type MemberRole } from './roles';

export const conflictChoiceSchema = z.object({
  /** False when the server would refuse it: the screen disables it and shows `text` as the reason. */
  allowed: z.boolean(),
  text: z.string(),
});
export type ConflictChoiceView = z.infer<typeof conflictChoiceSchema>;

export const conflictFieldSchema = z.object({
  /** A stable key for tests (not shown). */
  key: z.string(),
  label: z.string(),
  local: z.string(),
  server: z.string(),
  differs: z.boolean(),
});

export const conflictViewSchema = z.object({
  /** What the conflict is about: "Shure SM58 · MIC-1042", "Main Stage Day 2 · GIG-0042". */
  title: z.string(),
  /** What this station did: "Check-out of Shure SM58 · MIC-1042 to Main Stage Day 2". */
  what: z.string(),
  /** Who changed the server's side and when, as far as the station knows. */
  serverChange: z.string(),
  fields: z.array(conflictFieldSchema),
  choices: z.object({ keep_local: conflictChoiceSchema, use_server: conflictChoiceSchema }),
});
export type ConflictView = z.infer<typeof conflictViewSchema>;

export interface ConflictContext {
  lookup: CachedLookup;
  /** The signed-in role in the row's organization, as last known (null: not known). */
  role: MemberRole | null;
  now: number;
  timeZone?: string | undefined;
  /**
   * The server's last movement of an asset (its history), when the server can be asked: who did
   * it, from which device, when. Absent or null: the row's updated_at is all the station knows.
   */
  lastMovement?: ((assetId: string) => Promise<ServerMovement | null>) | undefined;
}

/** A movement as the server's history tells it (names, never ids). */
export interface ServerMovement {
  at: number;
  staffName: string | null;
  deviceId: string | null;
}

const ASSET_PLACE: Record<string, string> = {
  available: 'in the warehouse',
  in_maintenance: 'in maintenance',
  quarantined: 'quarantined (damaged)',
  lost: 'marked lost',
  retired: 'retired',
};

const statusWords = (status: unknown): string =>
  typeof status === 'string' && (GIG_STATUSES as readonly string[]).includes(status) ? status.replaceAll('_', ' ') : 'unknown';

const isGigStatus = (value: unknown): value is GigStatus =>
  typeof value === 'string' && (GIG_STATUSES as readonly string[]).includes(value);

/** "14:32 today", "09:05, 2 Dec" (the year when it is not this year's), in the station's time zone, with no-break spaces. */
export function localTime(at: number, now: number, timeZone?: string): string {
  const fmt = (ms: number, options: Intl.DateTimeFormatOptions): string =>
    new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(ms);
  const time = fmt(at, { hour: '2-digit', minute: '2-digit' });
  // No-break spaces: a time never wraps mid-value on a phone.
  if (fmt(at, { dateStyle: 'short' }) === fmt(now, { dateStyle: 'short' })) return `${time}\u00a0today`;
  const sameYear = fmt(at, { year: 'numeric' }) === fmt(now, { year: 'numeric' });
  const day = fmt(at, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).replaceAll(' ', '\u00a0');
  return `${time},\u00a0${day}`;
}

/** The conflict as the operator reads it, with what each choice will do. */
export async function conflictView(
  conflict: Pick<Conflict, 'op' | 'serverRow' | 'changedFields'>,
  context: ConflictContext,
): Promise<ConflictView> {
  const { op, serverRow } = conflict;
  const read = async (table: 'assets' | 'gigs' | 'cases' | 'bulk_items', id: unknown): Promise<Row | null> =>
    typeof id === 'string' ? context.lookup(table, id).catch(() => null) : null;
  const cached = await read(op.table, op.payload['id']);
  // The server's row names the thing as it is now; the cache as this station knew it.
  const row = serverRow ?? cached;
  const what = await opLabel(op, context.lookup);
  const movement =
    op.table === 'assets' && serverRow !== null && context.lastMovement !== undefined
      ? await context.lastMovement(String(op.payload['id'])).catch(() => null)
      : null;
  const serverChange = changedWords(serverRow, movement, context);
  const useServer = (stays: string): ConflictChoiceView => ({
    allowed: true,
    text: `Use server: drop this station's ${opDefinition(op.table, op.action)?.noun ?? 'change'}; ${stays}.`,
  });
  const refusedByRole =
    context.role !== null && !opAllowed(context.role, op.table, op.action)
      ? `Keep local: not offered — signed in as ${roleWords(context.role)}, the server refuses this change (only a manager or an admin may make it).`
      : null;
  const gone = (name: string): ConflictChoiceView => ({
    allowed: false,
    text: `Keep local: not offered — ${name} is no longer on the server.`,
  });

  if (op.table === 'assets' && op.action === 'check_out') {
    const title = assetWords(row);
    const serial = typeof row?.['serial_number'] === 'string' ? row['serial_number'] : title;
    const wanted = await read('gigs', op.payload['gig_id']);
    const wantedName = gigWords(wanted);
    const where = serverRow === null ? 'no longer on the server' : await assetPlace(serverRow, read);
    const fields = [field('where', 'Where it is', `out to: ${wantedName}`, where)];
    let keep: ConflictChoiceView;
    if (refusedByRole !== null) keep = { allowed: false, text: refusedByRole };
    else if (serverRow === null) keep = gone(serial);
    else if (wanted !== null && (wanted['status'] === 'completed' || wanted['status'] === 'cancelled'))
      keep = {
        allowed: false,
        text: `Keep local: not offered — ${wantedName} is ${statusWords(wanted['status'])}, the server takes no more check-outs for it.`,
      };
    else if (serverRow['status'] === 'checked_out' && serverRow['current_gig_id'] === op.payload['gig_id'])
      keep = {
        allowed: true,
        text: `Keep local: nothing needs sending — ${serial} is already out to ${wantedName} on the server; the conflict is cleared.`,
      };
    else if (serverRow['status'] === 'checked_out')
      keep = {
        allowed: false,
        text: `Keep local: not offered — sending the check-out again would be refused because ${serial} is now ${prose(where)}. Check it in first, or use the server's.`,
      };
    else if (serverRow['status'] !== 'available')
      keep = {
        allowed: false,
        text: `Keep local: not offered — sending the check-out again would be refused because ${serial} is ${where}.`,
      };
    else keep = { allowed: true, text: `Keep local: send the check-out again — ${serial} goes out to ${wantedName}.` };
    return { title, what, serverChange, fields, choices: { keep_local: keep, use_server: useServer(`${serial} stays ${prose(where)}`) } };
  }

  if (op.table === 'cases' && op.action === 'check_out') {
    const title = caseWords(row);
    const wanted = await read('gigs', op.payload['gig_id']);
    const wantedName = gigWords(wanted);
    const fields = [
      field(
        'where',
        'Where it is',
        `out to: ${wantedName}`,
        serverRow === null ? 'no longer on the server' : 'changed on the server since this station read it',
      ),
    ];
    let keep: ConflictChoiceView;
    if (refusedByRole !== null) keep = { allowed: false, text: refusedByRole };
    else if (serverRow === null) keep = gone(title);
    else if (wanted !== null && (wanted['status'] === 'completed' || wanted['status'] === 'cancelled'))
      keep = {
        allowed: false,
        text: `Keep local: not offered — ${wantedName} is ${statusWords(wanted['status'])}, the server takes no more check-outs for it.`,
      };
    else
      keep = {
        allowed: true,
        text: `Keep local: send the check-out again — the server takes the whole ${title} out to ${wantedName}, or refuses it if an item in it is out elsewhere.`,
      };
    return {
      title,
      what,
      serverChange,
      fields,
      choices: { keep_local: keep, use_server: useServer(`${title} stays as the server has it`) },
    };
  }

  if (op.table === 'gigs' && op.action === 'set_status') {
    const title = gigTitle(row);
    const to = op.payload['to'];
    const now = serverRow?.['status'];
    const fields = [field('status', 'Status', statusWords(to), serverRow === null ? 'no longer on the server' : statusWords(now))];
    let keep: ConflictChoiceView;
    if (refusedByRole !== null) keep = { allowed: false, text: refusedByRole };
    else if (serverRow === null || serverRow['deleted_at'] != null) keep = gone(title);
    else if (now === to)
      keep = {
        allowed: true,
        text: `Keep local: nothing needs sending — ${title} is already ${statusWords(to)} on the server; the conflict is cleared.`,
      };
    else if (isGigStatus(now) && isGigStatus(to) && !transitionAllowed(now, to))
      keep = {
        allowed: false,
        text: `Keep local: not offered — the server refuses a gig going from ${statusWords(now)} to ${statusWords(to)}.`,
      };
    else keep = { allowed: true, text: `Keep local: set ${title} to ${statusWords(to)} again (it is ${statusWords(now)} on the server).` };
    return {
      title,
      what,
      serverChange,
      fields,
      choices: { keep_local: keep, use_server: useServer(`${title} stays ${statusWords(now)}`) },
    };
  }

  if (op.table === 'gigs' && op.action === 'move') {
    const title = gigTitle(row);
    const under = async (id: unknown): Promise<string> => (id == null ? 'the top level' : `under ${gigWords(await read('gigs', id))}`);
    const server = serverRow === null ? 'no longer on the server' : await under(serverRow['parent_gig_id']);
    const fields = [field('parent', 'Where it sits', await under(op.payload['parent_gig_id']), server)];
    const keep: ConflictChoiceView =
      refusedByRole !== null
        ? { allowed: false, text: refusedByRole }
        : serverRow === null || serverRow['deleted_at'] != null
          ? gone(title)
          : { allowed: true, text: `Keep local: move ${title} ${await under(op.payload['parent_gig_id'])} again.` };
    return { title, what, serverChange, fields, choices: { keep_local: keep, use_server: useServer(`${title} stays ${server}`) } };
  }

  // Any other op (none conflicts today: only versioned ops do): the changed columns in plain words.
  const title = op.table === 'assets' ? assetWords(row) : op.table === 'cases' ? caseWords(row) : gigTitle(row);
  const fields = await Promise.all(
    conflict.changedFields.map(async (column) => {
      const local = await valueWords(op.payload[column], read);
      const server = await valueWords(serverRow?.[column], read);
      return field(column, column.replaceAll('_', ' ').replace(/ id$/, ''), local, server);
    }),
  );
  const keep: ConflictChoiceView =
    refusedByRole !== null
      ? { allowed: false, text: refusedByRole }
      : serverRow === null
        ? gone(title)
        : { allowed: true, text: "Keep local: send this station's change again, decided on the server's version." };
  return { title, what, serverChange, fields, choices: { keep_local: keep, use_server: useServer(`${title} stays as the server has it`) } };
}

/** "out to: Main Stage" (a table cell) → "out to Main Stage" (in a sentence). */
const prose = (place: string): string => place.replace(/^out to: /, 'out to ');

function field(key: string, label: string, local: string, server: string) {
  return { key, label, local, server, differs: local !== server };
}

/** "Main Stage Day 2 · GIG-0042". */
function gigTitle(row: Row | null): string {
  const code = typeof row?.['code'] === 'string' && row['code'] !== '' ? ` · ${row['code']}` : '';
  return `${gigWords(row)}${row === null ? '' : code}`;
}

/** Where an asset is, as its server row says: "out to: Main Stage Day 2", "in the warehouse". */
async function assetPlace(row: Row, read: (table: 'gigs', id: unknown) => Promise<Row | null>): Promise<string> {
  if (row['status'] === 'checked_out') return `out to: ${gigWords(await read('gigs', row['current_gig_id']))}`;
  return typeof row['status'] === 'string' ? (ASSET_PLACE[row['status']] ?? row['status'].replaceAll('_', ' ')) : 'unknown';
}

/**
 * Who changed the server's row and when: the asset's last movement when the server's history was
 * reachable (who, which device), else the row's updated_at.
 */
function changedWords(serverRow: Row | null, movement: ServerMovement | null, context: ConflictContext): string {
  if (serverRow === null) return 'Deleted on the server.';
  const updated = typeof serverRow['updated_at'] === 'string' ? Date.parse(serverRow['updated_at']) : Number.NaN;
  const at = movement?.at ?? updated;
  const when = Number.isNaN(at) ? '' : ` at ${localTime(at, context.now, context.timeZone)}`;
  const who = movement?.staffName ?? null;
  // A device is named only by a name: a bare device id means nothing to the operator.
  const device = movement?.deviceId != null && !UUID.test(movement.deviceId) ? movement.deviceId : null;
  const by = who !== null ? ` by ${who}${device !== null ? ` (${device})` : ''}` : device !== null ? ` from ${device}` : '';
  return `Changed on the server${when}${by}.`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A column's value in words: a row named from the caches, never an id. */
async function valueWords(value: unknown, read: (table: 'gigs' | 'assets' | 'cases', id: unknown) => Promise<Row | null>): Promise<string> {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string' && UUID.test(value)) {
    const gig = await read('gigs', value);
    if (gig !== null) return gigWords(gig);
    const asset = await read('assets', value);
    if (asset !== null) return assetWords(asset);
    const box = await read('cases', value);
    return box !== null ? caseWords(box) : 'a record not on this station';
  }
  if (typeof value === 'string') return value.replaceAll('_', ' ');
  return JSON.stringify(value);
}
