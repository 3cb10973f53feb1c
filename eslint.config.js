// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'module',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

const noNode = {
  group: ['node:*', ...nodeBuiltins],
  message: 'Node built-ins are not available here; platform code belongs in main/ (or behind a core interface).',
};
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only main/ and preload/ may import electron; the renderer talks to StationApi.',
};
const noNativeStores = {
  group: ['better-sqlite3', 'idb', 'idb/*', 'node-hid', 'serialport', '@serialport/*'],
  message: 'Storage and device drivers are platform adapters: implement a core interface in main/ or renderer/.',
};
const noStandIns = {
  group: ['**/supabase/local/**', '**/tests/**'],
  message: 'Product code never imports the local stand-in stack or tests.',
};
const noUi = {
  group: ['react', 'react-dom', 'react-dom/*', 'react/*'],
  message: 'core/ is platform-free: no UI framework.',
};

/** Boundary rules, one block per folder. Exported so the rule test can name them. */
export const boundaries = [
  {
    name: 'boundaries/core',
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noNativeStores, noUi, noStandIns] }],
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'indexedDB', 'self', 'location'].map((name) => ({
          name,
          message: `core/ is platform-free: "${name}" is a DOM global; take it as a dependency.`,
        })),
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global'].map((name) => ({
          name,
          message: `core/ is platform-free: "${name}" is a Node global; take it as a dependency.`,
        })),
      ],
    },
  },
  {
    name: 'boundaries/renderer',
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            noElectron,
            { group: ['better-sqlite3', 'node-hid', 'serialport', '@serialport/*'], message: noNativeStores.message },
            noStandIns,
          ],
        },
      ],
    },
  },
  {
    name: 'boundaries/preload',
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { ...noNode, message: 'A sandboxed preload has no Node built-ins: expose StationApi and nothing else.' },
            noNativeStores,
            noUi,
            noStandIns,
          ],
        },
      ],
    },
  },
  {
    name: 'boundaries/main',
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noUi, noStandIns, { group: ['**/renderer/**'], message: 'main/ must not import renderer code.' }] },
      ],
    },
  },
];

// Tests beside their module keep the folder's boundaries but may use the shared test helpers.
const mainPatterns = [noUi, { group: ['**/renderer/**'], message: 'main/ must not import renderer code.' }];
boundaries.push(
  {
    name: 'boundaries/core-tests',
    files: ['core/**/*.test.ts', 'core/**/*.contract.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noNativeStores, noUi] }] },
  },
  {
    name: 'boundaries/main-tests',
    files: ['main/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: mainPatterns }] },
  },
);

export default tseslint.config(
  {
    ignores: [
      'types/**',
      'out/**',
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'supabase/functions/**',
      'tests/fixtures/functions/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': true, 'ts-ignore': true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // k6 scripts run in k6's JavaScript runtime, with its globals.
    files: ['tests/load/**/*.k6.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Tests read untyped RPC results and query rows; product code gets generated types instead.
    files: ['**/*.test.ts', 'tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
    languageOptions: { globals: globals.browser },
  },
  ...boundaries,
  // Layout is Prettier's (checked by `npm run lint`): no ESLint rule may disagree with it.
  prettier,
);
