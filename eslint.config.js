// Lint: typescript-eslint's type-aware rules, plus the project's structural limits (files ≤ 400
// lines, functions ≤ 80) and its layering (the portable core imports no Node module, and only
// crypto/ touches the curve library).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'crypto', 'net', 'http', 'https', 'worker_threads', 'child_process'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/chat/.data/', 'test-artifacts/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_`-prefixed names mark parameters a subclass hook or callback shape requires.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Settled results and queued failures carry the caught value as it was thrown.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Free functions by design: sodium-native's exports, the options' clock, and the methods
    // metrics wraps and restores on the live objects.
    files: ['src/crypto/sodium.ts', 'src/session/server.ts', 'src/metrics/timing.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@noble/*'], message: 'Only src/crypto/ uses the curve and hash libraries.' }] }],
    },
  },
  {
    files: ['src/crypto/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/{wire,keys,envelope,delivery,session,policy,rooms}/**/*.ts', 'src/replay/{memory,async-memory,store,window,freshness}.ts', 'src/*.ts'],
    ignores: ['src/rooms/file-log.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.filter((n) => !n.includes('*')),
          patterns: [
            { group: ['node:*'], message: 'The core runs in browsers, Deno and Bun: Node-only code sits behind an interface.' },
            { group: ['@noble/*'], message: 'Only src/crypto/ uses the curve and hash libraries.' },
          ],
        },
      ],
    },
  },
);
