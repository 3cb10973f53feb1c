import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationError } from '../../../core/errors';
import { createPwaStation, type PwaStation } from './pwa-station';

// The crew PWA's in-page StationApi (the same handlers and dispatcher, over IndexedDB): a handler's
// typed error reaches the page as a StationError with its code and words, as over IPC and WebSocket.
const GIG = '00000000-0000-4000-8000-000000000a01';
const ASSET = '00000000-0000-4000-8000-000000000b01';

async function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
}

describe('crew PWA in-page StationApi: errors keep their type', () => {
  let pwa: PwaStation;
  beforeEach(async () => {
    pwa = await createPwaStation({ launchDefault: null, appVersion: '0.0.0-test' });
  });
  afterEach(() => pwa.stop());

  it.each([
    [
      'setGigStatus of a gig the phone does not hold',
      (p: PwaStation) => p.api.setGigStatus({ gigId: GIG, status: 'confirmed' }),
      'not_found',
      `no gig ${GIG} on this station`,
    ],
    [
      'getAssetHistory of an asset the phone does not hold',
      (p: PwaStation) => p.api.getAssetHistory({ assetId: ASSET }),
      'not_found',
      `no asset ${ASSET} on this station`,
    ],
    [
      'signIn before a backend is set',
      (p: PwaStation) => p.api.signIn({ email: 'crew@example.com', password: 'x' }),
      'not_configured',
      'no backend configured: set one in Settings first',
    ],
    [
      'resolveConflicts of a conflict that is not there',
      (p: PwaStation) => p.api.resolveConflicts({ ids: [GIG], choice: 'keep_local' }),
      'not_found',
      `no conflict ${GIG}`,
    ],
    [
      'ping with a 300-character message',
      (p: PwaStation) => p.api.ping({ message: 'x'.repeat(300) }),
      'invalid_arguments',
      'ping: 0.message: message is longer than 256 characters',
    ],
  ])('%s rejects with a StationError', async (_label, call, code, message) => {
    const error = await failureOf(call(pwa));
    expect(error).toBeInstanceOf(StationError);
    expect(error).toMatchObject({ name: 'StationError', code, message });
  });
});
