import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pick, randomInt, randomUuid, seededRandom, type Random } from '../../../core/random';
import { createOrg, insertAsset, insertCase, type Org } from '../../../tests/helpers/domain';
import { startTestStack, type TestStack } from '../../../tests/helpers/local-stack';

// get_gig_hierarchy against a naive reference built in TypeScript from the flat rows.
let stack: TestStack;
let org: Org;
let other: Org;

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'tree');
  other = await createOrg(stack, 'elsewhere');
});
afterAll(async () => {
  await stack?.stop();
});

interface Counts {
  assets_planned: number;
  assets_checked_out: number;
  assets_returned: number;
  scanned: number;
  missing: number;
  extra: number;
  staff_assigned: number;
}
interface TreeNode {
  id: string;
  name: string;
  depth: number;
  counts: Counts;
  children: TreeNode[];
}
interface FlatGig {
  id: string;
  parent: string | null;
  name: string;
  startsAt: string | null;
}
interface Facts {
  planned: Map<string, number>;
  out: Map<string, number>;
  returned: Map<string, number>;
  staff: Map<string, Set<string>>;
}

/** Builds a random tree under one root: up to `size` gigs, up to `maxDepth` levels. */
async function randomTree(random: Random, size: number, maxDepth: number): Promise<{ root: string; gigs: FlatGig[]; facts: Facts }> {
  const gigs: FlatGig[] = [{ id: randomUuid(random), parent: null, name: `Root ${randomInt(random, 0, 999)}`, startsAt: null }];
  const depthOf = new Map<string, number>([[gigs[0]?.id ?? '', 1]]);
  while (gigs.length < size) {
    const parent = pick(random, gigs);
    const depth = (depthOf.get(parent.id) ?? 1) + 1;
    if (depth > maxDepth) continue;
    const id = randomUuid(random);
    // Some siblings share names and start times, so the id tiebreak matters too.
    const startsAt = random() < 0.3 ? null : new Date(Date.UTC(2027, 0, randomInt(random, 1, 5))).toISOString();
    gigs.push({ id, parent: parent.id, name: `N${randomInt(random, 0, 20)}`, startsAt });
    depthOf.set(id, depth);
  }
  for (const gig of gigs) {
    await stack.db.query('insert into public.gigs (id, org_id, parent_gig_id, name, starts_at) values ($1, $2, $3, $4, $5)', [
      gig.id,
      org.id,
      gig.parent,
      gig.name,
      gig.startsAt,
    ]);
  }

  const facts: Facts = { planned: new Map(), out: new Map(), returned: new Map(), staff: new Map() };
  const add = (map: Map<string, number>, key: string, n: number): void => {
    map.set(key, (map.get(key) ?? 0) + n);
  };
  const prefix = randomUuid(random).slice(0, 6).toUpperCase();
  for (const [index, gig] of gigs.entries()) {
    const roll = random();
    if (roll < 0.3) {
      const asset = await insertAsset(stack.db, org.id, `${prefix}-A${index}`);
      await stack.db.query('insert into public.kit_assignments (org_id, gig_id, asset_id) values ($1, $2, $3)', [org.id, gig.id, asset]);
      add(facts.planned, gig.id, 1);
    } else if (roll < 0.5) {
      const quantity = randomInt(random, 1, 12);
      await stack.db.query('insert into public.kit_assignments (org_id, gig_id, category, quantity) values ($1, $2, $3, $4)', [
        org.id,
        gig.id,
        'Cable',
        quantity,
      ]);
      add(facts.planned, gig.id, quantity);
    } else if (roll < 0.6) {
      const outer = await insertCase(stack.db, org.id, `${prefix}-C${index}`);
      const inner = await insertCase(stack.db, org.id, `${prefix}-C${index}-IN`, outer);
      const contents = randomInt(random, 1, 3);
      for (let i = 0; i < contents; i += 1)
        await insertAsset(stack.db, org.id, `${prefix}-C${index}-${i}`, { caseId: i % 2 === 0 ? outer : inner });
      await stack.db.query('insert into public.kit_assignments (org_id, gig_id, case_id) values ($1, $2, $3)', [org.id, gig.id, outer]);
      add(facts.planned, gig.id, contents);
    }
    if (random() < 0.3) {
      const asset = await insertAsset(stack.db, org.id, `${prefix}-O${index}`);
      await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $1 where id = $2", [gig.id, asset]);
      add(facts.out, gig.id, 1);
      if (random() < 0.5) {
        await stack.db.query("insert into public.asset_movements (org_id, asset_id, kind, gig_id) values ($1, $2, 'check_in', $3)", [
          org.id,
          asset,
          gig.id,
        ]);
        add(facts.returned, gig.id, 1);
      }
    }
  }
  const staffIds: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    const { rows } = await stack.db.query<{ id: string }>(
      'insert into public.staff_profiles (org_id, display_name, badge_code) values ($1, $2, $3) returning id',
      [org.id, `Crew ${i}`, `${prefix}-B${i}`],
    );
    staffIds.push(rows[0]?.id ?? '');
  }
  for (const gig of gigs) {
    for (const staff of staffIds) {
      if (random() < 0.15) {
        await stack.db.query('insert into public.gig_staff (org_id, gig_id, staff_id, role) values ($1, $2, $3, $4)', [
          org.id,
          gig.id,
          staff,
          'crew',
        ]);
        const set = facts.staff.get(gig.id) ?? new Set<string>();
        set.add(staff);
        facts.staff.set(gig.id, set);
      }
    }
  }
  return { root: gigs[0]?.id ?? '', gigs, facts };
}

function compareSiblings(a: FlatGig, b: FlatGig): number {
  if (a.startsAt !== b.startsAt) {
    if (a.startsAt === null) return 1;
    if (b.startsAt === null) return -1;
    return a.startsAt < b.startsAt ? -1 : 1;
  }
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : 1;
}

/** The naive reference: recursion over the flat list. */
function reference(gigs: FlatGig[], facts: Facts, rootId: string): TreeNode {
  const build = (gig: FlatGig, depth: number): TreeNode & { staffSet: Set<string> } => {
    const children = gigs
      .filter((g) => g.parent === gig.id)
      .sort(compareSiblings)
      .map((child) => build(child, depth + 1));
    const staffSet = new Set(facts.staff.get(gig.id) ?? []);
    for (const child of children) for (const s of child.staffSet) staffSet.add(s);
    const sum = (own: number, key: keyof Counts): number => own + children.reduce((n, c) => n + c.counts[key], 0);
    return {
      id: gig.id,
      name: gig.name,
      depth,
      staffSet,
      counts: {
        assets_planned: sum(facts.planned.get(gig.id) ?? 0, 'assets_planned'),
        assets_checked_out: sum(facts.out.get(gig.id) ?? 0, 'assets_checked_out'),
        assets_returned: sum(facts.returned.get(gig.id) ?? 0, 'assets_returned'),
        // (core/views/counts.ts) No planned item is ever out here, and what is out ('Audio') fills no
        // bulk line ('Cable'): nothing is scanned, everything planned is missing, everything out is extra.
        scanned: 0,
        missing: sum(facts.planned.get(gig.id) ?? 0, 'missing'),
        extra: sum(facts.out.get(gig.id) ?? 0, 'extra'),
        staff_assigned: staffSet.size,
      },
      children,
    };
  };
  const strip = (node: TreeNode & { staffSet?: Set<string> }): TreeNode => ({
    id: node.id,
    name: node.name,
    depth: node.depth,
    counts: node.counts,
    children: node.children.map(strip),
  });
  const root = gigs.find((g) => g.id === rootId);
  if (root === undefined) throw new Error('no root');
  return strip(build(root, 0));
}

function project(node: TreeNode): TreeNode {
  return { id: node.id, name: node.name, depth: node.depth, counts: node.counts, children: node.children.map(project) };
}

async function hierarchyOf(root: string): Promise<TreeNode> {
  const { data, error } = await org.members.crew.client.rpc('get_gig_hierarchy', { root_gig_id: root });
  if (error !== null) throw new Error(error.message);
  return project(data as TreeNode);
}

async function currentParents(gigs: FlatGig[]): Promise<FlatGig[]> {
  const { rows } = await stack.db.query<{ id: string; parent_gig_id: string | null }>(
    'select id, parent_gig_id from public.gigs where id = any($1)',
    [gigs.map((g) => g.id)],
  );
  const parents = new Map(rows.map((r) => [r.id, r.parent_gig_id]));
  return gigs.map((g) => ({ ...g, parent: parents.get(g.id) ?? null }));
}

describe('get_gig_hierarchy', () => {
  it.each([1, 2, 3])('matches the naive reference on random tree #%i, at the root and at inner nodes', async (seed) => {
    const random = seededRandom(seed * 1000);
    const { root, gigs, facts } = await randomTree(random, 60, 8);
    expect(await hierarchyOf(root)).toEqual(reference(gigs, facts, root));
    for (const inner of gigs.slice(1, 6)) {
      expect(await hierarchyOf(inner.id)).toEqual(reference(gigs, facts, inner.id));
    }
  });

  it('still matches after random re-parenting', async () => {
    const random = seededRandom(99);
    const { root, gigs, facts } = await randomTree(random, 50, 6);
    let moved = 0;
    for (let attempt = 0; attempt < 40 && moved < 10; attempt += 1) {
      const node = pick(random, gigs.slice(1));
      const target = pick(random, gigs);
      try {
        await stack.db.query('update public.gigs set parent_gig_id = $1 where id = $2', [target.id, node.id]);
        moved += 1;
      } catch (error) {
        expect((error as Error).message).toMatch(/cycle|gigs_check/);
      }
    }
    expect(moved).toBeGreaterThan(0);
    const now = await currentParents(gigs);
    expect(await hierarchyOf(root)).toEqual(reference(now, facts, root));
    const { rows } = await stack.db.query<{ bad: number }>(
      `select count(*)::int as bad from public.gigs c join public.gigs p on p.id = c.parent_gig_id
        where c.id = any($1) and c.path::text <> p.path::text || '.' || 'g' || replace(c.id::text, '-', '')`,
      [gigs.map((g) => g.id)],
    );
    expect(rows[0]?.bad).toBe(0);
  });

  it('gives the breadcrumb from the root down', async () => {
    const random = seededRandom(5);
    const { gigs } = await randomTree(random, 20, 5);
    const deepest = gigs[gigs.length - 1];
    const { data } = await org.members.crew.client.rpc('get_gig_ancestors', { gig_id: deepest?.id });
    const chain: string[] = [];
    let cursor: FlatGig | undefined = deepest;
    while (cursor !== undefined) {
      chain.unshift(cursor.id);
      cursor = gigs.find((g) => g.id === cursor?.parent);
    }
    expect((data as { id: string; depth: number }[]).map((a) => a.id)).toEqual(chain);
    expect((data as { depth: number }[]).map((a) => a.depth)).toEqual(chain.map((_, i) => i));
  });

  it('answers 404 for a gig of another organization, a deleted gig, or a bad id', async () => {
    const { rows } = await stack.db.query<{ id: string }>('select id from public.gigs where org_id = $1 limit 1', [org.id]);
    const theirs = await other.members.admin.client.rpc('get_gig_hierarchy', { root_gig_id: rows[0]?.id });
    expect(theirs.status).toBe(404);
    expect(theirs.error?.message).toMatch(/not found/);
    const bad = await org.members.crew.client.rpc('get_gig_hierarchy', { root_gig_id: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(bad.error?.code).toBe('22P02');
  });
});
