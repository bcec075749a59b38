// The layout's boundaries (docs/ARCHITECTURE.md), checked by `npm test`. Only
// import rules: types and style are tsc's and review's, and a small rule set
// keeps the run at seconds. Cycles, type-only ones included, are found by
// test/layout/import-cycles.test.ts: import-x/no-cycle skips `import type` and
// took nine tenths of the run.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const coreIsPlainNode = {
  name: 'electron',
  message: 'main/ is plain Node: only electron/ may import electron (ARCHITECTURE.md, rule 1).',
};

/** The shell, the window and the dev host sit on the core; the core never reaches back into them. */
const coreZone = {
  target: './main',
  from: ['./electron', './renderer', './devhost'],
  message: 'main/ may not import the shell, the window or the dev host: they import the core, never the other way.',
};

/** keydomain/ is arithmetic on shares and blobs; a token is hsm/'s business, and hsm/ uses keydomain/. */
const keydomainZone = {
  target: './main/keydomain',
  from: './main/hsm',
  message: 'keydomain/ may not depend on hsm/: hsm/ uses keydomain/. Shared pieces (Secret) live outside both.',
};

const rendererZone = {
  target: './renderer',
  from: './main',
  except: ['./api'],
  message: 'The window reaches the core only through the contract (main/api/), never its modules.',
};

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test/fixtures/**'] },
  {
    // The rules below are about main/ and renderer/; nothing else needs parsing.
    files: ['main/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    // Other rules' directives (no-control-regex …) are not this config's to judge.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: { 'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'] },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [coreIsPlainNode],
        patterns: [{ regex: '^electron/', message: coreIsPlainNode.message }],
      }],
      'import-x/no-restricted-paths': ['error', { zones: [coreZone, keydomainZone] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      // The contract's zod schemas and handlers are the core's; the window needs only their types.
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)main/api/', allowTypeImports: true, message: 'The window takes only types from the contract (import type …): its values run in the core.' }],
      }],
      'import-x/no-restricted-paths': ['error', { zones: [rendererZone] }],
    },
  },
];
