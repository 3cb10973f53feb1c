import { describe, expect, it } from 'vitest';
import { generateOrg } from './generate';

describe('seed data generator', () => {
  const data = generateOrg(42, { gigs: 5000, assets: 4000, staff: 60 }, 'northlight');

  it('is deterministic for a seed', () => {
    const again = generateOrg(42, { gigs: 5000, assets: 4000, staff: 60 }, 'northlight');
    expect(again.gigs).toEqual(data.gigs);
    expect(again.assets).toEqual(data.assets);
    expect([...again.movements()].slice(0, 500)).toEqual([...data.movements()].slice(0, 500));
    expect(generateOrg(43, { gigs: 50, assets: 40, staff: 6 }, 'northlight').gigs[0]?.id).not.toBe(data.gigs[0]?.id);
  });

  it('builds festivals and tours 5 to 8 levels deep, the largest with at least 1,000 gigs', () => {
    expect(data.gigs).toHaveLength(5000);
    const byTree = new Map<number, number[]>();
    for (const gig of data.gigs) byTree.set(gig.tree, [...(byTree.get(gig.tree) ?? []), gig.depth]);
    for (const depths of byTree.values()) {
      const levels = Math.max(...depths) + 1;
      expect(levels).toBeGreaterThanOrEqual(5);
      expect(levels).toBeLessThanOrEqual(8);
    }
    expect(data.largestTreeNodes).toBeGreaterThanOrEqual(1000);
    expect(data.maxDepth).toBe(8);
  });

  it('lists every parent before its children, as COPY needs', () => {
    const seen = new Set<string>();
    for (const gig of data.gigs) {
      if (gig.parent !== null) expect(seen.has(gig.parent)).toBe(true);
      seen.add(gig.id);
    }
  });

  it('puts every festival and tour at its venue’s zone, and every set below it in the same zone', () => {
    const byId = new Map(data.gigs.map((gig) => [gig.id, gig]));
    const zones = new Set<string>();
    for (const gig of data.gigs) {
      const parent = gig.parent === null ? undefined : byId.get(gig.parent);
      if (parent === undefined) {
        expect(gig.timeZone, gig.name).toMatch(/^[A-Z][a-z]+\/[A-Za-z_]+$/);
        // Every zone the seed names is one this runtime's Intl knows (devices show times in it).
        expect(() => new Intl.DateTimeFormat('en-GB', { timeZone: gig.timeZone ?? '' })).not.toThrow();
      } else expect(gig.timeZone).toBe(parent.timeZone);
      if (gig.timeZone !== null) zones.add(gig.timeZone);
    }
    expect(zones.size).toBeGreaterThan(2);
  });

  it('keeps serials unique, checked-out assets on a gig, and ≥ 10 movements per asset on average', () => {
    expect(new Set(data.assets.map((a) => a.serial)).size).toBe(data.assets.length);
    for (const asset of data.assets) expect(asset.status === 'checked_out').toBe(asset.currentGig !== null);
    const movements = [...data.movements()];
    expect(movements).toHaveLength(data.movementCount);
    expect(movements.length / data.assets.length).toBeGreaterThanOrEqual(10);
    const last = new Map(movements.map((m) => [m.asset, m]));
    for (const asset of data.assets.filter((a) => a.currentGig !== null)) {
      expect(last.get(asset.id)).toMatchObject({ kind: 'check_out', gig: asset.currentGig });
    }
  });

  it('puts everything in the warehouse on a shelf, with its home; a case’s contents where the case is; what is out on none', () => {
    const ids = new Set(data.locations.map((l) => l.id));
    for (const place of data.locations) if (place.parent !== null) expect(ids.has(place.parent)).toBe(true);
    expect(new Set(data.locations.map((l) => l.code.toUpperCase())).size).toBe(data.locations.length);
    const shelves = new Set(data.locations.filter((l) => l.kind === 'shelf').map((l) => l.id));
    const cases = new Map(data.cases.map((c) => [c.id, data.placed.get(c.id)]));
    let displaced = 0;
    for (const asset of data.assets) {
      const place = data.placed.get(asset.id);
      expect(place !== undefined && shelves.has(place.home)).toBe(true);
      if (asset.currentGig !== null) expect(place?.at).toBeNull();
      else if (asset.caseId !== null) expect(place?.at).toBe(cases.get(asset.caseId)?.at);
      else if (place?.at !== place?.home) displaced += 1;
    }
    // Some loose items sit on another shelf than their home: what a stock-take is for.
    expect(displaced).toBeGreaterThan(0);
    expect(displaced).toBeLessThan(data.assets.length * 0.05);
  });
});
