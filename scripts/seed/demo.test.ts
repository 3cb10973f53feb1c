import { describe, expect, it } from 'vitest';
import { BULK_BARCODES } from './catalog';
import { generateOrg } from './generate';

// The demo data a newcomer sees (issue 18): current and plausible around an injected "now", the
// same codes whatever now is, and bulk stock so every open pick list can be completed.
const DEMO = { gigs: 80, assets: 400, staff: 12 };
const NOW = Date.UTC(2026, 11, 3, 17, 0);
const demo = generateOrg(42, { ...DEMO, now: NOW }, 'northlight');

describe('demo data around now', () => {
  it('is the same for the same now, and keeps its codes and items whatever now is', () => {
    expect(generateOrg(42, { ...DEMO, now: NOW }, 'northlight').gigs).toEqual(demo.gigs);
    const later = generateOrg(42, { ...DEMO, now: NOW + 200 * 86_400_000 }, 'northlight');
    expect(later.gigs.map((g) => g.code)).toEqual(demo.gigs.map((g) => g.code));
    expect(later.assets.map((a) => [a.serial, a.barcode, a.name])).toEqual(demo.assets.map((a) => [a.serial, a.barcode, a.name]));
    expect(later.cases.map((c) => c.barcode)).toEqual(demo.cases.map((c) => c.barcode));
    expect(later.staff.map((s) => s.badge)).toEqual(demo.staff.map((s) => s.badge));
  });

  it('spreads gigs around now: some past, some running (the festival), most upcoming; statuses agree with the dates', () => {
    // The demo is one festival (80 gigs): its first stage opened yesterday, its second opens today.
    for (const hour of [3, 10, 17, 23]) {
      const now = Date.UTC(2026, 11, 3, hour, 0);
      const gigs = generateOrg(42, { ...DEMO, now }, 'northlight').gigs;
      const past = gigs.filter((g) => Date.parse(g.endsAt) < now);
      const running = gigs.filter((g) => Date.parse(g.startsAt) <= now && Date.parse(g.endsAt) >= now);
      const upcoming = gigs.filter((g) => Date.parse(g.startsAt) > now);
      expect(
        running.map((g) => g.code),
        `at ${hour}:00`,
      ).toContain('GIG-000001');
      expect(past.length, `at ${hour}:00`).toBeGreaterThan(0);
      expect(upcoming.length, `at ${hour}:00`).toBeGreaterThan(past.length + running.length);
      for (const gig of gigs) {
        if (gig.status === 'cancelled') continue;
        if (Date.parse(gig.endsAt) < now) expect(gig.status, gig.code).toBe('completed');
        else if (Date.parse(gig.startsAt) > now) expect(['draft', 'confirmed'], gig.code).toContain(gig.status);
        else expect(gig.status, gig.code).toBe('in_progress');
      }
      // The README's pick-list gig stays open for the whole day.
      expect(gigs.find((g) => g.code === 'GIG-000068')).toMatchObject({ name: 'Set 9: Aurora Lane', status: 'confirmed' });
    }
  });

  it('gives the demo crew member a confirmed gig with gear on its pick list at any minute of the day', () => {
    // The phone's demo (My gigs → Scan) needs one; once it failed between 23:20 and midnight, when
    // the member's only confirmed gig started.
    for (let minute = 0; minute < 24 * 60; minute += 10) {
      const now = Date.UTC(2026, 11, 6, 0, minute);
      const data = generateOrg(42, { ...DEMO, now }, 'northlight');
      const crew = data.staff.find((s) => s.role === 'crew');
      const mine = new Set(data.gigStaff.filter((g) => g.staff === crew?.id).map((g) => g.gig));
      const ready = data.gigs.filter(
        (g) => mine.has(g.id) && g.status === 'confirmed' && data.kit.some((k) => k.gig === g.id && k.asset !== null),
      );
      // …one that stays confirmed for a test run's length at least.
      expect(Math.max(...ready.map((g) => Date.parse(g.startsAt))) - now, new Date(now).toISOString()).toBeGreaterThan(3 * 3_600_000);
    }
  });

  it('spreads a large seed’s trees from two months back to nine months ahead', () => {
    const large = generateOrg(7, { gigs: 3000, assets: 100, staff: 6, now: NOW }, 'northlight');
    const roots = large.gigs.filter((g) => g.parent === null).map((g) => (Date.parse(g.startsAt) - NOW) / 86_400_000);
    expect(Math.min(...roots)).toBeGreaterThanOrEqual(-61);
    expect(Math.max(...roots)).toBeLessThanOrEqual(271);
    expect(roots.filter((d) => d > 0).length).toBeGreaterThan(roots.filter((d) => d < 0).length);
  });

  it('names a tour or festival with the year it starts in, and puts sets in the afternoon and evening', () => {
    for (const root of demo.gigs.filter((g) => g.parent === null)) {
      expect(root.name, root.code).toMatch(new RegExp(` ${new Date(root.startsAt).getUTCFullYear()}$`));
    }
    const sets = demo.gigs.filter((g) => g.name.startsWith('Set '));
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      const hour = new Date(set.startsAt).getUTCHours();
      expect(hour >= 14 && hour <= 23, `${set.code} at ${set.startsAt}`).toBe(true);
    }
  });

  it('has bulk stock with shelf barcodes for every bulk line: all open pick lists can be completed at once', () => {
    const open = new Set(demo.gigs.filter((g) => g.status !== 'completed' && g.status !== 'cancelled').map((g) => g.id));
    expect(demo.bulkItems.map((b) => b.barcode).sort()).toEqual(Object.values(BULK_BARCODES).sort());
    const lines = demo.kit.filter((k) => k.category !== null && open.has(k.gig));
    expect(lines.length).toBeGreaterThan(0);
    for (const item of demo.bulkItems) {
      const needed = lines.filter((k) => k.category === item.category).reduce((n, k) => n + (k.quantity ?? 0), 0);
      expect(item.inWarehouse, item.category).toBeGreaterThanOrEqual(needed);
    }
    expect(demo.bulkItems.find((b) => b.barcode === 'BULK-GAFFER')).toMatchObject({ consumable: true, unit: 'rolls' });
  });
});
