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
import { isCachedTable, type Conflict, type Row } from './model';
import { opDefinition } from './ops';
import { assetWords, bulkItemWords, caseWords, gigWords, opLabel, opNames, type CachedLookup } from './quarantine-words';
import { opAllowed, roleWords, transitionAllowed, type MemberRole } from './roles';
import { formatDateTime, localTime } from '../views/time';

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
  /** The device in words (core/views/device-words.ts: "this station (Dock door A)", "a crew phone"). */
  device: string | null;
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

/** The conflict as the operator reads it, with what each choice will do. */
export async function conflictView(
  conflict: Pick<Conflict, 'op' | 'serverRow' | 'changedFields'> & { message?: string },
  context: ConflictContext,
): Promise<ConflictView> {
  const { op, serverRow } = conflict;
  const read = async (table: Parameters<CachedLookup>[0], id: unknown): Promise<Row | null> =>
    typeof id === 'string' ? context.lookup(table, id).catch(() => null) : null;
  const cached = isCachedTable(op.table) ? await read(op.table, op.payload['id']) : null;
  // The server's row names the thing as it is now; the cache as this station knew it.
  const row = serverRow ?? cached;
  const what = await opLabel(op, context.lookup);
  const movement =
    op.table === 'assets' && serverRow !== null && context.lastMovement !== undefined
      ? await context.lastMovement(String(op.payload['id'])).catch(() => null)
      : op.table === 'gigs'
        ? await gigWriter(serverRow, context.lookup)
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

  if (op.table === 'gigs' && op.action === 'set_times') {
    const title = gigTitle(row);
    // In the venue's zone, as the Gigs screen shows the gig's times.
    const zone = typeof row?.['time_zone'] === 'string' ? row['time_zone'] : context.timeZone;
    const when = (value: unknown): string =>
      typeof value === 'string' ? formatDateTime(value, { timeZone: zone, locale: 'en-GB' }) : 'not set';
    const fields = (['starts_at', 'ends_at'] as const).map((column) =>
      field(
        column,
        column === 'starts_at' ? 'Starts' : 'Ends',
        when(op.payload[column]),
        serverRow === null ? 'no longer on the server' : when(serverRow[column]),
      ),
    );
    const same = fields.every((f) => !f.differs);
    const keep: ConflictChoiceView =
      refusedByRole !== null
        ? { allowed: false, text: refusedByRole }
        : serverRow === null || serverRow['deleted_at'] != null
          ? gone(title)
          : same
            ? {
                allowed: true,
                text: `Keep local: nothing needs sending — ${title} already has these times on the server; the conflict is cleared.`,
              }
            : { allowed: true, text: `Keep local: set ${title}'s times to this station's again; its crew are told of the change.` };
    return { title, what, serverChange, fields, choices: { keep_local: keep, use_server: useServer(`${title} keeps the server's times`) } };
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

  if (op.table === 'bulk_items' && (op.action === 'check_out' || op.action === 'check_in')) {
    const keep = refusedByRole !== null ? { allowed: false, text: refusedByRole } : null;
    return { what, serverChange, ...(await bulkConflict(op.action, op.payload, serverRow, cached, read, keep)) };
  }

  if (op.table === 'kit_assignments' && op.action === 'create') {
    // The server found the item held by another gig at the same time (overbooked): its words name them.
    const gig = gigWords(await read('gigs', op.payload['gig_id']));
    const names = opNames(context.lookup);
    const planned =
      typeof op.payload['asset_id'] === 'string'
        ? await names.asset(op.payload['asset_id'])
        : typeof op.payload['case_id'] === 'string'
          ? await names.kase(op.payload['case_id'])
          : `${String(op.payload['quantity'])} × ${String(op.payload['category'])}`;
    const held = (conflict.message ?? '').replace(/; confirm to plan it anyway$/, '');
    const fields = [field('held', 'Also held', `on the pick list of ${gig}`, held === '' ? 'by another gig at the same time' : held)];
    const keep: ConflictChoiceView =
      refusedByRole !== null
        ? { allowed: false, text: refusedByRole }
        : { allowed: true, text: `Keep local: plan ${planned} for ${gig} anyway — recorded as a deliberate overbooking, with your name.` };
    return {
      title: `${planned} for ${gig}`,
      what,
      serverChange,
      fields,
      choices: { keep_local: keep, use_server: useServer(`${planned} stays off the pick list of ${gig}`) },
    };
  }

  // Any other op (none conflicts today): the changed columns in plain words.
  const title =
    op.table === 'assets'
      ? assetWords(row)
      : op.table === 'cases'
        ? caseWords(row)
        : op.table === 'bulk_items'
          ? bulkItemWords(row)
          : gigTitle(row);
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

type Read = (table: 'assets' | 'gigs' | 'cases' | 'bulk_items', id: unknown) => Promise<Row | null>;

/** A whole number of units from a row (a value the station cannot read counts as none). */
const units = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A bulk row's out_to ({gig id: units}) as pairs; anything unreadable is none. */
const holdings = (row: Row | null): [string, number][] => {
  const outTo = row?.['out_to'];
  if (typeof outTo !== 'object' || outTo === null || Array.isArray(outTo)) return [];
  return Object.entries(outTo as Record<string, unknown>)
    .map(([gig, n]): [string, number] => [gig, units(n)])
    .filter(([, n]) => n > 0);
};

/**
 * A quantity check-out or check-in the server answered insufficient_stock / more_than_out
 * (app.op_bulk_write judges quantities, not versions: a re-send is judged against what the server
 * row holds now). Keep Local is offered only when the quantity asked fits: the warehouse's count
 * for a check-out, what is out to that gig for a check-in. Fields are counts in words; the gigs
 * holding units are named from the caches, never by id.
 */
async function bulkConflict(
  action: 'check_out' | 'check_in',
  payload: Record<string, unknown>,
  serverRow: Row | null,
  cached: Row | null,
  read: Read,
  refused: ConflictChoiceView | null,
): Promise<Pick<ConflictView, 'title' | 'fields' | 'choices'>> {
  const row = serverRow ?? cached;
  const title = bulkItemWords(row);
  const name = typeof row?.['name'] === 'string' && row['name'].trim() !== '' ? row['name'].trim() : title;
  const unit = typeof row?.['unit'] === 'string' && row['unit'].trim() !== '' ? row['unit'].trim() : 'pcs';
  const pcs = (n: number): string => (n === 0 ? 'none' : `${n} ${unit}`);
  const asked = payload['quantity'];
  const quantity = typeof asked === 'number' && Number.isInteger(asked) && asked > 0 ? asked : null;
  const askedWords = quantity === null ? 'an unreadable quantity' : pcs(quantity);
  const gigId = payload['gig_id'];
  const gig = await read('gigs', gigId);
  const gigName = gigWords(gig);
  const outHere = (r: Row | null): number => holdings(r).find(([id]) => id === gigId)?.[1] ?? 0;
  const elsewhere = async (r: Row | null): Promise<string> => {
    const others = holdings(r).filter(([id]) => id !== gigId);
    if (others.length === 0) return 'none';
    const named = await Promise.all(others.slice(0, 3).map(async ([id, n]) => `${gigWords(await read('gigs', id))}: ${pcs(n)}`));
    return others.length > 3 ? `${named.join(', ')} and ${others.length - 3} more gigs` : named.join(', ');
  };
  const inWarehouse = units(serverRow?.['in_warehouse']);
  const held = outHere(serverRow);
  const onServer = (n: number): string => (serverRow === null ? 'no longer on the server' : pcs(n));

  const fields: ConflictView['fields'] = [];
  if (action === 'check_out') {
    fields.push({
      key: 'in_warehouse',
      label: 'In the warehouse',
      local: `${askedWords} to take out`,
      server: onServer(inWarehouse),
      differs: serverRow === null || quantity === null || inWarehouse < quantity,
    });
    fields.push(field('out_to', `Out to ${gigName}`, pcs(outHere(cached)), onServer(held)));
    const local = await elsewhere(cached);
    const server = serverRow === null ? 'no longer on the server' : await elsewhere(serverRow);
    if (local !== 'none' || server !== 'none') fields.push(field('out_elsewhere', 'Out to other gigs', local, server));
  } else {
    fields.push({
      key: 'out_to',
      label: `Out to ${gigName}`,
      local: `${askedWords} coming back`,
      server: onServer(held),
      differs: serverRow === null || quantity === null || held < quantity,
    });
    fields.push(field('in_warehouse', 'In the warehouse', pcs(units(cached?.['in_warehouse'])), onServer(inWarehouse)));
  }

  const noun = opDefinition('bulk_items', action)?.noun ?? 'change';
  const what = `${askedWords} of ${name}`;
  let keep: ConflictChoiceView;
  if (refused !== null) keep = refused;
  else if (serverRow === null || serverRow['deleted_at'] != null)
    keep = { allowed: false, text: `Keep local: not offered — ${name} is no longer on the server.` };
  else if (quantity === null)
    keep = { allowed: false, text: 'Keep local: not offered — the quantity this station sent cannot be read; the server refuses it.' };
  else if (action === 'check_out' && gig !== null && (gig['status'] === 'completed' || gig['status'] === 'cancelled'))
    keep = {
      allowed: false,
      text: `Keep local: not offered — ${gigName} is ${statusWords(gig['status'])}, the server takes no more check-outs for it.`,
    };
  else if (action === 'check_out' && inWarehouse < quantity)
    keep = {
      allowed: false,
      text: `Keep local: not offered — the server has ${inWarehouse === 0 ? 'none' : `only ${pcs(inWarehouse)}`} of ${name} in the warehouse, so sending the check-out of ${pcs(quantity)} again would be refused. Use the server's, then scan how many really go out${inWarehouse === 0 ? '' : ` (at most ${inWarehouse})`}.`,
    };
  else if (action === 'check_in' && held < quantity)
    keep = {
      allowed: false,
      text: `Keep local: not offered — the server counts ${held === 0 ? 'none' : `only ${pcs(held)}`} of ${name} out to ${gigName}, so sending the check-in of ${pcs(quantity)} again would be refused. Use the server's, then check in what came back${held === 0 ? ' from the gig holding them' : ` (at most ${held})`}.`,
    };
  else if (action === 'check_out')
    keep = {
      allowed: true,
      text: `Keep local: send the check-out again — ${what} go out to ${gigName} (the server has ${pcs(inWarehouse)} in the warehouse).`,
    };
  else
    keep = {
      allowed: true,
      text: `Keep local: send the check-in again — ${what} come back from ${gigName} (the server counts ${pcs(held)} out to it).`,
    };
  const stays =
    serverRow === null
      ? `${name} is no longer on the server`
      : action === 'check_out'
        ? `${what} do not go out to ${gigName}, and the warehouse keeps ${pcs(inWarehouse)}`
        : `${what} are not counted back, and the server keeps ${pcs(held)} out to ${gigName}`;
  return {
    title,
    fields,
    choices: { keep_local: keep, use_server: { allowed: true, text: `Use server: drop this station's ${noun}; ${stays}.` } },
  };
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
 * Who last wrote a gig on the server (its updated_by: the database names the member's staff
 * profile, migration 20261204000200), by the name this station holds for them; when: updated_at.
 * Null when the row names nobody or the person is not in this station's copy.
 */
async function gigWriter(serverRow: Row | null, lookup: CachedLookup): Promise<ServerMovement | null> {
  const by = serverRow?.['updated_by'];
  const at = typeof serverRow?.['updated_at'] === 'string' ? Date.parse(serverRow['updated_at']) : Number.NaN;
  if (typeof by !== 'string' || Number.isNaN(at)) return null;
  const person = await lookup('staff_profiles', by).catch(() => null);
  const name = person?.['display_name'];
  return typeof name === 'string' && name.trim() !== '' ? { at, staffName: name, device: null } : null;
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
  const device = movement?.device ?? null;
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
  if (typeof value === 'object' && !Array.isArray(value)) {
    // {gig id: units} and the like: each key named as a row, never shown as an id.
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return 'none';
    const words = await Promise.all(
      entries.map(async ([key, inner]) => `${await valueWords(key, read)}: ${await valueWords(inner, read)}`),
    );
    return words.join(', ');
  }
  return JSON.stringify(value);
}
