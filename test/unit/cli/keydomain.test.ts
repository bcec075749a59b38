/**
 * The password-shares file custos dkek import --password-shares-file reads:
 * the prime and the shares at hand as sc-hsm-tool shows them, any threshold
 * of which give back the share file's password; anything else is
 * PASSWORD_SHARES_INVALID, and no value appears in the error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passwordFromSharesFile } from '../../../main/cli/keydomain.ts';
import { formatColonHex, generateSharePassword, splitSharePassword } from '../../../main/keydomain/password-shares.ts';
import { isCustosError } from '../../../main/errors/index.ts';

describe('the password-shares file', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-pwd-shares-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back the password from any two of three shares, comments and blank lines aside', () => {
    const password = generateSharePassword();
    const sharing = splitSharePassword(password, 2, 3);
    const file = join(dir, 'two-of-three.txt');
    writeFileSync(file, [`# board of the key domain`, `prime ${formatColonHex(sharing.prime)}`, '', ...[sharing.shares[2]!, sharing.shares[0]!].map((s) => `${s.x} ${formatColonHex(s.y)}`), ''].join('\n'));
    assert.deepEqual(passwordFromSharesFile(file).revealBytes(), password);
  });

  it('refuses a file without its prime, with one share only, or with a value that is not colon hex, naming no value', () => {
    const sharing = splitSharePassword(generateSharePassword(), 2, 3);
    const [a, b] = sharing.shares.map((s) => `${s.x} ${formatColonHex(s.y)}`);
    const cases = {
      'no-prime.txt': [a, b].join('\n'),
      'one-share.txt': [`prime ${formatColonHex(sharing.prime)}`, a].join('\n'),
      'not-hex.txt': [`prime ${formatColonHex(sharing.prime)}`, a, '2 zz:yy'].join('\n'),
    };
    for (const [name, text] of Object.entries(cases)) {
      const file = join(dir, name);
      writeFileSync(file, text);
      assert.throws(() => passwordFromSharesFile(file), (e) => isCustosError(e) && e.code === 'PASSWORD_SHARES_INVALID' && !e.message.includes(formatColonHex(sharing.shares[0]!.y)), name);
    }
  });
});
