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

/** The window runs sandboxed in a browser page: the shell and the dev host reach it only through window.custos. */
const rendererShellZone = {
  target: './renderer',
  from: ['./electron', './devhost'],
  message: 'The window reaches the shell only through window.custos (renderer/bridge.ts).',
};

/** The dev host is never packaged (electron-builder.yml): the shell must not pull it into the bundle. */
const shellZone = {
  target: './electron',
  from: './devhost',
  message: 'electron/ may not import devhost/: the dev host is for development and tests only and is never packaged.',
};

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test/fixtures/**'] },
  {
    // The rules below are about main/, renderer/ and electron/; nothing else needs parsing.
    files: ['main/**/*.ts', 'renderer/**/*.{ts,tsx}', 'electron/**/*.ts'],
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
        paths: [{ name: 'electron', message: 'The window is a sandboxed page: it has no electron, only window.custos.' }],
        patterns: [{ regex: '(^|/)main/api/(?!(visible-text|reason-words)\\.ts$)', allowTypeImports: true, message: 'The window takes only types from the contract (import type …): its values run in the core. The exceptions are visible-text.ts and reason-words.ts, which import nothing, so what the window and the CLI show of text from outside is escaped by one function and revocation reasons read in the same words.' }],
      }],
      'import-x/no-restricted-paths': ['error', { zones: [rendererZone, rendererShellZone] }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: [shellZone] }],
    },
  },
];
