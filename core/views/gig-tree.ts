/**
 * The gig hierarchy as the station shows it: children in the order they came (start time, then
 * name), counts rolled up over each subtree, and the flat list of rows a virtualized tree draws
 * for the expanded nodes — or, while searching, for the matches and the ancestors that lead to them.
 */

import type { GigListItem } from '../station-views';

export interface Rollup {
  gigs: number;
  assetsOut: number;
  planned: number;
}

export interface GigTree {
  byId: ReadonlyMap<string, GigListItem>;
  children: ReadonlyMap<string | null, readonly GigListItem[]>;
  rollup: ReadonlyMap<string, Rollup>;
}

export interface GigRow {
  gig: GigListItem;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
  /** Searching: this row matched (its ancestors are shown for context, not matched). */
  match: boolean;
}

export function buildGigTree(items: readonly GigListItem[]): GigTree {
  const byId = new Map(items.map((gig) => [gig.id, gig]));
  const children = new Map<string | null, GigListItem[]>();
  for (const gig of items) {
    // A parent this station has not cached (or a deleted one) leaves the gig at the top.
    const parent = gig.parentId !== null && byId.has(gig.parentId) ? gig.parentId : null;
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [gig]);
    else list.push(gig);
  }
  const rollup = new Map<string, Rollup>();
  // Post-order without recursion (hierarchies are deep and wide); `visited` stops a cycle.
  const visited = new Set<string>();
  for (const root of children.get(null) ?? []) {
    const stack: { gig: GigListItem; done: boolean }[] = [{ gig: root, done: false }];
    while (stack.length > 0) {
      const top = stack.pop() as { gig: GigListItem; done: boolean };
      if (top.done) {
        const total = { gigs: 1, assetsOut: top.gig.assetsOut, planned: top.gig.planned };
        for (const child of children.get(top.gig.id) ?? []) {
          const sub = rollup.get(child.id);
          if (sub === undefined) continue;
          total.gigs += sub.gigs;
          total.assetsOut += sub.assetsOut;
          total.planned += sub.planned;
        }
        rollup.set(top.gig.id, total);
        continue;
      }
      if (visited.has(top.gig.id)) continue;
      visited.add(top.gig.id);
      stack.push({ gig: top.gig, done: true });
      for (const child of children.get(top.gig.id) ?? []) stack.push({ gig: child, done: false });
    }
  }
  return { byId, children, rollup };
}

function matches(gig: GigListItem, needle: string): boolean {
  return (
    gig.name.toLowerCase().includes(needle) ||
    gig.code.toLowerCase().includes(needle) ||
    (gig.venue?.toLowerCase().includes(needle) ?? false)
  );
}

export function visibleGigRows(tree: GigTree, expanded: ReadonlySet<string>, query = ''): GigRow[] {
  const needle = query.trim().toLowerCase();
  let shown: Set<string> | null = null;
  const matched = new Set<string>();
  if (needle !== '') {
    shown = new Set();
    for (const gig of tree.byId.values()) {
      if (!matches(gig, needle)) continue;
      matched.add(gig.id);
      for (const step of ancestry(tree, gig.id)) shown.add(step.id);
    }
  }
  const rows: GigRow[] = [];
  const stack: { gig: GigListItem; depth: number }[] = [...(tree.children.get(null) ?? [])].reverse().map((gig) => ({ gig, depth: 0 }));
  while (stack.length > 0) {
    const { gig, depth } = stack.pop() as { gig: GigListItem; depth: number };
    if (shown !== null && !shown.has(gig.id)) continue;
    const kids = tree.children.get(gig.id) ?? [];
    // Searching opens the path to every match; otherwise only what the operator opened.
    const open = shown !== null ? kids.some((kid) => shown.has(kid.id)) : expanded.has(gig.id);
    rows.push({ gig, depth, hasChildren: kids.length > 0, expanded: open && kids.length > 0, match: matched.has(gig.id) });
    if (open) for (let i = kids.length - 1; i >= 0; i -= 1) stack.push({ gig: kids[i] as GigListItem, depth: depth + 1 });
  }
  return rows;
}

/** Root first, the gig itself last. */
export function ancestry(tree: GigTree, id: string): GigListItem[] {
  const path: GigListItem[] = [];
  const seen = new Set<string>();
  let current = tree.byId.get(id);
  while (current !== undefined && !seen.has(current.id)) {
    seen.add(current.id);
    path.unshift(current);
    current = current.parentId === null ? undefined : tree.byId.get(current.parentId);
  }
  return path;
}
