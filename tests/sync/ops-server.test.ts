import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIG_STATUS_TRANSITIONS, GIG_STATUSES } from '../../core/station-views';
import { ACTIONS, newOpSchema, type QueuedOp, type Row } from '../../core/sync/model';
import { applyOptimistic } from '../../core/sync/optimistic';
import { OPS, opDefinition, wantedValue, type OpKey } from '../../core/sync/ops';
import { quarantineLabel } from '../../core/sync/quarantine-words';
import { decodeRow } from '../../core/sync/rows';
import { toWire } from '../../core/sync/transport';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { drainUntilSettled, openStation } from '../helpers/station';

// One rule, one place (issue 17): the gig status rule and every op's effect on a cached row are
// defined once in core (station-views.ts, ops.ts) and checked here against the server's own
// definitions on a real PostgreSQL: app.gig_status_transition_allowed, the gigs trigger's hint,
// apply_op's list of ops, and the row push_changes leaves behind.
let stack: TestStack;
let org: Org;
const dir = mkdtempSync(join(tmpdir(), 'ops-server-'));

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'ops');
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Table = 'gigs' | 'assets' | 'cases' | 'bulk_items' | 'kit_assignments' | 'gig_staff' | 'locations' | 'audits';

/** A row as pull_changes sends it (and the caches hold it). */
async function serverRow(table: Table, id: string): Promise<Row | null> {
  // A bulk item's row carries where its units are (out_to), as pull_changes sends it.
  // An audit's row comes without its frozen report (audit_report reads that).
  const row = table === 'bulk_items' ? 'app.bulk_item_json(t)' : "to_jsonb(t) - 'search_vector' - 'report'";
  const { rows } = await stack.db.query<{ row: Row }>(`select ${row} as row from public.${table} t where t.id = $1`, [id]);
  return rows[0]?.row ?? null;
}

interface Result {
  status: string;
  code?: string;
  message?: string;
}

async function push(who: 'station' | 'manager', op: QueuedOp): Promise<Result> {
  const { data, error } = await org.members[who].client.rpc('push_changes', { device_id: `ops-${who}`, ops: [toWire(op)] });
  if (error !== null) throw new Error(`${error.code}: ${error.message}`);
  const [result] = (data as { results: Result[] }).results;
  if (result === undefined) throw new Error('no result');
  return result;
}

let seq = 0;
function queued(table: Table, action: string, payload: Record<string, unknown>, baseVersion: number | null = null): QueuedOp {
  // Through the queue's own check first: an op the queue would refuse is not a fair sample.
  newOpSchema.parse({ table, action, payload, base_version: baseVersion });
  return {
    id: randomUUID(),
    seq: (seq += 1),
    timestamp: Date.now(),
    table,
    action,
    payload,
    baseVersion,
    status: 'syncing',
    retryCount: 0,
    nextAttemptAt: 0,
    lastError: null,
  };
}

/**
 * A column as the station's optimistic row and the server's row are compared: instants by the
 * moment they name (the server writes "+00:00", the station "Z"). A soft delete is stamped with
 * the op's time on the station and with the commit's on the server: compared as set or not.
 */
function comparable(column: string, value: unknown): unknown {
  if (column === 'deleted_at') return value === null || value === undefined ? null : 'set';
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return new Date(value).getTime();
  return value;
}

/**
 * Columns the station never claims: the server stamps or derives them (a gig's ltree path, who
 * closed an audit: the signed-in user) and the next pull brings them.
 */
const SERVER_STAMPED = new Set(['updated_at', 'created_at', 'path', 'closed_by']);

function expectSameRow(optimistic: Row | null, after: Row | null): void {
  expect(after === null).toBe(optimistic === null);
  if (optimistic === null || after === null) return;
  const columns = Object.keys(optimistic).filter((c) => !SERVER_STAMPED.has(c));
  const pick = (row: Row): Record<string, unknown> => Object.fromEntries(columns.map((c) => [c, comparable(c, row[c])]));
  expect(pick(after)).toEqual(pick(optimistic));
}

/**
 * One sample of each op defined in ops.ts, arranged on the server: the role that sends it, the
 * row it acts on (null for a create), and the op. A new op in ops.ts without a sample here fails
 * the coverage test below.
 */
type Sample = () => Promise<{ who: 'station' | 'manager'; table: Table; op: QueuedOp }>;
const version = async (table: Table, id: string): Promise<number> => Number((await serverRow(table, id))?.['version']);

const SAMPLES: Record<OpKey, Sample> = {
  'gigs.create': () =>
    Promise.resolve({
      who: 'manager',
      table: 'gigs',
      op: queued('gigs', 'create', {
        id: randomUUID(),
        org_id: org.id,
        name: 'Winter gala',
        venue: 'Town hall',
        notes: 'load-in from 14:00',
        starts_at: '2026-12-18T18:00:00.000Z',
        ends_at: '2026-12-18T23:00:00.000Z',
      }),
    }),
  'gigs.update': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    return {
      who: 'manager',
      table: 'gigs',
      op: queued('gigs', 'update', { id: gig, fields: { name: 'Renamed', venue: 'Arena', notes: 'two trucks' } }),
    };
  },
  'gigs.set_status': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    return { who: 'manager', table: 'gigs', op: queued('gigs', 'set_status', { id: gig, to: 'in_progress' }, await version('gigs', gig)) };
  },
  'gigs.set_times': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    return {
      who: 'manager',
      table: 'gigs',
      op: queued('gigs', 'set_times', { id: gig, starts_at: '2027-07-03T21:00:00.000Z', ends_at: null }, await version('gigs', gig)),
    };
  },
  'gigs.move': async () => {
    const parent = await insertGig(stack.db, org.id, { name: 'Tour' });
    const gig = await insertGig(stack.db, org.id, { name: 'Leg one' });
    return { who: 'manager', table: 'gigs', op: queued('gigs', 'move', { id: gig, parent_gig_id: parent }, await version('gigs', gig)) };
  },
  'gigs.delete': async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Cancelled idea' });
    return { who: 'manager', table: 'gigs', op: queued('gigs', 'delete', { id: gig }) };
  },
  'assets.check_out': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, `OUT-${randomUUID().slice(0, 8)}`);
    return {
      who: 'station',
      table: 'assets',
      op: queued('assets', 'check_out', { id: asset, gig_id: gig }, await version('assets', asset)),
    };
  },
  'assets.check_in': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const asset = await insertAsset(stack.db, org.id, `IN-${randomUUID().slice(0, 8)}`);
    const out = await push('station', queued('assets', 'check_out', { id: asset, gig_id: gig }, await version('assets', asset)));
    expect(out.status).toBe('applied');
    return { who: 'station', table: 'assets', op: queued('assets', 'check_in', { id: asset, condition: 'damaged' }) };
  },
  'assets.update': async () => {
    const asset = await insertAsset(stack.db, org.id, `NOTE-${randomUUID().slice(0, 8)}`);
    return { who: 'station', table: 'assets', op: queued('assets', 'update', { id: asset, fields: { notes: 'dent on the left side' } }) };
  },
  'cases.check_out': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const box = await insertCase(stack.db, org.id, `CASE-${randomUUID().slice(0, 8)}`);
    await insertAsset(stack.db, org.id, `CO-${randomUUID().slice(0, 8)}`, { caseId: box });
    return { who: 'station', table: 'cases', op: queued('cases', 'check_out', { id: box, gig_id: gig }, await version('cases', box)) };
  },
  'cases.check_in': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const box = await insertCase(stack.db, org.id, `CASE-${randomUUID().slice(0, 8)}`);
    await insertAsset(stack.db, org.id, `CI-${randomUUID().slice(0, 8)}`, { caseId: box });
    const out = await push('station', queued('cases', 'check_out', { id: box, gig_id: gig }, await version('cases', box)));
    expect(out.status).toBe('applied');
    return { who: 'station', table: 'cases', op: queued('cases', 'check_in', { id: box, condition: 'ok' }) };
  },
  'bulk_items.check_out': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const item = await insertBulkItem(30);
    return { who: 'station', table: 'bulk_items', op: queued('bulk_items', 'check_out', { id: item, gig_id: gig, quantity: 12 }) };
  },
  'bulk_items.check_in': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    const item = await insertBulkItem(30);
    const out = await push('station', queued('bulk_items', 'check_out', { id: item, gig_id: gig, quantity: 12 }));
    expect(out.status).toBe('applied');
    return { who: 'station', table: 'bulk_items', op: queued('bulk_items', 'check_in', { id: item, gig_id: gig, quantity: 5 }) };
  },
  'kit_assignments.create': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    return {
      who: 'manager',
      table: 'kit_assignments',
      op: queued('kit_assignments', 'create', { id: randomUUID(), gig_id: gig, category: 'XLR cable', quantity: 24, notes: 'spares' }),
    };
  },
  'kit_assignments.update': async () => {
    const line = await planLine();
    return {
      who: 'manager',
      table: 'kit_assignments',
      op: queued('kit_assignments', 'update', { id: line, fields: { quantity: 12, notes: 'short runs' } }),
    };
  },
  'kit_assignments.delete': async () => {
    const line = await planLine();
    return { who: 'manager', table: 'kit_assignments', op: queued('kit_assignments', 'delete', { id: line }) };
  },
  'gig_staff.create': async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
    return {
      who: 'manager',
      table: 'gig_staff',
      op: queued('gig_staff', 'create', { id: randomUUID(), gig_id: gig, staff_id: await staffMember(), role: 'Stage manager' }),
    };
  },
  'gig_staff.update': async () => {
    const assignment = await crewAssignment();
    return { who: 'manager', table: 'gig_staff', op: queued('gig_staff', 'update', { id: assignment, fields: { role: 'Rigger' } }) };
  },
  'gig_staff.delete': async () => {
    const assignment = await crewAssignment();
    return { who: 'manager', table: 'gig_staff', op: queued('gig_staff', 'delete', { id: assignment }) };
  },
  'assets.put_away': async () => {
    const asset = await insertAsset(stack.db, org.id, `PUT-${randomUUID().slice(0, 8)}`);
    return { who: 'station', table: 'assets', op: queued('assets', 'put_away', { id: asset, location_id: await shelf(), home: true }) };
  },
  'assets.claim': async () => {
    const code = `PRE-${randomUUID().slice(0, 8).toUpperCase()}`;
    const payload = { id: randomUUID(), org_id: org.id, code, name: 'Shure SM58', category: 'Audio', location_id: await shelf() };
    return { who: 'station', table: 'assets', op: queued('assets', 'claim', payload) };
  },
  'cases.put_away': async () => {
    const box = await insertCase(stack.db, org.id, `CASE-${randomUUID().slice(0, 8)}`);
    await insertAsset(stack.db, org.id, `PC-${randomUUID().slice(0, 8)}`, { caseId: box });
    return { who: 'station', table: 'cases', op: queued('cases', 'put_away', { id: box, location_id: await shelf() }) };
  },
  'bulk_items.put_away': async () => {
    const item = await insertBulkItem(30);
    return {
      who: 'station',
      table: 'bulk_items',
      op: queued('bulk_items', 'put_away', { id: item, location_id: await shelf(), home: true }),
    };
  },
  'locations.create': () =>
    Promise.resolve({
      who: 'manager',
      table: 'locations',
      op: queued('locations', 'create', {
        id: randomUUID(),
        org_id: org.id,
        kind: 'warehouse',
        code: `WH-${randomUUID().slice(0, 8)}`,
        name: 'South',
      }),
    }),
  'locations.update': async () => ({
    who: 'manager',
    table: 'locations',
    op: queued('locations', 'update', { id: await shelf(), fields: { name: 'Shelf B7', code: `B7-${randomUUID().slice(0, 8)}` } }),
  }),
  'locations.delete': async () => ({ who: 'manager', table: 'locations', op: queued('locations', 'delete', { id: await shelf() }) }),
  'audits.start': async () => ({
    who: 'station',
    table: 'audits',
    op: queued('audits', 'start', { id: randomUUID(), location_id: await shelf() }),
  }),
  'audits.scan': async () => ({
    who: 'station',
    table: 'audits',
    op: queued('audits', 'scan', { id: await audit(), code: 'NOT-IN-SYSTEM-1' }),
  }),
  'audits.close': async () => ({ who: 'station', table: 'audits', op: queued('audits', 'close', { id: await audit(), adjust: true }) }),
};

/** A new empty shelf in a new warehouse of the organization. */
async function shelf(): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>(
    `with w as (insert into public.locations (org_id, kind, code, name) values ($1, 'warehouse', $2, 'North') returning id)
     insert into public.locations (org_id, kind, parent_location_id, code, name) select $1, 'shelf', w.id, $3, 'Shelf A1' from w returning id`,
    [org.id, `WH-${randomUUID().slice(0, 8)}`, `SH-${randomUUID().slice(0, 8)}`],
  );
  return rows[0]?.id ?? '';
}

/** An open audit of a new shelf. */
async function audit(): Promise<string> {
  const id = randomUUID();
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.audits (id, org_id, location_id) values ($1, $2, $3) returning id`,
    [id, org.id, await shelf()],
  );
  return rows[0]?.id ?? '';
}

async function planLine(): Promise<string> {
  const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, 'Cable ramp', 4) returning id`,
    [org.id, gig],
  );
  return rows[0]?.id ?? '';
}

async function staffMember(): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, 'Mika Moreau', $2) returning id`,
    [org.id, `B-${randomUUID().slice(0, 8).toUpperCase()}`],
  );
  return rows[0]?.id ?? '';
}

async function crewAssignment(): Promise<string> {
  const gig = await insertGig(stack.db, org.id, { status: 'confirmed' });
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, 'Stage manager') returning id`,
    [org.id, gig, await staffMember()],
  );
  return rows[0]?.id ?? '';
}

async function insertBulkItem(inWarehouse: number): Promise<string> {
  const code = randomUUID().slice(0, 8).toUpperCase();
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse) values ($1, $2, 'XLR cable 10m', $3, $4) returning id`,
    [org.id, `XLR ${code}`, `BULK-${code}`, inWarehouse],
  );
  return rows[0]?.id ?? '';
}

const opKeys = (): string[] => Object.entries(OPS).flatMap(([table, actions]) => Object.keys(actions).map((a) => `${table}.${a}`));

describe('gig status: the TypeScript list is the rule the server enforces', () => {
  it('allows exactly the (from, to) pairs app.gig_status_transition_allowed allows', async () => {
    const { rows } = await stack.db.query<{ from: string; to: string; allowed: boolean }>(
      `select f::text as from, t::text as to, app.gig_status_transition_allowed(f, t) as allowed
         from unnest(enum_range(null::public.gig_status)) f cross join unnest(enum_range(null::public.gig_status)) t`,
    );
    expect(rows.map((r) => r.from).filter((s, i, all) => all.indexOf(s) === i)).toEqual([...GIG_STATUSES]);
    const server = rows.filter((r) => r.allowed).map((r) => `${r.from}→${r.to}`);
    const core = GIG_STATUSES.flatMap((from) => GIG_STATUS_TRANSITIONS[from].map((to) => `${from}→${to}`));
    expect(core.sort()).toEqual(server.sort());
  });

  it('the gigs trigger’s hint names exactly the allowed changes', async () => {
    const gig = await insertGig(stack.db, org.id, { status: 'completed' });
    const error = await stack.db.query(`update public.gigs set status = 'draft' where id = $1`, [gig]).then(
      () => null,
      (e: unknown) => e as { code?: string; hint?: string },
    );
    expect(error?.code).toBe('22023');
    const hint = /^allowed: (.*)$/.exec(error?.hint ?? '')?.[1] ?? '';
    const named = hint.split(', ').flatMap((part) => {
      const [from, tos] = part.split('→');
      return (tos ?? '').split('|').map((to) => `${from}→${to}`);
    });
    const core = GIG_STATUSES.flatMap((from) => GIG_STATUS_TRANSITIONS[from].map((to) => `${from}→${to}`));
    expect(named.sort()).toEqual(core.sort());
  });
});

describe('each op in ops.ts against push_changes', () => {
  it('the server takes exactly the ops ops.ts defines (apply_op’s list)', async () => {
    const { rows } = await stack.db.query<{ src: string }>(
      `select p.prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'app' and p.proname = 'apply_op'`,
    );
    const src = rows[0]?.src ?? '';
    const server = [...src.matchAll(/tbl = '(\w+)' and action in \(([^)]*)\)/g)].flatMap(([, table, list]) =>
      [...(list ?? '').matchAll(/'(\w+)'/g)].map(([, action]) => `${table}.${action}`),
    );
    expect(server.length).toBeGreaterThan(0);
    expect(opKeys().sort()).toEqual(server.sort());
    expect(
      Object.entries(ACTIONS)
        .flatMap(([t, actions]) => actions.map((a) => `${t}.${a}`))
        .sort(),
    ).toEqual(server.sort());
  });

  it('has a sample for every op, and nothing else', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(opKeys().sort());
  });

  it.each(Object.keys(SAMPLES) as OpKey[])('%s leaves on the server the row the station shows before the answer', async (key) => {
    const sample = SAMPLES[key];
    const { who, table, op } = await sample();
    const id = String(op.payload['id']);
    const before = await serverRow(table, id);
    const optimistic = applyOptimistic(op, before);
    // A case op moves its contents through app.move_assets: each as the asset op ops.ts names.
    const contents = opDefinition(table, op.action)?.contents;
    const { rows: inCase } = await stack.db.query<{ id: string }>('select id from public.assets where case_id = $1 order by id', [id]);
    const assetsBefore = contents === undefined ? [] : await Promise.all(inCase.map((a) => serverRow('assets', a.id)));
    const result = await push(who, op);
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'applied' });
    expectSameRow(optimistic, await serverRow(table, id));
    if (contents === undefined) return;
    expect(assetsBefore.length).toBeGreaterThan(0);
    for (const asset of assetsBefore) {
      const assetId = String(asset?.['id']);
      const moved = queued(
        'assets',
        contents,
        contents === 'check_out' ? { id: assetId, gig_id: op.payload['gig_id'] } : { id: assetId, condition: op.payload['condition'] },
        contents === 'check_out' ? 1 : null,
      );
      expectSameRow(applyOptimistic(moved, asset), await serverRow('assets', assetId));
    }
  });
});

describe('adding an op type: one core file plus the server (asset notes edit)', () => {
  it('a station’s notes edit is queued, shown, named, applied by the server and pulled back the same', async () => {
    const serial = `MIC-${randomUUID().slice(0, 6).toUpperCase()}`;
    const assetId = await insertAsset(stack.db, org.id, serial, { name: 'Shure SM58' });
    const station = await openStation({
      url: stack.url,
      anonKey: stack.anonKey,
      email: org.members.station.email,
      password: org.members.station.password,
      dbPath: join(dir, 'notes.sqlite'),
    });
    try {
      await station.engine.syncNow();
      const pulled = decodeRow('assets', await station.store.getCached('assets', assetId));
      expect(pulled).toMatchObject({ serialNumber: serial, notes: null, version: 1 });

      // The queue takes it (ACTIONS from ops.ts), the cache shows it at once (the optimistic rebase).
      const op = await station.engine.enqueue({
        table: 'assets',
        action: 'update',
        payload: { id: assetId, fields: { notes: 'grille dented' } },
      });
      const shown = decodeRow('assets', await station.store.getCached('assets', assetId));
      expect(shown).toMatchObject({ notes: 'grille dented', version: 2 });
      // Its words and the Conflicts screen's "this station" column come from the same definition.
      expect(await quarantineLabel({ op, code: 'replay_expired' }, (t, key) => station.store.getCached(t, key))).toBe(
        `Edit of Shure SM58 · ${serial}`,
      );
      expect(wantedValue(op, 'notes')).toBe('grille dented');

      // The server applies it for a station (its role may change only notes) and the pull brings back the same row.
      await drainUntilSettled(station);
      expect(await station.store.stats()).toMatchObject({ depth: 0, quarantined: 0, conflicts: 0 });
      expect(await serverRow('assets', assetId)).toMatchObject({ notes: 'grille dented', version: 2 });
      await station.engine.syncNow();
      expect(decodeRow('assets', await station.store.getCached('assets', assetId))).toEqual(shown);
    } finally {
      station.engine.stop();
      station.store.close();
    }
  });
});

describe('bulk stock through a station: pulled, moved by quantity, shown at once, applied once, pulled back the same', () => {
  it('a station pulls a bulk item, queues 12 out, shows them out before the answer, and the server agrees', async () => {
    const gig = await insertGig(stack.db, org.id, { name: 'Ramp night', status: 'confirmed' });
    const item = await insertBulkItem(40);
    const station = await openStation({
      url: stack.url,
      anonKey: stack.anonKey,
      email: org.members.station.email,
      password: org.members.station.password,
      dbPath: join(dir, 'bulk.sqlite'),
    });
    try {
      await station.engine.syncNow();
      expect(decodeRow('bulk_items', await station.store.getCached('bulk_items', item))).toMatchObject({ inWarehouse: 40, outTo: {} });
      const op = await station.engine.enqueue({
        table: 'bulk_items',
        action: 'check_out',
        payload: { id: item, gig_id: gig, quantity: 12 },
      });
      const shown = decodeRow('bulk_items', await station.store.getCached('bulk_items', item));
      expect(shown).toMatchObject({ inWarehouse: 28, outTo: { [gig]: 12 } });
      expect(await quarantineLabel({ op, code: 'replay_expired' }, (t, key) => station.store.getCached(t, key))).toMatch(
        /^Check-out of 12 × XLR cable 10m · BULK-[0-9A-F-]+ to Ramp night$/,
      );
      await drainUntilSettled(station);
      expect(await station.store.stats()).toMatchObject({ depth: 0, quarantined: 0, conflicts: 0 });
      await station.engine.syncNow();
      expect(decodeRow('bulk_items', await station.store.getCached('bulk_items', item))).toEqual(shown);
      expect(await serverRow('bulk_items', item)).toMatchObject({ in_warehouse: 28, out_to: { [gig]: 12 } });
    } finally {
      station.engine.stop();
      station.store.close();
    }
  });
});
