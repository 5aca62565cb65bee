// ESLint 9 flat config: recommended JS + typescript-eslint rules for the platform (apps/, libs/),
// the simulator (device-sim/), tests/ and bench/; the dashboard's browser modules
// (apps/platform/web/, except vendored files) get browser globals.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `globals` comes with eslint (not a direct dependency): use it when it resolves, else fall back
// to the few names our files use.
let globals;
try {
  globals = (await import('globals')).default;
} catch {
  globals = undefined;
}
const nodeGlobals = globals?.node ?? {
  process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly',
  __filename: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
  setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly',
};
const browserGlobals = globals?.browser;

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      '.tmp/**',
      'coverage/**',
      'apps/platform/web/vendor/**',
      'bench/results/**',
      'deploy/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Nest modules and DTO classes are often empty by design.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // Tests and benchmarks: mocks, fixtures and loose event payloads.
    files: ['tests/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // JavaScript run by Node (configuration, helper scripts): CommonJS.
    files: ['**/*.js', '**/*.cjs'],
    ignores: ['apps/platform/web/**'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    // The dashboard: plain ES modules loaded by the browser.
    files: ['apps/platform/web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: browserGlobals ? { ...browserGlobals, io: 'readonly' } : {},
    },
    rules: browserGlobals ? {} : { 'no-undef': 'off' },
  },
);
