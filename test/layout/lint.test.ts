// ↔ eslint.config.js: the layout's import boundaries (docs/ARCHITECTURE.md) hold over the tree, and each rule catches what it is for.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '../..');
/** Loading the parser and resolving every import takes seconds alone; a busy machine may take many times that. */
const LINT_TIMEOUT_MS = 5 * 60 * 1000;

function problems(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
}

describe('lint', () => {
  let eslint: ESLint;
  before(() => { eslint = new ESLint({ cwd: root }); });

  /** Lints `code` as if it were the file at `path` (relative to the root); nothing is written. */
  async function lintAs(path: string, code: string): Promise<string[]> {
    return problems(await eslint.lintText(code, { filePath: join(root, path) }));
  }

  it('finds nothing in the tree', { timeout: LINT_TIMEOUT_MS }, async () => {
    const found = problems(await eslint.lintFiles(['.']));
    assert.deepEqual(found, []);
  });

  it('fails main/ importing the electron package', async () => {
    const found = await lintAs('main/probe.ts', "import { app } from 'electron';\nexport const a = app;\n");
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /no-restricted-imports .*only electron\/ may import electron/);
    assert.equal((await lintAs('main/probe.ts', "import type { App } from 'electron/main';\nexport type A = App;\n")).length, 1, 'not even for types');
  });

  it('fails main/ importing electron/, renderer/ or devhost/', async () => {
    for (const target of ['../../electron/csp.ts', '../../renderer/bridge.ts', '../../devhost/access-token.ts']) {
      const found = await lintAs('main/ca/probe.ts', `import * as m from '${target}';\nexport const x = m;\n`);
      assert.equal(found.length, 1, `${target}: ${found.join('\n')}`);
      assert.match(found[0]!, /no-restricted-paths .*main\/ may not import the shell/);
    }
  });

  it('fails main/keydomain/ importing main/hsm/', async () => {
    const found = await lintAs('main/keydomain/probe.ts', "import type { Token } from '../hsm/token.ts';\nexport type T = Token;\n");
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /no-restricted-paths .*keydomain\/ may not depend on hsm\//);
  });

  it('fails renderer/ importing electron, electron/ or devhost/', async () => {
    const pkg = await lintAs('renderer/probe.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;\n");
    assert.equal(pkg.length, 1, pkg.join('\n'));
    assert.match(pkg[0]!, /no-restricted-imports .*sandboxed page/);
    for (const target of ['../electron/dispatch.ts', '../devhost/access-token.ts']) {
      const found = await lintAs('renderer/probe.ts', `import * as m from '${target}';\nexport const x = m;\n`);
      assert.equal(found.length, 1, `${target}: ${found.join('\n')}`);
      assert.match(found[0]!, /no-restricted-paths .*only through window\.custos/);
    }
  });

  it('fails electron/ importing devhost/, which is never packaged', async () => {
    const found = await lintAs('electron/probe.ts', "import { newAccessToken } from '../devhost/access-token.ts';\nexport const n = newAccessToken;\n");
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /no-restricted-paths .*never packaged/);
    assert.deepEqual(await lintAs('electron/probe.ts', "import { app } from 'electron';\nimport { dispatch } from './dispatch.ts';\nexport const a = [app, dispatch];\n"), [], 'the shell itself may use electron');
  });

  it('lets renderer/ take types from the contract and visibleText, and nothing else from main/', async () => {
    assert.deepEqual(await lintAs('renderer/probe.ts', "import type { Output } from '../main/api/contract.ts';\nexport type O = Output<'app.info'>;\n"), []);
    const value = await lintAs('renderer/probe.ts', "import { api } from '../main/api/contract.ts';\nexport const a = api;\n");
    assert.equal(value.length, 1, value.join('\n'));
    assert.match(value[0]!, /no-restricted-imports .*only types from the contract/);
    assert.deepEqual(await lintAs('renderer/probe.ts', "import { visibleText } from '../main/api/visible-text.ts';\nexport const v = visibleText;\n"), [],
      'the one value the window takes from the core: how text from outside is shown');
    const core = await lintAs('renderer/features/probe.tsx', "import type { CaRecord } from '../../main/ca/state.ts';\nexport type C = CaRecord;\n");
    assert.equal(core.length, 1, core.join('\n'));
    assert.match(core[0]!, /no-restricted-paths .*only through the contract/);
  });
});
