import { errorMessage } from '../core/errors';
/** A native addon built for another Node/Electron ABI than the one running it. */
export interface AbiMismatch {
  /** The addon's package, e.g. better-sqlite3. */
  module: string;
  builtFor: number;
  requires: number;
  /** What to tell the person at the station (and the developer reading the log). */
  explanation: string;
}

/**
 * Recognises Node's "compiled against a different Node.js version" error (ERR_DLOPEN_FAILED with
 * two NODE_MODULE_VERSIONs). It happens when the native modules were built for plain Node (npm
 * install, the tests) and the app runs in Electron, or the other way round.
 */
export function abiMismatch(error: unknown, runtime: { electron: string | undefined; node: string }): AbiMismatch | null {
  const message = errorMessage(error);
  const versions = /NODE_MODULE_VERSION (\d+)\.\s+This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  if (versions === null) return null;
  const module = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(message)?.[1]?.replace('\\', '/') ?? 'a native module';
  const [builtFor, requires] = [Number(versions[1]), Number(versions[2])];
  const running = runtime.electron === undefined ? `Node.js ${runtime.node}` : `Electron ${runtime.electron}`;
  return {
    module,
    builtFor,
    requires,
    explanation:
      `${module} was built for a different runtime (ABI ${builtFor}) than this one (${running}, ABI ${requires}), so the station cannot open its database or scanners.\n\n` +
      `If you installed the app: reinstall it from the latest package.\n` +
      `If you are developing: run "npx electron-builder install-app-deps" to rebuild the native modules for Electron ` +
      `(and "npm rebuild better-sqlite3 node-hid @serialport/bindings-cpp" before running the tests in Node again).`,
  };
}
