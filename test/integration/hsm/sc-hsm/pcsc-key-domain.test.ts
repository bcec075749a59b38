/**
 * The key-domain flows OpenSC's sc-hsm-tool runs (DKEK share import, key
 * wrap and unwrap, public-key-authentication status), here through Custos's
 * own driver over PC/SC: a virtual card behind a private pcscd, in its own
 * process. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { encryptShareFile } from '../../../../main/keydomain/share-file.ts';
import { kcv } from '../../../../main/keydomain/dkek.ts';
import { Secret } from '../../../../main/secret.ts';
import { isCustosError } from '../../../../main/errors/index.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../../support/card-process.ts';

const PIN = '648219';
const isRoot = process.getuid?.() === 0;

describe('key domain and custodian status over PC/SC', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let provider: ScHsmProvider;
  let token: ScHsmToken;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-pcsc-domain-'));
    const stateFile = join(work, 'card.vsc');
    await createInitializedCard(stateFile, PIN, 'Domain HSM', { dkekShares: 2, pka: { total: 3, required: 2 } });
    card = await startCardProcess(stateFile);
    provider = new ScHsmProvider();
    token = await provider.openScHsm({});
    await token.login(Secret.fromString(PIN));
  });

  after(async () => {
    await provider?.close();
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('imports two DKEK shares, one from a password-protected share file, and reports the key domain\'s KCV', async () => {
    const shares = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    const first = await token.importDkekShare(shares[0]!);
    assert.deepEqual([first.totalShares, first.outstandingShares], [2, 1]);
    // A small KDF count keeps the test quick; the file format is the one sc-hsm-tool writes.
    const file = encryptShareFile(shares[1]!, Secret.fromString('share password'), { iterations: 1000 });
    const done = await token.importDkekShareFile(file, Secret.fromString('share password'), { iterations: 1000 });
    assert.equal(done.outstandingShares, 0);
    const dkek = shares[0]!.map((b, i) => b ^ shares[1]![i]!);
    assert.equal(done.kcv, Buffer.from(kcv(dkek)).toString('hex'));
  });

  it('wraps a key, deletes it, restores it from the blob and signs with it again', async () => {
    const key = await token.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'to be backed up');
    const wrapped = await token.wrapKey(key);
    assert.equal(wrapped.kcv, (await token.dkekStatus()).kcv);
    await token.deleteKey(key);
    assert.equal(await token.findKey(key.spkiSha256), undefined);
    const restored = await token.unwrapKey(wrapped);
    assert.equal(restored.spkiSha256, key.spkiSha256);
    const message = new TextEncoder().encode('restored through the reader');
    const alg = { scheme: 'ecdsa', hash: 'SHA-384' } as const;
    assert.ok(verifiesWith(key.spki, alg, message, await token.signer(restored).sign(message, alg)));
  });

  it('reports the custodian quorum the card was initialised with, and refuses to unlock without custodians', async () => {
    assert.deepEqual(await token.pkaStatus(), { totalKeys: 3, keysToRegister: 3, requiredKeys: 2, authenticatedKeys: 0 });
    await assert.rejects(token.loginWithCustodians([]), (e) => isCustosError(e));
  });
});
