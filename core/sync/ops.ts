/**
 * Every op a station can queue, defined once: which table and action, whether the server checks
 * it against the row's version, what it does to the station's cached row before the server has
 * answered (optimistic.ts), what it wanted each field to become (the Conflicts screen), and what
 * it was in words (the Sync screen's quarantine list). model.ts's ACTIONS and NEEDS_BASE_VERSION
 * are read from here, so adding an op type is this file plus the server's push_changes (its
 * `apply_op` list and writer); tests/sync/ops-server.test.ts checks each op here against the
 * server on a real PostgreSQL.
 *
 * Effects are written on the cached rows as the server sends them (snake_case columns): they are
 * what the caches store.
 */

/** A queued op as these definitions read it (structurally QueuedOp's fields, no import cycle with model.ts). */
export interface OpInput {
  table: string;
  action: string;
  payload: Record<string, unknown>;
  /** When the op was made on this device (ms): a soft delete is stamped with it. */
  timestamp: number;
}

/** Names the station holds, for words about an op: each says "… not on this station" when it holds none. */
export interface OpNames {
  asset(id: unknown): Promise<string>;
  gig(id: unknown): Promise<string>;
  kase(id: unknown): Promise<string>;
  bulkItem(id: unknown): Promise<string>;
  /** A pick list line: "Shure SM58 · MIC-1042 on Main Stage" ("24 × XLR cable on …"). */
  planLine(id: unknown): Promise<string>;
  /** A crew assignment: "Mika Moreau (Stage manager) on Main Stage". */
  crewAssignment(id: unknown): Promise<string>;
  /** A staff member: "Mika Moreau". */
  person(id: unknown): Promise<string>;
}

interface OpDefinition {
  /** The server refuses the op (a conflict) when the row moved past the version it was decided on. */
  needsBaseVersion: boolean;
  /**
   * The columns the op sets on its own cached row (the version is bumped by one beside them), or
   * null when it leaves that row as it is (a create: see `creates`). A quantity op reads the
   * row's current quantities (`row`, null when the station holds none: nothing is set then).
   */
  sets(payload: Record<string, unknown>, timestamp: number, row: Record<string, unknown> | null): Record<string, unknown> | null;
  /**
   * For a case op: the asset op each asset in the case (nested cases included) undergoes on the
   * server (app.move_assets). The station learns those rows from the server's answer and pull;
   * the scan workflow counts them as sent meanwhile.
   */
  contents?: 'check_out' | 'check_in';
  /** For an op that creates its row: the row it creates (`timestamp`: when the op was made here). */
  creates?: (payload: Record<string, unknown>, timestamp: number) => Record<string, unknown>;
  /** For an op that removes its row outright (a pick list line, a crew assignment): no row is left. */
  removes?: true;
  /**
   * What Keep Local sends again after a conflict, when not the same payload: a pick list line the
   * server found held elsewhere (overbooked) is sent again as a deliberate overbooking.
   */
  keepLocal?: (payload: Record<string, unknown>) => Record<string, unknown>;
  /** What it was, as a noun ("check-out scan") in the replay_expired words; "change" when not given. */
  noun?: string;
  /** What it was, with the names the station holds: "Check-out of Shure SM58 · MIC-1042 to Main Stage". */
  label(payload: Record<string, unknown>, names: OpNames): Promise<string>;
}

const CONDITION_STATUS: Record<string, string> = { damaged: 'quarantined', missing_parts: 'in_maintenance' };
const CONDITION_WORDS: Record<string, string> = { damaged: ', damaged', missing_parts: ', parts missing' };
/**
 * A bulk item's quantities after `delta` units went out to (positive) or came back from
 * (negative) a gig: in the warehouse, and out to each gig (a gig holding none is left out). The
 * server refuses what would go below zero; the station shows what it asked for meanwhile.
 */
function bulkMoved(
  payload: Record<string, unknown>,
  row: Record<string, unknown> | null,
  direction: 1 | -1,
): Record<string, unknown> | null {
  const quantity = payload['quantity'];
  const gigId = payload['gig_id'];
  if (row === null || typeof quantity !== 'number' || typeof gigId !== 'string') return null;
  const delta = direction * quantity;
  const outTo = { ...((row['out_to'] ?? {}) as Record<string, number>) };
  const there = (outTo[gigId] ?? 0) + delta;
  if (there > 0) outTo[gigId] = there;
  else delete outTo[gigId];
  return { in_warehouse: Number(row['in_warehouse'] ?? 0) - delta, out_to: outTo };
}
const unitsOf = (payload: Record<string, unknown>): string => String(payload['quantity']);

/** Where a put-away puts its item: `{id, location_id, home?}` (home: the place becomes its home too). */
const putAway = (payload: Record<string, unknown>): Record<string, unknown> => ({
  location_id: payload['location_id'],
  ...(payload['home'] === true ? { home_location_id: payload['location_id'] } : {}),
});
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const fieldsOf = (payload: Record<string, unknown>): Record<string, unknown> =>
  typeof payload['fields'] === 'object' && payload['fields'] !== null ? (payload['fields'] as Record<string, unknown>) : {};

export const OPS = {
  gigs: {
    create: {
      needsBaseVersion: false,
      sets: () => null,
      creates: (payload) => ({ id: String(payload['id']), version: 1, status: 'draft', deleted_at: null, ...payload }),
      label: (payload) => Promise.resolve(typeof payload['name'] === 'string' ? `New gig ${payload['name']}` : 'A new gig'),
    },
    update: {
      needsBaseVersion: false,
      sets: fieldsOf,
      label: async (payload, names) => `Edit of ${await names.gig(payload['id'])}`,
    },
    set_status: {
      needsBaseVersion: true,
      sets: (payload) => ({ status: payload['to'] }),
      label: async (payload, names) => `Status of ${await names.gig(payload['id'])} set to ${String(payload['to']).replaceAll('_', ' ')}`,
    },
    /** A gig's start and end, together (null clears one): a critical change, so version-checked. */
    set_times: {
      needsBaseVersion: true,
      sets: (payload) => ({ starts_at: payload['starts_at'] ?? null, ends_at: payload['ends_at'] ?? null }),
      label: async (payload, names) => `New times for ${await names.gig(payload['id'])}`,
    },
    move: {
      needsBaseVersion: true,
      sets: (payload) => ({ parent_gig_id: payload['parent_gig_id'] }),
      label: async (payload, names) =>
        payload['parent_gig_id'] == null
          ? `Move of ${await names.gig(payload['id'])} to the top level`
          : `Move of ${await names.gig(payload['id'])} under ${await names.gig(payload['parent_gig_id'])}`,
    },
    delete: {
      needsBaseVersion: false,
      sets: (_payload, timestamp) => ({ deleted_at: new Date(timestamp).toISOString() }),
      label: async (payload, names) => `Deletion of ${await names.gig(payload['id'])}`,
    },
  },
  assets: {
    // Out to a gig an item is on no shelf; back in, it is home (the server's rule, migration 20261208000100).
    check_out: {
      needsBaseVersion: true,
      sets: (payload) => ({ status: 'checked_out', current_gig_id: payload['gig_id'], location_id: null }),
      noun: 'check-out scan',
      label: async (payload, names) => `Check-out of ${await names.asset(payload['id'])} to ${await names.gig(payload['gig_id'])}`,
    },
    check_in: {
      needsBaseVersion: false,
      sets: (payload, _timestamp, row) => ({
        status: (typeof payload['condition'] === 'string' ? CONDITION_STATUS[payload['condition']] : undefined) ?? 'available',
        current_gig_id: null,
        ...(row !== null && row['status'] === 'checked_out' ? { location_id: row['home_location_id'] ?? null } : {}),
      }),
      noun: 'check-in scan',
      label: async (payload, names) =>
        `Check-in of ${await names.asset(payload['id'])}${CONDITION_WORDS[String(payload['condition'])] ?? ''}`,
    },
    /** An item's name, category or notes (a station may change only notes: the server's rule). */
    update: {
      needsBaseVersion: false,
      sets: fieldsOf,
      noun: 'item edit',
      label: async (payload, names) => `Edit of ${await names.asset(payload['id'])}`,
    },
    put_away: {
      needsBaseVersion: false,
      sets: putAway,
      noun: 'put-away scan',
      label: async (payload, names) => `Put-away of ${await names.asset(payload['id'])}`,
    },
    /** A pre-printed label's code claimed for a new asset: `{id, org_id, code, name, category, serial_number?, location_id?}`. */
    claim: {
      needsBaseVersion: false,
      sets: () => null,
      creates: (payload) => ({
        id: String(payload['id']),
        org_id: payload['org_id'],
        serial_number: text(payload['serial_number']) ?? payload['code'],
        barcode: payload['code'],
        name: payload['name'],
        category: payload['category'],
        status: 'available',
        current_gig_id: null,
        case_id: null,
        notes: null,
        home_location_id: text(payload['location_id']),
        location_id: text(payload['location_id']),
        version: 1,
        deleted_at: null,
      }),
      noun: 'label claim',
      label: (payload) => Promise.resolve(`Label ${String(payload['code'])} claimed for ${String(payload['name'])}`),
    },
  },
  cases: {
    // A case op moves the contents (each as the asset op would) and bumps the case's version.
    check_out: {
      needsBaseVersion: true,
      sets: () => ({}),
      contents: 'check_out',
      noun: 'case check-out scan',
      label: async (payload, names) => `Check-out of ${await names.kase(payload['id'])} to ${await names.gig(payload['gig_id'])}`,
    },
    check_in: {
      needsBaseVersion: false,
      sets: () => ({}),
      contents: 'check_in',
      noun: 'case check-in scan',
      label: async (payload, names) => `Check-in of ${await names.kase(payload['id'])}`,
    },
    /** The case and everything in it go to the place (the contents' rows come with the pull). */
    put_away: {
      needsBaseVersion: false,
      sets: putAway,
      noun: 'case put-away scan',
      label: async (payload, names) => `Put-away of ${await names.kase(payload['id'])}`,
    },
  },
  /**
   * Bulk stock by quantity: `{id, gig_id, quantity, staff_id?}`. Judged on quantities, not the
   * row's version: taking more than the warehouse holds, or returning more than is out to the
   * gig, is a conflict whose message states what is there. A consumable's check-in is a return
   * of unused units (bounded the same way).
   */
  bulk_items: {
    check_out: {
      needsBaseVersion: false,
      sets: (payload, _timestamp, row) => bulkMoved(payload, row, 1),
      noun: 'quantity check-out scan',
      label: async (payload, names) =>
        `Check-out of ${unitsOf(payload)} × ${await names.bulkItem(payload['id'])} to ${await names.gig(payload['gig_id'])}`,
    },
    check_in: {
      needsBaseVersion: false,
      sets: (payload, _timestamp, row) => bulkMoved(payload, row, -1),
      noun: 'quantity check-in scan',
      label: async (payload, names) =>
        `Check-in of ${unitsOf(payload)} × ${await names.bulkItem(payload['id'])} from ${await names.gig(payload['gig_id'])}`,
    },
    put_away: {
      needsBaseVersion: false,
      sets: putAway,
      noun: 'put-away scan',
      label: async (payload, names) => `Put-away of ${await names.bulkItem(payload['id'])}`,
    },
  },
  /**
   * Warehouses and the places in them (admins and managers): `{id, kind, code, name}` with
   * `org_id` for a warehouse or `parent_location_id` for a zone, shelf or bin; the server sets
   * each place's warehouse. Names and codes change last-write-wins; only an empty place is removed.
   */
  locations: {
    create: {
      needsBaseVersion: false,
      sets: () => null,
      creates: (payload) => ({
        id: String(payload['id']),
        ...(typeof payload['org_id'] === 'string' ? { org_id: payload['org_id'] } : {}),
        kind: payload['kind'],
        parent_location_id: text(payload['parent_location_id']),
        // The server sets it from the parent whatever is sent; the device fills it in the same way meanwhile.
        warehouse_id: text(payload['warehouse_id']) ?? String(payload['id']),
        code: payload['code'],
        name: payload['name'],
        version: 1,
        deleted_at: null,
      }),
      noun: 'new location',
      label: (payload) => Promise.resolve(`New ${String(payload['kind'])} ${String(payload['name'])}`),
    },
    update: {
      needsBaseVersion: false,
      sets: fieldsOf,
      noun: 'location change',
      label: (payload) =>
        Promise.resolve(`Change to location ${text(fieldsOf(payload)['name']) ?? text(fieldsOf(payload)['code']) ?? ''}`.trim()),
    },
    delete: {
      needsBaseVersion: false,
      sets: (_payload, timestamp) => ({ deleted_at: new Date(timestamp).toISOString() }),
      noun: 'location removal',
      label: () => Promise.resolve('Removal of a location'),
    },
  },
  /**
   * A stock-take of a place and everything in it: start `{id, location_id, category?}`, scan
   * `{id, code, location_id?, quantity?}` (quantity: a bulk item's count), close `{id, adjust?}`.
   * Every op of one audit has the audit's id, so its scans reach the server in order; the server
   * judges each scan and merges several devices' scans into one report.
   */
  audits: {
    start: {
      needsBaseVersion: false,
      sets: () => null,
      creates: (payload) => ({
        id: String(payload['id']),
        location_id: payload['location_id'],
        category: text(payload['category']),
        status: 'open',
        adjusted: false,
        closed_at: null,
        version: 1,
      }),
      noun: 'stock-take start',
      label: () => Promise.resolve('Start of a stock-take'),
    },
    scan: {
      needsBaseVersion: false,
      sets: () => ({}),
      noun: 'stock-take scan',
      label: (payload) =>
        Promise.resolve(
          `Stock-take scan of ${String(payload['code'])}${typeof payload['quantity'] === 'number' ? ` (${payload['quantity']} counted)` : ''}`,
        ),
    },
    close: {
      needsBaseVersion: false,
      sets: (payload, timestamp) => ({
        status: 'closed',
        adjusted: payload['adjust'] === true,
        closed_at: new Date(timestamp).toISOString(),
      }),
      noun: 'stock-take close',
      label: (payload) =>
        Promise.resolve(payload['adjust'] === true ? 'Close of a stock-take, moving what it found' : 'Close of a stock-take'),
    },
  },
  /**
   * A gig's pick list, line by line: `{id, gig_id}` with exactly one of `asset_id`, `case_id`, or
   * `category` and `quantity` (and optional `notes`). Changes are last-write-wins (quantity,
   * notes); the server refuses a second line for the same item or case, and closed gigs.
   */
  kit_assignments: {
    create: {
      needsBaseVersion: false,
      sets: () => null,
      creates: ({ confirm_overbooking: confirmed, ...payload }, timestamp) => ({
        asset_id: null,
        case_id: null,
        category: null,
        quantity: null,
        notes: null,
        version: 1,
        ...payload,
        // A deliberate overbooking shows as such at once; the server stamps its own time (or none when it finds no clash).
        overbooking_confirmed_at: confirmed === true ? new Date(timestamp).toISOString() : null,
      }),
      keepLocal: (payload) => ({ ...payload, confirm_overbooking: true }),
      noun: 'pick list addition',
      label: async (payload, names) => `Added ${await planned(payload, names)} to the pick list of ${await names.gig(payload['gig_id'])}`,
    },
    update: {
      needsBaseVersion: false,
      sets: fieldsOf,
      noun: 'pick list change',
      label: async (payload, names) => `Change to ${await names.planLine(payload['id'])}`,
    },
    delete: {
      needsBaseVersion: false,
      sets: () => null,
      removes: true,
      noun: 'pick list removal',
      label: async (payload, names) => `Removal of ${await names.planLine(payload['id'])} from its pick list`,
    },
  },
  /** Who works a gig: `{id, gig_id, staff_id, role}`; the role changes last-write-wins. */
  gig_staff: {
    create: {
      needsBaseVersion: false,
      sets: () => null,
      creates: (payload) => ({ version: 1, ...payload }),
      noun: 'crew assignment',
      label: async (payload, names) =>
        `${await names.person(payload['staff_id'])} assigned to ${await names.gig(payload['gig_id'])} as ${String(payload['role'])}`,
    },
    update: {
      needsBaseVersion: false,
      sets: fieldsOf,
      noun: 'crew role change',
      label: async (payload, names) => `New role for ${await names.crewAssignment(payload['id'])}`,
    },
    delete: {
      needsBaseVersion: false,
      sets: () => null,
      removes: true,
      noun: 'crew removal',
      label: async (payload, names) => `Removal of ${await names.crewAssignment(payload['id'])}`,
    },
  },
} as const satisfies Record<
  'gigs' | 'assets' | 'cases' | 'bulk_items' | 'kit_assignments' | 'gig_staff' | 'locations' | 'audits',
  Record<string, OpDefinition>
>;

/** What a new pick list line plans, in words: an item, a case, or "24 × XLR cable". */
async function planned(payload: Record<string, unknown>, names: OpNames): Promise<string> {
  if (typeof payload['asset_id'] === 'string') return names.asset(payload['asset_id']);
  if (typeof payload['case_id'] === 'string') return names.kase(payload['case_id']);
  return `${String(payload['quantity'])} × ${String(payload['category'])}`;
}

export type OpTableName = keyof typeof OPS;
export type OpKey = { [T in OpTableName]: `${T}.${Extract<keyof (typeof OPS)[T], string>}` }[OpTableName];

/** The definition of `table.action`, or null for an op this station does not know (a corrupt one). */
export function opDefinition(table: string, action: string): OpDefinition | null {
  if (!Object.hasOwn(OPS, table)) return null;
  const actions = OPS[table as OpTableName] as Record<string, OpDefinition>;
  return Object.hasOwn(actions, action) ? (actions[action] ?? null) : null;
}

/** Each table's actions, in definition order. */
export function actionsOf(table: OpTableName): string[] {
  return Object.keys(OPS[table]);
}

/** Each table's actions that carry a base version. */
export function versionedActionsOf(table: OpTableName): string[] {
  return Object.entries(OPS[table] as Record<string, OpDefinition>)
    .filter(([, def]) => def.needsBaseVersion)
    .map(([action]) => action);
}

/** What the op wants a column of its row to become (the station's side of a conflict). */
export function wantedValue(op: Pick<OpInput, 'table' | 'action' | 'payload' | 'timestamp'>, column: string): unknown {
  const sets = opDefinition(op.table, op.action)?.sets(op.payload, op.timestamp, null) ?? null;
  return sets !== null && Object.hasOwn(sets, column) ? sets[column] : op.payload[column];
}
