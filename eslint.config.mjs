// Lint for the whole repository: `npm run lint` (run by `npm test` before jest).
// typescript-eslint's `recommended` plus the type-aware rules that catch promises nobody awaits or
// handles and casts that hide a type error. Type information comes from tsconfig.json through the
// project service (one TypeScript program for every file).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'fetch']
    .map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', 'storage/**', 'coverage/**', 'test-artifacts/**', '.nx/**', '**/*.d.ts.map'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise is awaited, returned, or handed to `void` on purpose (fire-and-forget with its
      // own catch); `.catch()`/`.then(ok, fail)` count as handling it.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (event listeners, timers, Moleculer
      // hooks) throws into nowhere.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `x as T` only where T is a narrowing the compiler can check (`as const`, subtype); a cast
      // that widens or crosses unrelated types must go through `unknown` visibly, and object
      // literals are typed with an annotation or `satisfies`, not asserted.
      '@typescript-eslint/consistent-type-assertions': [
        'error',
        { assertionStyle: 'as', objectLiteralTypeAssertions: 'allow-as-parameter' },
      ],
      // `import x = require('…')` is TypeScript's typed import of an `export =` module (the service
      // files export their schema that way for moleculer-runner); a bare `require()` is still flagged.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // Plain CommonJS files (jest config, test fixtures run as child processes): `require` is their
    // module system.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
