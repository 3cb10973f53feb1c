import { describe, expect, it } from 'vitest';
import { createDispatcher, type StationHandlers } from './dispatch';
import { StationError } from './errors';
import { unwrap } from './result';
import { InvalidOpError } from './sync/engine';
import { QueueStoreError } from './sync/queue-store';
import { TransportError } from './sync/transport';

const unused = (): Promise<never> => Promise.reject(new Error('not used in this test'));

const handlers: StationHandlers = {
  getSyncStatus: unused,
  syncNow: unused,
  verifyCopy: unused,
  repairCopy: unused,
  setSyncScope: unused,
  listQueue: unused,
  listConflicts: unused,
  resolveConflicts: unused,
  listQuarantine: unused,
  labelOps: unused,
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
  getGigActions: unused,
  exportGigMovements: unused,
  setGigStatus: unused,
  getGigPlan: unused,
  editPlan: unused,
  editGig: unused,
  setPlanScan: unused,
  listPlaces: unused,
  getStockTake: unused,
  startStockTake: unused,
  listOpenStockTakes: unused,
  joinStockTake: unused,
  setStockTakeScan: unused,
  claimLabel: unused,
  submitStockTakeScan: unused,
  closeStockTake: unused,
  leaveStockTake: unused,
  getAuditReport: unused,
  listLabels: unused,
  getStationWarehouse: unused,
  editPlace: unused,
  getRights: unused,
  claimCode: unused,
  setStationWarehouse: unused,
  getCaseSheet: unused,
  markSheetPrinted: unused,
  listOverdueReturns: unused,
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

  it('passes a handler’s StationError through with its own code and words', async () => {
    const failing = createDispatcher({
      ...handlers,
      setGigStatus: () => Promise.reject(new StationError('conflict', 'a gig cannot go from completed to draft')),
    });
    const gigId = '00000000-0000-4000-8000-000000000a03';
    expect(await failing({ method: 'setGigStatus', args: [{ gigId, status: 'draft' }], trustedSender: true })).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'a gig cannot go from completed to draft' },
    });
  });

  it.each([
    ['a queue store’s not_found', new QueueStoreError('not_found', 'no conflict 9'), 'not_found'],
    ['a queue store’s corrupt row', new QueueStoreError('corrupt', 'op 9 has a corrupt payload'), 'corrupt'],
    ['a queue store’s invalid op', new QueueStoreError('invalid_op', 'unknown table'), 'invalid_arguments'],
    ['an op the engine refuses', new InvalidOpError('payload.id: Invalid UUID'), 'invalid_arguments'],
    ['no answer from the backend', new TransportError('network', 'fetch failed'), 'offline'],
    ['a backend that took too long', new TransportError('timeout', 'push took longer than 10000 ms'), 'offline'],
    ['a session the backend refuses', new TransportError('unauthorized', 'JWT expired'), 'unauthorized'],
  ])('names %s by its code, keeping the words', async (_label, thrown, code) => {
    const failing = createDispatcher({ ...handlers, getInfo: () => Promise.reject(thrown) });
    expect(await failing({ method: 'getInfo', args: [], trustedSender: true })).toEqual({
      ok: false,
      error: { code, message: thrown.message },
    });
  });

  it('keeps a thrown string as handler_failed with the method’s name', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what an untyped handler might do
    const failing = createDispatcher({ ...handlers, getInfo: () => Promise.reject('disk unplugged') });
    expect(await failing({ method: 'getInfo', args: [], trustedSender: true })).toEqual({
      ok: false,
      error: { code: 'handler_failed', message: 'getInfo failed: disk unplugged' },
    });
  });

  it('unwraps a failure into a StationError with the code and the message as sent (no code inside the words)', () => {
    const thrown = (() => {
      try {
        return unwrap({ ok: false, error: { code: 'unknown_method', message: 'nope' } });
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(StationError);
    expect(thrown).toMatchObject({ name: 'StationError', code: 'unknown_method', message: 'nope' });
  });
});
