import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../../../core/random';
import { decodeRows } from '../../../core/sync/rows';
import { countPickList, type PickCounts } from '../../../core/views/counts';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// One count definition (issue 18): the server's roll-up (app.gig_asset_counts, behind
// get_gig_hierarchy) and core/views/counts.ts give the same planned / scanned / missing / extra on
// the same data: asset lines, case lines with nested and deleted cases, bulk lines filled by bulk
// units and by unplanned serialized assets of the category, extras, deleted assets.
let stack: TestStack;
let org: Org;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'counts');
});
afterAll(async () => {
  await stack?.stop();
});

const CATEGORIES = ['Cable', 'Audio', 'Ramp'];

async function rows(table: string, where = ''): Promise<Record<string, unknown>[]> {
  const select = table === 'bulk_items' ? 'app.bulk_item_json(t)' : "to_jsonb(t) - 'search_vector'";
  const { rows: found } = await stack.db.query<{ row: Record<string, unknown> }>(
    `select ${select} as row from public.${table} t where t.org_id = $1 ${where}`,
    [org.id],
  );
  return found.map((r) => r.row);
}

/** The core's count for a gig, from the rows the server holds (as a station's caches would hold them). */
async function coreCounts(gigIds: string[]): Promise<Map<string, PickCounts>> {
  const assets = decodeRows('assets', await rows('assets'));
  const cases = decodeRows('cases', await rows('cases'));
  const kit = decodeRows('kit_assignments', await rows('kit_assignments'));
  const bulk = decodeRows('bulk_items', await rows('bulk_items'));
  const contents = (caseId: string): typeof assets => {
    const ids = [caseId];
    for (let i = 0; i < ids.length; i += 1) for (const c of cases) if (c.parentCaseId === ids[i] && c.deletedAt === null) ids.push(c.id);
    const live = cases.find((c) => c.id === caseId)?.deletedAt === null;
    return live ? assets.filter((a) => a.caseId !== null && ids.includes(a.caseId)) : [];
  };
  const counts = new Map<string, PickCounts>();
  for (const gigId of gigIds) {
    const bulkOut = new Map<string, number>();
    for (const item of bulk)
      if ((item.outTo[gigId] ?? 0) > 0) bulkOut.set(item.category, (bulkOut.get(item.category) ?? 0) + (item.outTo[gigId] ?? 0));
    counts.set(
      gigId,
      countPickList({
        lines: kit.filter((line) => line.gigId === gigId),
        asset: (id) => assets.find((a) => a.id === id) ?? null,
        caseContents: contents,
        outAssets: assets.filter((a) => a.currentGigId === gigId),
        bulkOut,
      }),
    );
  }
  return counts;
}

describe('planned / scanned / missing / extra: server roll-up = core definition', () => {
  it.each([1, 2, 3])('random gigs #%i count the same on both sides, and the hierarchy rolls them up', async (seed) => {
    const random = seededRandom(seed * 7919);
    const root = await insertGig(stack.db, org.id, { name: `Festival ${seed}`, status: 'confirmed' });
    const gigs = [root];
    for (let i = 0; i < 6; i += 1)
      gigs.push(
        await insertGig(stack.db, org.id, {
          parent: gigs[randomInt(random, 0, gigs.length - 1)] ?? root,
          name: `Set ${seed}.${i}`,
          status: 'confirmed',
        }),
      );
    const prefix = `S${seed}-${randomUUID().slice(0, 4).toUpperCase()}`;
    const bulkItems: { id: string; category: string }[] = [];
    for (const category of CATEGORIES) {
      const { rows: made } = await stack.db.query<{ id: string }>(
        'insert into public.bulk_items (org_id, category, name, barcode, in_warehouse) values ($1, $2, $2, $3, 0) returning id',
        [org.id, `${category} ${prefix}`, `BULK-${prefix}-${category.toUpperCase()}`],
      );
      bulkItems.push({ id: made[0]?.id ?? '', category: `${category} ${prefix}` });
    }
    let serial = 0;
    const newAsset = (extra: Parameters<typeof insertAsset>[3] = {}): Promise<string> =>
      insertAsset(stack.db, org.id, `${prefix}-${(serial += 1)}`, {
        category: `${CATEGORIES[randomInt(random, 0, 2)]} ${prefix}`,
        ...extra,
      });
    const outTo = async (asset: string, gig: string): Promise<void> => {
      await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [gig, asset]);
    };
    for (const gig of gigs) {
      for (let line = randomInt(random, 0, 5); line > 0; line -= 1) {
        const roll = random();
        if (roll < 0.35) {
          const asset = await newAsset();
          await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, gig, asset]);
          if (random() < 0.5) await outTo(asset, gig);
          if (random() < 0.1) await stack.db.query('update public.assets set deleted_at = now() where id = $1', [asset]);
        } else if (roll < 0.6) {
          const outer = await insertCase(stack.db, org.id, `${prefix}-C${(serial += 1)}`);
          const inner = await insertCase(stack.db, org.id, `${prefix}-C${(serial += 1)}`, outer);
          for (let i = randomInt(random, 1, 4); i > 0; i -= 1) {
            const asset = await newAsset({ caseId: random() < 0.5 ? outer : inner });
            if (random() < 0.5) await outTo(asset, gig);
          }
          if (random() < 0.15) await stack.db.query('update public.cases set deleted_at = now() where id = $1', [inner]);
          await stack.db.query('insert into public.kit_assignments (org_id, gig_id, case_id) values ($1, $2, $3)', [org.id, gig, outer]);
        } else {
          const item = bulkItems[randomInt(random, 0, bulkItems.length - 1)];
          await stack.db.query('insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, $3, $4)', [
            org.id,
            gig,
            item?.category,
            randomInt(random, 1, 30),
          ]);
        }
      }
      // What is out beyond the plan: unplanned assets (some filling a bulk line of their category) and bulk units.
      for (let i = randomInt(random, 0, 3); i > 0; i -= 1) await outTo(await newAsset(), gig);
      for (const item of bulkItems) {
        if (random() < 0.5) {
          await stack.db.query('insert into public.bulk_stock (org_id, bulk_item_id, gig_id, quantity) values ($1, $2, $3, $4)', [
            org.id,
            item.id,
            gig,
            randomInt(random, 1, 40),
          ]);
        }
      }
    }

    const { rows: server } = await stack.db.query<{
      gig_id: string;
      planned: string;
      scanned: string;
      missing: string;
      extra: string;
      checked_out: string;
    }>('select * from app.gig_asset_counts($1)', [gigs]);
    const core = await coreCounts(gigs);
    const zero = { planned: 0, scanned: 0, missing: 0, extra: 0 };
    let nonZero = 0;
    for (const gig of gigs) {
      const row = server.find((r) => r.gig_id === gig);
      const serverCounts =
        row === undefined
          ? zero
          : { planned: Number(row.planned), scanned: Number(row.scanned), missing: Number(row.missing), extra: Number(row.extra) };
      expect(serverCounts, gig).toEqual(core.get(gig));
      if (row !== undefined) expect(Number(row.checked_out)).toBe(serverCounts.scanned + serverCounts.extra);
      if (serverCounts.scanned > 0 && serverCounts.missing > 0) nonZero += 1;
    }
    expect(nonZero).toBeGreaterThan(0);

    // The hierarchy's root sums its subtree's counts.
    const { data, error } = await org.members.crew.client.rpc('get_gig_hierarchy', { root_gig_id: root });
    expect(error).toBeNull();
    const total = (key: keyof PickCounts): number => gigs.reduce((n, gig) => n + (core.get(gig)?.[key] ?? 0), 0);
    expect((data as { counts: Record<string, number> }).counts).toMatchObject({
      assets_planned: total('planned'),
      scanned: total('scanned'),
      missing: total('missing'),
      extra: total('extra'),
      assets_checked_out: total('scanned') + total('extra'),
    });
  });
});
