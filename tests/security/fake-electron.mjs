// A stand-in for the `electron` module, so the built main process (out/main/index.js) can run in
// plain Node and show what it configures: window options, CSP, navigation and window-open
// handlers, permission handlers, IPC handlers. Records everything in globalThis.__fakeElectron.
import { tmpdir } from 'node:os';

const state = {
  windows: [],
  ipc: new Map(),
  headersHandler: null,
  permissionHandler: null,
  appListeners: new Map(),
  openedExternal: [],
  errorBoxes: [],
  exited: null,
  crashReporter: null,
};
globalThis.__fakeElectron = state;

export const app = {
  whenReady: () => Promise.resolve(),
  getPath: () => process.env.STATION_USER_DATA_DIR ?? tmpdir(),
  setPath: () => undefined,
  getVersion: () => '0.0.0-security-test',
  on(event, listener) {
    const list = state.appListeners.get(event) ?? [];
    list.push(listener);
    state.appListeners.set(event, list);
    return app;
  },
  quit: () => (state.exited = 'quit'),
  exit: (code) => (state.exited = `exit ${code}`),
};

class FakeWebContents {
  constructor() {
    this.listeners = new Map();
    this.openHandler = null;
  }
  on(event, listener) {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }
  setWindowOpenHandler(handler) {
    this.openHandler = handler;
  }
  send() {}
}

export class BrowserWindow {
  constructor(options) {
    this.options = options;
    this.webContents = new FakeWebContents();
    this.loaded = null;
    state.windows.push(this);
  }
  static getAllWindows() {
    return state.windows;
  }
  once() {}
  on() {}
  show() {}
  isDestroyed() {
    return false;
  }
  loadFile(file) {
    this.loaded = { file };
    return Promise.resolve();
  }
  loadURL(url) {
    this.loaded = { url };
    return Promise.resolve();
  }
}

export const ipcMain = {
  handle: (channel, handler) => state.ipc.set(channel, handler),
  removeHandler: (channel) => state.ipc.delete(channel),
};

export const session = {
  defaultSession: {
    webRequest: { onHeadersReceived: (handler) => (state.headersHandler = handler) },
    setPermissionRequestHandler: (handler) => (state.permissionHandler = handler),
  },
};

export const shell = {
  openExternal: (url) => {
    state.openedExternal.push(url);
    return Promise.resolve();
  },
};

export const dialog = { showErrorBox: (title, content) => state.errorBoxes.push({ title, content }) };

export const crashReporter = { start: (options) => (state.crashReporter = options) };

export default { app, BrowserWindow, ipcMain, session, shell, dialog, crashReporter };
