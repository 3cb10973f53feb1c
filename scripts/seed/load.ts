import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OrgData } from './generate';

type Cell = string | number | null;

function csvCell(value: Cell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Streams rows into a table with COPY … FROM STDIN (CSV), the fastest way in. */
export async function copyRows(client: pg.ClientBase, table: string, columns: string[], rows: Iterable<Cell[]>): Promise<number> {
  let count = 0;
  function* lines(): Generator<string> {
    let chunk = '';
    for (const row of rows) {
      chunk += `${row.map(csvCell).join(',')}\n`;
      count += 1;
      if (chunk.length > 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv, null '')`));
  await pipeline(Readable.from(lines()), stream);
  return count;
}

export interface LoadOptions {
  orgId: string;
  orgName: string;
  orgSlug: string;
  passwordHash: string;
  progress: (line: string) => void;
}

function* map<T>(items: Iterable<T>, fn: (item: T) => Cell[]): Generator<Cell[]> {
  for (const item of items) yield fn(item);
}

/** Loads one generated organization, in dependency order, inside the caller's transaction. */
export async function loadOrg(client: pg.ClientBase, data: OrgData, options: LoadOptions): Promise<void> {
  const { orgId, progress } = options;
  await client.query('insert into public.organizations (id, name, slug) values ($1, $2, $3)', [orgId, options.orgName, options.orgSlug]);

  const users = await copyRows(
    client,
    'auth.users',
    ['id', 'aud', 'role', 'email', 'encrypted_password', 'email_confirmed_at', 'raw_app_meta_data', 'raw_user_meta_data'],
    map(data.staff, (s) => [
      s.userId,
      'authenticated',
      'authenticated',
      s.email,
      options.passwordHash,
      '2026-01-01T00:00:00Z',
      '{"provider":"email","providers":["email"]}',
      JSON.stringify({ name: s.name }),
    ]),
  );
  await copyRows(
    client,
    'public.memberships',
    ['org_id', 'user_id', 'role'],
    map(data.staff, (s) => [orgId, s.userId, s.role]),
  );
  await copyRows(
    client,
    'public.staff_profiles',
    ['id', 'org_id', 'user_id', 'display_name', 'badge_code', 'email'],
    map(data.staff, (s) => [s.id, orgId, s.userId, s.name, s.badge, s.email]),
  );
  progress(`  ${options.orgSlug}: ${users} staff accounts`);

  const gigs = await copyRows(
    client,
    'public.gigs',
    ['id', 'org_id', 'parent_gig_id', 'code', 'name', 'status', 'starts_at', 'ends_at', 'venue', 'time_zone'],
    map(data.gigs, (g) => [g.id, orgId, g.parent, g.code, g.name, g.status, g.startsAt, g.endsAt, g.venue, g.timeZone]),
  );
  progress(`  ${options.orgSlug}: ${gigs} gigs (largest tree ${data.largestTreeNodes}, ${data.maxDepth} levels)`);

  // Places first (parents before children: the trigger sets each one's warehouse from its parent).
  await copyRows(
    client,
    'public.locations',
    ['id', 'org_id', 'kind', 'parent_location_id', 'warehouse_id', 'code', 'name'],
    map(data.locations, (l) => [l.id, orgId, l.kind, l.parent, l.id, l.code, l.name]),
  );
  const home = (id: string): string | null => data.placed.get(id)?.home ?? null;
  const at = (id: string): string | null => data.placed.get(id)?.at ?? null;
  await copyRows(
    client,
    'public.cases',
    ['id', 'org_id', 'parent_case_id', 'barcode', 'name', 'home_location_id', 'location_id'],
    map(data.cases, (c) => [c.id, orgId, c.parent, c.barcode, c.name, home(c.id), at(c.id)]),
  );
  await copyRows(
    client,
    'public.bulk_items',
    ['id', 'org_id', 'category', 'name', 'barcode', 'unit', 'consumable', 'in_warehouse', 'home_location_id', 'location_id'],
    map(data.bulkItems, (b) => [
      b.id,
      orgId,
      b.category,
      b.name,
      b.barcode,
      b.unit,
      b.consumable ? 'true' : 'false',
      b.inWarehouse,
      home(b.id),
      at(b.id),
    ]),
  );
  const assets = await copyRows(
    client,
    'public.assets',
    [
      'id',
      'org_id',
      'serial_number',
      'barcode',
      'name',
      'category',
      'status',
      'current_gig_id',
      'case_id',
      'home_location_id',
      'location_id',
    ],
    map(data.assets, (a) => [a.id, orgId, a.serial, a.barcode, a.name, a.category, a.status, a.currentGig, a.caseId, home(a.id), at(a.id)]),
  );
  progress(
    `  ${options.orgSlug}: ${data.locations.length} places in ${data.locations.filter((l) => l.kind === 'warehouse').length} warehouses`,
  );
  progress(`  ${options.orgSlug}: ${assets} assets in ${data.cases.length} cases`);

  await copyRows(
    client,
    'public.kit_assignments',
    ['id', 'org_id', 'gig_id', 'asset_id', 'case_id', 'category', 'quantity'],
    map(data.kit, (k) => [k.id, orgId, k.gig, k.asset, k.caseId, k.category, k.quantity]),
  );
  await copyRows(
    client,
    'public.gig_staff',
    ['id', 'org_id', 'gig_id', 'staff_id', 'role'],
    map(data.gigStaff, (s) => [s.id, orgId, s.gig, s.staff, s.role]),
  );
  progress(`  ${options.orgSlug}: ${data.kit.length} kit assignments, ${data.gigStaff.length} crew assignments`);

  let written = 0;
  const movements = await copyRows(
    client,
    'public.asset_movements',
    ['org_id', 'asset_id', 'kind', 'gig_id', 'condition', 'occurred_at', 'recorded_at'],
    map(data.movements(), (m) => {
      written += 1;
      if (written % 500_000 === 0) progress(`  ${options.orgSlug}: ${written} / ${data.movementCount} movements…`);
      return [orgId, m.asset, m.kind, m.gig, m.condition, m.occurredAt, m.occurredAt];
    }),
  );
  progress(`  ${options.orgSlug}: ${movements} movements`);
}
