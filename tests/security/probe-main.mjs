// Runs the built main process against the electron stand-in, pokes every handler it installed,
// and prints what happened as one JSON line (tests/security/built-main.test.ts reads it).
import { pathToFileURL } from 'node:url';

const [mainFile, rendererFile] = process.argv.slice(2);
await import(pathToFileURL(mainFile).href);
const state = globalThis.__fakeElectron;
const deadline = Date.now() + 30_000;
while (!(state.windows[0]?.loaded && state.ipc.size > 0)) {
  if (Date.now() > deadline || state.exited !== null) {
    console.log(JSON.stringify({ failed: 'the main process did not open its window', errorBoxes: state.errorBoxes, exited: state.exited }));
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 20));
}
const window = state.windows[0];
const fire = (listeners, url) => {
  let prevented = false;
  for (const listener of listeners ?? []) listener({ preventDefault: () => (prevented = true) }, url);
  return prevented;
};
const headers = await new Promise((resolve) =>
  state.headersHandler({ url: 'file:///x', responseHeaders: {} }, (r) => resolve(r.responseHeaders)),
);
const permissions = {};
for (const permission of [
  'media',
  'notifications',
  'geolocation',
  'midi',
  'clipboard-read',
  'hid',
  'serial',
  'usb',
  'openExternal',
  'fullscreen',
]) {
  permissions[permission] = await new Promise((resolve) => state.permissionHandler({}, permission, resolve, {}));
}
const windowOpen = {};
for (const url of ['https://docs.example.com/help', 'http://insecure.example.com/', 'file:///etc/passwd', 'javascript:alert(1)'])
  windowOpen[url] = window.webContents.openHandler({ url });
let webviewPrevented = false;
const created = {
  on: (event, listener) => event === 'will-attach-webview' && listener({ preventDefault: () => (webviewPrevented = true) }, {}, {}),
};
for (const listener of state.appListeners.get('web-contents-created') ?? []) listener({}, created);

const trusted = { senderFrame: { url: pathToFileURL(rendererFile).href, parent: null } };
const senders = {
  foreignPage: { senderFrame: { url: 'https://evil.example/', parent: null } },
  subframe: { senderFrame: { url: pathToFileURL(rendererFile).href, parent: {} } },
  noFrame: { senderFrame: null },
  otherFile: { senderFrame: { url: 'file:///tmp/evil.html', parent: null } },
};
const untrusted = {};
for (const [name, event] of Object.entries(senders)) {
  untrusted[name] = {};
  for (const [channel, handler] of state.ipc) untrusted[name][channel] = (await handler(event))?.error?.code ?? 'accepted';
}
const deep = {};
let cursor = deep;
for (let i = 0; i < 200; i += 1) cursor = cursor.next = {};
const payloads = {
  number: [42],
  string: ['x'],
  null: [null],
  array: [[]],
  boolean: [true],
  huge: ['x'.repeat(1_000_000)],
  deep: [deep],
  extra: [undefined, 1, 2],
  proto: [JSON.parse('{"__proto__": {"polluted": true}}')],
};
const fuzz = {};
for (const [channel, handler] of state.ipc) {
  fuzz[channel] = {};
  for (const [name, args] of Object.entries(payloads)) {
    try {
      const result = await handler(trusted, ...args);
      fuzz[channel][name] = result?.ok === false ? result.error.code : 'accepted';
    } catch (error) {
      fuzz[channel][name] = `threw: ${error.message}`;
    }
  }
}
const info = await state.ipc.get('station:getInfo')?.(trusted);
for (const listener of state.appListeners.get('before-quit') ?? []) listener();
console.log(
  JSON.stringify({
    webPreferences: window.options.webPreferences,
    loaded: window.loaded,
    csp: headers['Content-Security-Policy'],
    navigatePrevented: fire(window.webContents.listeners.get('will-navigate'), 'https://evil.example/'),
    redirectPrevented: fire(window.webContents.listeners.get('will-redirect'), 'https://evil.example/'),
    windowOpen,
    openedExternal: state.openedExternal,
    permissions,
    webviewPrevented,
    channels: [...state.ipc.keys()],
    untrusted,
    fuzz,
    trustedInfo: info,
    polluted: {}.polluted === true,
    errorBoxes: state.errorBoxes,
    crashReporter: state.crashReporter,
    logFile: process.env.STATION_USER_DATA_DIR + '/logs/station.log',
  }),
);
setTimeout(() => process.exit(0), 500);
