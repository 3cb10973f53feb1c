/**
 * Setting up warehouses and the places in them (issue 21), from the Places screen: a warehouse, a
 * zone, shelf or bin in a place, a new name or code, an empty place removed. Checked against this
 * device's copy first by the server's rules (app.op_location_write, app.location_text_problem) so
 * a mistake is said at once, in words, and nothing is queued; the server checks again.
 */
import { z } from 'zod';
import { StationError } from '../errors';
import { LABEL_CODE } from '../labels/symbol';
import type { CacheIndex } from '../store/cache-index';
import type { NewOp, QueuedOp } from '../sync/model';
import { opAllowed, roleWords, type MemberRole } from '../sync/roles';
import { LOCATION_KINDS } from '../sync/rows';

export const placeEditSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('create'),
    kind: z.enum(LOCATION_KINDS),
    /** Null for a warehouse. */
    parentId: z.uuid().nullable(),
    code: z.string().max(64, "a place's code is at most 64 characters"),
    name: z.string().max(200, "a place's name is at most 200 characters"),
  }),
  z.strictObject({
    action: z.literal('update'),
    id: z.uuid(),
    code: z.string().max(64, "a place's code is at most 64 characters").optional(),
    name: z.string().max(200, "a place's name is at most 200 characters").optional(),
  }),
  z.strictObject({ action: z.literal('delete'), id: z.uuid() }),
]);
export type PlaceEdit = z.infer<typeof placeEditSchema>;

/** One line, no control or text-direction characters (the rule of every name on a label or a screen). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export interface PlaceDeps {
  index: Pick<CacheIndex, 'table'>;
  /** Whether this device keeps the whole company: a partial copy cannot tell a code is free or a place empty. */
  wholeCopy: () => Promise<boolean>;
  enqueue: (op: NewOp) => Promise<QueuedOp>;
  newId: () => string;
  member: () => Promise<{ orgId: string; role: MemberRole } | null>;
}

/** What a code is already on, in words, or null when it is free (places removed free theirs). */
async function codeTaken(index: PlaceDeps['index'], code: string, except: string | null): Promise<string | null> {
  const key = code.toUpperCase();
  const [locations, assets, cases, bulk, staff] = await Promise.all([
    index.table('locations'),
    index.table('assets'),
    index.table('cases'),
    index.table('bulk_items'),
    index.table('staff_profiles'),
  ]);
  const place = locations.first('code', key);
  if (place !== null && place.deletedAt === null && place.id !== except) return `${place.name} (${place.code})`;
  const asset = assets.first('serial', key) ?? assets.first('barcode', key);
  if (asset !== null) return `the item ${asset.name}`;
  const box = cases.first('barcode', key);
  if (box !== null) return `the case ${box.name ?? box.barcode}`;
  const item = bulk.first('barcode', key);
  if (item !== null) return `the bulk item ${item.name}`;
  const person = [...staff.byId.values()].find((p) => p.badgeCode.toUpperCase() === key);
  return person === undefined ? null : `${person.displayName}'s badge`;
}

function checkName(name: string): string {
  const clean = name.trim();
  if (clean.length === 0) throw new StationError('invalid_arguments', 'give it a name');
  if (UNSAFE.test(clean))
    throw new StationError('invalid_arguments', 'a name is one line of text, without control or text-direction characters');
  return clean;
}

function checkCode(code: string): string {
  const clean = code.trim().toUpperCase();
  if (!LABEL_CODE.test(clean))
    throw new StationError('invalid_arguments', "a place's code is 1 to 64 letters, digits and . _ / - (what its label carries)");
  return clean;
}

const PARTIAL_COPY =
  "this device keeps only some of the company's data, so it cannot tell a code is free or a place empty: Settings → What this device keeps";

/** Queues one edit of the places, or says in words why not (nothing queued). */
export async function editPlace(deps: PlaceDeps, edit: PlaceEdit): Promise<QueuedOp> {
  if (!(await deps.wholeCopy())) throw new StationError('conflict', PARTIAL_COPY);
  const member = await deps.member();
  if (member === null)
    throw new StationError('forbidden', 'places are set up once this device has learnt your role (sign in while online)');
  if (!opAllowed(member.role, 'locations', edit.action))
    throw new StationError(
      'forbidden',
      `signed in as ${roleWords(member.role)}: warehouses and places are set up by a manager or an admin`,
    );
  const locations = await deps.index.table('locations');
  if (edit.action === 'create') {
    const name = checkName(edit.name);
    const code = checkCode(edit.code);
    const taken = await codeTaken(deps.index, code, null);
    if (taken !== null) throw new StationError('conflict', `code ${code} is already on ${taken}`);
    const id = deps.newId();
    if (edit.kind === 'warehouse') {
      if (edit.parentId !== null) throw new StationError('invalid_arguments', 'a warehouse is in no other place');
      return deps.enqueue({
        table: 'locations',
        action: 'create',
        // warehouse_id: what the server will set, so the new place is on this device's lists at once.
        payload: { id, kind: 'warehouse', org_id: member.orgId, code, name, warehouse_id: id },
      });
    }
    const parent = edit.parentId === null ? null : locations.get(edit.parentId);
    if (parent === null || parent.deletedAt !== null) throw new StationError('not_found', `choose the place this ${edit.kind} goes in`);
    if (parent.kind === 'bin') throw new StationError('invalid_arguments', 'a bin holds things, not places');
    return deps.enqueue({
      table: 'locations',
      action: 'create',
      payload: { id, kind: edit.kind, parent_location_id: parent.id, code, name, warehouse_id: parent.warehouseId },
    });
  }
  const place = locations.get(edit.id);
  if (place === null || place.deletedAt !== null)
    throw new StationError('not_found', 'that place is not on this device (it may have been removed)');
  if (edit.action === 'update') {
    const fields: Record<string, string> = {};
    if (edit.name !== undefined) fields['name'] = checkName(edit.name);
    if (edit.code !== undefined) {
      const code = checkCode(edit.code);
      const taken = await codeTaken(deps.index, code, place.id);
      if (taken !== null) throw new StationError('conflict', `code ${code} is already on ${taken}`);
      fields['code'] = code;
    }
    if (Object.keys(fields).length === 0) throw new StationError('invalid_arguments', 'change the name or the code');
    return deps.enqueue({ table: 'locations', action: 'update', payload: { id: place.id, fields } });
  }
  // Only an empty place is removed (the server says so too): nothing inside, nothing there or at home there.
  const [assets, cases, bulk] = await Promise.all([deps.index.table('assets'), deps.index.table('cases'), deps.index.table('bulk_items')]);
  const inside = [...locations.byId.values()].filter((l) => l.parentLocationId === place.id && l.deletedAt === null).length;
  const here = (at: { locationId: string | null; homeLocationId: string | null }): boolean =>
    at.locationId === place.id || at.homeLocationId === place.id;
  const things =
    [...assets.byId.values()].filter((a) => a.deletedAt === null && here(a)).length +
    [...cases.byId.values()].filter((c) => c.deletedAt === null && here(c)).length +
    [...bulk.byId.values()].filter(here).length;
  if (inside + things > 0)
    throw new StationError(
      'conflict',
      `${place.name} (${place.code}) still holds or is home to ${inside + things} ${inside + things === 1 ? 'thing or place' : 'things or places'}: move them first`,
    );
  return deps.enqueue({ table: 'locations', action: 'delete', payload: { id: place.id } });
}

/**
 * A pre-printed label's code, scanned and not known here, claimed for a new item (stations,
 * managers, admins): on this station's warehouse when it has one. Refused in words, nothing
 * queued, when the code is already on something or cannot be a label's.
 */
export async function claimCode(
  deps: PlaceDeps & { stationWarehouse: () => Promise<string | null> },
  input: { code: string; name: string; category: string },
): Promise<QueuedOp> {
  if (!(await deps.wholeCopy())) throw new StationError('conflict', PARTIAL_COPY);
  const member = await deps.member();
  if (member === null)
    throw new StationError('forbidden', 'labels are claimed once this device has learnt your role (sign in while online)');
  if (!opAllowed(member.role, 'assets', 'claim'))
    throw new StationError('forbidden', `signed in as ${roleWords(member.role)}: a label is claimed at a station or by a manager`);
  const code = checkCode(input.code);
  const taken = await codeTaken(deps.index, code, null);
  if (taken !== null) throw new StationError('conflict', `code ${code} is already on ${taken}`);
  const name = checkName(input.name);
  const category = checkName(input.category);
  const here = await deps.stationWarehouse();
  const warehouse = here === null ? null : (await deps.index.table('locations')).get(here);
  return deps.enqueue({
    table: 'assets',
    action: 'claim',
    payload: {
      id: deps.newId(),
      org_id: member.orgId,
      code,
      name,
      category,
      ...(warehouse === null || warehouse.deletedAt !== null ? {} : { location_id: warehouse.id }),
    },
  });
}
