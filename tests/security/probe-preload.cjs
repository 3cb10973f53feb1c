// Loads the built, sandboxed preload (out/preload/index.cjs) with a stand-in `electron` and
// prints what it exposed to the page and which channels its methods use, as one JSON line.
const Module = require('node:module');
const exposed = {};
const invoked = [];
const listened = [];
const fake = {
  contextBridge: { exposeInMainWorld: (key, api) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (channel, ...args) => {
      invoked.push({ channel, args });
      return Promise.resolve({ ok: true, value: null });
    },
    on: (channel) => listened.push(channel),
    removeListener: () => undefined,
  },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'electron' ? fake : load.call(this, request, ...rest);
};
require(process.argv[2]);
const api = exposed.station ?? {};
(async () => {
  await api.getInfo?.();
  await api.ping?.({ message: 'hi' });
  const off = api.onSyncStatus?.(() => undefined);
  off?.();
  console.log(
    JSON.stringify({
      exposedKeys: Object.keys(exposed),
      members: Object.keys(api).sort(),
      memberTypes: [...new Set(Object.values(api).map((v) => typeof v))],
      invoked,
      listened,
    }),
  );
})();
