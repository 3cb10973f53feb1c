import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { app, BrowserWindow, crashReporter, dialog, ipcMain, session, shell } from 'electron';
import { STATION_EVENTS } from '../core/station-api';
import { registerStationIpc } from './ipc';
import { RotatingLog } from './logging';
import { abiMismatch } from './native-modules';
import { contentSecurityPolicy, isTrustedRendererUrl, secureWebPreferences } from './security';
import { subscribeStationEvents } from './station-events';
import type { StationServices, stationHandlersFor } from './station-services';
import { errorMessage } from '../core/errors';

const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = join(__dirname, '../renderer/index.html');
// An empty variable means none (a shell's `SUPABASE_URL= npm start`).
const backendUrl = process.env['SUPABASE_URL'] === undefined || process.env['SUPABASE_URL'] === '' ? null : process.env['SUPABASE_URL'];

// A second station on one machine (or a test) keeps its database in its own folder. Electron
// takes the userData path only before ready, and only for a folder that exists.
const userDataDir = process.env['STATION_USER_DATA_DIR'];
if (userDataDir !== undefined && userDataDir !== '') {
  mkdirSync(resolve(userDataDir), { recursive: true });
  app.setPath('userData', resolve(userDataDir));
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'GigManager Station',
    backgroundColor: '#101418',
    webPreferences: secureWebPreferences(join(__dirname, '../preload/index.cjs')),
  });
  window.once('ready-to-show', () => window.show());

  // The station never navigates away from its own document or opens windows; links to the
  // outside world go to the system browser.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-redirect', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });

  if (devServerUrl !== undefined) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

void app.whenReady().then(async () => {
  // Structured, rotated, redacted; "Export diagnostics" includes its last lines.
  const log = new RotatingLog({ dir: join(app.getPath('userData'), 'logs') });
  log.write('info', 'station starting', {
    version: app.getVersion(),
    electron: process.versions.electron,
    platform: `${process.platform}-${process.arch}`,
  });
  // Native crashes leave a minidump in the crashDumps folder for support; nothing is uploaded.
  crashReporter.start({ uploadToServer: false });
  process.on('uncaughtExceptionMonitor', (error) => log.write('error', `uncaught exception: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (reason) => {
    const text = `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`;
    console.error(text);
    log.write('error', text);
  });
  // The packaged page also carries this policy in a <meta> tag (file:// has no headers).
  const csp = contentSecurityPolicy(devServerUrl === undefined ? {} : { devServerUrl });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  // The station asks for no browser permissions (camera, notifications…) in this window.
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));

  const anonKey = process.env['SUPABASE_ANON_KEY'];
  const email = process.env['STATION_EMAIL'];
  const password = process.env['STATION_PASSWORD'];
  // The services (SQLite, scanners) load native addons: built for the wrong ABI, they fail here,
  // and the person at the station gets the reason and the fix instead of a crash.
  let services: StationServices;
  let handlersFor: typeof stationHandlersFor;
  try {
    const station = await import('./station-services');
    handlersFor = station.stationHandlersFor;
    services = await station.createStationServices({
      dataDir: app.getPath('userData'),
      backend: backendUrl !== null && anonKey !== undefined ? { url: backendUrl, anonKey } : null,
      credentials: email !== undefined && password !== undefined ? { email, password } : null,
      log: (line) => {
        console.error(line);
        log.write('info', line);
      },
    });
  } catch (error) {
    const message = errorMessage(error);
    const explanation =
      abiMismatch(error, { electron: process.versions.electron, node: process.versions.node })?.explanation ??
      `The station could not start: ${message}`;
    log.write('error', explanation);
    dialog.showErrorBox('GigManager Station cannot start', explanation);
    app.exit(1);
    return;
  }
  registerStationIpc(
    ipcMain,
    handlersFor(services, { appVersion: app.getVersion(), kind: 'electron', recentLog: (count) => log.tail(count) }),
    (url) => isTrustedRendererUrl(url, devServerUrl === undefined ? { file: rendererFile } : { devServerUrl }),
  );
  const window = createWindow();
  subscribeStationEvents(services, (event, value) => {
    if (!window.isDestroyed()) window.webContents.send(STATION_EVENTS[event], value);
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('before-quit', () => void services.stop());
});

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
