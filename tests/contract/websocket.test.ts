import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll } from 'vitest';
import { webSocketStation, type WebSocketLike } from '../../core/station-ws-client';
import { startBrowserHost } from '../../main/browser-host/server';
import { subscribeStationEvents } from '../../main/station-events';
import { stationHarness } from '../helpers/station-harness';
import { stationApiContract } from './station-api.contract';

// The browser host's transport: the real server on a loopback port and the renderer's
// WebSocket client, given `ws` with the page's Origin header as a browser would send it.
const dir = mkdtempSync(join(tmpdir(), 'contract-ws-'));
const rendererDir = join(dir, 'renderer');
mkdirSync(rendererDir);
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>GigManager Station</title>');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

stationApiContract('browser host WebSocket (startBrowserHost + webSocketStation)', async () => {
  const harness = stationHarness({ dir, name: `ws-${(n += 1)}` });
  const host = await startBrowserHost({
    handlers: harness.handlers,
    rendererDir,
    port: 0,
    subscribe: (emit) => subscribeStationEvents(harness, (event, value) => emit({ event, value })),
  });
  const Socket = class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { Origin: host.url } });
    }
  } as unknown as WebSocketLike;
  const api = webSocketStation(`${host.url.replace('http', 'ws')}/station?token=${host.token}`, Socket);
  // Connected before the test starts, so events pushed right away are not missed.
  await api.getInfo();
  return {
    api,
    harness,
    close: async () => {
      api.close();
      await host.close();
      await harness.stop();
    },
  };
});
