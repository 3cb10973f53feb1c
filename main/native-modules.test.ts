import { describe, expect, it } from 'vitest';
import { abiMismatch } from './native-modules';

// Node's own wording (ERR_DLOPEN_FAILED), as Electron 45 prints it for an addon built by npm install for another ABI.
const nodeError = Object.assign(
  new Error(
    "The module '/opt/GigManager Station/resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\n" +
      'was compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\n' +
      'NODE_MODULE_VERSION 136. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).',
  ),
  { code: 'ERR_DLOPEN_FAILED' },
);

describe('native module ABI mismatch', () => {
  it('names the module, both ABIs and the command that fixes it', () => {
    const problem = abiMismatch(nodeError, { electron: '45.4.1', node: '22.20.0' });
    expect(problem).toMatchObject({ module: 'better-sqlite3', builtFor: 115, requires: 136 });
    expect(problem?.explanation).toContain('(Electron 45.4.1, ABI 136)');
    expect(problem?.explanation).toContain('npx electron-builder install-app-deps');
  });

  it('finds scoped packages', () => {
    const scoped = new Error(
      nodeError.message.replace('better-sqlite3/build/Release/better_sqlite3.node', '@serialport/bindings-cpp/build/Release/bindings.node'),
    );
    expect(abiMismatch(scoped, { electron: undefined, node: '20.20.2' })).toMatchObject({ module: '@serialport/bindings-cpp' });
  });

  it('leaves every other error alone', () => {
    expect(abiMismatch(new Error('SQLITE_CANTOPEN: unable to open database file'), { electron: '45.4.1', node: '22' })).toBeNull();
    expect(abiMismatch('not an error', { electron: '45.4.1', node: '22' })).toBeNull();
  });
});
