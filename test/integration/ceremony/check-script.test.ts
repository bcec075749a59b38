/**
 * The check of a ceremony script against a real data directory: a root made
 * on the rehearsal tokens is in its journal, and the directory is then opened
 * again with no token at all, as at the desk where a script is prepared.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { REHEARSAL_PIN } from '../../../main/rehearsal/tokens.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { checkScriptInDataDir } from '../../../main/ceremony/check-script.ts';
import { loadScript } from '../../../main/ceremony/load-script.ts';

const CEREMONIES = fileURLToPath(new URL('../../../resources/ceremonies/', import.meta.url));
const SCRIPTS = ['root-key-generation', 'subordinate-signing', 'crl-reissue', 'key-backup', 'hsm-cloning'];

describe('a ceremony script checked against a data directory, with no token', () => {
  let work: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-ceremony-check-'));
    const custos = await Custos.openRehearsal({ dataDir: join(work, 'home'), operator: 'rehearsal' });
    try {
      const hsm = (await custos.tokens.list()).find((t) => t.info.label === 'Backup HSM')!;
      await custos.login(hsm.id, Secret.fromString(REHEARSAL_PIN));
      const key = await custos.generateKey(hsm.id, { kind: 'ec', curve: 'P-384' }, 'example root');
      await createRoot(custos.ctx, { tokenId: hsm.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Example Root CA', name: 'example-root' });
    } finally {
      await custos.close();
    }
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  /** Each script's findings, the data directory opened with no token provider and no PC/SC. */
  async function findingsIn(home: string): Promise<Record<string, string[]>> {
    const custos = Custos.open({ dataDir: home, providers: [], pcsc: false });
    try {
      assert.deepEqual(await custos.tokens.list(), []);
      const result: Record<string, string[]> = {};
      for (const id of SCRIPTS) {
        result[id] = checkScriptInDataDir(await loadScript(join(CEREMONIES, `${id}.json`)), custos.ctx).map((f) => `${f.code} ${f.step ?? ''}/${f.field}`);
      }
      return result;
    } finally {
      await custos.close();
    }
  }

  it('finds nothing in the scripts that use the journal\'s root, and refuses to make that root again', async () => {
    assert.deepEqual(await findingsIn(join(work, 'home')), {
      'root-key-generation': ['CEREMONY_CA_EXISTS create-root/action.params.ca'],
      'subordinate-signing': [], 'crl-reissue': [], 'key-backup': [], 'hsm-cloning': [],
    });
  });

  it('in an empty data directory, passes the root ceremony and finds the root missing for every other', async () => {
    const found = await findingsIn(join(work, 'empty'));
    assert.deepEqual(found['root-key-generation'], []);
    for (const id of SCRIPTS.slice(1)) {
      assert.ok(found[id]!.length > 0, id);
      assert.ok(found[id]!.every((f) => f.startsWith('CEREMONY_CA_UNKNOWN ')), `${id}: ${found[id]!.join(', ')}`);
    }
  });
});
