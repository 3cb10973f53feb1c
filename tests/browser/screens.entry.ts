import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { StationApi } from '../../core/station-api';
import { App } from '../../renderer/src/App';
import { SyncScreen } from '../../renderer/src/screens/SyncScreen';

// Screens in Chromium over a stand-in window.station (bundled by tests/ui/screen-load-errors.test.ts).
// A failing method rejects with StationError data, as a call through Electron's contextBridge does.
type Failures = Partial<Record<string, { code: string; message: string }>>;

const answers: Record<string, unknown> = {
  getInfo: {
    appName: 'GigManager Station',
    appVersion: '0.0.0-test',
    host: 'browser',
    platform: 'test',
    backendUrl: null,
    startedAt: '2026-11-25T09:00:00.000Z',
  },
  getSettings: { stationName: 'Dock door 1', backendUrl: null, anonKey: null, signedInAs: null },
  getSyncStatus: null,
  getScanState: { mode: 'check_out', gig: null, operator: null, condition: 'ok', progress: null },
  listGigs: [],
  listAssets: [],
  listQueue: [],
  listQuarantine: [],
  listOverdueReturns: [],
};

function stationStandIn(failures: Failures): StationApi {
  return new Proxy({} as StationApi, {
    get: (_target, name: string) => {
      if (name.startsWith('on')) return () => () => undefined;
      return () => {
        const failure = failures[name];
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the data a contextBridge rejection carries
        if (failure !== undefined) return Promise.reject(failure);
        if (name in answers) return Promise.resolve(answers[name]);
        return Promise.reject(new Error(`${name} is not part of this test`));
      };
    },
  });
}

function mount(scenario: { screen: 'sync' | 'app'; failures: Failures }): void {
  Object.defineProperty(window, 'station', { value: stationStandIn(scenario.failures), configurable: true });
  const root = document.getElementById('root');
  if (root === null) throw new Error('no #root');
  createRoot(root).render(scenario.screen === 'sync' ? createElement(SyncScreen, { sync: null, gigs: [] }) : createElement(App));
}

(globalThis as { mount?: typeof mount }).mount = mount;
