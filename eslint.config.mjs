// Lint enforces the layering, not review: shared/src is pure (no vscode, no node:*),
// shared/node is plain Node both sides import, daemon/ never imports vscode, extension/ never
// loads better-sqlite3.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'net',
  'stream',
  'util',
  'events',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'out/**',
      'test-output/**',
      '.cache/**',
      'examples/**',
      '**/*.mjs',
      'bin/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-warning-comments': ['error', { terms: ['todo', 'fixme', 'xxx'], location: 'start' }],
    },
  },
  {
    files: ['shared/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['vscode'], message: 'shared/ is used by both sides: no vscode.' },
            { group: nodeBuiltins, message: 'shared/ is pure: no node:* modules.' },
            { group: ['better-sqlite3'], message: 'shared/ is pure: no native modules.' },
            {
              group: ['../node', '../node/**', '**/shared/node', '**/shared/node/**'],
              message: 'shared/src is pure: shared/node needs Node, so shared/src never imports it.',
            },
          ],
        },
      ],
    },
  },
  // Unit tests of shared/src run under node's test runner: node:test and node:assert only.
  {
    files: ['shared/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['vscode'], message: 'shared/ is used by both sides: no vscode.' },
            {
              group: nodeBuiltins
                .filter((n) => n !== 'node:*')
                .concat(['node:*', '!node:test', '!node:assert', '!node:assert/strict']),
              message: 'shared/ tests use node:test and node:assert only.',
            },
          ],
        },
      ],
    },
  },
  // Node-side helpers both the daemon and the extension import: node:* is fine, but neither
  // side's code nor anything that ties it to one runtime (vscode, a native module's ABI).
  {
    files: ['shared/node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['vscode', 'vscode-languageclient*'],
              message: 'shared/node is loaded by the daemon too: no vscode.',
            },
            {
              group: ['better-sqlite3', 'zstd-napi', '@parcel/watcher', '@napi-rs/blake-hash'],
              message: 'shared/node is loaded by the extension host, whose Node ABI differs: no native modules.',
            },
            {
              group: ['**/daemon/src', '**/daemon/src/**', '**/extension/src', '**/extension/src/**'],
              message: 'shared/node serves both sides and imports neither.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['daemon/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['vscode', 'vscode-languageclient*'], message: 'The daemon never imports vscode.' }] },
      ],
    },
  },
  {
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['better-sqlite3'],
              message: "The editor's Node ABI differs: never load better-sqlite3 in the extension.",
            },
            {
              group: ['**/daemon/src/**'],
              message: 'Talk to the daemon through the protocol in shared/, not its code.',
            },
          ],
        },
      ],
    },
  },
);
