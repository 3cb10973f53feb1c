import { describe, expect, it } from 'vitest';
import type { GigListItem } from '../station-views';
import { ancestry, buildGigTree, visibleGigRows } from './gig-tree';

let n = 0;
function gig(name: string, parentId: string | null, extra: Partial<GigListItem> = {}): GigListItem {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    parentId,
    code: `G-${name.toUpperCase().replaceAll(' ', '-')}`,
    name,
    status: 'confirmed',
    startsAt: null,
    venue: null,
    timeZone: null,
    version: 1,
    assetsOut: 0,
    planned: 0,
    ...extra,
  };
}

// festival → day → stage → set, plus a second festival and an orphan whose parent is not cached.
const festival = gig('Northlight Festival', null, { assetsOut: 1 });
const day = gig('Friday', festival.id, { planned: 4 });
const stage = gig('Main Stage', day.id, { assetsOut: 2, venue: 'Field A' });
const set1 = gig('Headliner set', stage.id, { assetsOut: 5, planned: 6 });
const set2 = gig('Support set', stage.id, { assetsOut: 1 });
const other = gig('Harbour Club Night', null);
const orphan = gig('Orphan rehearsal', '00000000-0000-4000-8000-999999999999');
const tree = buildGigTree([festival, day, stage, set1, set2, other, orphan]);
const names = (rows: { gig: GigListItem; depth: number }[]): string[] => rows.map((r) => `${'-'.repeat(r.depth)}${r.gig.name}`);

describe('gig tree', () => {
  it('rolls counts up over each subtree', () => {
    expect(tree.rollup.get(festival.id)).toEqual({ gigs: 5, assetsOut: 9, planned: 10 });
    expect(tree.rollup.get(stage.id)).toEqual({ gigs: 3, assetsOut: 8, planned: 6 });
    expect(tree.rollup.get(set2.id)).toEqual({ gigs: 1, assetsOut: 1, planned: 0 });
  });

  it('shows roots collapsed, and the children of what is expanded, in order', () => {
    expect(names(visibleGigRows(tree, new Set()))).toEqual(['Northlight Festival', 'Harbour Club Night', 'Orphan rehearsal']);
    const open = visibleGigRows(tree, new Set([festival.id, day.id, stage.id]));
    expect(names(open)).toEqual([
      'Northlight Festival',
      '-Friday',
      '--Main Stage',
      '---Headliner set',
      '---Support set',
      'Harbour Club Night',
      'Orphan rehearsal',
    ]);
    expect(open[0]).toMatchObject({ hasChildren: true, expanded: true });
    expect(open[3]).toMatchObject({ hasChildren: false, expanded: false });
  });

  it('a collapsed parent hides an expanded child', () => {
    expect(names(visibleGigRows(tree, new Set([day.id, stage.id])))).toEqual([
      'Northlight Festival',
      'Harbour Club Night',
      'Orphan rehearsal',
    ]);
  });

  it('search shows matches with the path to them, by name, code or venue', () => {
    const rows = visibleGigRows(tree, new Set(), 'support');
    expect(names(rows)).toEqual(['Northlight Festival', '-Friday', '--Main Stage', '---Support set']);
    expect(rows.map((r) => r.match)).toEqual([false, false, false, true]);
    expect(names(visibleGigRows(tree, new Set(), 'field a'))).toEqual(['Northlight Festival', '-Friday', '--Main Stage']);
    expect(names(visibleGigRows(tree, new Set(), 'g-harbour'))).toEqual(['Harbour Club Night']);
    expect(visibleGigRows(tree, new Set(), 'nothing like this')).toEqual([]);
  });

  it('gives the breadcrumb root first', () => {
    expect(ancestry(tree, set1.id).map((g) => g.name)).toEqual(['Northlight Festival', 'Friday', 'Main Stage', 'Headliner set']);
  });

  it('survives a cycle in bad data without hanging', () => {
    const a = gig('A', null);
    const b = gig('B', a.id);
    const looped = buildGigTree([{ ...a, parentId: b.id }, b]);
    expect(visibleGigRows(looped, new Set([a.id, b.id]))).toEqual([]);
    expect(ancestry(looped, a.id).map((g) => g.name)).toEqual(['B', 'A']);
  });
});
