import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { LOAD_DIR } from './scenario';

/**
 * Runs a k6 script's init code and iterations in Node, the way k6 does (one JavaScript context
 * per VU, `SharedArray` callbacks run once for all VUs), with k6's modules replaced by recorders.
 * k6 cannot run here; this lets the tests see the options k6 would get, which files each VU
 * opens, and the requests (with their tags) an iteration sends.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
  tags: Record<string, string>;
}

export interface K6Harness {
  /** One VU's init context: the script's `options` and its default function. */
  initVu: (vu: number) => { options: { thresholds: Record<string, string[]> }; iterate: () => void };
  /** Every `open()` of the named file, and whether it ran inside a `SharedArray` callback. */
  opens: { path: string; insideSharedArray: boolean }[];
  requests: RecordedRequest[];
  /** Checks that failed, by name. */
  failedChecks: string[];
}

export type Answer = (request: RecordedRequest) => { status: number; body: unknown };

export async function k6Harness(script: string, env: Record<string, string>, answer: Answer): Promise<K6Harness> {
  const bundle = await build({
    entryPoints: [join(LOAD_DIR, script)],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__script',
    platform: 'neutral',
    plugins: [
      {
        name: 'k6-modules',
        setup(on) {
          on.onResolve({ filter: /^(k6(\/.*)?|https:\/\/jslib\.k6\.io\/.*)$/ }, (args) => ({ path: args.path, namespace: 'k6' }));
          on.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => ({
            contents: `const m = globalThis.__k6[${JSON.stringify(args.path.startsWith('https://') ? 'jslib' : args.path)}];\n${moduleExports(args.path)}`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  const code = bundle.outputFiles[0]?.text ?? '';
  const harness: K6Harness = { initVu, opens: [], requests: [], failedChecks: [] };
  const shared = new Map<string, readonly unknown[]>();
  let insideSharedArray = false;

  const modules = {
    k6: {
      check: (value: unknown, sets: Record<string, (v: unknown) => boolean>) => {
        let all = true;
        for (const [name, test] of Object.entries(sets)) {
          if (!test(value)) {
            all = false;
            harness.failedChecks.push(name);
          }
        }
        return all;
      },
      sleep: () => undefined,
    },
    'k6/data': {
      // k6 runs the callback once, in the first VU's init, and hands every VU the same frozen data.
      SharedArray: function SharedArray(name: string, callback: () => unknown[]) {
        const stored = shared.get(name);
        if (stored !== undefined) return stored;
        insideSharedArray = true;
        try {
          const data = Object.freeze(JSON.parse(JSON.stringify(callback())) as unknown[]);
          shared.set(name, data);
          return data;
        } finally {
          insideSharedArray = false;
        }
      },
    },
    'k6/http': {
      default: {
        request: (method: string, url: string, body: string, params: { tags?: Record<string, string> }) => {
          const request = { method, url, body: JSON.parse(body) as unknown, tags: params.tags ?? {} };
          harness.requests.push(request);
          const { status, body: reply } = answer(request);
          return { status, json: () => reply };
        },
      },
    },
    'k6/metrics': {
      Counter: class Counter {
        add(): void {}
      },
      Trend: class Trend {
        add(): void {}
      },
    },
    jslib: { uuidv4: randomUUID },
  };

  function initVu(vu: number): ReturnType<K6Harness['initVu']> {
    const open = (path: string): string => {
      harness.opens.push({ path, insideSharedArray });
      return readFileSync(isAbsolute(path) ? path : join(LOAD_DIR, path), 'utf8');
    };
    const context = createContext({ __k6: modules, __ENV: env, __VU: vu, __ITER: 0, open, console });
    runInContext(`${code}\nglobalThis.__script = __script;`, context);
    const exports = (context as { __script: { options: { thresholds: Record<string, string[]> }; default: () => void } }).__script;
    return { options: exports.options, iterate: () => exports.default() };
  }
  return harness;
}

/** The named exports a stand-in module gives the script (what the script imports from it). */
function moduleExports(path: string): string {
  if (path === 'k6') return 'export const check = m.check; export const sleep = m.sleep;';
  if (path === 'k6/data') return 'export const SharedArray = m.SharedArray;';
  if (path === 'k6/http') return 'export default m.default;';
  if (path === 'k6/metrics') return 'export const Counter = m.Counter; export const Trend = m.Trend;';
  if (path.startsWith('https://jslib.k6.io/')) return 'export const uuidv4 = m.uuidv4;';
  throw new Error(`the k6 harness has no stand-in for "${path}"`);
}
