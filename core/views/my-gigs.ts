import type { GigListItem, MyGig } from '../station-views';

/**
 * A crew member's schedule: the gigs they are assigned to (with their role there), soonest
 * first, each with the path above it ("Festival › Friday › Main Stage") so a set is never
 * ambiguous on a small screen.
 */
export function buildMyGigs(gigs: readonly GigListItem[], assignments: readonly { gigId: string; role: string }[]): MyGig[] {
  const byId = new Map(gigs.map((gig) => [gig.id, gig]));
  const path = (gig: GigListItem): string[] => {
    const names: string[] = [];
    const seen = new Set<string>([gig.id]);
    let parent = gig.parentId === null ? undefined : byId.get(gig.parentId);
    while (parent !== undefined && !seen.has(parent.id)) {
      seen.add(parent.id);
      names.unshift(parent.name);
      parent = parent.parentId === null ? undefined : byId.get(parent.parentId);
    }
    return names;
  };
  return assignments
    .flatMap(({ gigId, role }) => {
      const gig = byId.get(gigId);
      return gig === undefined ? [] : [{ ...gig, role, path: path(gig) }];
    })
    .sort((a, b) => (a.startsAt ?? '9999').localeCompare(b.startsAt ?? '9999') || a.name.localeCompare(b.name));
}
