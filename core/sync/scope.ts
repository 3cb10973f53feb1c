import { z } from 'zod';

/**
 * What a device holds (migration 20261207000200): the whole organization (a warehouse station),
 * gig subtrees (a touring laptop: its tour, with the ancestors, plan, crew, cases and assets of
 * those gigs), or the signed-in member's own gigs (a phone). The server decides what each holds,
 * inside the member's organizations.
 */
export const syncScopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('org') }),
  z.strictObject({ kind: z.literal('gigs'), roots: z.array(z.uuid()).min(1, 'choose at least one gig').max(50, 'at most 50 gigs') }),
  z.strictObject({ kind: z.literal('mine') }),
]);
export type SyncScope = z.infer<typeof syncScopeSchema>;

export const WHOLE_ORGANIZATION: SyncScope = { kind: 'org' };

/** What the server is sent: nothing for the whole organization, so a server without scopes still answers. */
export function scopeArgs(scope: SyncScope | undefined): { scope?: SyncScope } {
  return scope === undefined || scope.kind === 'org' ? {} : { scope };
}

export function sameScope(a: SyncScope, b: SyncScope): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'gigs' || b.kind !== 'gigs') return true;
  return [...a.roots].sort().join() === [...b.roots].sort().join();
}
