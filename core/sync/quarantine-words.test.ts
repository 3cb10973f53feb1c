import { describe, expect, it } from 'vitest';
import type { QueuedOp, Row } from './model';
import { quarantineLabel, quarantineWords, type CachedLookup } from './quarantine-words';

const op = (timestamp: number, table: QueuedOp['table'] = 'assets', action = 'check_out'): QueuedOp => ({
  id: '00000000-0000-4000-8000-000000000001',
  seq: 1,
  timestamp,
  table,
  action,
  payload: { id: '00000000-0000-4000-8000-0000000000a1' },
  baseVersion: 1,
  status: 'syncing',
  retryCount: 0,
  nextAttemptAt: 0,
  lastError: null,
});

describe('what the Sync screen says about a quarantined op', () => {
  const now = Date.UTC(2026, 10, 25, 8);

  it('explains replay_expired in words, with the scan’s date, tells the operator to check the history, and offers Retry', () => {
    const words = quarantineWords(
      {
        op: op(Date.UTC(2026, 9, 12, 14)),
        code: 'replay_expired',
        message: 'op created at 2026-10-12 … is older than the server remembers',
      },
      now,
      'UTC',
    );
    expect(words).toEqual({
      text: "The server no longer remembers this check-out scan from 12 Oct (it keeps sent changes for 30 days), so it cannot tell whether it was applied. Check the item's history; Retry applies it now.",
      code: null,
      canRetry: true,
    });
    expect(words.text).not.toContain('replay_expired');
  });

  it('names the year when the scan is from another one, and other kinds of change', () => {
    expect(
      quarantineWords({ op: op(Date.UTC(2025, 11, 30), 'gigs', 'set_status'), code: 'replay_expired', message: '' }, now, 'UTC').text,
    ).toMatch(/^The server no longer remembers this change from 30 Dec 2025 /);
  });

  it('offers only Discard for an op damaged on the station, and keeps the server’s own words and code otherwise', () => {
    expect(quarantineWords({ op: op(now), code: 'corrupt_payload', message: 'stored op cannot be read' }, now, 'UTC')).toMatchObject({
      canRetry: false,
      code: null,
    });
    expect(quarantineWords({ op: op(now), code: 'asset_retired', message: 'SER-1 is retired' }, now, 'UTC')).toEqual({
      text: 'Server said: SER-1 is retired',
      code: 'asset_retired',
      canRetry: true,
    });
  });
});

describe('the heading of a quarantined op, in words', () => {
  const MIC = '00000000-0000-4000-8000-0000000000a1';
  const GIG = '00000000-0000-4000-8000-0000000000f1';
  const PARENT = '00000000-0000-4000-8000-0000000000f2';
  const CASE = '00000000-0000-4000-8000-0000000000c1';
  const UNKNOWN = '6151a80c-6a91-4b1e-9f3a-000000000000';
  const rows = new Map<string, Row>([
    [`assets:${MIC}`, { id: MIC, name: 'Shure SM58', serial_number: 'MIC-1042', version: 1 }],
    [`gigs:${GIG}`, { id: GIG, name: 'Main Stage Friday', version: 1 }],
    [`gigs:${PARENT}`, { id: PARENT, name: 'Autumn tour', version: 1 }],
    [`cases:${CASE}`, { id: CASE, name: 'Mic case', barcode: 'CASE-7', version: 1 }],
  ]);
  const lookup: CachedLookup = (table, id) => Promise.resolve(rows.get(`${table}:${id}`) ?? null);
  const label = (table: QueuedOp['table'], action: string, payload: Record<string, unknown>, code = 'replay_expired'): Promise<string> =>
    quarantineLabel({ op: { ...op(0, table, action), payload }, code }, lookup);

  it.each([
    ['assets', 'check_out', { id: MIC, gig_id: GIG }, 'Check-out of Shure SM58 · MIC-1042 to Main Stage Friday'],
    ['assets', 'check_in', { id: MIC, condition: 'damaged' }, 'Check-in of Shure SM58 · MIC-1042, damaged'],
    ['assets', 'check_in', { id: MIC, condition: 'ok' }, 'Check-in of Shure SM58 · MIC-1042'],
    ['assets', 'update', { id: MIC, fields: { notes: 'x' } }, 'Edit of Shure SM58 · MIC-1042'],
    ['cases', 'check_out', { id: CASE, gig_id: GIG }, 'Check-out of case Mic case · CASE-7 to Main Stage Friday'],
    ['cases', 'check_in', { id: CASE }, 'Check-in of case Mic case · CASE-7'],
    ['gigs', 'create', { id: UNKNOWN, name: 'Late show' }, 'New gig Late show'],
    ['gigs', 'set_status', { id: GIG, to: 'in_progress' }, 'Status of Main Stage Friday set to in progress'],
    ['gigs', 'move', { id: GIG, parent_gig_id: PARENT }, 'Move of Main Stage Friday under Autumn tour'],
    ['gigs', 'move', { id: GIG, parent_gig_id: null }, 'Move of Main Stage Friday to the top level'],
    ['gigs', 'delete', { id: GIG }, 'Deletion of Main Stage Friday'],
  ] as const)('words %s.%s with the names the station holds', async (table, action, payload, expected) => {
    expect(await label(table, action, payload)).toBe(expected);
  });

  it('says what the station does not hold, never an id', async () => {
    const words = [
      await label('assets', 'check_out', { id: UNKNOWN, gig_id: UNKNOWN }),
      await label('cases', 'check_in', { id: UNKNOWN }),
      await label('gigs', 'update', { id: UNKNOWN, fields: {} }),
    ];
    expect(words).toEqual([
      'Check-out of an asset not on this station to a gig not on this station',
      'Check-in of a case not on this station',
      'Edit of a gig not on this station',
    ]);
    for (const w of words) expect(w).not.toMatch(/[0-9a-f]{8}|\w+\.\w+/);
  });

  it('names a damaged op as unreadable, and a failing lookup as not held', async () => {
    expect(await label('assets', '(unreadable)', {}, 'corrupt_payload')).toBe('A change this station can no longer read');
    const failing: CachedLookup = () => Promise.reject(new Error('disk I/O error'));
    expect(await quarantineLabel({ op: { ...op(0), payload: { id: MIC, gig_id: GIG } }, code: 'not_found' }, failing)).toBe(
      'Check-out of an asset not on this station to a gig not on this station',
    );
  });
});
