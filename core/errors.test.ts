import { describe, expect, it } from 'vitest';
import { errorMessage, StationError, stationError, stationErrorSchema } from './errors';

/** What Electron's contextBridge does to a rejection: an Error keeps only its message, plain data is copied. */
function acrossContextBridge(value: unknown): unknown {
  return value instanceof Error ? new Error(value.message) : structuredClone(value);
}

describe('errorMessage', () => {
  it.each([
    ['an Error', new Error('disk unplugged'), 'disk unplugged'],
    ['a StationError', new StationError('not_found', 'no gig 7 on this station'), 'no gig 7 on this station'],
    ['a thrown string', 'socket hang up', 'socket hang up'],
    ['plain error data', { code: 'offline', message: 'the station connection closed' }, 'the station connection closed'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
  ])('reads %s', (_label, thrown, words) => {
    expect(errorMessage(thrown)).toBe(words);
  });
});

describe('StationError', () => {
  it('carries a code and a message in words, with no code inside the message', () => {
    const error = new StationError('conflict', 'a gig cannot go from completed to draft');
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, message: error.message }).toEqual({
      name: 'StationError',
      code: 'conflict',
      message: 'a gig cannot go from completed to draft',
    });
    expect(error.toData()).toEqual({ code: 'conflict', message: 'a gig cannot go from completed to draft' });
  });

  it('comes back whole from its data after crossing the contextBridge', () => {
    const sent = new StationError('unauthorized', 'sign-in failed: Invalid login credentials');
    const arrived = stationError(acrossContextBridge(sent.toData()));
    expect(arrived).toBeInstanceOf(StationError);
    expect(arrived.toData()).toEqual(sent.toData());
  });

  it('reads a code this build does not know as handler_failed, keeping the words', () => {
    expect(stationErrorSchema.parse({ code: 'rate_limited', message: 'slow down' })).toEqual({
      code: 'handler_failed',
      message: 'slow down',
    });
  });

  it('turns anything else into the fallback code with its message', () => {
    expect(stationError(new TypeError('x is not a function')).toData()).toEqual({ code: 'handler_failed', message: 'x is not a function' });
    expect(stationError('gone', 'offline').toData()).toEqual({ code: 'offline', message: 'gone' });
    // An Error that only looks like error data is still an unnamed fault.
    expect(stationError(Object.assign(new Error('EACCES'), { code: 'forbidden' })).code).toBe('handler_failed');
  });
});
