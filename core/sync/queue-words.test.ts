import { describe, expect, it } from 'vitest';
import { queuedOpState } from './queue-words';

const now = Date.UTC(2027, 5, 12, 14, 0);

describe('a queued op’s state in words', () => {
  it('a waiting op is waiting, not failed', () => {
    expect(queuedOpState({ status: 'pending', nextAttemptAt: now, retryCount: 0, lastError: null }, now, 'UTC')).toEqual({
      text: 'waiting to send',
      tone: 'waiting',
      lastError: null,
    });
    expect(queuedOpState({ status: 'syncing', nextAttemptAt: now, retryCount: 0, lastError: null }, now, 'UTC').tone).toBe('sending');
  });

  it('an op whose send failed says when it goes again and why, as a retry', () => {
    expect(
      queuedOpState({ status: 'failed', nextAttemptAt: now + 90_000, retryCount: 2, lastError: 'connect ECONNREFUSED' }, now, 'UTC'),
    ).toEqual({ text: 'tried 2 times, again at 14:01\u00a0today', tone: 'retrying', lastError: 'connect ECONNREFUSED' });
    expect(queuedOpState({ status: 'failed', nextAttemptAt: now - 1, retryCount: 1, lastError: 'x' }, now, 'UTC').text).toBe(
      'tried once, again now',
    );
  });
});
