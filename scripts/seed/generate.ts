import { pick, randomInt, randomUuid, seededRandom, type Random } from '../../core/random';
import { BULK_CATEGORIES, CATEGORIES, FESTIVAL_NAMES, FIRST_NAMES, LAST_NAMES, STAFF_ROLES, STAGES, TOUR_ARTISTS, VENUES } from './catalog';

/**
 * Deterministic, realistic data for one organization: festivals and tours 5–8 levels deep (the
 * first festival is the largest tree), serialized assets in cases, plans, crew, and a movement
 * history of about 11 movements per asset. Same seed, same data.
 */
export interface SeedSize {
  gigs: number;
  assets: number;
  staff: number;
}

export interface GigRow {
  id: string;
  parent: string | null;
  code: string;
  name: string;
  status: 'draft' | 'confirmed' | 'in_progress' | 'completed' | 'cancelled';
  startsAt: string;
  endsAt: string;
  venue: string | null;
  depth: number;
  tree: number;
}
export interface CaseRow {
  id: string;
  parent: string | null;
  barcode: string;
  name: string;
}
export interface AssetRow {
  id: string;
  serial: string;
  barcode: string;
  name: string;
  category: string;
  status: 'available' | 'checked_out' | 'in_maintenance' | 'quarantined' | 'lost' | 'retired';
  currentGig: string | null;
  caseId: string | null;
}
export interface StaffRow {
  id: string;
  userId: string;
  email: string;
  name: string;
  badge: string;
  role: 'admin' | 'manager' | 'crew' | 'station';
}
export interface KitRow {
  id: string;
  gig: string;
  asset: string | null;
  caseId: string | null;
  category: string | null;
  quantity: number | null;
}
export interface GigStaffRow {
  id: string;
  gig: string;
  staff: string;
  role: string;
}
export interface MovementRow {
  asset: string;
  kind: 'check_out' | 'check_in';
  gig: string;
  condition: 'ok' | null;
  occurredAt: string;
}

export interface OrgData {
  gigs: GigRow[];
  cases: CaseRow[];
  assets: AssetRow[];
  staff: StaffRow[];
  kit: KitRow[];
  gigStaff: GigStaffRow[];
  /** Generated lazily: the history is the bulk of the data. */
  movements: () => Generator<MovementRow>;
  movementCount: number;
  largestTreeNodes: number;
  maxDepth: number;
}

const DAY = 24 * 3600 * 1000;
const EPOCH = Date.UTC(2027, 4, 1);

interface Level {
  name: (random: Random, index: number, parent: GigRow) => string;
  fanout: [number, number];
}

const FESTIVAL_LEVELS: Level[] = [
  { name: (r) => `${pick(r, FESTIVAL_NAMES)} Festival ${2027}`, fanout: [1, 1] },
  { name: (_r, i) => STAGES[i % STAGES.length] ?? 'Stage', fanout: [4, 8] },
  { name: (_r, i) => `Day ${i + 1}`, fanout: [2, 4] },
  { name: (r, i) => `Set ${i + 1}: ${pick(r, TOUR_ARTISTS)}`, fanout: [4, 9] },
  { name: () => 'Changeover', fanout: [1, 2] },
  { name: (_r, i) => `Crew call ${i + 1}`, fanout: [1, 2] },
  { name: (_r, i) => `Task ${i + 1}`, fanout: [1, 2] },
  { name: (_r, i) => `Checklist ${i + 1}`, fanout: [1, 2] },
];

const TOUR_LEVELS: Level[] = [
  { name: (r) => `${pick(r, TOUR_ARTISTS)} Tour ${2027}`, fanout: [1, 1] },
  { name: (_r, i) => `Leg ${i + 1}`, fanout: [2, 4] },
  { name: (r) => `Show at ${pick(r, VENUES)}`, fanout: [3, 8] },
  { name: (_r, i) => (i === 0 ? 'Load-in day' : 'Show day'), fanout: [1, 2] },
  { name: (_r, i) => `Call ${i + 1}`, fanout: [2, 4] },
  { name: (_r, i) => `Task ${i + 1}`, fanout: [1, 2] },
  { name: (_r, i) => `Checklist ${i + 1}`, fanout: [1, 2] },
];

function statusFor(random: Random, startsAt: number): GigRow['status'] {
  if (startsAt < EPOCH - 60 * DAY) return random() < 0.9 ? 'completed' : 'cancelled';
  const r = random();
  return r < 0.15 ? 'draft' : r < 0.9 ? 'confirmed' : r < 0.97 ? 'in_progress' : 'cancelled';
}

/**
 * Builds one tree of up to `budget` gigs: first a spine straight down to `minDepth` levels (so
 * every tree is at least that deep), then breadth-first fill with each level's fan-out.
 */
function buildTree(
  random: Random,
  tree: number,
  levels: Level[],
  budget: number,
  codeBase: number,
  minDepth: number,
  gigs: GigRow[],
): number {
  const start = EPOCH + randomInt(random, -300, 300) * DAY;
  const mine: GigRow[] = [];
  const children = new Map<string, number>();
  const make = (parent: GigRow | null, depth: number, index: number): GigRow => {
    const level = levels[depth];
    const startsAt = parent === null ? start : Date.parse(parent.startsAt) + (depth === 2 ? index * DAY : index * 90 * 60 * 1000);
    const gig: GigRow = {
      id: randomUuid(random),
      parent: parent?.id ?? null,
      code: `GIG-${String(codeBase + mine.length).padStart(6, '0')}`,
      name: level?.name(random, index, parent as GigRow) ?? 'Gig',
      status:
        parent !== null && (parent.status === 'completed' || parent.status === 'cancelled') ? parent.status : statusFor(random, startsAt),
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + (depth <= 2 ? DAY : 60 * 60 * 1000)).toISOString(),
      venue: depth === 0 ? pick(random, VENUES) : depth <= 2 ? (parent?.venue ?? null) : null,
      depth,
      tree,
    };
    mine.push(gig);
    if (parent !== null) children.set(parent.id, (children.get(parent.id) ?? 0) + 1);
    return gig;
  };

  const root = make(null, 0, 0);
  const byDepth: GigRow[][] = [[root]];
  let spine = root;
  for (let depth = 1; depth < Math.min(minDepth, levels.length) && mine.length < budget; depth += 1) {
    spine = make(spine, depth, 0);
    byDepth[depth] = [spine];
  }
  for (let depth = 1; depth < levels.length && mine.length < budget; depth += 1) {
    const level = levels[depth];
    const parents = byDepth[depth - 1] ?? [];
    if (level === undefined || parents.length === 0) break;
    const row = byDepth[depth] ?? [];
    byDepth[depth] = row;
    for (const parent of parents) {
      const want = randomInt(random, level.fanout[0], level.fanout[1]);
      for (let i = children.get(parent.id) ?? 0; i < want && mine.length < budget; i += 1) row.push(make(parent, depth, i));
    }
  }
  mine.sort((x, y) => x.depth - y.depth);
  gigs.push(...mine);
  return mine.length;
}

export function generateOrg(seed: number, size: SeedSize, orgSlug: string): OrgData {
  const random = seededRandom(seed);
  const gigs: GigRow[] = [];
  let tree = 0;
  // The flagship festival: the largest tree, at least 1,000 gigs (a quarter of a large seed).
  const flagship = Math.min(size.gigs, Math.max(Math.min(1000, size.gigs), Math.floor(size.gigs / 4)));
  let largest = buildTree(random, tree, FESTIVAL_LEVELS, flagship, 1, FESTIVAL_LEVELS.length, gigs);
  while (gigs.length < size.gigs) {
    tree += 1;
    const remaining = size.gigs - gigs.length;
    const budget = Math.min(remaining, randomInt(random, 30, 320));
    const levels = random() < 0.5 ? FESTIVAL_LEVELS : TOUR_LEVELS;
    largest = Math.max(largest, buildTree(random, tree, levels, budget, gigs.length + 1, randomInt(random, 5, 8), gigs));
  }
  const maxDepth = gigs.reduce((max, g) => Math.max(max, g.depth + 1), 0);
  const openLeaves = gigs.filter((g) => g.depth >= 3 && (g.status === 'confirmed' || g.status === 'in_progress'));
  const pastGigs = gigs.filter((g) => g.depth >= 3);

  const cases: CaseRow[] = [];
  const caseCount = Math.floor(size.assets / 10);
  for (let i = 0; i < caseCount; i += 1) {
    const parent = i > 10 && random() < 0.1 ? (cases[randomInt(random, 0, i - 1)]?.id ?? null) : null;
    cases.push({ id: randomUuid(random), parent, barcode: `CASE-${String(i + 1).padStart(6, '0')}`, name: `Flight case ${i + 1}` });
  }

  const assets: AssetRow[] = [];
  for (let i = 0; i < size.assets; i += 1) {
    const kind = pick(random, CATEGORIES);
    const r = random();
    const status: AssetRow['status'] =
      r < 0.85
        ? 'available'
        : r < 0.93
          ? 'checked_out'
          : r < 0.96
            ? 'in_maintenance'
            : r < 0.98
              ? 'quarantined'
              : r < 0.99
                ? 'lost'
                : 'retired';
    const currentGig = status === 'checked_out' && openLeaves.length > 0 ? pick(random, openLeaves).id : null;
    assets.push({
      id: randomUuid(random),
      serial: `${pick(random, kind.prefixes)}-${String(100000 + i).padStart(6, '0')}${String.fromCharCode(65 + (i % 26))}`,
      barcode: String(4000000000000 + i * 7),
      name: pick(random, kind.items),
      category: kind.category,
      status: currentGig === null && status === 'checked_out' ? 'available' : status,
      currentGig,
      caseId: cases.length > 0 && random() < 0.5 ? (cases[Math.floor(i / 2) % cases.length]?.id ?? null) : null,
    });
  }

  const staff: StaffRow[] = [];
  for (let i = 0; i < size.staff; i += 1) {
    const role: StaffRow['role'] = i === 0 ? 'admin' : i % 50 === 1 ? 'manager' : i % 100 === 2 ? 'station' : 'crew';
    const n = String(i + 1).padStart(5, '0');
    staff.push({
      id: randomUuid(random),
      userId: randomUuid(random),
      email: `${role}${n}@${orgSlug}.test`,
      name: `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`,
      badge: `B-${orgSlug.slice(0, 3).toUpperCase()}-${n}`,
      role,
    });
  }

  const kit: KitRow[] = [];
  const gigStaff: GigStaffRow[] = [];
  for (const gig of gigs) {
    if (gig.depth >= 3 && random() < 0.5) {
      for (let k = randomInt(random, 1, 4); k > 0; k -= 1) {
        const r = random();
        if (r < 0.5 && assets.length > 0)
          kit.push({ id: randomUuid(random), gig: gig.id, asset: pick(random, assets).id, caseId: null, category: null, quantity: null });
        else if (r < 0.7 && cases.length > 0)
          kit.push({ id: randomUuid(random), gig: gig.id, asset: null, caseId: pick(random, cases).id, category: null, quantity: null });
        else
          kit.push({
            id: randomUuid(random),
            gig: gig.id,
            asset: null,
            caseId: null,
            category: pick(random, BULK_CATEGORIES),
            quantity: randomInt(random, 2, 40),
          });
      }
    }
    if (staff.length > 0) {
      const crew = new Set<string>();
      for (let s = randomInt(random, 0, 3); s > 0; s -= 1) crew.add(pick(random, staff).id);
      for (const member of crew) gigStaff.push({ id: randomUuid(random), gig: gig.id, staff: member, role: pick(random, STAFF_ROLES) });
    }
  }

  // History: out/in pairs over the past, ending where each asset is now.
  const perAsset = assets.map((asset) => {
    const pairs = randomInt(random, 4, 7);
    return { asset, pairs, seed: Math.floor(random() * 2 ** 31) };
  });
  const movementCount = perAsset.reduce((n, a) => n + a.pairs * 2 + (a.asset.currentGig === null ? 0 : 1), 0);
  function* movements(): Generator<MovementRow> {
    for (const { asset, pairs, seed: assetSeed } of perAsset) {
      const r = seededRandom(assetSeed);
      let at = EPOCH - 700 * DAY + randomInt(r, 0, 30) * DAY;
      for (let p = 0; p < pairs; p += 1) {
        const gig = pastGigs.length > 0 ? pick(r, pastGigs).id : (gigs[0]?.id ?? '');
        yield { asset: asset.id, kind: 'check_out', gig, condition: null, occurredAt: new Date(at).toISOString() };
        at += randomInt(r, 1, 20) * DAY;
        yield { asset: asset.id, kind: 'check_in', gig, condition: 'ok', occurredAt: new Date(at).toISOString() };
        at += randomInt(r, 1, 60) * DAY;
      }
      if (asset.currentGig !== null) {
        yield { asset: asset.id, kind: 'check_out', gig: asset.currentGig, condition: null, occurredAt: new Date(at).toISOString() };
      }
    }
  }

  return { gigs, cases, assets, staff, kit, gigStaff, movements, movementCount, largestTreeNodes: largest, maxDepth };
}
