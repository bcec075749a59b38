/**
 * The token registry on a real SoftHSM2 token: a CA key is looked up on the
 * token once and then remembered, until a logout, a close or a failed
 * signature makes the registry ask the token again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Pkcs11Provider } from '../../../main/hsm/pkcs11/index.ts';
import { TokenRegistry } from '../../../main/hsm/registry.ts';
import { Secret } from '../../../main/secret.ts';
import type { KeyRef, Token } from '../../../main/hsm/token.ts';
import { isCustosError } from '../../../main/errors/index.ts';

const PIN = '135790';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('TokenRegistry on SoftHSM2', () => {
  let hsm: SoftHsm;
  let registry: TokenRegistry;
  let tokenId: string;
  let key: KeyRef;
  let asked = 0;

  /** Opens the token and counts the lookups the registry makes on it. */
  async function openCounted(): Promise<Token> {
    const token = await registry.open(tokenId);
    const findKey = token.findKey.bind(token);
    (token as { findKey: Token['findKey'] }).findKey = (spki) => { asked += 1; return findKey(spki); };
    return token;
  }

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Registry HSM', '97531864', PIN);
    registry = new TokenRegistry([new Pkcs11Provider({ modulePath: hsm.modulePath, virtual: true })]);
    const [listed] = await registry.list();
    assert.ok(listed, 'the SoftHSM token is listed');
    tokenId = listed.id;
    const token = await openCounted();
    await token.login(Secret.fromString(PIN));
    key = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'registry-key');
  });

  after(async () => {
    await registry.closeAll();
    await hsm.cleanup();
  });

  it('asks the token for a key once while it stays logged in, and again once told to forget it', async () => {
    asked = 0;
    const first = await registry.requireKey(key.spkiSha256, 'the test CA');
    const again = await registry.requireKey(key.spkiSha256.toUpperCase(), 'the test CA');
    assert.equal(first.key.spkiSha256, key.spkiSha256);
    assert.equal(again.token, first.token);
    assert.equal(asked, 1);
    registry.forgetKey(key.spkiSha256);
    await registry.requireKey(key.spkiSha256, 'the test CA');
    assert.equal(asked, 2);
  });

  it('asks again after a logout, and finds nothing until the operator logs in', async () => {
    const token = await registry.open(tokenId);
    await registry.requireKey(key.spkiSha256, 'the test CA');
    await token.logout();
    assert.equal(await codeOf(registry.requireKey(key.spkiSha256, 'the test CA')), 'KEY_NOT_FOUND');
    await token.login(Secret.fromString(PIN));
    assert.equal((await registry.requireKey(key.spkiSha256, 'the test CA')).key.spkiSha256, key.spkiSha256);
  });

  it('forgets the key of a token that was closed', async () => {
    await registry.requireKey(key.spkiSha256, 'the test CA');
    await registry.close(tokenId);
    assert.equal(await codeOf(registry.requireKey(key.spkiSha256, 'the test CA')), 'KEY_NOT_FOUND');
    const token = await openCounted();
    await token.login(Secret.fromString(PIN));
    asked = 0;
    await registry.requireKey(key.spkiSha256, 'the test CA');
    assert.equal(asked, 1, 'the reopened token is asked');
  });
});
