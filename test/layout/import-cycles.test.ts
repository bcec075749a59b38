// ↔ test/support/import-graph.ts over main/ and renderer/: no two modules import each other, not even for types.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCycles, importGraph } from '../support/import-graph.ts';

const root = join(import.meta.dirname, '../..');

describe('import cycles', () => {
  for (const tree of ['main', 'renderer']) {
    it(`${tree}/ has no import cycle, type-only imports included`, () => {
      const cycles = importCycles(importGraph(join(root, tree)), root);
      assert.deepEqual(cycles, [], `cycles: ${cycles.map((c) => c.join(' ⇄ ')).join('; ')}`);
    });
  }

  it('finds a cycle made of type-only imports, as main/cli/commands.ts and rehearse.ts had', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-cycle-'));
    try {
      writeFileSync(join(dir, 'commands.ts'), "import { rehearse } from './rehearse.ts';\nexport type CliValues = Record<string, string>;\nexport const run = rehearse;\n");
      writeFileSync(join(dir, 'rehearse.ts'), "import type { CliValues } from './commands.ts';\nexport function rehearse(v: CliValues): number { return Object.keys(v).length; }\n");
      writeFileSync(join(dir, 'alone.ts'), "import { run } from './commands.ts';\nexport const x = run;\n");
      assert.deepEqual(importCycles(importGraph(dir), dir), [['commands.ts', 'rehearse.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
