import { describe, expect, it } from 'vitest';
import type { QueuedOp } from './model';
import { quarantineWords } from './quarantine-words';

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
    const words = quarantineWords({ op: op(Date.UTC(2026, 9, 12, 14)), code: 'replay_expired', message: 'op created at 2026-10-12 … is older than the server remembers' }, now, 'UTC');
    expect(words).toEqual({
      text: "The server no longer remembers this check-out scan from 12 Oct (it keeps sent changes for 30 days), so it cannot tell whether it was applied. Check the item's history; Retry applies it now.",
      code: null,
      canRetry: true,
    });
    expect(words.text).not.toContain('replay_expired');
  });

  it('names the year when the scan is from another one, and other kinds of change', () => {
    expect(quarantineWords({ op: op(Date.UTC(2025, 11, 30), 'gigs', 'set_status'), code: 'replay_expired', message: '' }, now, 'UTC').text).toMatch(/^The server no longer remembers this change from 30 Dec 2025 /);
  });

  it('offers only Discard for an op damaged on the station, and keeps the server’s own words and code otherwise', () => {
    expect(quarantineWords({ op: op(now), code: 'corrupt_payload', message: 'stored op cannot be read' }, now, 'UTC')).toMatchObject({ canRetry: false, code: null });
    expect(quarantineWords({ op: op(now), code: 'asset_retired', message: 'SER-1 is retired' }, now, 'UTC')).toEqual({ text: 'Server said: SER-1 is retired', code: 'asset_retired', canRetry: true });
  });
});
