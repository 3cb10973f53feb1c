import { unsyncedCount, type BackendConfig } from '../../../core/backend-link';
import type { QueueStats } from '../../../core/sync/model';

/**
 * An invite link (`<pwa>/#backend=<url>&anon=<key>`) points the crew app at a Supabase project.
 * Anyone can send such a link, so it is parsed strictly here, and a phone that already has a
 * backend or a session is asked before anything changes (see InviteScreen).
 */
export interface Invite {
  backend: BackendConfig;
  /** What the person is shown: the host as the browser will reach it (look-alike letters as punycode). */
  host: string;
  encrypted: boolean;
}

export type ParsedInvite = { kind: 'none' } | { kind: 'invalid'; message: string } | { kind: 'invite'; invite: Invite };

const MAX_HASH = 8 * 1024;
const MAX_URL = 2048;
const MAX_KEY = 4096;
/** A JWT (three base64url parts) or a publishable key (`sb_publishable_…`). */
const KEY = /^[A-Za-z0-9._-]+$/;

const count = (n: number): string => n.toLocaleString('en-US');

function invalid(message: string): ParsedInvite {
  return { kind: 'invalid', message: `This invite link was not used: ${message}` };
}

/** The invite in a location hash, if there is one; anything odd about it is refused with a reason. */
export function parseInvite(hash: string): ParsedInvite {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!/(^|&)(backend|anon)=/.test(text)) return { kind: 'none' };
  if (text.length > MAX_HASH) return invalid(`it is too long (over ${count(MAX_HASH)} characters).`);
  const params = new URLSearchParams(text);
  if (params.getAll('backend').length > 1 || params.getAll('anon').length > 1) return invalid('it names more than one backend or key.');
  const raw = params.get('backend')?.trim() ?? '';
  const anonKey = params.get('anon')?.trim() ?? '';
  if (raw === '' || anonKey === '') return invalid('it needs both a backend address and a key.');
  if (raw.length > MAX_URL) return invalid(`the backend address is longer than ${count(MAX_URL)} characters.`);
  if (anonKey.length > MAX_KEY) return invalid(`the key is longer than ${count(MAX_KEY)} characters.`);
  if (!KEY.test(anonKey)) return invalid('the key has characters a Supabase key never has.');
  const url = URL.parse(raw);
  if (url === null) return invalid(`“${raw.slice(0, 80)}” is not a web address.`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return invalid(`the backend address must start with https:// (only http or https is accepted, not ${url.protocol}).`);
  if (url.username !== '' || url.password !== '') return invalid('the backend address must not contain a user name or password.');
  if (url.search !== '' || url.hash !== '') return invalid('the backend address must not carry a query or a fragment.');
  if (url.hostname === '') return invalid('the backend address has no host.');
  return { kind: 'invite', invite: { backend: { url: raw, anonKey }, host: url.host, encrypted: url.protocol === 'https:' } };
}

export interface CurrentBackend {
  backendUrl: string | null;
  anonKey: string | null;
  signedInAs: string | null;
}

/**
 * What to do with a valid invite: apply it on a phone that was never set up (the onboarding
 * link), ask on any other, nothing when it names the backend already in use.
 */
export type InviteDecision =
  { kind: 'apply' } | { kind: 'same' } | { kind: 'confirm'; currentHost: string | null; signedInAs: string | null; unsynced: number };

export function hostOf(url: string | null): string | null {
  if (url === null) return null;
  return URL.parse(url)?.host ?? url;
}

export function decideInvite(
  invite: Invite,
  current: CurrentBackend,
  stats: Pick<QueueStats, 'depth' | 'conflicts' | 'quarantined'>,
): InviteDecision {
  if (current.backendUrl === invite.backend.url && current.anonKey === invite.backend.anonKey) return { kind: 'same' };
  if (current.backendUrl === null && current.signedInAs === null) return { kind: 'apply' };
  return { kind: 'confirm', currentHost: hostOf(current.backendUrl), signedInAs: current.signedInAs, unsynced: unsyncedCount(stats) };
}
