import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stationError } from '../../core/errors';
import { STATION_EVENTS, stationMethods, channelFor } from '../../core/station-api';
import { registerStationIpc } from '../../main/ipc';
import { isTrustedRendererUrl } from '../../main/security';
import { subscribeStationEvents } from '../../main/station-events';
import { createPreloadStation } from '../../preload/station-bridge';
import { inMemoryIpc, type InMemoryIpc } from '../helpers/in-memory-ipc';
import { stationHarness, type StationHarness } from '../helpers/station-harness';
import { acrossContextBridge } from './context-bridge';
import { stationApiContract } from './station-api.contract';

// The Electron transport without Electron: main/ipc.ts's registration and the preload's bridge,
// joined by an in-memory ipcMain/ipcRenderer pair, events sent as main/index.ts sends them.
const dir = mkdtempSync(join(tmpdir(), 'contract-ipc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rendererFile = join(dir, 'out', 'renderer', 'index.html');
const trustedUrl = pathToFileURL(rendererFile).href;
const isTrusted = (url: string): boolean => isTrustedRendererUrl(url, { file: rendererFile });
let n = 0;

function ipcStation(): { ipc: InMemoryIpc; harness: StationHarness; close(): Promise<void> } {
  const harness = stationHarness({ dir, name: `ipc-${(n += 1)}` });
  const ipc = inMemoryIpc({ url: trustedUrl, parent: null });
  const unregister = registerStationIpc(ipc.ipcMain, harness.handlers, isTrusted);
  const unsubscribe = subscribeStationEvents(harness, (event, value) => ipc.send(STATION_EVENTS[event], value));
  return {
    ipc,
    harness,
    close: async () => {
      unsubscribe();
      unregister();
      await harness.stop();
    },
  };
}

stationApiContract('Electron IPC (registerStationIpc + preload bridge + contextBridge copy)', () => {
  const station = ipcStation();
  return Promise.resolve({
    api: acrossContextBridge(createPreloadStation(station.ipc.ipcRenderer)),
    harness: station.harness,
    close: () => station.close(),
  });
});

describe('Electron IPC: who may call', () => {
  let station: ReturnType<typeof ipcStation>;
  beforeEach(() => {
    station = ipcStation();
  });
  afterEach(() => station.close());

  it('handles one channel per StationApi method and removes them all on unregister', async () => {
    expect(station.ipc.handledChannels().sort()).toEqual(stationMethods.map(channelFor).sort());
    await station.close();
    expect(station.ipc.handledChannels()).toEqual([]);
    station = ipcStation();
  });

  it.each([
    ['a page from another URL', { url: 'https://evil.example/index.html', parent: null }],
    ['a file:// page that is not the renderer', { url: pathToFileURL(join(dir, 'other.html')).href, parent: null }],
    ['a subframe of the renderer', { url: trustedUrl, parent: { url: trustedUrl } }],
    ['a frame that has gone away', null],
  ])('refuses %s as untrusted_sender, before running the handler', async (_label, frame) => {
    const api = acrossContextBridge(createPreloadStation(station.ipc.ipcRenderer));
    const before = await station.harness.backend.settings();
    station.ipc.senderFrame = frame;
    const refused = await api.saveSettings({ stationName: 'Taken over' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(stationError(refused).toData()).toEqual({
      code: 'untrusted_sender',
      message: 'refused saveSettings: the caller is not the station window',
    });
    expect(await station.harness.backend.settings()).toEqual(before);
    station.ipc.senderFrame = { url: trustedUrl, parent: null };
    expect(await api.ping({ message: 'back' })).toMatchObject({ message: 'back' });
  });
});
