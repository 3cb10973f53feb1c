/**
 * Who may do what: the server's rule (app.op_allowed and app.gig_status_transition_allowed in
 * supabase/migrations), read by the screens so they offer only what the signed-in role may do
 * — a station offered "Set in progress" would show it, queue it, and have it quarantined
 * `forbidden`. tests/sync/roles-server.test.ts checks every role × op here, and every status
 * pair, against those SQL functions on a real PostgreSQL, so the two cannot drift apart.
 */
import { z } from 'zod';
import { GIG_STATUS_TRANSITIONS, type GigStatus } from '../station-views';

export const MEMBER_ROLES = ['admin', 'manager', 'crew', 'station'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** The signed-in person's memberships as the station last learnt them (kept for offline use). */
export const knownRolesSchema = z.object({
  /** Whose memberships these are: another sign-in on this station does not inherit them. */
  email: z.string(),
  roles: z.array(
    z.object({
      orgId: z.uuid(),
      role: z.enum(MEMBER_ROLES),
      /** The organization's availability buffers in hours (core/views/availability.ts), when the server said. */
      buffers: z.object({ prepHours: z.number().int(), returnHours: z.number().int() }).optional(),
    }),
  ),
  /** When they were read from the server (ms). */
  readAt: z.number(),
});
export type KnownRoles = z.infer<typeof knownRolesSchema>;

/**
 * A crew member records movements as themselves (the server refuses a crew op naming another
 * staff profile, app.operator_refused): on their phone a badge scan cannot make someone else the
 * operator. True when every known membership is crew; unknown roles name nobody else either.
 */
export function scansAsThemselves(known: KnownRoles | null): boolean {
  return known !== null && known.roles.length > 0 && known.roles.every((r) => r.role === 'crew');
}

/** The ops crew and stations may send: moving kit in and out, putting it away, stock-takes. */
const HANDS_ON: readonly string[] = [
  'assets.check_out',
  'assets.check_in',
  'cases.check_out',
  'cases.check_in',
  'bulk_items.check_out',
  'bulk_items.check_in',
  'assets.put_away',
  'cases.put_away',
  'bulk_items.put_away',
  'audits.start',
  'audits.scan',
  'audits.close',
];
/** What a station may send beyond that: note an item, claim a pre-printed label for a new one. */
const STATION_ONLY: readonly string[] = ['assets.update', 'assets.claim'];

/** app.op_allowed: admins and managers plan, crew and stations move kit (stations also note items and claim labels). */
export function opAllowed(role: MemberRole, table: string, action: string): boolean {
  if (role === 'admin' || role === 'manager') return true;
  const op = `${table}.${action}`;
  return HANDS_ON.includes(op) || (role === 'station' && STATION_ONLY.includes(op));
}

/** app.gig_status_transition_allowed. */
export function transitionAllowed(from: GigStatus, to: GigStatus): boolean {
  return GIG_STATUS_TRANSITIONS[from].includes(to);
}

/** "station" → "a station", "admin" → "an admin", "crew" → "a crew member": the role named in a sentence. */
export function roleWords(role: MemberRole): string {
  return role === 'admin' ? 'an admin' : role === 'crew' ? 'a crew member' : `a ${role}`;
}

/** The role the signed-in person has in an organization, by the last known memberships (null: not known). */
export function roleIn(known: KnownRoles | null, signedInAs: string | null, orgId: unknown): MemberRole | null {
  if (known === null || signedInAs === null || known.email.toLowerCase() !== signedInAs.toLowerCase()) return null;
  // A row without its organization (an optimistic new gig) reads as the one membership, if only one.
  const match =
    typeof orgId === 'string' ? known.roles.find((r) => r.orgId === orgId) : known.roles.length === 1 ? known.roles[0] : undefined;
  return match?.role ?? null;
}

/** The signed-in person's one membership (null: none known, several, or another person's): whose company a new row is for. */
export function onlyMembership(known: KnownRoles | null, signedInAs: string | null): KnownRoles['roles'][number] | null {
  const [only, ...more] = known?.roles ?? [];
  return only === undefined || more.length > 0 || roleIn(known, signedInAs, only.orgId) === null ? null : only;
}

/** What the Gigs screen offers for a gig's status: the changes the role may make, or why none. */
export interface GigStatusChoices {
  statuses: GigStatus[];
  /** Why nothing (or less) is offered, in words; null when every allowed change is offered. */
  note: string | null;
}

export function gigStatusChoices(from: GigStatus, role: MemberRole | null): GigStatusChoices {
  const next = GIG_STATUS_TRANSITIONS[from].filter((to) => transitionAllowed(from, to));
  if (role === null)
    return {
      statuses: [],
      note: 'Status changes are offered once this station has learnt your role from the server (sign in while online).',
    };
  if (!opAllowed(role, 'gigs', 'set_status'))
    return { statuses: [], note: `Signed in as ${roleWords(role)}: a gig's status is changed by a manager or an admin.` };
  return { statuses: next, note: next.length === 0 ? `A ${from.replaceAll('_', ' ')} gig's status does not change any more.` : null };
}
