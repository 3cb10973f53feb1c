import { pick, randomInt, randomUuid, seededRandom, type Random } from '../../core/random';
import {
  BULK_BARCODES,
  BULK_CATEGORIES,
  CATEGORIES,
  FESTIVAL_NAMES,
  FIRST_NAMES,
  LAST_NAMES,
  STAFF_ROLES,
  STAGES,
  TOUR_ARTISTS,
  VENUES,
  VENUE_ZONES,
} from './catalog';

/**
 * Deterministic, realistic data for one organization: festivals and tours 5–8 levels deep (the
 * first festival is the largest tree), serialized assets in cases, plans, crew, and a movement
 * history of about 11 movements per asset. Same seed, same data.
 */
export interface SeedSize {
  gigs: number;
  assets: number;
  staff: number;
  /**
   * "Now" for the data's dates (ms): gigs spread around it (some past, the flagship running,
   * most upcoming) and statuses that agree. Injected so the data is the same for the same now;
   * default a fixed instant (load and benchmark data stay identical run to run).
   */
  now?: number;
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
  /** The venue's zone, kept by every set below it (a set without a venue of its own is at its parent's). */
  timeZone: string | null;
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

/** Bulk (unserialized) stock: one per bulk category, enough in the warehouse for every open pick list. */
export interface BulkItemRow {
  id: string;
  category: string;
  name: string;
  barcode: string;
  unit: string;
  consumable: boolean;
  inWarehouse: number;
}

/** A warehouse, or a zone or shelf in one (issue 21). Parents come before their children. */
export interface LocationRow {
  id: string;
  parent: string | null;
  kind: 'warehouse' | 'zone' | 'shelf';
  code: string;
  name: string;
}

/** Where a thing is put back (home) and where it is now (`at`, null while out to a gig). */
export interface Placed {
  home: string;
  at: string | null;
}

export interface OrgData {
  gigs: GigRow[];
  locations: LocationRow[];
  /** Asset, case and bulk item id → its places. */
  placed: Map<string, Placed>;
  bulkItems: BulkItemRow[];
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

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const EPOCH = Date.UTC(2027, 4, 1);

interface Level {
  /** `year`: the year the tree starts in, so "… 2027" names agree with the dates. */
  name: (random: Random, index: number, parent: GigRow, year: number) => string;
  fanout: [number, number];
  /** When the i-th child starts after its parent: `offset + i * step` (ms). */
  offset: number;
  step: number;
  /** How long a gig at this level lasts (ms). */
  length: number;
}

// Festivals: stages open on successive days and run three days each; a stage's day opens at noon,
// sets of 55 minutes from 14:00 every 70 minutes (the ninth and last at 23:20), a changeover after each.
const FESTIVAL_LEVELS: Level[] = [
  { name: (r, _i, _p, year) => `${pick(r, FESTIVAL_NAMES)} Festival ${year}`, fanout: [1, 1], offset: 0, step: 0, length: 11 * DAY },
  { name: (_r, i) => STAGES[i % STAGES.length] ?? 'Stage', fanout: [4, 8], offset: 0, step: DAY, length: 4 * DAY },
  { name: (_r, i) => `Day ${i + 1}`, fanout: [2, 4], offset: 12 * HOUR, step: DAY, length: 12 * HOUR },
  {
    name: (r, i) => `Set ${i + 1}: ${pick(r, TOUR_ARTISTS)}`,
    fanout: [4, 9],
    offset: 2 * HOUR,
    step: 70 * 60 * 1000,
    length: 55 * 60 * 1000,
  },
  { name: () => 'Changeover', fanout: [1, 2], offset: 55 * 60 * 1000, step: 7 * 60 * 1000, length: 15 * 60 * 1000 },
  { name: (_r, i) => `Crew call ${i + 1}`, fanout: [1, 2], offset: 0, step: 15 * 60 * 1000, length: 15 * 60 * 1000 },
  { name: (_r, i) => `Task ${i + 1}`, fanout: [1, 2], offset: 0, step: 5 * 60 * 1000, length: 5 * 60 * 1000 },
  { name: (_r, i) => `Checklist ${i + 1}`, fanout: [1, 2], offset: 0, step: 5 * 60 * 1000, length: 5 * 60 * 1000 },
];

// Tours: legs two weeks apart, a show every other day, load-in and show days from 10:00, calls through the day.
const TOUR_LEVELS: Level[] = [
  { name: (r, _i, _p, year) => `${pick(r, TOUR_ARTISTS)} Tour ${year}`, fanout: [1, 1], offset: 0, step: 0, length: 6 * 7 * DAY },
  { name: (_r, i) => `Leg ${i + 1}`, fanout: [2, 4], offset: 0, step: 14 * DAY, length: 12 * DAY },
  { name: (r) => `Show at ${pick(r, VENUES)}`, fanout: [3, 8], offset: 0, step: 2 * DAY, length: DAY },
  { name: (_r, i) => (i === 0 ? 'Load-in day' : 'Show day'), fanout: [1, 2], offset: 10 * HOUR, step: DAY, length: 14 * HOUR },
  { name: (_r, i) => `Call ${i + 1}`, fanout: [2, 4], offset: 0, step: 3 * HOUR, length: 2 * HOUR },
  { name: (_r, i) => `Task ${i + 1}`, fanout: [1, 2], offset: 0, step: 30 * 60 * 1000, length: 30 * 60 * 1000 },
  { name: (_r, i) => `Checklist ${i + 1}`, fanout: [1, 2], offset: 0, step: 10 * 60 * 1000, length: 10 * 60 * 1000 },
];

/**
 * The statuses of the data before dates followed "now" (a fixed 2027 calendar): kept only to draw
 * random numbers exactly as then, so a seed's gig codes, names, items and serials stay the same.
 */
function legacyStatus(random: Random, startsAt: number): { status: GigRow['status']; r: number } {
  const r = random();
  if (startsAt < EPOCH - 60 * DAY) return { status: r < 0.9 ? 'completed' : 'cancelled', r };
  return { status: r < 0.15 ? 'draft' : r < 0.9 ? 'confirmed' : r < 0.97 ? 'in_progress' : 'cancelled', r };
}

/** Past gigs are completed (a few cancelled), running ones in progress, upcoming ones mostly confirmed. */
function statusFor(r: number, startsAt: number, endsAt: number, now: number): GigRow['status'] {
  if (endsAt < now) return r < 0.9 ? 'completed' : 'cancelled';
  if (startsAt <= now) return r < 0.97 ? 'in_progress' : 'cancelled';
  return r < 0.15 ? 'draft' : r < 0.97 ? 'confirmed' : 'cancelled';
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
  now: number,
): number {
  // Trees from two months back to nine months ahead of now (one draw, as before, so the codes
  // and items of a seed stay the same). The flagship (tree 0) runs now: it began yesterday (its
  // first stage's first day is over) and its second stage opens today.
  const drawn = randomInt(random, -300, 300);
  const offsetDays = Math.round(((drawn + 300) / 600) * 330) - 60;
  const legacyStart = EPOCH + drawn * DAY;
  const legacy = new Map<string, { startsAt: number; status: GigRow['status'] }>();
  const today = Math.floor(now / DAY) * DAY;
  const start = tree === 0 ? today - DAY : today + offsetDays * DAY;
  const year = new Date(start).getUTCFullYear();
  const mine: GigRow[] = [];
  const children = new Map<string, number>();
  const make = (parent: GigRow | null, depth: number, index: number): GigRow => {
    const level = levels[depth];
    const startsAt = parent === null ? start : Date.parse(parent.startsAt) + (level?.offset ?? 0) + index * (level?.step ?? 0);
    const endsAt = startsAt + (level?.length ?? HOUR);
    const id = randomUuid(random);
    const name = level?.name(random, index, parent as GigRow, year) ?? 'Gig';
    // Random numbers are drawn as the fixed-calendar data drew them (legacyStatus), then the
    // status is decided on the dates around now with the same draw.
    const before = parent === null ? undefined : legacy.get(parent.id);
    const legacyStartsAt = before === undefined ? legacyStart : before.startsAt + (depth === 2 ? index * DAY : index * 90 * 60 * 1000);
    const inherited = before !== undefined && (before.status === 'completed' || before.status === 'cancelled');
    const drawnStatus = inherited ? { status: before.status, r: 0.5 } : legacyStatus(random, legacyStartsAt);
    legacy.set(id, { startsAt: legacyStartsAt, status: drawnStatus.status });
    const venue = depth === 0 ? pick(random, VENUES) : depth <= 2 ? (parent?.venue ?? null) : null;
    const gig: GigRow = {
      id,
      parent: parent?.id ?? null,
      code: `GIG-${String(codeBase + mine.length).padStart(6, '0')}`,
      name,
      status:
        parent !== null && (parent.status === 'completed' || parent.status === 'cancelled')
          ? parent.status
          : statusFor(drawnStatus.r, startsAt, endsAt, now),
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      venue,
      timeZone: depth === 0 ? (VENUE_ZONES[venue as keyof typeof VENUE_ZONES] ?? null) : (parent?.timeZone ?? null),
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
  const now = size.now ?? EPOCH;
  let largest = buildTree(random, tree, FESTIVAL_LEVELS, flagship, 1, FESTIVAL_LEVELS.length, gigs, now);
  while (gigs.length < size.gigs) {
    tree += 1;
    const remaining = size.gigs - gigs.length;
    const budget = Math.min(remaining, randomInt(random, 30, 320));
    const levels = random() < 0.5 ? FESTIVAL_LEVELS : TOUR_LEVELS;
    largest = Math.max(largest, buildTree(random, tree, levels, budget, gigs.length + 1, randomInt(random, 5, 8), gigs, now));
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

  // The first crew member (the demo login) is on the confirmed gig with gear on its pick list that
  // starts last, whatever the hour: the phone's demo needs one that stays confirmed for hours, and
  // drawn crews left none late in the evening. Its own generator keeps the other rows as they were.
  const firstCrew = staff.find((s) => s.role === 'crew');
  const upcoming = gigs
    .filter((g) => g.status === 'confirmed' && kit.some((k) => k.gig === g.id && k.asset !== null))
    .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt) || a.code.localeCompare(b.code))[0];
  if (firstCrew !== undefined && upcoming !== undefined && !gigStaff.some((g) => g.gig === upcoming.id && g.staff === firstCrew.id)) {
    const crewRandom = seededRandom(seed + 11_000_027);
    gigStaff.push({ id: randomUuid(crewRandom), gig: upcoming.id, staff: firstCrew.id, role: pick(crewRandom, STAFF_ROLES) });
  }

  // Bulk stock: every open gig's bulk lines can be picked at once, with some to spare. Ids come
  // from a generator of their own so the seed's other rows (and their codes) stay as they were.
  const open = new Set(gigs.filter((g) => g.status !== 'completed' && g.status !== 'cancelled').map((g) => g.id));
  const bulkRandom = seededRandom(seed + 7_000_003);
  const bulkItems: BulkItemRow[] = BULK_CATEGORIES.map((category) => {
    const needed = kit.filter((k) => k.category === category && open.has(k.gig)).reduce((n, k) => n + (k.quantity ?? 0), 0);
    return {
      id: randomUuid(bulkRandom),
      category,
      name: category,
      barcode: BULK_BARCODES[category],
      unit: category === 'Gaffer tape' ? 'rolls' : 'pcs',
      consumable: category === 'Gaffer tape',
      inWarehouse: needed + 50,
    };
  });

  // Where everything lives: a main warehouse of 6 zones × 20 shelves and a dock store of 2 × 10,
  // from a generator of their own (the other rows stay as they were). A case's contents live where
  // the case does; 2 % of what is in the warehouse sits on another shelf than its home (what a
  // stock-take finds); what is out to a gig is on no shelf.
  const placeRandom = seededRandom(seed + 9_000_011);
  const locations: LocationRow[] = [];
  const shelves: string[] = [];
  for (const [w, name, zones, perZone] of [
    [1, 'Main Warehouse', 6, 20],
    [2, 'Dock Store', 2, 10],
  ] as const) {
    const warehouse = { id: randomUuid(placeRandom), parent: null, kind: 'warehouse' as const, code: `WH${w}`, name };
    locations.push(warehouse);
    for (let z = 0; z < zones; z += 1) {
      const letter = String.fromCharCode(65 + z);
      const zone = {
        id: randomUuid(placeRandom),
        parent: warehouse.id,
        kind: 'zone' as const,
        code: `WH${w}-${letter}`,
        name: `Zone ${letter}`,
      };
      locations.push(zone);
      for (let s = 1; s <= perZone; s += 1) {
        const code = `WH${w}-${letter}${String(s).padStart(2, '0')}`;
        const shelf = {
          id: randomUuid(placeRandom),
          parent: zone.id,
          kind: 'shelf' as const,
          code,
          name: `Shelf ${letter}${String(s).padStart(2, '0')}`,
        };
        locations.push(shelf);
        shelves.push(shelf.id);
      }
    }
  }
  const placed = new Map<string, Placed>();
  const shelfOf = (): string => pick(placeRandom, shelves);
  for (const box of cases) placed.set(box.id, { home: shelfOf(), at: null });
  for (const box of cases) {
    const place = placed.get(box.id);
    if (place !== undefined) place.at = place.home;
  }
  for (const asset of assets) {
    const inCase = asset.caseId === null ? undefined : placed.get(asset.caseId);
    const home = inCase?.home ?? shelfOf();
    const away = asset.currentGig !== null;
    const at = away ? null : inCase !== undefined ? (inCase.at ?? home) : placeRandom() < 0.02 ? shelfOf() : home;
    placed.set(asset.id, { home, at });
  }
  for (const item of bulkItems) {
    const home = shelfOf();
    placed.set(item.id, { home, at: home });
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
      let at = now - 700 * DAY + randomInt(r, 0, 30) * DAY;
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

  return {
    gigs,
    locations,
    placed,
    bulkItems,
    cases,
    assets,
    staff,
    kit,
    gigStaff,
    movements,
    movementCount,
    largestTreeNodes: largest,
    maxDepth,
  };
}
