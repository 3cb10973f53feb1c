import { describe, expect, it } from 'vitest';
import { createDispatcher, type StationHandlers } from './dispatch';
import { StationCallError, unwrap } from './result';

const unused = (): Promise<never> => Promise.reject(new Error('not used in this test'));

const handlers: StationHandlers = {
  getSyncStatus: unused,
  syncNow: unused,
  listQueue: unused,
  listConflicts: unused,
  resolveConflicts: unused,
  listQuarantine: unused,
  retryQuarantined: unused,
  discardQuarantined: unused,
  listScanners: unused,
  getScannerConfigs: unused,
  discoverScanners: unused,
  saveScanners: unused,
  submitScan: unused,
  setScannerTest: unused,
  getScanState: unused,
  listGigs: unused,
  listAssets: unused,
  listMyGigs: unused,
  getPickList: unused,
  getAssetHistory: unused,
  setGigStatus: unused,
  getSettings: unused,
  saveSettings: unused,
  signIn: unused,
  signOut: unused,
  getDiagnostics: unused,
  getInfo: () =>
    Promise.resolve({
      appName: 'GigManager Station',
      appVersion: '1.2.3',
      host: 'electron',
      platform: 'linux-x64',
      backendUrl: null,
      startedAt: '2026-11-25T08:00:00.000Z',
    }),
  ping: (input) => Promise.resolve({ message: input.message, receivedAt: '2026-11-25T08:00:01.000Z' }),
};

describe('StationApi dispatcher', () => {
  const dispatch = createDispatcher(handlers);

  it('calls the handler with parsed arguments and returns its result', async () => {
    const result = await dispatch({ method: 'ping', args: [{ message: 'hello' }], trustedSender: true });
    expect(result).toEqual({ ok: true, value: { message: 'hello', receivedAt: '2026-11-25T08:00:01.000Z' } });
  });

  it('refuses an untrusted sender before looking at anything else', async () => {
    const result = await dispatch({ method: 'getInfo', args: [], trustedSender: false });
    expect(result).toEqual({
      ok: false,
      error: { code: 'untrusted_sender', message: 'refused getInfo: the caller is not the station window' },
    });
  });

  it('refuses an unknown method, including prototype names', async () => {
    for (const method of ['query', '__proto__', 'toString', 'constructor']) {
      const result = await dispatch({ method, args: [], trustedSender: true });
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
  });

  it.each([
    [[], 'ping: (arguments): Too small: expected array to have >=1 items'],
    [[{ message: 5 }], 'ping: 0.message: Invalid input: expected string, received number'],
    [[{ message: 'x', extra: true }], 'ping: 0: Unrecognized key: "extra"'],
    [[{ message: 'x'.repeat(257) }], 'ping: 0.message: message is longer than 256 characters'],
    ['not-an-array', 'ping: (arguments): Invalid input: expected tuple, received string'],
  ])('refuses invalid arguments %j with a specific message', async (args, message) => {
    const result = await dispatch({ method: 'ping', args, trustedSender: true });
    expect(result).toEqual({ ok: false, error: { code: 'invalid_arguments', message } });
  });

  it('turns a throwing handler into a failed result', async () => {
    const failing = createDispatcher({ ...handlers, getInfo: () => Promise.reject(new Error('disk unplugged')) });
    expect(await failing({ method: 'getInfo', args: [], trustedSender: true })).toEqual({
      ok: false,
      error: { code: 'handler_failed', message: 'getInfo failed: disk unplugged' },
    });
  });

  it('refuses a result that breaks the contract', async () => {
    const broken = createDispatcher({
      ...handlers,
      ping: () => Promise.resolve({ message: 'x', receivedAt: 'yesterday' }),
    });
    const result = await broken({ method: 'ping', args: [{ message: 'x' }], trustedSender: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_result' } });
  });

  it('unwraps failures into StationCallError with the code', () => {
    expect(() => unwrap({ ok: false, error: { code: 'unknown_method', message: 'nope' } })).toThrow(StationCallError);
    expect(() => unwrap({ ok: false, error: { code: 'unknown_method', message: 'nope' } })).toThrow('unknown_method: nope');
  });
});
