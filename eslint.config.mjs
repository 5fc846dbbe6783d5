// Lint enforces the layering, not review: shared/ is pure (no vscode, no node:*),
// daemon/ never imports vscode, extension/ never loads better-sqlite3.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'stream', 'util', 'events'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test-output/**', '.cache/**', 'examples/**', '**/*.mjs', 'bin/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-warning-comments': ['error', { terms: ['todo', 'fixme', 'xxx'], location: 'start' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['vscode'], message: 'shared/ is used by both sides: no vscode.' },
        { group: nodeBuiltins, message: 'shared/ is pure: no node:* modules.' },
        { group: ['better-sqlite3'], message: 'shared/ is pure: no native modules.' },
      ] }],
    },
  },
  {
    files: ['daemon/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', 'vscode-languageclient*'], message: 'The daemon never imports vscode.' }] }],
    },
  },
  {
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['better-sqlite3'], message: "The editor's Node ABI differs: never load better-sqlite3 in the extension." },
        { group: ['**/daemon/src/**'], message: 'Talk to the daemon through the protocol in shared/, not its code.' },
      ] }],
    },
  },
);
