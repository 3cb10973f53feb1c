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
});
