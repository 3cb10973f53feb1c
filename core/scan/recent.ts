/**
 * Recent scans as the Scan screen lists them: each scan's feedback, and — when the server later
 * refused an op the scan queued — why, in words. The station and the phone both keep this list
 * from the same two events (scan feedback, op refused), through these functions.
 */
import type { FeedbackView, OpRefusalView } from '../station-api';

export type RecentScan = FeedbackView & {
  /** Why the server refused what this scan queued, in words ("MIC-1042 is checked out to …"); absent while it stands. */
  refused?: string;
};

/** A new scan's feedback on top of the list, kept to `limit` entries. */
export function addScan(recent: readonly RecentScan[], feedback: FeedbackView, limit: number): RecentScan[] {
  return [feedback, ...recent].slice(0, limit);
}

/** The list with the scan that queued the refused op marked (the same list when no entry queued it). */
export function markRefused(recent: readonly RecentScan[], refusal: OpRefusalView): readonly RecentScan[] {
  if (!recent.some((scan) => scan.queued.includes(refusal.opId))) return recent;
  const words = refusalWords(refusal);
  return recent.map((scan) => (scan.queued.includes(refusal.opId) ? { ...scan, refused: words } : scan));
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Codes whose server message names ids, or says too little: said in words here. */
const CODE_WORDS: Record<string, string> = {
  not_found: 'it is not on the server (deleted, or another organization’s)',
  deleted: 'it was deleted on the server',
  forbidden: 'this sign-in may not do that',
  replay_expired: 'the server no longer remembers it — see Sync',
};

/** Why the server refused, in words: never an id or a bare code. */
export function refusalWords(refusal: Pick<OpRefusalView, 'kind' | 'code' | 'message'>): string {
  if (refusal.kind === 'conflict') return 'changed on the server, see Conflicts';
  const known = CODE_WORDS[refusal.code];
  if (known !== undefined) return known;
  const said = refusal.message.replace(UUID, 'an item').trim();
  return said === '' ? 'the server refused it — see Sync' : said;
}
