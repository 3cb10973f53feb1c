import { describe, expect, it } from 'vitest';
import { channelFor, stationMethods, stationMethodsVia } from './station-api';

describe('stationMethodsVia', () => {
  it('gives every StationApi method, each calling through with its own name and arguments', async () => {
    const calls: unknown[][] = [];
    const methods = stationMethodsVia((method, ...args) => {
      calls.push([method, ...args]);
      return Promise.resolve(method);
    });
    expect(Object.keys(methods).sort()).toEqual([...stationMethods].sort());
    expect(await methods.ping({ message: 'hi' })).toBe('ping');
    expect(calls).toEqual([['ping', { message: 'hi' }]]);
    expect(new Set(stationMethods.map(channelFor)).size).toBe(stationMethods.length);
  });
});
