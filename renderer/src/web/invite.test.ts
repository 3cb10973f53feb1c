import { describe, expect, it } from 'vitest';
import { decideInvite, parseInvite, type Invite } from './invite';

const ANON = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl';
const hash = (backend: string, anon = ANON): string => `#backend=${encodeURIComponent(backend)}&anon=${encodeURIComponent(anon)}`;

function valid(text: string): Invite {
  const parsed = parseInvite(text);
  if (parsed.kind !== 'invite') throw new Error(`expected an invite, got ${JSON.stringify(parsed)}`);
  return parsed.invite;
}

describe('parseInvite', () => {
  it('reads the backend and the anon key, and names the host to show', () => {
    expect(valid(hash('https://abcd.supabase.co'))).toEqual({
      backend: { url: 'https://abcd.supabase.co', anonKey: ANON },
      host: 'abcd.supabase.co',
      encrypted: true,
    });
    expect(valid(hash('http://192.168.1.20:54321'))).toEqual({
      backend: { url: 'http://192.168.1.20:54321', anonKey: ANON },
      host: '192.168.1.20:54321',
      encrypted: false,
    });
    // A publishable key of the newer kind is a key too.
    expect(valid(hash('https://abcd.supabase.co', 'sb_publishable_AbC-123')).backend.anonKey).toBe('sb_publishable_AbC-123');
  });

  it('shows the real host of an internationalised name, not its look-alike letters', () => {
    expect(valid(hash('https://gіgmanager.example')).host).toBe('xn--ggmanager-v9h.example');
  });

  it('is nothing when the address has no invite (a token, a gig link, or nothing at all)', () => {
    for (const text of ['', '#', '#/gigs/1', '#token=abc']) expect(parseInvite(text)).toEqual({ kind: 'none' });
  });

  it.each([
    ['javascript: URLs', hash('javascript:alert(1)'), /only http or https/],
    ['data: URLs', hash('data:text/html,hi'), /only http or https/],
    ['file: URLs', hash('file:///etc/passwd'), /only http or https/],
    ['ws: URLs', hash('wss://abcd.supabase.co'), /only http or https/],
    ['a user name and password in the URL', hash('https://crew:secret@abcd.supabase.co'), /must not contain a user name or password/],
    ['a user name alone', hash('https://crew@abcd.supabase.co'), /must not contain a user name or password/],
    ['a query or fragment in the URL', hash('https://abcd.supabase.co/?next=evil'), /must not carry a query or a fragment/],
    ['something that is not a URL', hash('abcd.supabase.co'), /not a web address/],
    ['an overlong URL', hash(`https://abcd.supabase.co/${'a'.repeat(2100)}`), /longer than 2,048 characters/],
    ['an overlong key', hash('https://abcd.supabase.co', 'k'.repeat(4100)), /longer than 4,096 characters/],
    ['a key with spaces or markup', hash('https://abcd.supabase.co', 'abc <script>'), /key has characters a Supabase key never has/],
    ['a backend without a key', '#backend=https%3A%2F%2Fabcd.supabase.co', /both a backend address and a key/],
    ['a key without a backend', `#anon=${ANON}`, /both a backend address and a key/],
    ['an empty backend', `#backend=&anon=${ANON}`, /both a backend address and a key/],
    [
      'a backend named twice',
      `${hash('https://abcd.supabase.co')}&backend=${encodeURIComponent('https://evil.example')}`,
      /names more than one backend/,
    ],
    ['a whole hash that is too long', `#backend=https://a.example&anon=${ANON}&x=${'y'.repeat(9000)}`, /too long/],
  ])('refuses %s with a clear message', (_label, text, message) => {
    const parsed = parseInvite(text);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.message).toMatch(message);
  });
});

describe('decideInvite', () => {
  const invite = valid(hash('https://new-project.supabase.co'));
  const nothing = { depth: 0, conflicts: 0, quarantined: 0 };

  it('applies at once on a phone with no backend and nobody signed in (onboarding)', () => {
    expect(decideInvite(invite, { backendUrl: null, anonKey: null, signedInAs: null }, nothing)).toEqual({ kind: 'apply' });
  });

  it('asks first on a signed-in phone, naming the backend it would leave and who is signed in', () => {
    expect(
      decideInvite(invite, { backendUrl: 'https://old-project.supabase.co', anonKey: 'old', signedInAs: 'crew@northlight.test' }, nothing),
    ).toEqual({
      kind: 'confirm',
      currentHost: 'old-project.supabase.co',
      signedInAs: 'crew@northlight.test',
      unsynced: 0,
    });
  });

  it('asks first on a phone that has a backend even when nobody is signed in', () => {
    expect(
      decideInvite(invite, { backendUrl: 'https://old-project.supabase.co', anonKey: 'old', signedInAs: null }, nothing),
    ).toMatchObject({ kind: 'confirm', signedInAs: null });
  });

  it('asks first on a phone with no backend but a session (never switch a signed-in phone unasked)', () => {
    expect(decideInvite(invite, { backendUrl: null, anonKey: null, signedInAs: 'crew@northlight.test' }, nothing)).toMatchObject({
      kind: 'confirm',
      currentHost: null,
    });
  });

  it('counts queued, conflicting and quarantined changes as unsynced: the switch will be refused', () => {
    const current = { backendUrl: 'https://old-project.supabase.co', anonKey: 'old', signedInAs: 'crew@northlight.test' };
    expect(decideInvite(invite, current, { depth: 2, conflicts: 1, quarantined: 1 })).toMatchObject({ kind: 'confirm', unsynced: 4 });
  });

  it('does nothing when the invite names the backend the phone already uses', () => {
    expect(
      decideInvite(
        invite,
        { backendUrl: 'https://new-project.supabase.co', anonKey: invite.backend.anonKey, signedInAs: 'crew@northlight.test' },
        nothing,
      ),
    ).toEqual({ kind: 'same' });
  });

  it('asks when only the key differs (another key is another project’s or a forged one)', () => {
    expect(
      decideInvite(
        invite,
        { backendUrl: 'https://new-project.supabase.co', anonKey: 'other', signedInAs: 'crew@northlight.test' },
        nothing,
      ),
    ).toMatchObject({ kind: 'confirm' });
  });
});
